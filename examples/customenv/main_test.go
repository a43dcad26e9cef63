package main

import (
	"os"
	"os/exec"
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
	if code != 0 || !strings.HasPrefix(out, "ok line.toml (training needs about ") {
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
