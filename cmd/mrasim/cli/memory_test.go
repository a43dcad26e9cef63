package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAddressSpaceLimitIsRespected: under `ulimit -v`, a run estimated at
// more than the address space left is refused before it starts, with the
// limit named, although the machine's memory would hold it.
func TestAddressSpaceLimitIsRespected(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to set ulimit -v")
	}
	dir := t.TempDir()
	scenario := filepath.Join(dir, "big.toml")
	// About 9.6 GiB: more than the 4 GiB of address space below.
	os.WriteFile(scenario, []byte("[game]\nname = \"resource\"\n[train]\npopulations = [\"agents=64\"]\nepisodes = 8\nparallel_envs = 4\n"), 0o644)
	run := filepath.Join(dir, "run")
	cmd := exec.Command("sh", "-c", `ulimit -v 4194304 && exec "$0" "$@"`, os.Args[0], "train", scenario, "--out", run, "--quiet")
	cmd.Env = append(os.Environ(), envRunMain+"=1")
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != ExitUsage || !strings.Contains(string(out), "this run needs about") || !strings.Contains(string(out), "RLIMIT_AS") {
		t.Errorf("exit %d, want %d refusing with RLIMIT_AS named:\n%s", code, ExitUsage, out)
	}
	t.Logf("exit %d:\n%s", code, out)
	if _, err := os.Stat(run); !os.IsNotExist(err) {
		t.Errorf("the refused run created its folder (%v)", err)
	}
}
