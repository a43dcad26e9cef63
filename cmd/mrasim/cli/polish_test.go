package cli

import (
	"encoding/json"
	"github.com/mrasim/mrasim/agents/learner"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpPrintsOnce: a command's -h prints its usage once, to stdout.
func TestHelpPrintsOnce(t *testing.T) {
	for _, cmd := range []string{"train", "eval", "validate", "rollout", "envs"} {
		out, errOut, code := runCLI(cmd, "-h")
		if code != ExitOK || strings.Count(out, "Usage: mrasim "+cmd) != 1 || errOut != "" {
			t.Errorf("%s -h: code %d\nstdout %q\nstderr %q", cmd, code, out, errOut)
		}
	}
	// A bad flag: the error and the usage once, on stderr.
	out, errOut, code := runCLI("train", "--bogus")
	if code != ExitUsage || out != "" || strings.Count(errOut, "Usage: mrasim train") != 1 || !strings.Contains(errOut, "-bogus") {
		t.Errorf("train --bogus: code %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

// TestQuietIsQuiet: with --quiet and stderr not a terminal, train prints no
// progress lines (plain mode printed its first and last line regardless).
func TestQuietIsQuiet(t *testing.T) {
	dir, scenario := tinyScenario(t)
	_, errOut, code := runCLI("train", scenario, "--out", filepath.Join(dir, "run"), "--quiet")
	if code != ExitOK || strings.Contains(errOut, "episodes 24/24") || strings.Contains(errOut, "episodes 0/24") {
		t.Errorf("code %d, progress lines with --quiet:\n%s", code, errOut)
	}
	_, errOut, _ = runCLI("train", scenario, "--out", filepath.Join(dir, "run2"))
	if !strings.Contains(errOut, "episodes 24/24") {
		t.Errorf("without --quiet the progress lines are missing, so the test above proves nothing:\n%s", errOut)
	}
}

func TestFixed4(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{0, "0.0000"}, {-0.00001, "0.0000"}, {-0.00005, "-0.0001"}, {1.23456, "1.2346"}, {-2, "-2.0000"},
	} {
		if got := fixed4(tc.x); got != tc.want {
			t.Errorf("fixed4(%v) = %q, want %q", tc.x, got, tc.want)
		}
	}
}

func TestRolloutRecordsEntityMasks(t *testing.T) {
	_, scenario := tinyScenario(t)
	out, errOut, code := runCLI("rollout", scenario, "--episodes", "1", "--population", "walkers=3", "--out", "-")
	if code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	first := strings.SplitN(out, "\n", 2)[0]
	var rec struct {
		EntityMask [][]bool `json:"entity_mask"`
	}
	if err := json.Unmarshal([]byte(first), &rec); err != nil || len(rec.EntityMask) != 3 {
		t.Fatalf("record %s: %v, want entity_mask for 3 agents", first, err)
	}
	if strings.Contains(errOut, "-0.0000") {
		t.Errorf("negative zero in the summary:\n%s", errOut)
	}
}

// TestTwoTypeGamesReportEachType trains a predator-prey game briefly and
// checks that the summary, the log and the curves give each type its own
// number.
func TestTwoTypeGamesReportEachType(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tag.toml")
	os.WriteFile(scenario, []byte(`[game]
name = "tag"
params = {max_steps = 10}
[train]
populations = ["adversaries=2,good=1"]
episodes = 8
parallel_envs = 4
log_every = 4
[algo]
batch_size = 32
steps_per_update = 20
num_updates = 1
buffer_length = 1000
`), 0o644)
	run := filepath.Join(dir, "run")
	out, errOut, code := runCLI("train", scenario, "--out", run, "--quiet")
	if code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "\n    adversaries: ") || !strings.Contains(out, "\n    good: ") {
		t.Errorf("summary lacks the types:\n%s", out)
	}
	ms := readMetrics(t, filepath.Join(run, runMetrics))
	by, ok := ms[len(ms)-1]["mean_step_reward_by_type"].(map[string]any)["adversaries=2,good=1"].(map[string]any)
	if !ok || len(by) != 2 {
		t.Errorf("metrics by type: %v", ms[len(ms)-1]["mean_step_reward_by_type"])
	}
	var history []learner.Metrics
	data, _ := os.ReadFile(filepath.Join(run, runMetrics))
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m learner.Metrics
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		history = append(history, m)
	}
	var series []string
	for _, s := range curveSeries([]string{"adversaries=2,good=1"}, history) {
		series = append(series, s.Label)
	}
	if strings.Join(series, "|") != "adversaries=2,good=1 adversaries|adversaries=2,good=1 good" {
		t.Errorf("curves %v, want one per type", series)
	}
}

// TestSweepQuietIsQuiet: sweep --quiet prints no progress lines either
// (its plain-lines reporter printed the first and last line of each phase).
func TestSweepQuietIsQuiet(t *testing.T) {
	grid := filepath.Join("..", "..", "..", "experiments", "quick.toml")
	out := t.TempDir()
	_, errOut, code := runCLI("sweep", grid, "--out", filepath.Join(out, "q"), "--quiet")
	if code != ExitOK || strings.Contains(errOut, "train jobs") || strings.Contains(errOut, "eval jobs") {
		t.Errorf("code %d, progress lines with --quiet:\n%s", code, errOut)
	}
	_, errOut, _ = runCLI("sweep", grid, "--out", filepath.Join(out, "l"))
	if !strings.Contains(errOut, "train jobs") {
		t.Errorf("without --quiet the progress lines are missing, so the test above proves nothing:\n%s", errOut)
	}
}
