package cli

import (
	stdcontext "context"
	"errors"
	"github.com/mrasim/mrasim/internal/runlock"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/league/sweep"
	"github.com/mrasim/mrasim/scenarios"
)

// The line game these tests train on is registered by cli_test.go.

const sweepScenario = `name = "walk"
[game]
name = "line"
[train]
populations = ["walkers=2", "walkers=3"]
episodes = 16
parallel_envs = 4
log_every = 4
checkpoint_every = 8
[algo]
batch_size = 32
steps_per_update = 20
num_updates = 2
buffer_length = 2000
latents = 2
resamples = 2
`

const sweepGrid = `seeds = [1, 2]
scenarios = ["walk.toml"]
[algorithms.mra]
[algorithms.single.train]
populations = [2]
[eval]
seen = [2, 3]
unseen = [5]
episodes = 6
adapt_steps = 1
adapt_episodes = 2
br_episodes = 0
`

// sweepPlan writes the scenario and grid into dir and loads the plan,
// with its runs under dir/out.
func sweepPlan(t *testing.T, dir, grid, out string) *sweep.Plan {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "walk.toml"), []byte(sweepScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "grid.toml")
	if err := os.WriteFile(path, []byte(grid), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := scenarios.LoadGrid(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planOf(g)
	if err != nil {
		t.Fatal(err)
	}
	p.Out = filepath.Join(dir, out)
	return p
}

// TestSweepResumesSkipsAndIsDeterministic interrupts every run of a sweep
// deterministically (a budget of 4 of its 16 episodes), runs the sweep
// again to resume them, and checks that the aggregate equals, number for
// number, that of an uninterrupted sweep with other worker counts; a third
// run skips everything, and a changed [eval] re-evaluates without
// retraining.
func TestSweepResumesSkipsAndIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	plan := sweepPlan(t, dir, sweepGrid, "a")
	c := &context{stdout: io.Discard, stderr: io.Discard}
	bg := stdcontext.Background()
	if len(plan.Runs) != 4 {
		t.Fatalf("%d runs, want 2 algorithms × 2 seeds", len(plan.Runs))
	}

	rep, err := c.sweep(bg, plan, sweepSettings{jobs: 2, workers: 1, stopAt: 4, quiet: true})
	if !errors.Is(err, sweep.ErrUnfinished) {
		t.Fatalf("stopped sweep: %v", err)
	}
	for _, r := range rep.Runs {
		if r.Finished || r.Episodes != 4 || !exists(filepath.Join(r.Dir, runCheckpoint)) || exists(filepath.Join(r.Dir, sweepTrained)) {
			t.Errorf("after the interruption: %+v", r)
		}
	}

	resumed, err := c.sweep(bg, plan, sweepSettings{jobs: 2, workers: 1, quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resumed.Runs {
		if !r.Finished || !r.Resumed || r.Skipped || r.Episodes != 16 || r.EvalSeconds <= 0 {
			t.Errorf("after resuming: %+v", r)
		}
		// It continued from the checkpoint rather than starting again.
		if log, _ := os.ReadFile(filepath.Join(r.Dir, sweepTrainLog)); !strings.Contains(string(log), "resuming at episode 4,") {
			t.Errorf("%s did not resume from its checkpoint:\n%s", r.Dir, log)
		}
	}
	// walkers=2 and 3 for both algorithms and random play, walkers=5 for all
	// three with MRA's adapted and zero-shot returns too, and the mode
	// spread of both algorithms (both play latent modes) at all three.
	if n := len(resumed.Rows); n != 3*3+2+2*3 {
		t.Errorf("%d rows, want 17", n)
	}
	for _, row := range resumed.Rows {
		if row.N != 2 || row.Metric == "nashconv" {
			t.Errorf("row %+v", row)
		}
	}

	again, err := c.sweep(bg, plan, sweepSettings{jobs: 1, workers: 2, quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again.Runs {
		if !r.Skipped || !r.EvalReused || r.EvalSeconds != 0 {
			t.Errorf("a finished run was redone: %+v", r)
		}
	}
	if !reflect.DeepEqual(again.Rows, resumed.Rows) {
		t.Error("rows changed when nothing was run")
	}

	fresh := sweepPlan(t, dir, sweepGrid, "b")
	straight, err := c.sweep(bg, fresh, sweepSettings{jobs: 1, workers: 3, quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(straight.Rows, resumed.Rows) {
		for i := range straight.Rows {
			t.Logf("uninterrupted %+v\nresumed       %+v", straight.Rows[i], resumed.Rows[i])
		}
		t.Fatal("an interrupted and resumed sweep differs from an uninterrupted one with other worker counts")
	}

	// More evaluation episodes: evaluations are redone, training is not.
	more := sweepPlan(t, dir, strings.Replace(sweepGrid, "episodes = 6", "episodes = 7", 1), "a")
	reeval, err := c.sweep(bg, more, sweepSettings{jobs: 2, workers: 1, quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reeval.Runs {
		if !r.Skipped || r.EvalReused || r.EvalSeconds <= 0 {
			t.Errorf("with a new [eval]: %+v", r)
		}
	}
	if reflect.DeepEqual(reeval.Rows, resumed.Rows) {
		t.Error("a new evaluation gave the same numbers")
	}

	// Another training setting into the same folders is refused.
	other := sweepPlan(t, dir, strings.Replace(sweepGrid, "[algorithms.mra]", "[algorithms.mra]\nlatents = 1", 1), "a")
	if _, err := c.sweep(bg, other, sweepSettings{jobs: 2, workers: 1, quiet: true}); err == nil || !strings.Contains(err.Error(), "holds a run trained from another scenario") {
		t.Errorf("retraining over a run: %v", err)
	}
}

func TestSweepCommand(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "walk.toml"), []byte(sweepScenario), 0o644)
	grid := filepath.Join(dir, "grid.toml")
	os.WriteFile(grid, []byte(strings.Replace(sweepGrid, "seeds = [1, 2]", "seeds = [3]", 1)), 0o644)
	out := filepath.Join(dir, "out")
	stdout, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--jobs", "2")
	if code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	for _, w := range []string{"# Sweep grid", "| walkers=5 | unseen |", "no interval with one seed", "sweep.csv", "Paired by seed: mra − algorithm"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}
	for _, f := range []string{"sweep.md", "sweep.csv", "sweep-paired.csv", "sweep.json", "walk-return.png", "walk/mra/seed-3/eval/report.md", "walk/random/seed-3/eval/results.json", "walk/single/seed-3/train.log"} {
		if !exists(filepath.Join(out, f)) {
			t.Errorf("missing %s", f)
		}
	}
	stdout, _, code = runCLI("sweep", grid, "--out", out, "--dry-run")
	if code != ExitOK || !strings.Contains(stdout, "walk/single/seed-3") || !strings.Contains(stdout, "trained and evaluated") {
		t.Errorf("dry run: code %d\n%s", code, stdout)
	}
	// The dry run lists the untrained policies evaluated beside the runs,
	// and how many of their evaluations are left: none after the sweep,
	// all of them in a new folder.
	if !strings.Contains(stdout, "walk: also evaluated untrained, per seed at walkers=2 walkers=3 walkers=5: random (0 of 1 evaluations to do)") {
		t.Errorf("dry run after the sweep lists no finished baselines:\n%s", stdout)
	}
	fresh, _, _ := runCLI("sweep", grid, "--out", filepath.Join(dir, "fresh"), "--dry-run")
	if !regexp.MustCompile(`walk: also evaluated untrained.*\((\d+) of (\d+) evaluations to do\)`).MatchString(fresh) || strings.Contains(fresh, "(0 of ") {
		t.Errorf("dry run into a new folder:\n%s", fresh)
	}
	// A failed run (here: its folder holds a run of other settings) is
	// reported; the others still are aggregated; the command exits 1.
	os.WriteFile(grid, []byte(strings.Replace(strings.Replace(sweepGrid, "seeds = [1, 2]", "seeds = [3]", 1), "[algorithms.mra]", "[algorithms.mra]\nlatents = 1", 1)), 0o644)
	stdout, errOut, code = runCLI("sweep", grid, "--out", out, "--quiet")
	if code != ExitFailure || !strings.Contains(errOut, "train walk/mra/seed-3: ") || !strings.Contains(stdout, "1 jobs failed") || !strings.Contains(stdout, "| walkers=5 | unseen | — | ") {
		t.Errorf("failed run: code %d\nstdout %s\nstderr %s", code, stdout, errOut)
	}
}

// TestSweepBadGrids: a bad grid exits 2 naming the file, position and key.
func TestSweepBadGrids(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "walk.toml"), []byte(sweepScenario), 0o644)
	for _, tc := range []struct {
		name, grid, want string
	}{
		{"unknown key", strings.Replace(sweepGrid, "[algorithms.mra]", "[algorithms.mra]\nlatnets = 2", 1),
			`grid.toml:4:1: algorithms.mra.latnets: unknown key (did you mean "algorithms.mra.latents"?)`},
		{"range", strings.Replace(sweepGrid, "episodes = 6", "episodes = 0", 1),
			`grid.toml:9:1: eval.episodes: scenario walk: eval.episodes: 0 is out of range: want an integer in [1, 1e+09]`},
		{"missing scenario", strings.Replace(sweepGrid, "walk.toml", "nope.toml", 1), `grid.toml:2:14: scenarios[0]: open `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			grid := filepath.Join(dir, "grid.toml")
			os.WriteFile(grid, []byte(tc.grid), 0o644)
			_, errOut, code := runCLI("sweep", grid, "--out", filepath.Join(dir, "out"))
			if code != ExitUsage || !strings.Contains(errOut, grid+":") || !strings.Contains(errOut, strings.TrimPrefix(tc.want, "grid.toml")) {
				t.Errorf("code %d, stderr:\n%s\nwant %s", code, errOut, tc.want)
			}
			if exists(filepath.Join(dir, "out")) {
				t.Error("a bad grid started runs")
			}
		})
	}
	if _, errOut, code := runCLI("sweep"); code != ExitUsage || !strings.Contains(errOut, "want one grid file") {
		t.Errorf("no file: %d %s", code, errOut)
	}
	if _, errOut, code := runCLI("sweep", filepath.Join(dir, "none.toml")); code != ExitUsage || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: %d %s", code, errOut)
	}
}

// TestRandomLabelsAgree: the grid loader reserves the label the sweep
// gives random play.
func TestRandomLabelsAgree(t *testing.T) {
	if scenarios.AlgoRandom != sweep.AlgoRandom {
		t.Errorf("scenarios reserves %q, sweep uses %q", scenarios.AlgoRandom, sweep.AlgoRandom)
	}
}

// TestSweepFolderLocked: a second sweep into a folder another process is
// sweeping into is refused, naming the folder and the holder, and writes
// nothing; --jobs beside --nats is a usage error (the workers run the jobs).
func TestSweepFolderLocked(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "walk.toml"), []byte(sweepScenario), 0o644)
	grid := filepath.Join(dir, "grid.toml")
	os.WriteFile(grid, []byte(sweepGrid), 0o644)
	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	held, _, err := runlock.Acquire(out)
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet")
	held.Release()
	if code != ExitFailure || !strings.Contains(errOut, out+" is in use by another mrasim process") {
		t.Errorf("locked folder: code %d, stderr %s", code, errOut)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if e.Name() != runlock.FileName {
			t.Errorf("the refused sweep wrote %s into %s", e.Name(), out)
		}
	}
	_, errOut, code = runCLI("sweep", grid, "--out", out, "--nats", "nats://127.0.0.1:1", "--jobs", "2")
	if code != ExitUsage || !strings.Contains(errOut, "--jobs 2 has no effect with --nats") {
		t.Errorf("--jobs with --nats: code %d, stderr %s", code, errOut)
	}
}
