package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMADDPGEndToEnd trains a tiny MADDPG run of the line game from a
// scenario, resumes it to a larger budget and evaluates it in the league
// beside the random player, at a seen and an unseen size.
func TestMADDPGEndToEnd(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny-maddpg.toml")
	src := strings.Replace(tinyTrain, "[algo]\n", "[algo]\nname = \"maddpg\"\ntau = 0.05\ngrad_clip = 0.5\n", 1) +
		"[eval]\npopulations = [2, 5]\nepisodes = 6\nbr_episodes = 0\n"
	if err := os.WriteFile(scenario, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "maddpg-run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "8"); code != ExitOK {
		t.Fatal(errOut)
	}
	stdout, errOut, code := runCLI("train", filepath.Join(run, "scenario.toml"), "--out", run, "--resume", "--quiet", "--episodes", "16")
	if code != ExitOK || !strings.Contains(stdout, "trained 16 episodes") {
		t.Fatalf("resume: code %d\n%s\n%s", code, stdout, errOut)
	}
	if n := len(readMetrics(t, filepath.Join(run, "metrics.jsonl"))); n != 4 {
		t.Errorf("%d metrics lines after 8 + 8 episodes logged every 4, want 4", n)
	}
	stdout, errOut, code = runCLI("eval", "--run", run, "--out", filepath.Join(dir, "report"), "--quiet")
	if code != ExitOK {
		t.Fatalf("eval: code %d\n%s", code, errOut)
	}
	for _, w := range []string{"walkers=2", "walkers=5", "maddpg-run", "maddpg", "random"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("eval output lacks %q:\n%s", w, stdout)
		}
	}
}
