package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/fsutil"
	"github.com/mrasim/mrasim/scenarios"
)

// runRecordFile is the run folder's record of what the run was started
// with, written once when the run starts (and when --resume changes the
// budget). The scenario copy keeps the file's text; the record keeps the
// values flags changed (seed, episodes) and the settings that define the
// game and the agents, so that --resume and eval refuse a copy edited
// after the fact.
const runRecordFile = "run.json"

// runRecord is the content of run.json.
type runRecord struct {
	Seed         uint64          `json:"seed"`     // the effective seed, --seed included
	Episodes     int             `json:"episodes"` // the effective budget, --episodes included
	Game         string          `json:"game"`
	Params       map[string]any  `json:"params"`
	Populations  []string        `json:"populations"`
	ParallelEnvs int             `json:"parallel_envs"`
	Algo         json.RawMessage `json:"algo"` // the [algo] table with defaults filled in
}

// resolveSettings fills in what scenario s's settings leave for a run to
// fix when it starts (learner.Resolver; MRA's precision): for a new run
// (resume false) the algorithm's default for new runs, for a run being
// resumed in dir what its record names (the record's absence included).
// Every run folder written since records the values resolved.
func resolveSettings(s *scenarios.Scenario, dir string, resume bool) error {
	res, ok := s.Algo.(learner.Resolver)
	if !ok {
		return nil
	}
	if !resume {
		res.Resolve(nil, true)
		return nil
	}
	r, has, err := readRunRecord(dir)
	if err != nil {
		return err
	}
	var recorded json.RawMessage
	if has {
		recorded = r.Algo
	}
	res.Resolve(recorded, false)
	return nil
}

// resolvedRecord returns the recorded settings r.Algo as a map, with the
// keys a record of older days lacks and learner.Resolver fills in added
// (MRA's precision: float64 for a record without one), and the keys the
// algorithm does not read left out: a record of older days may hold them
// (maddpg's records hold MRA's keys from when the two shared a settings
// type, mra's hold MADDPG's tau), and they never changed what was trained.
func resolvedRecord(s *scenarios.Scenario, r runRecord) map[string]any {
	var ra map[string]any
	json.Unmarshal(r.Algo, &ra)
	algo, err := learner.Lookup(s.Algo.Algorithm())
	if ra == nil || err != nil {
		return ra
	}
	for k := range ra {
		if k != "name" && !slices.Contains(algo.Keys, k) {
			delete(ra, k)
		}
	}
	rs, err := algo.DecodeJSON(r.Algo)
	res, ok := rs.(learner.Resolver)
	if err != nil || !ok {
		return ra
	}
	var before, after map[string]any
	b, _ := json.Marshal(rs)
	json.Unmarshal(b, &before)
	res.Resolve(r.Algo, false)
	b, _ = json.Marshal(rs)
	json.Unmarshal(b, &after)
	for k, v := range after {
		if _, recorded := ra[k]; !recorded && !reflect.DeepEqual(before[k], v) {
			ra[k] = v
		}
	}
	return ra
}

// recordOf returns the record of scenario s (its seed and episodes being
// the effective ones).
func recordOf(s *scenarios.Scenario) runRecord {
	r := runRecord{Seed: s.Seed, Episodes: s.Train.Episodes, Game: s.Game.Name, Params: s.Game.Params, ParallelEnvs: s.Train.ParallelEnvs}
	if r.Params == nil {
		r.Params = map[string]any{}
	}
	for _, p := range s.Train.Populations {
		r.Populations = append(r.Populations, p.String())
	}
	r.Algo, _ = json.Marshal(s.Algo)
	return r
}

func writeRunRecord(dir string, r runRecord) error {
	return checkpoint.WriteAtomic(filepath.Join(dir, runRecordFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
}

// readRunRecord reads a run folder's record; ok is false for a run folder
// written before records existed.
func readRunRecord(dir string) (r runRecord, ok bool, err error) {
	path := filepath.Join(dir, runRecordFile)
	data, err := fsutil.ReadRegular(path, 1<<20)
	if errors.Is(err, os.ErrNotExist) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, false, fmt.Errorf("%s: %v", path, err)
	}
	r.Algo = snakeKeys(r.Algo)
	return r, true, nil
}

// snakeKeys returns a recorded [algo] table under the scenario's keys:
// run folders written before the settings were the algorithm's own type
// record them under Go field names (PolicyLR for pi_lr), which it
// converts; a record already in scenario keys is returned as it is.
func snakeKeys(algo json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(algo, &m) != nil {
		return algo
	}
	out := make(map[string]json.RawMessage, len(m))
	changed := false
	for k, v := range m {
		sk := algoKey(k)
		changed = changed || sk != k
		out[sk] = v
	}
	if !changed {
		return algo
	}
	b, err := json.Marshal(out)
	if err != nil {
		return algo
	}
	return b
}

// applyRecord makes scenario s (read from a run's copy) the run as it was
// started: the record's seed, and its budget unless episodesSet. It refuses
// a copy whose game, parameters, populations, parallel_envs or algorithm
// differ from the record: the checkpoint holds agents of that game, and
// continuing or evaluating them in another one would be silently wrong.
func applyRecord(s *scenarios.Scenario, r runRecord, dir string, episodesSet bool) error {
	s.Seed = r.Seed
	if !episodesSet {
		s.Train.Episodes = r.Episodes
	}
	if res, ok := s.Algo.(learner.Resolver); ok {
		res.Resolve(r.Algo, false)
	}
	got := recordOf(s)
	var diffs []string
	cmp := func(key string, a, b any) {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			diffs = append(diffs, fmt.Sprintf("%s is %s in %s, %s in %s", key, ja, runScenario, jb, runRecordFile))
		}
	}
	cmp("game.name", got.Game, r.Game)
	for _, k := range unionKeys(got.Params, r.Params) {
		cmp("game.params."+k, got.Params[k], r.Params[k])
	}
	cmp("train.populations", got.Populations, r.Populations)
	cmp("train.parallel_envs", got.ParallelEnvs, r.ParallelEnvs)
	var ga map[string]any
	json.Unmarshal(got.Algo, &ga)
	ra := resolvedRecord(s, r)
	// Key by key, by the scenario's names: never the whole tables.
	for _, k := range unionKeys(ga, ra) {
		cmp("algo."+algoKey(k), ga[k], ra[k])
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s and %s disagree: %s; one of them was edited after the run started, and the checkpoint holds agents of the settings the run started with: restore the edited file",
			filepath.Join(dir, runScenario), filepath.Join(dir, runRecordFile), strings.Join(diffs, "; "))
	}
	return nil
}

// unionKeys returns the keys of a and b, sorted.
func unionKeys(a, b map[string]any) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// algoKey returns the scenario key of a settings field as run folders
// written before the scenario's keys were recorded name it: BatchSize is batch_size, PolicyLR pi_lr.
func algoKey(field string) string {
	switch field {
	case "PolicyLR":
		return "pi_lr"
	case "CriticLR":
		return "q_lr"
	}
	var b strings.Builder
	for i, r := range field {
		if i > 0 && r >= 'A' && r <= 'Z' && field[i-1] >= 'a' && field[i-1] <= 'z' {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// newRunDir creates a new run folder OUT/NAME-YYYYMMDD-HHMMSS, with a
// suffix -2, -3, … when a run started in the same second has the name: the
// folder is created with Mkdir, which only one process can win.
func newRunDir(out, name string, now time.Time) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	base := filepath.Join(out, name+"-"+now.Format("20060102-150405"))
	for i := 1; i <= 1000; i++ {
		dir := base
		if i > 1 {
			dir += "-" + strconv.Itoa(i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("%s: 1000 runs started in the same second", base)
}

// runDirOrder reports whether run folder a was started before b, for names
// NAME-YYYYMMDD-HHMMSS[-i] of one scenario: by time stamp, then suffix.
func runDirOrder(a, b string) bool {
	ta, ia := splitRunSuffix(a)
	tb, ib := splitRunSuffix(b)
	if ta != tb {
		return ta < tb
	}
	return ia < ib
}

// splitRunSuffix splits "…-20260101-120000-3" into its stem and 3 (1 when
// there is no suffix).
func splitRunSuffix(dir string) (string, int) {
	base := filepath.Base(dir)
	i := strings.LastIndexByte(base, '-')
	if i > 0 {
		if n, err := strconv.Atoi(base[i+1:]); err == nil && len(base[i+1:]) < 6 {
			return base[:i], n
		}
	}
	return base, 1
}
