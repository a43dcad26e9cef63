package sweep_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/league/sweep"
)

func plan() *sweep.Plan {
	p := &sweep.Plan{
		Name: "t", Out: "OUT", Seeds: []uint64{5, 1, 2}, Algorithms: []string{"mra", "single"}, Random: true,
		Scenarios: []sweep.Scenario{{Name: "sc", Game: "line", File: "sc.toml", Seen: []string{"walkers=2"}, Unseen: []string{"walkers=4"},
			Baseline: [][]byte{[]byte("b5"), []byte("b1"), []byte("b2")}}},
	}
	for _, a := range p.Algorithms {
		for _, s := range p.Seeds {
			p.Runs = append(p.Runs, sweep.Run{Scenario: "sc", Algo: a, AlgoName: a, Seed: s, File: "sc.toml", Source: []byte(fmt.Sprintf("%s-%d", a, s)), Episodes: 10, Populations: []string{"walkers=2"}})
		}
	}
	return p
}

// TestAggregate checks rows against a hand computation: three seeds of
// mra, NashConv on two, and random play on one seed (no interval).
func TestAggregate(t *testing.T) {
	p := plan()
	o := func(algo string, seed uint64, pop string, ret float64, nc ...float64) sweep.Outcome {
		out := sweep.Outcome{Scenario: "sc", Algo: algo, Seed: seed, Population: pop, Agents: 2, Trained: pop == "walkers=2" && algo != "random", Values: map[string]float64{"return": ret}}
		if len(nc) > 0 {
			out.Values["nashconv"] = nc[0]
			out.Notes = map[string]string{"nashconv": "exact"}
		}
		return out
	}
	// Out of seed order, as jobs may finish.
	outs := []sweep.Outcome{
		o("mra", 2, "walkers=2", 3, 0.5), o("mra", 5, "walkers=2", 1), o("mra", 1, "walkers=2", 2, 1.5),
		o("random", 1, "walkers=4", 9),
	}
	rows := sweep.Aggregate(p, outs)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want mra return, mra NashConv, random return: %+v", len(rows), rows)
	}
	r := rows[0]
	if r.Algo != "mra" || r.Metric != "return" || r.Split != "seen" || !r.Trained || r.N != 3 || !reflect.DeepEqual(r.Seeds, []uint64{5, 1, 2}) || !reflect.DeepEqual(r.Values, []float64{1, 2, 3}) ||
		r.Mean != 2 || math.Abs(r.SD-1) > 1e-15 || math.Abs(r.CI95-4.302652729911275/math.Sqrt(3)) > 1e-9 {
		// t(0.975; 2) = 4.302652729911275
		t.Errorf("mra return row %+v", r)
	}
	r = rows[1]
	if r.Metric != "nashconv" || r.Note != "exact" || r.N != 2 || !reflect.DeepEqual(r.Seeds, []uint64{1, 2}) || r.Mean != 1 || math.Abs(r.CI95-12.706204736174698*math.Sqrt(0.5)/math.Sqrt(2)) > 1e-9 {
		t.Errorf("mra NashConv row %+v", r)
	}
	r = rows[2]
	if r.Algo != "random" || r.Split != "unseen" || r.Trained || r.N != 1 || r.Mean != 9 || !math.IsNaN(r.CI95) {
		t.Errorf("random row %+v", r)
	}
	// JSON has null for the undefined interval.
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"ci95":null`) || !strings.Contains(string(b), `"sd":null`) {
		t.Errorf("json %s, %v", b, err)
	}
}

// fakeHandlers record jobs and answer with outcomes computed from the job
// alone, as a real handler does.
type fakeHandlers struct {
	mu       sync.Mutex
	trains   []sweep.TrainJob
	evals    []sweep.EvalJob
	fail     string // a run that fails training
	failEval string // an algorithm whose evaluations fail
}

func (f *fakeHandlers) handlers() sweep.Handlers {
	return sweep.Handlers{
		Train: func(j sweep.TrainJob) (sweep.TrainResult, error) {
			f.mu.Lock()
			f.trains = append(f.trains, j)
			f.mu.Unlock()
			if j.Run == f.fail {
				return sweep.TrainResult{}, errors.New("boom")
			}
			done := j.StopAt == 0
			return sweep.TrainResult{Run: j.Run, Episodes: 10, Budget: 10, Finished: done, WallSeconds: 1}, nil
		},
		Eval: func(j sweep.EvalJob) (sweep.EvalResult, error) {
			f.mu.Lock()
			f.evals = append(f.evals, j)
			f.mu.Unlock()
			if j.Algo == f.failEval {
				return sweep.EvalResult{}, errors.New("bang")
			}
			v := float64(j.EvalSeed%1000) + float64(len(j.Source))
			return sweep.EvalResult{Outcomes: []sweep.Outcome{
				{Scenario: j.Scenario, Algo: j.Algo, Seed: j.Seed, Population: "walkers=2", Agents: 2, Values: map[string]float64{"return": v}},
				{Scenario: j.Scenario, Algo: j.Algo, Seed: j.Seed, Population: "walkers=4", Agents: 4, Values: map[string]float64{"return": -v}},
			}}, nil
		},
	}
}

func TestExecuteSubmitsEveryJob(t *testing.T) {
	p := plan()
	var reports []*sweep.Report
	for _, workers := range []int{1, 4} {
		f := &fakeHandlers{}
		rep, err := sweep.Execute(p, sweep.Options{Runner: jobs.Local{Workers: workers}, Handlers: f.handlers(), Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, rep)
		if len(f.trains) != 6 || len(f.evals) != 6+3 {
			t.Fatalf("%d train and %d eval jobs, want 6 and 9", len(f.trains), len(f.evals))
		}
		dirs := map[string]bool{}
		for _, j := range f.trains {
			dirs[j.Dir] = true
			if j.Workers != 3 || string(j.Source) != strings.Split(j.Run, "/")[1]+"-"+strings.TrimPrefix(strings.Split(j.Run, "/")[2], "seed-") {
				t.Errorf("train job %+v", j)
			}
		}
		if !dirs[filepath.Join("OUT", "sc", "single", "seed-5")] || len(dirs) != 6 {
			t.Errorf("run folders %v", dirs)
		}
		for _, j := range f.evals {
			want := filepath.Join("OUT", "sc", j.Algo, fmt.Sprintf("seed-%d", j.Seed))
			if j.Dir != filepath.Join(want, "eval") || (j.Algo == "random") != (j.RunDir == "") || (j.RunDir != "" && j.RunDir != want) || j.EvalSeed != sweep.EvalSeed(j.Seed) || j.EvalSeed == j.Seed {
				t.Errorf("eval job %+v", j)
			}
		}
	}
	if !reflect.DeepEqual(reports[0].Rows, reports[1].Rows) {
		t.Error("rows depend on the number of workers")
	}
	if n := len(reports[0].Rows); n != 2*3 {
		t.Errorf("%d rows, want 2 populations × 3 algorithms", n)
	}
	// Writers produce every file.
	dir := t.TempDir()
	rep := reports[0]
	for _, w := range []func(string) error{rep.WriteMarkdown, rep.WriteCSV, rep.WriteJSON} {
		if err := w(filepath.Join(dir, "x")); err != nil {
			t.Fatal(err)
		}
	}
	figs, err := rep.WriteFigures(dir)
	if err != nil || len(figs) != 1 || filepath.Base(figs[0]) != "sc-return.png" {
		t.Errorf("figures %v, %v", figs, err)
	}
}

func TestExecuteReportsUnfinishedAndFailedRuns(t *testing.T) {
	p := plan()
	f := &fakeHandlers{}
	rep, err := sweep.Execute(p, sweep.Options{Handlers: f.handlers(), StopAt: 3})
	if !errors.Is(err, sweep.ErrUnfinished) || len(f.evals) != 0 || len(rep.Runs) != 6 || rep.Runs[0].Finished {
		t.Errorf("stopped runs: %v, %d evals", err, len(f.evals))
	}
	if len(f.trains) != 6 || f.trains[0].StopAt != 3 {
		t.Errorf("train jobs %+v", f.trains)
	}
	// A failed run is left out; the others are evaluated and aggregated.
	f = &fakeHandlers{fail: "sc/single/seed-1"}
	rep, err = sweep.Execute(p, sweep.Options{Handlers: f.handlers()})
	if !errors.Is(err, sweep.ErrFailed) || !strings.Contains(err.Error(), "train sc/single/seed-1: boom") {
		t.Errorf("failed run: %v", err)
	}
	if rep == nil || len(f.evals) != 5+3 || fmt.Sprint(rep.Failures) != "[train sc/single/seed-1: boom]" || rep.Runs[4].Error != "train sc/single/seed-1: boom" {
		t.Fatalf("failed run: %d evaluations, report %+v", len(f.evals), rep)
	}
	for _, r := range rep.Rows {
		if want := map[bool]int{true: 2, false: 3}[r.Algo == "single"]; r.N != want || reflect.DeepEqual(r.Seeds, []uint64{5, 2}) != (r.Algo == "single") {
			t.Errorf("row %+v: want n = %d", r, want)
		}
	}
	f = &fakeHandlers{failEval: "random"}
	rep, err = sweep.Execute(p, sweep.Options{Handlers: f.handlers()})
	if !errors.Is(err, sweep.ErrFailed) || len(rep.Failures) != 3 || len(rep.Rows) != 4 {
		t.Errorf("failed evaluations: %v, %+v", err, rep)
	}
	_, err = sweep.Execute(p, sweep.Options{Handlers: f.handlers(), Stopped: func() bool { return true }})
	if !errors.Is(err, sweep.ErrUnfinished) {
		t.Errorf("interrupted sweep: %v", err)
	}
}

// TestProgressCountsOnlyJobsRun checks that jobs skipped after a stop are
// not reported as done: an interrupted sweep once showed "6/6 (100%) done".
func TestProgressCountsOnlyJobsRun(t *testing.T) {
	p := plan()
	f := &fakeHandlers{}
	var mu sync.Mutex
	last := map[string][2]int{}
	_, err := sweep.Execute(p, sweep.Options{
		Runner:   jobs.Local{Workers: 1},
		Handlers: f.handlers(),
		Stopped: func() bool {
			f.mu.Lock()
			defer f.mu.Unlock()
			return len(f.trains) >= 2 // stop once two runs have trained
		},
		Progress: func(phase string, done, n int) {
			mu.Lock()
			last[phase] = [2]int{done, n}
			mu.Unlock()
		},
	})
	if !errors.Is(err, sweep.ErrUnfinished) {
		t.Fatalf("interrupted sweep: %v", err)
	}
	if got := last["train"]; got != [2]int{2, 6} || len(f.trains) != 2 {
		t.Errorf("progress %v after %d runs trained, want [2 6]", got, len(f.trains))
	}
	if _, ok := last["eval"]; ok {
		t.Errorf("evaluation progress reported for an interrupted sweep: %v", last)
	}
}

func TestHandleRefusesUnknownKinds(t *testing.T) {
	h := (&fakeHandlers{}).handlers()
	if _, err := h.Handle("nope", nil); err == nil || !strings.Contains(err.Error(), `unknown job kind "nope"`) {
		t.Errorf("got %v", err)
	}
	if _, err := h.Handle(sweep.KindTrain, []byte("{")); err == nil {
		t.Error("a damaged payload was accepted")
	}
	out, err := h.Handle(sweep.KindTrain, []byte(`{"run":"a/b/seed-1"}`))
	var res sweep.TrainResult
	if err != nil || json.Unmarshal(out, &res) != nil || res.Run != "a/b/seed-1" || !res.Finished {
		t.Errorf("got %s, %v", out, err)
	}
}

// TestPair checks paired differences by hand: mra − single per seed is
// (1−0, 2−0.5, 3−3) = (1, 1.5, 0) on seeds 5, 1, 2, mean 5/6, and only
// the common seeds are paired.
func TestPair(t *testing.T) {
	rows := []sweep.Row{
		{Scenario: "sc", Population: "p", Algo: "mra", Metric: "return", Seeds: []uint64{5, 1, 2}, Values: []float64{1, 2, 3}},
		{Scenario: "sc", Population: "p", Algo: "single", Metric: "return", Seeds: []uint64{2, 5, 1}, Values: []float64{3, 0, 0.5}},
		{Scenario: "sc", Population: "p", Algo: "random", Metric: "return", Seeds: []uint64{1}, Values: []float64{4}},
		{Scenario: "sc", Population: "p", Algo: "single", Metric: "nashconv", Seeds: []uint64{5}, Values: []float64{4}},
		{Scenario: "sc", Population: "q", Algo: "single", Metric: "return", Seeds: []uint64{5}, Values: []float64{4}},
	}
	got := sweep.Pair(rows, "mra")
	if len(got) != 2 {
		t.Fatalf("%d comparisons, want mra−single and mra−random at p: %+v", len(got), got)
	}
	p := got[0]
	// s² = ((1/6)² + (4/6)² + (5/6)²)/2 = 42/72; half = t(0.975; 2)·s/√3.
	sd := math.Sqrt(42.0 / 72)
	if p.Algo != "single" || p.Reference != "mra" || p.N != 3 || !reflect.DeepEqual(p.Values, []float64{1, 1.5, 0}) ||
		math.Abs(p.Mean-5.0/6) > 1e-12 || math.Abs(p.SD-sd) > 1e-12 || math.Abs(p.CI95-4.302652729911275*sd/math.Sqrt(3)) > 1e-9 {
		t.Errorf("mra − single: %+v", p)
	}
	if p := got[1]; p.Algo != "random" || p.N != 1 || p.Mean != -2 || !math.IsNaN(p.CI95) {
		t.Errorf("mra − random: %+v", p)
	}
}

// TestOutcomes reads the metrics of one entry from a league report: the
// return, NashConv only where computed, the adapted return only where
// adapted, per-type returns in multi-type games, nothing non-finite.
func TestOutcomes(t *testing.T) {
	rep := &league.Report{Results: []league.Result{
		{Label: "adversaries=3,good=1", Counts: map[string]int{"adversaries": 3, "good": 1}, Entry: "mra", Seen: true, ReturnMean: 1.5,
			Returns:        []league.TypeReturn{{Type: "adversaries", Agents: 3, Mean: 2}, {Type: "good", Agents: 1, Mean: 0}},
			NashConvMethod: league.NashConvBR, NashConv: 0.25, Adapted: &league.Adaptation{Adapted: league.Estimate{Mean: 3}, ZeroShot: league.Estimate{Mean: 2.5}}},
		{Label: "adversaries=2,good=0", Counts: map[string]int{"adversaries": 2, "good": 0}, Entry: "mra", ReturnMean: math.NaN(),
			Returns:        []league.TypeReturn{{Type: "adversaries", Agents: 2, Mean: 4}, {Type: "good", Agents: 0, Mean: math.NaN()}},
			NashConvMethod: league.NashConvNone, NashConv: 0},
		{Label: "adversaries=3,good=1", Entry: "random", ReturnMean: 9},
	}}
	got := sweep.Outcomes(rep, "mra", "tag", "k1", 7)
	want := []sweep.Outcome{
		{Scenario: "tag", Algo: "k1", Seed: 7, Population: "adversaries=3,good=1", Agents: 4, Trained: true,
			Values: map[string]float64{"return": 1.5, "nashconv": 0.25, "adapted_return": 3, "zero_shot_return": 2.5, "return.adversaries": 2, "return.good": 0},
			Notes:  map[string]string{"nashconv": league.NashConvBR}},
		{Scenario: "tag", Algo: "k1", Seed: 7, Population: "adversaries=2,good=0", Agents: 2,
			Values: map[string]float64{"return.adversaries": 4}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// Per-type returns aggregate after Metrics, by name.
	p := plan()
	p.Scenarios[0].Name, p.Scenarios[0].Seen, p.Scenarios[0].Unseen = "tag", []string{"adversaries=3,good=1"}, nil
	p.Algorithms, p.Seeds = []string{"k1"}, []uint64{7}
	var metrics []string
	for _, r := range sweep.Aggregate(p, got) {
		metrics = append(metrics, r.Metric)
	}
	if fmt.Sprint(metrics) != "[return nashconv adapted_return zero_shot_return return.adversaries return.good]" {
		t.Errorf("metric order %v", metrics)
	}
}
