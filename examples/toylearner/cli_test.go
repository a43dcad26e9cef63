package toylearner_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/cmd/mrasim/cli"
)

const toyScenario = `name = "toywalk"
[game]
name = "line"
[train]
populations = ["walkers=2", "walkers=3"]
episodes = 8
parallel_envs = 4
log_every = 4
checkpoint_every = 4
[algo]
name = "toy"
lr = 0.2
batch_size = 16
[eval]
populations = [2, 5]
episodes = 4
br_episodes = 0
`

const toyGrid = `seeds = [1, 2]
scenarios = ["toywalk.toml"]
[algorithms.toy]
[algorithms.toy-slow]
name = "toy"
lr = 0.01
[eval]
seen = [2, 3]
unseen = [5]
episodes = 4
br_episodes = 0
`

func mrasim(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut strings.Builder
	if code := cli.Main(args, &out, &errOut); code != cli.ExitOK {
		t.Fatalf("mrasim %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String()
}

// TestToyThroughTheCommand is the done-when of the learner interface: an
// algorithm registered from outside the module's algorithm packages is
// validated, trained with `mrasim train`, resumed, evaluated with `mrasim
// eval` and run through `mrasim sweep`, with no edit to the trainer, the
// league, the sweep or the command.
func TestToyThroughTheCommand(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "toywalk.toml")
	if err := os.WriteFile(scenario, []byte(toyScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	mrasim(t, "validate", scenario)
	run := filepath.Join(dir, "run")
	mrasim(t, "train", scenario, "--out", run, "--quiet", "--episodes", "4")
	mrasim(t, "train", scenario, "--out", run, "--quiet", "--resume")
	var rec struct {
		Algo map[string]any `json:"algo"`
	}
	data, err := os.ReadFile(filepath.Join(run, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rec); err != nil || rec.Algo["lr"] != 0.2 {
		t.Errorf("run.json records the toy's settings %v (%v), want lr 0.2", rec.Algo, err)
	}

	rep := filepath.Join(dir, "report")
	out := mrasim(t, "eval", "--run", run, "--out", rep, "--quiet")
	if !strings.Contains(out, " toy ") || !strings.Contains(out, "walkers=5") {
		t.Errorf("eval output lacks the toy entry or the unseen size:\n%s", out)
	}

	if err := os.WriteFile(filepath.Join(dir, "grid.toml"), []byte(toyGrid), 0o644); err != nil {
		t.Fatal(err)
	}
	out = mrasim(t, "sweep", filepath.Join(dir, "grid.toml"), "--out", filepath.Join(dir, "sweep"), "--quiet", "--jobs", "2")
	for _, w := range []string{"toy-slow", "walkers=5"} {
		if !strings.Contains(out, w) {
			t.Errorf("sweep output lacks %q:\n%s", w, out)
		}
	}

	// A key the toy does not read is refused with its position.
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte(strings.Replace(toyScenario, "lr = 0.2", "latents = 2", 1)), 0o644)
	var o, e strings.Builder
	if code := cli.Main([]string{"validate", bad}, &o, &e); code != cli.ExitUsage || !strings.Contains(e.String(), "bad.toml:12:1: algo.latents: unknown key") {
		t.Errorf("validate of a key the toy does not read: exit %d\n%s", code, e.String())
	}
}
