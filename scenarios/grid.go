package scenarios

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/mrasim/mrasim/agents/learner"

	"github.com/BurntSushi/toml"

	"github.com/mrasim/mrasim/env"
)

// Grid is a validated sweep grid file: the scenarios, algorithms and seeds
// of an experiment, and how to evaluate its runs. Every run of the grid has
// been built and validated as a scenario document, so a grid that loads can
// be run.
type Grid struct {
	File       string         // the path it was read from
	Name       string         // `name`: label of the sweep; default: the file's base name without extension
	Out        string         // `out`: folder of the runs and the report; default "sweeps/NAME"
	Seeds      []uint64       // `seeds`: the training seed of each run; required, distinct
	Scenarios  []GridScenario // `scenarios`: scenario files, relative to the grid file; required
	Algorithms []string       // the labels of the [algorithms.LABEL] tables, in file order
	Random     bool           // `eval.random`: also evaluate uniform random play per scenario and seed; default true
	Runs       []GridRun      // every scenario × algorithm × seed, in that order
	// Ladder is `ladder`: a budget ladder, increasing episodes per
	// training population of the scenarios. The sweep trains every run to
	// each rung in turn, extending it exactly as train --resume --episodes
	// does, and evaluates it at every rung. A run whose algorithm table
	// sets its own train.episodes keeps its ratio to its scenario's at
	// every rung (see RungEpisodes). Empty: no ladder.
	Ladder []int
	// LadderRecord is `ladder_record`, relative to the grid file: the
	// folder, meant to be committed, that receives a small JSON summary of
	// every run's evaluation at every rung. Default: ladders/NAME beside
	// the grid file.
	LadderRecord string
	// References is `eval.references`: also evaluate each of the game's
	// scripted reference policies (stand still, nearest landmark, …) per
	// scenario and seed, like random play; default true.
	References bool
}

// GridScenario is one scenario of a grid.
type GridScenario struct {
	Name string // the scenario's name, which names its folder under Out
	File string // the scenario file, as resolved
	Game string // its game
	// Episodes is the scenario file's train.episodes, to which a ladder's
	// rungs refer.
	Episodes int
	// Seen and Unseen are the evaluation populations: Seen are training
	// populations of at least one algorithm, Unseen of none (`eval.seen`
	// and `eval.unseen`; default: the scenario's eval.populations, split
	// so).
	Seen, Unseen []env.Population
	// Baseline holds, per seed (in Seeds' order), the scenario document
	// that evaluates random play: the scenario with the grid's [eval].
	Baseline [][]byte
}

// GridRun is one training run of a grid.
type GridRun struct {
	Scenario string   // the scenario's name
	Algo     string   // the algorithm's label
	Seed     uint64   // the training seed
	Source   []byte   // the run's scenario document: the scenario with the algorithm's overrides, the seed and the grid's [eval]
	Spec     Scenario // Source, decoded
}

// Limits on what a grid expands to: every run, and every scenario's
// random-play baseline, is a scenario document built, held and validated
// in memory.
const (
	MaxGridRuns  = 1000     // runs: scenarios × algorithms × seeds (a real grid has a few dozen)
	MaxGridBytes = 16 << 20 // bytes of the scenario files read and the documents built, all together
)

// spend counts n bytes of scenario files or documents towards
// MaxGridBytes, and reports the grid at key once when they run out.
func (d *decoder) spend(key string, n int) bool {
	if d.gridBytes += n; d.gridBytes <= MaxGridBytes {
		return true
	}
	if d.gridBytes-n <= MaxGridBytes {
		d.fail(key, nil, "the scenario files and the run documents they make take more than %d MB: a grid may use at most that (fewer seeds, algorithms or scenarios, or smaller scenario files)", MaxGridBytes>>20)
	}
	return false
}

// AlgoRandom is the label of uniform random play in sweep reports; no
// algorithm of a grid may take it.
const AlgoRandom = "random"

// gridTables lists the keys each table of a grid file allows. The tables of
// an algorithm and the grid's [eval] take the keys of a scenario's [algo],
// [train] and [eval] tables (see gridSchema).
var gridTables = map[string][]string{
	"": {"name", "out", "seeds", "scenarios", "algorithms", "eval", "ladder", "ladder_record"},
}

// gridOnlyEval are the keys of a grid's [eval] that scenarios do not have.
var gridOnlyEval = []string{"seen", "unseen", "random", "references"}

// labelPattern is what an algorithm label may look like: it names folders.
var labelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// gridSchema returns the allowed keys of a grid's tables, given its
// algorithm labels: an algorithm's table takes the keys of a scenario's
// [algo] and a [train] sub-table, and [eval] takes a scenario's [eval]
// keys (except populations, which seen and unseen replace) and its own.
func gridSchema(labels []string) map[string][]string {
	out := map[string][]string{"": gridTables[""], "algorithms": labels}
	var eval []string
	for _, k := range schemaTables["eval"] {
		if k != "populations" {
			eval = append(eval, k)
		}
	}
	out["eval"] = append(eval, gridOnlyEval...)
	for _, l := range labels {
		out["algorithms."+l] = append(learner.AllKeys(), "train")
		out["algorithms."+l+".train"] = schemaTables["train"]
	}
	return out
}

// LoadGrid reads and validates the sweep grid file at path and every
// scenario file it names. Problems are reported as an ErrorList of *Error,
// each naming its file (the grid's or a scenario's), position and key. The
// grid and its scenarios are read as ReadFile reads a scenario: regular
// files within the limits of a scenario file.
func LoadGrid(path string) (*Grid, error) {
	src, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseGrid(path, src, ReadFile)
}

// ParseGrid validates a grid given as bytes; file names it in errors and
// scenario paths are taken relative to its folder; read reads scenario files.
// The grid is held to the limits of a scenario file (MaxFileSize,
// MaxNesting, MaxValues, MaxKeys) before it is decoded.
func ParseGrid(file string, src []byte, read func(path string) ([]byte, error)) (*Grid, error) {
	return ParseGridSet(file, src, read, nil)
}

// LoadGridSet is LoadGrid with the command line's --set overrides applied
// to every scenario file of the grid, as if each key were written in each
// file (see ParseGridSet).
func LoadGridSet(path string, sets []string) (*Grid, error) {
	src, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseGridSet(path, src, ReadFile, sets)
}

// ParseGridSet is ParseGrid with --set overrides: each is applied to
// every scenario file the grid names before its runs are built, and
// checked there exactly as ParseSet checks it (its problems name the
// --set). The grid's [algorithms.LABEL] tables and [eval] then override
// the scenarios as they override the files, so an override of a key the
// grid sets for every run would do nothing and is refused, as are seed
// (the grid's seeds set each run's), name (it names the scenario's
// folder), out (sweep --out sets the folder) and, in a grid with a
// ladder, train.episodes (the rungs set the budgets).
func ParseGridSet(file string, src []byte, read func(path string) ([]byte, error), sets []string) (*Grid, error) {
	d := &decoder{file: file, what: "grid file", lines: strings.Split(string(src), "\n")}
	for _, text := range sets {
		o, err := parseOverride(text)
		if err != nil {
			d.errs = append(d.errs, &Error{File: file, Msg: err.Error(), Err: err})
			continue
		}
		d.gridSets = append(d.gridSets, o)
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	if !d.checkLimits(string(src)) {
		return nil, d.errs
	}
	var raw map[string]any
	if _, err := toml.Decode(string(src), &raw); err != nil {
		d.syntax(string(src), err)
		return nil, d.errs
	}
	d.pos = locateKeys(string(src))
	g := d.grid(raw, read)
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return g, nil
}

// grid decodes a grid file's raw TOML: its labels, top-level keys and
// algorithm tables, then every scenario with them (gridScenarios).
func (d *decoder) grid(raw map[string]any, read func(string) ([]byte, error)) *Grid {
	g := &Grid{File: d.file, Name: strings.TrimSuffix(filepath.Base(d.file), filepath.Ext(d.file)), Random: true, References: true}
	// The labels come first: they decide which tables are allowed.
	algoTable, _ := raw["algorithms"].(map[string]any)
	labels := d.gridLabels(algoTable)
	top := d.table("", raw)
	files := d.gridHeader(top, g)
	overrides := d.gridAlgorithms(top, algoTable, labels, g)

	eval := d.table("eval", top["eval"])
	d.bool(eval, "eval", "random", &g.Random)
	d.bool(eval, "eval", "references", &g.References)
	evalOver := map[string]any{}
	for k, v := range eval {
		if !contains(gridOnlyEval, k) && contains(d.tables["eval"], k) {
			evalOver[k] = v
		}
	}

	d.checkGridSets(g, eval, overrides)
	if len(d.errs) > 0 || len(g.Seeds) == 0 {
		return g
	}
	if runs := len(files) * len(g.Algorithms) * len(g.Seeds); runs > MaxGridRuns {
		d.fail("seeds", nil, "%d scenarios × %d algorithms × %d seeds make %d runs: a grid may have at most %d", len(files), len(g.Algorithms), len(g.Seeds), runs, MaxGridRuns)
		return g
	}
	d.gridScenarios(files, read, eval, evalOver, overrides, g)
	return g
}

// gridLabels returns the grid's algorithm labels in file order and sets
// the schema they allow: a table per label, with the scenario keys'
// homes under it.
func (d *decoder) gridLabels(algoTable map[string]any) []string {
	labels := make([]string, 0, len(algoTable))
	for l := range algoTable {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool {
		pi, pj := d.pos["algorithms."+labels[i]], d.pos["algorithms."+labels[j]]
		if pi.line != pj.line {
			return pi.line < pj.line
		}
		return labels[i] < labels[j]
	})
	d.tables, d.homes = gridSchema(labels), map[string]string{}
	for k, home := range schemaHomes() {
		switch home {
		case "algo":
			d.homes[k] = "algorithms.LABEL"
		case "train":
			d.homes[k] = "algorithms.LABEL.train"
		case "eval":
			d.homes[k] = "eval"
		}
	}
	return labels
}

// gridHeader decodes the grid's top-level keys (name, out, seeds,
// ladder, ladder_record) into g and returns its scenario files.
func (d *decoder) gridHeader(top map[string]any, g *Grid) []string {
	if _, set := top["name"]; set {
		d.str(top, "", "name", &g.Name)
		if _, isStr := top["name"].(string); isStr {
			if err := checkName(g.Name); err != nil {
				d.fail("name", err, "%v", err)
			}
		}
	} else if err := checkName(g.Name); err != nil {
		d.fail("name", err, "the file's name gives the grid's name, and %v; set name", err)
	}
	g.Out = filepath.Join("sweeps", g.Name)
	d.str(top, "", "out", &g.Out)
	if g.Out == "" {
		d.fail("out", nil, "empty folder name")
	}
	g.Seeds = d.seeds(top)
	files := d.scenarioFiles(top)
	g.Ladder = d.ladder(top)
	g.LadderRecord = filepath.Join("ladders", g.Name)
	d.str(top, "", "ladder_record", &g.LadderRecord)
	if g.LadderRecord == "" {
		d.fail("ladder_record", nil, "empty folder name")
	}
	if !filepath.IsAbs(g.LadderRecord) {
		g.LadderRecord = filepath.Join(filepath.Dir(d.file), g.LadderRecord)
	}
	return files
}

// gridAlgorithms checks the [algorithms.LABEL] tables, appends the valid
// labels to g.Algorithms and returns each one's table of overrides.
func (d *decoder) gridAlgorithms(top, algoTable map[string]any, labels []string, g *Grid) map[string]map[string]any {
	if v, ok := top["algorithms"]; !ok {
		d.fail("algorithms", nil, `missing: add a table per algorithm, e.g. [algorithms.mra] and [algorithms.single] with train.populations = [3]`)
	} else if _, isTable := v.(map[string]any); !isTable {
		d.fail("algorithms", nil, "got %s, want a table of [algorithms.LABEL] tables", describe(v))
	} else if len(labels) == 0 {
		d.fail("algorithms", nil, "empty: add a table per algorithm, e.g. [algorithms.mra]")
	}
	overrides := map[string]map[string]any{}
	for _, l := range labels {
		path := "algorithms." + l
		if len(l) > MaxNameLen {
			d.fail(path, nil, "label of %d bytes: a label may have at most %d (it names folders)", len(l), MaxNameLen)
			continue
		}
		if !labelPattern.MatchString(l) {
			d.fail(path, nil, "label %q: want letters, digits, '_', '.' or '-', starting with a letter or digit (it names folders)", l)
			continue
		}
		if l == AlgoRandom {
			d.fail(path, nil, "label %q is reserved for uniform random play, which eval.random adds", l)
			continue
		}
		t := d.table(path, algoTable[l])
		if t == nil {
			continue
		}
		d.table(path+".train", t["train"])
		overrides[l] = t
		g.Algorithms = append(g.Algorithms, l)
	}
	return overrides
}

// gridScenarios decodes each scenario file with the grid's overrides and
// appends it to g.Scenarios; scenario names must be distinct folder
// names.
func (d *decoder) gridScenarios(files []string, read func(string) ([]byte, error), eval, evalOver map[string]any, overrides map[string]map[string]any, g *Grid) {
	names := map[string]int{}
	for i, f := range files {
		if d.gridBytes > MaxGridBytes {
			break // reported where the budget ran out
		}
		sc, ok := d.gridScenario(fmt.Sprintf("scenarios[%d]", i), f, read, eval, evalOver, overrides, g)
		if !ok {
			continue
		}
		if !labelPattern.MatchString(sc.Name) {
			d.fail(fmt.Sprintf("scenarios[%d]", i), nil, "scenario name %q: want letters, digits, '_', '.' or '-', starting with a letter or digit (it names folders); set the scenario's `name`", sc.Name)
			continue
		}
		if j, dup := names[sc.Name]; dup {
			d.fail(fmt.Sprintf("scenarios[%d]", i), nil, "scenario name %q is also the name of scenarios[%d]: give one another `name`, runs are filed under it", sc.Name, j)
			continue
		}
		names[sc.Name] = i
		g.Scenarios = append(g.Scenarios, sc)
	}
}

// ladder decodes the optional budget ladder: increasing positive
// integers.
func (d *decoder) ladder(top map[string]any) []int {
	v, ok := top["ladder"]
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		d.fail("ladder", nil, "got %s, want a non-empty array of increasing episode counts, e.g. ladder = [2880, 8640, 25920]", describe(v))
		return nil
	}
	var out []int
	for i, x := range list {
		n, isInt := x.(int64)
		switch {
		case !isInt || n < 1 || n > math.MaxInt32:
			d.fail(fmt.Sprintf("ladder[%d]", i), nil, "got %s, want a positive number of episodes per training population", describe(x))
			return nil
		case len(out) > 0 && int(n) <= out[len(out)-1]:
			d.fail(fmt.Sprintf("ladder[%d]", i), nil, "%d after %d: the rungs must increase", n, out[len(out)-1])
			return nil
		}
		out = append(out, int(n))
	}
	return out
}

// RungEpisodes returns the budget of a run at a ladder rung: the rung
// itself for a run trained with its scenario's train.episodes, and rung ×
// (the run's episodes ÷ the scenario's), rounded, for a run whose
// algorithm sets its own (equal total episodes stays equal at every rung).
func RungEpisodes(sc GridScenario, run GridRun, rung int) int {
	if sc.Episodes <= 0 || run.Spec.Train.Episodes == sc.Episodes {
		return rung
	}
	return max(1, int(math.Round(float64(rung)*float64(run.Spec.Train.Episodes)/float64(sc.Episodes))))
}

// WithEpisodes returns scenario document src with train.episodes set to
// episodes (the rest as it was, in canonical form).
func WithEpisodes(src []byte, episodes int) ([]byte, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(src), &doc); err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	train, _ := doc["train"].(map[string]any)
	if train == nil {
		train = map[string]any{}
		doc["train"] = train
	}
	train["episodes"] = int64(episodes)
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	return buf.Bytes(), nil
}

// seeds decodes the required list of distinct training seeds.
func (d *decoder) seeds(top map[string]any) []uint64 {
	v, ok := top["seeds"]
	if !ok {
		d.fail("seeds", nil, "missing: list the training seeds, e.g. seeds = [1, 2, 3]")
		return nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		d.fail("seeds", nil, "got %s, want a non-empty array of integers ≥ 0", describe(v))
		return nil
	}
	var out []uint64
	ok = true
	listed := map[int64]bool{}
	for i, x := range list {
		n, isInt := x.(int64)
		switch {
		case !isInt || n < 0:
			d.fail(fmt.Sprintf("seeds[%d]", i), nil, "got %s, want an integer ≥ 0", describe(x))
			ok = false
		case listed[n]:
			d.fail(fmt.Sprintf("seeds[%d]", i), nil, "seed %d is listed twice", n)
			ok = false
		default:
			listed[n] = true
			out = append(out, uint64(n))
		}
	}
	if !ok {
		return nil
	}
	return out
}

// scenarioFiles decodes the required list of scenario files, resolved
// against the grid file's folder.
func (d *decoder) scenarioFiles(top map[string]any) []string {
	v, ok := top["scenarios"]
	if !ok {
		d.fail("scenarios", nil, `missing: list scenario files relative to this file, e.g. scenarios = ["../scenarios/resource.toml"]`)
		return nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		d.fail("scenarios", nil, "got %s, want a non-empty array of scenario file names", describe(v))
		return nil
	}
	var out []string
	for i, x := range list {
		s, isStr := x.(string)
		if !isStr || s == "" {
			d.fail(fmt.Sprintf("scenarios[%d]", i), nil, "got %s, want a scenario file name", describe(x))
			continue
		}
		if !filepath.IsAbs(s) {
			s = filepath.Join(filepath.Dir(d.file), s)
		}
		out = append(out, s)
	}
	return out
}

// TrainingIdentity returns what decides a run's training in scenario
// document src: the document without its [eval] table and without
// train.episodes, in a canonical form. Two documents with the same
// identity train the same run, so a sweep may change how it evaluates
// without retraining, and may extend a run to a larger budget (as
// train --resume --episodes does).
func TrainingIdentity(src []byte) ([]byte, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(src), &doc); err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	delete(doc, "eval")
	if train, ok := doc["train"].(map[string]any); ok {
		delete(train, "episodes")
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	return buf.Bytes(), nil
}
