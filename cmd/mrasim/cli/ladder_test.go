package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/league"
)

const ladderGrid = `seeds = [1]
scenarios = ["walk.toml"]
ladder = [8, 16]
ladder_record = "record"
[algorithms.mra]
[algorithms.single]
train.populations = [2]
train.episodes = 32
[eval]
seen = [2, 3]
unseen = [5]
episodes = 4
adapt_steps = 1
adapt_episodes = 2
br_episodes = 0
random = false
`

// metricsWithoutWall reads a run's metrics.jsonl without the wall-clock
// fields.
func metricsWithoutWall(t *testing.T, path string) []map[string]any {
	t.Helper()
	ms := readMetrics(t, path)
	for _, m := range ms {
		delete(m, "wall_seconds")
		delete(m, "steps_per_second")
	}
	return ms
}

// trainerState returns a checkpoint's trainer state without its wall time
// (the networks, optimisers, buffers, counters and random streams).
func trainerState(t *testing.T, path string) []byte {
	t.Helper()
	payload, _, err := checkpoint.ReadFile(path, checkpointKin, learner.StateVersion)
	if err != nil {
		t.Fatal(err)
	}
	return payload
}

// TestSweepLadderExtendsExactly runs a ladder of 8 and 16 episodes per
// population: each rung is evaluated beside the run and recorded in the
// committed folder, the run extended from 8 to 16 equals, metrics and
// checkpoint, the run a sweep trains to 16 directly (single, whose own
// budget is twice the scenario's, gets 16 then 32), --dry-run lists the
// rungs and their state, a smaller budget is refused, and a lost run
// folder costs only the rungs not recorded.
func TestSweepLadderExtendsExactly(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "walk.toml"), []byte(sweepScenario), 0o644)
	grid := filepath.Join(dir, "ladder.toml")
	os.WriteFile(grid, []byte(ladderGrid), 0o644)
	out := filepath.Join(dir, "out")

	stdout, errOut, code := runCLI("sweep", grid, "--out", out, "--dry-run")
	if code != ExitOK || !strings.Contains(stdout, "ladder: rungs 8, 16") || !strings.Contains(stdout, "walk/mra/seed-1") || !strings.Contains(stdout, "8: to do; 16: to do") || !strings.Contains(stdout, "16: to do; 32: to do") {
		t.Fatalf("dry run: code %d\n%s%s", code, stdout, errOut)
	}
	if _, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--jobs", "1"); code != ExitOK {
		t.Fatalf("ladder: code %d\n%s", code, errOut)
	}
	run := filepath.Join(out, "walk", "mra", "seed-1")
	for _, f := range []string{"rungs/8/results.json", "rungs/16/results.json", "rungs/16/report.md"} {
		if !exists(filepath.Join(run, f)) {
			t.Errorf("run folder lacks %s", f)
		}
	}
	for _, f := range []string{"rungs/8/sweep.md", "rungs/16/sweep.json", "rungs/8/curves.csv", "rungs/16/walk-curves-walkers_3.png"} {
		if !exists(filepath.Join(out, f)) {
			t.Errorf("sweep folder lacks %s", f)
		}
	}
	// Each rung's training curves end at the runs' budgets there.
	for rung, want := range map[string]map[string]int{"8": {"mra": 8, "single": 16}, "16": {"mra": 16, "single": 32}} {
		last := lastCurveEpisodes(t, filepath.Join(out, "rungs", rung, "curves.csv"))
		if !reflect.DeepEqual(last, want) {
			t.Errorf("rung %s: curves end at %v, want %v", rung, last, want)
		}
	}
	checkRungRecords(t, filepath.Join(dir, "record"))

	// The same grid without the ladder, at 16 episodes: the extended run
	// equals it bit for bit.
	direct := filepath.Join(dir, "direct")
	os.WriteFile(filepath.Join(dir, "direct.toml"), []byte(strings.Replace(ladderGrid, "ladder = [8, 16]\n", "", 1)), 0o644)
	if _, errOut, code := runCLI("sweep", filepath.Join(dir, "direct.toml"), "--out", direct, "--quiet", "--jobs", "1"); code != ExitOK {
		t.Fatalf("direct: code %d\n%s", code, errOut)
	}
	for _, algo := range []string{"mra", "single"} {
		a, b := filepath.Join(out, "walk", algo, "seed-1"), filepath.Join(direct, "walk", algo, "seed-1")
		if !reflect.DeepEqual(metricsWithoutWall(t, filepath.Join(a, runMetrics)), metricsWithoutWall(t, filepath.Join(b, runMetrics))) {
			t.Errorf("%s: the extended run's metrics differ from the direct run's", algo)
		}
		sa, sb := trainerState(t, filepath.Join(a, runCheckpoint)), trainerState(t, filepath.Join(b, runCheckpoint))
		ma, _ := learner.ModelState(sa)
		mb, _ := learner.ModelState(sb)
		if len(ma) == 0 || !bytes.Equal(ma, mb) {
			t.Errorf("%s: the extended run's networks differ from the direct run's", algo)
		}
		if len(sa) != len(sb) {
			t.Errorf("%s: trainer states of %d and %d bytes", algo, len(sa), len(sb))
		}
		// The replay buffers' segment files, byte for byte.
		segs, _ := filepath.Glob(filepath.Join(b, "replay-*.seg"))
		got, _ := filepath.Glob(filepath.Join(a, "replay-*.seg"))
		if len(segs) == 0 || len(segs) != len(got) {
			t.Errorf("%s: %d and %d replay segments", algo, len(got), len(segs))
		}
		for _, f := range segs {
			x, _ := os.ReadFile(f)
			y, err := os.ReadFile(filepath.Join(a, filepath.Base(f)))
			if err != nil || !bytes.Equal(x, y) {
				t.Errorf("%s: replay segment %s differs (%v)", algo, filepath.Base(f), err)
			}
		}
		ra, _ := os.ReadFile(filepath.Join(a, "rungs", "16", "results.json"))
		rb, _ := os.ReadFile(filepath.Join(b, "eval", "results.json"))
		if !bytes.Equal(ra, rb) {
			t.Errorf("%s: the last rung's evaluation differs from the direct run's", algo)
		}
	}

	// A sweep never shortens a run.
	shorter := strings.Replace(strings.Replace(ladderGrid, "ladder = [8, 16]\n", "", 1), "[algorithms.mra]\n", "[algorithms.mra]\ntrain.episodes = 8\n", 1)
	os.WriteFile(filepath.Join(dir, "shorter.toml"), []byte(shorter), 0o644)
	if _, errOut, code := runCLI("sweep", filepath.Join(dir, "shorter.toml"), "--out", out, "--quiet", "--jobs", "1"); code == ExitOK || !strings.Contains(errOut, "never shortens them") {
		t.Errorf("a smaller budget: code %d\n%s", code, errOut)
	}

	// Everything recorded: nothing to do. A lost run folder: the recorded
	// rungs are not redone.
	stdout, _, _ = runCLI("sweep", grid, "--out", out, "--dry-run")
	if !strings.Contains(stdout, "8: recorded; 16: recorded") {
		t.Errorf("dry run after the ladder:\n%s", stdout)
	}
	os.Remove(filepath.Join(dir, "record", "walk", "mra", "seed-1", "rung-16.json"))
	os.RemoveAll(run)
	_, errOut, code = runCLI("sweep", grid, "--out", out, "--quiet", "--jobs", "1")
	if code != ExitOK || !strings.Contains(errOut, "rung 8: every run is recorded") || !strings.Contains(errOut, "rung 16: 1 runs to train and evaluate") {
		t.Fatalf("after losing a run folder: code %d\n%s", code, errOut)
	}
	if exists(filepath.Join(run, "rungs", "8")) || !exists(filepath.Join(run, "rungs", "16", "results.json")) {
		t.Error("the lost run was evaluated at a recorded rung, or not at the missing one")
	}
	again, _ := os.ReadFile(filepath.Join(run, "rungs", "16", "results.json"))
	want, _ := os.ReadFile(filepath.Join(direct, "walk", "mra", "seed-1", "eval", "results.json"))
	if !bytes.Equal(again, want) {
		t.Error("the run retrained from scratch to the missing rung differs from the extended one")
	}
}

// checkRungRecords checks the ladder test's committed rung records under
// record: each rung's budget and outcomes, and MRA's training mode
// diagnostics.
func checkRungRecords(t *testing.T, record string) {
	t.Helper()
	for _, tc := range []struct {
		algo           string
		rung, episodes int
	}{{"mra", 8, 8}, {"mra", 16, 16}, {"single", 8, 16}, {"single", 16, 32}} {
		data, err := os.ReadFile(filepath.Join(record, "walk", tc.algo, "seed-1", "rung-"+strconv.Itoa(tc.rung)+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var rec RungRecord
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Rung != tc.rung || rec.Episodes != tc.episodes || len(rec.Outcomes) != 3 || rec.Modes["walkers=5"] == nil {
			t.Errorf("%s rung %d record: rung %d, %d episodes, %d outcomes, modes %v", tc.algo, tc.rung, rec.Rung, rec.Episodes, len(rec.Outcomes), rec.Modes)
		}
		if tc.algo == "mra" && (rec.ClassifierAccuracy == nil || len(rec.PriorEntropy) != 2 || rec.ModeDiagnostics == nil || rec.ModeDiagnostics.HeadSpread == nil) {
			t.Errorf("mra rung %d record lacks the training mode diagnostics: %s", tc.rung, data)
		}
	}
}

// TestLadderReadsUndefinedAsNaN: a ladder record reads the null a league's
// results.json writes for an undefined value (one mode's spread, the
// interval of fewer than 2 episodes) as NaN, never 0, and writes it back
// as null.
func TestLadderReadsUndefinedAsNaN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	src := `{"results": [{"name": "mra", "population": "walkers=5", "modes": {"prior": [1], "modes": [{"mean": 0.5, "ci95": null, "episodes": 1}], "best": 0, "worst": 0,
		"spread": {"mean": null, "ci95": null, "episodes": 1}, "indistinguishable": false, "same_within": null}}]}`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	d := readModes(path)["walkers=5"]
	if d == nil {
		t.Fatal("no modes read")
	}
	for name, v := range map[string]float64{"spread": d.Spread.Mean, "spread ci95": d.Spread.CI95, "same_within": d.SameWithin, "mode ci95": d.Modes[0].CI95} {
		if !math.IsNaN(v) {
			t.Errorf("%s read as %v, want NaN", name, v)
		}
	}
	if d.Modes[0].Mean != 0.5 {
		t.Errorf("mode mean %v, want 0.5", d.Modes[0].Mean)
	}
	out, err := json.Marshal(RungRecord{Modes: map[string]*league.ModeDiagnostics{"walkers=5": d}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"spread":{"mean":null,"ci95":null,"episodes":1}`)) {
		t.Errorf("record %s: want the spread written as null", out)
	}
}
