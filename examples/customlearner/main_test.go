package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMain lets the test binary act as the command itself: with
// CUSTOMLEARNER_RUN_MAIN=1 it runs main, so the tests below run the real
// program (its registration and mrasim's command line) in child
// processes, exit codes and all.
func TestMain(m *testing.M) {
	if os.Getenv("CUSTOMLEARNER_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// run runs the program with args and returns its output and exit code.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CUSTOMLEARNER_RUN_MAIN=1")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

// mustRun runs the program and fails t unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// metricsLines returns a run's metrics.jsonl lines without their
// wall-clock fields.
func metricsLines(t *testing.T, run string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(run, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "wall_seconds")
		delete(m, "steps_per_second")
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	return out
}

// entry is one line-up's return at one population in an evaluation.
type entry struct{ mean, ci float64 }

// evaluate runs eval on run with n episodes per population into out and
// returns its results: population → algorithm → return.
func evaluate(t *testing.T, run, out string, n int) map[string]map[string]entry {
	t.Helper()
	mustRun(t, "eval", "--run", run, "--out", out, "--quiet", "--episodes", strconv.Itoa(n), "--no-references")
	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results []struct {
			Population string  `json:"population"`
			Algo       string  `json:"algo"`
			Mean       float64 `json:"return_mean"`
			CI95       float64 `json:"return_ci95"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]entry{}
	for _, r := range res.Results {
		if got[r.Population] == nil {
			got[r.Population] = map[string]entry{}
		}
		got[r.Population][r.Algo] = entry{r.Mean, r.CI95}
	}
	return got
}

// TestTheAlgorithmThroughTheCommand is the example's end-to-end test:
// the program lists and validates the algorithm, refuses a bad [algo]
// value with its place in the file, trains the shipped scenario with
// train (480 episodes per population, under a second), stops a second
// run at 240 and resumes it to 480 with the same metrics and evaluation
// returns bit for bit, evaluates it with eval on the evaluation's own episodes
// (seeds disjoint from training) where it must beat random play at both
// training sizes with the 95% intervals apart, and runs the shipped
// sweep grid. The networks themselves (parameters and Adam moments) are
// compared after a resume by the reinforce package's own test.
func TestTheAlgorithmThroughTheCommand(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "validate", "resource.toml")
	if !strings.HasPrefix(out, "ok resource.toml") {
		t.Errorf("validate: %s", out)
	}

	src, err := os.ReadFile("resource.toml")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(src), "gamma = 0.95 ", "gamma = 1.5  ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "validate", bad)
	if code != 2 || !strings.Contains(errOut, "bad.toml:38:") || !strings.Contains(errOut, "algo.gamma") {
		t.Errorf("validate of gamma = 1.5: exit %d, want 2 and the key's position\n%s", code, errOut)
	}

	whole := filepath.Join(dir, "whole")
	_, errOut, code = run(t, "train", "resource.toml", "--out", whole, "--quiet")
	if code != 0 || !strings.Contains(errOut, "training reinforce on resource agents=3 agents=6, 480 episodes") {
		t.Fatalf("train: exit %d\n%s", code, errOut)
	}
	resumed := filepath.Join(dir, "resumed")
	mustRun(t, "train", "resource.toml", "--out", resumed, "--quiet", "--episodes", "240")
	mustRun(t, "train", "resource.toml", "--out", resumed, "--quiet", "--resume", "--episodes", "480")
	a, b := metricsLines(t, whole), metricsLines(t, resumed)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("metrics of the uninterrupted run:\n%s\nof the resumed run:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}

	got := evaluate(t, resumed, filepath.Join(dir, "report"), 400)
	// The same networks play the same evaluation episodes: every return
	// of the uninterrupted run is the resumed run's, to the last bit.
	for pop, byAlgo := range evaluate(t, whole, filepath.Join(dir, "report-whole"), 400) {
		if got[pop]["reinforce"] != byAlgo["reinforce"] {
			t.Errorf("%s: the resumed run returns %+v, the uninterrupted run %+v", pop, got[pop]["reinforce"], byAlgo["reinforce"])
		}
	}
	for _, pop := range []string{"agents=3", "agents=6"} {
		m, ok1 := got[pop]["reinforce"]
		r, ok2 := got[pop]["random"]
		if !ok1 || !ok2 {
			t.Fatalf("%s: no reinforce or random entry in %v", pop, got)
		}
		t.Logf("%s: reinforce %.2f ± %.2f, random %.2f ± %.2f", pop, m.mean, m.ci, r.mean, r.ci)
		if m.mean-m.ci <= r.mean+r.ci {
			t.Errorf("%s: reinforce %.2f ± %.2f is not above random play %.2f ± %.2f", pop, m.mean, m.ci, r.mean, r.ci)
		}
	}

	out = mustRun(t, "sweep", "sweep.toml", "--out", filepath.Join(dir, "sweep"), "--quiet")
	for _, w := range []string{"reinforce-no-entropy", "agents=4"} {
		if !strings.Contains(out, w) {
			t.Errorf("sweep output lacks %q:\n%s", w, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "sweep", "resource-reinforce", "reinforce", "seed-2", "run.json")); err != nil {
		t.Errorf("sweep run folder: %v", err)
	}
}

// TestMessagesOfTheAlgorithm: the registered algorithm is listed with
// its keys, and an unknown [algo] key is refused with its position.
func TestMessagesOfTheAlgorithm(t *testing.T) {
	src, err := os.ReadFile("resource.toml")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(src), "entropy = 0.01 ", "latents = 6    ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "validate", bad)
	if code != 2 || !strings.Contains(errOut, "bad.toml:39:1: algo.latents: unknown key") {
		t.Errorf("validate with latents: exit %d\n%s", code, errOut)
	}
}
