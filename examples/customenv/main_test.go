package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary act as the command itself, so the test
// below runs the real main in a child process.
func TestMain(m *testing.M) {
	if os.Getenv("CUSTOMENV_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CUSTOMENV_RUN_MAIN=1")
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

func TestCustomGameThroughTheCLI(t *testing.T) {
	out, errOut, code := run(t, "envs", "line")
	if code != 0 || !strings.Contains(out, "line — walkers on a line race to a goal cell") || !strings.Contains(out, "length") {
		t.Fatalf("envs line: code %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, "validate", "line.toml")
	if code != 0 || !strings.HasPrefix(out, "ok line.toml (400 episodes per population, training an estimated ") || !strings.Contains(out, "training needs about ") {
		t.Fatalf("validate: code %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, "rollout", "line.toml", "--episodes", "4", "--population", "walkers=3", "--out", "-")
	if code != 0 {
		t.Fatalf("rollout: code %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "population walkers=3: 4 episodes") {
		t.Errorf("rollout summary missing:\n%s", errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], `{"population":"walkers=3","episode":0,"t":1,"actions":[`) {
		t.Errorf("rollout steps: %d lines, first %q", len(lines), lines[0])
	}
}

// TestTrainAndEvaluateTheCustomGame runs the scenario's [algo] briefly:
// train, then eval with adaptation at the unseen size, through the
// program's own main.
func TestTrainAndEvaluateTheCustomGame(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	_, errOut, code := run(t, "train", "line.toml", "--out", runDir, "--episodes", "16", "--quiet")
	if code != 0 || !strings.Contains(errOut, "training mra on line walkers=2 walkers=4") {
		t.Fatalf("train: code %d\n%s", code, errOut)
	}
	for _, f := range []string{"scenario.toml", "run.json", "metrics.jsonl", "checkpoint.mrasim", "curves.png"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Errorf("run folder: %v", err)
		}
	}
	report := filepath.Join(dir, "report")
	out, errOut, code := run(t, "eval", "--run", runDir, "--episodes", "4", "--br-episodes", "0", "--adapt-steps", "1", "--out", report, "--quiet")
	if code != 0 {
		t.Fatalf("eval: code %d\n%s", code, errOut)
	}
	// walkers=8 is not a training population: the MRA entry is adapted there.
	if !strings.Contains(out, "walkers=8") || !strings.Contains(out, "adaptation, test episodes") || !strings.Contains(out, "adapted") {
		t.Errorf("eval table lacks the adapted unseen size:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(report, "report.md")); err != nil {
		t.Error(err)
	}
}

// TestMessagesNameTheProgram: the command line's messages, usage and
// hints name the program as it was started, not mrasim.
func TestMessagesNameTheProgram(t *testing.T) {
	prog := filepath.Base(os.Args[0])
	_, errOut, code := run(t, "train")
	for _, want := range []string{prog + " train: want one scenario file, got 0 arguments", "Usage: " + prog + " train FILE [flags]"} {
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("train without a file: code %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
	if strings.Contains(errOut, "mrasim train") {
		t.Errorf("stderr names mrasim:\n%s", errOut)
	}
}
