package natsrun

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsNoAlgorithms: natsrun reaches the job system through
// league/jobs alone; neither it nor anything it imports is the league,
// an algorithm or a game.
func TestImportsNoAlgorithms(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command(gotool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, bad := range []string{"github.com/mrasim/mrasim/league", "github.com/mrasim/mrasim/mra", "github.com/mrasim/mrasim/env"} {
		for _, d := range deps {
			if d == bad {
				t.Errorf("natsrun imports %s (go list -deps)", bad)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/mrasim/mrasim/league/jobs\n") {
		t.Errorf("natsrun does not import league/jobs:\n%s", out)
	}
}
