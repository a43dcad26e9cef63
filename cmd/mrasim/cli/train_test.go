package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The line game these tests train on is registered by cli_test.go, which
// is compiled into the same test binary.

const tinyTrain = `[game]
name = "line"
[train]
populations = ["walkers=2", "walkers=3"]
episodes = 24
parallel_envs = 4
log_every = 4
checkpoint_every = 8
[algo]
batch_size = 32
steps_per_update = 20
num_updates = 2
buffer_length = 2000
`

// tinyScenario writes tinyTrain into a new temporary folder and returns
// the folder and the scenario file: the command tests' tiny run (through
// the command, so it stays here rather than in learnertest).
func tinyScenario(t *testing.T) (dir, scenario string) {
	t.Helper()
	dir = t.TempDir()
	scenario = filepath.Join(dir, "tiny.toml")
	if err := os.WriteFile(scenario, []byte(tinyTrain), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, scenario
}

func runCLI(args ...string) (string, string, int) {
	var out, errOut strings.Builder
	code := Main(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func readMetrics(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("metrics line %d: %v", len(out)+1, err)
		}
		out = append(out, m)
	}
	return out
}

func TestTrainWritesARunFolder(t *testing.T) {
	dir, scenario := tinyScenario(t)
	run := filepath.Join(dir, "run")
	out, errOut, code := runCLI("train", scenario, "--out", run, "--quiet")
	if code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "trained 24 episodes per population") || !strings.Contains(out, "walkers=3: mean reward per agent and step") {
		t.Errorf("summary:\n%s", out)
	}
	for _, f := range []string{runScenario, runMetrics, runCheckpoint, runCurves} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("run folder lacks %s: %v", f, err)
		}
	}
	copied, _ := os.ReadFile(filepath.Join(run, runScenario))
	if string(copied) != tinyTrain {
		t.Error("the run's scenario copy differs from the scenario")
	}
	ms := readMetrics(t, filepath.Join(run, runMetrics))
	if len(ms) != 6 {
		t.Fatalf("%d metrics lines, want 6 (every 4 of 24 episodes)", len(ms))
	}
	for _, key := range []string{"episode", "env_steps", "wall_seconds", "steps_per_second", "mean_step_reward", "critic_loss", "policy_loss", "policy_entropy", "mi_estimate", "classifier_ce"} {
		if _, ok := ms[5][key]; !ok {
			t.Errorf("metrics lack %q: %v", key, ms[5])
		}
	}
	rewards := ms[5]["mean_step_reward"].(map[string]any)
	if _, ok := rewards["walkers=2"]; !ok || len(rewards) != 2 {
		t.Errorf("mean_step_reward = %v, want one entry per training population", rewards)
	}
	if ms[5]["episode"].(float64) != 24 || ms[5]["update_cycles"].(float64) == 0 {
		t.Errorf("last line %v", ms[5])
	}

	// The same folder again without --resume is refused.
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet"); code != ExitUsage || !strings.Contains(errOut, "already holds a run") {
		t.Errorf("rerun into the folder: code %d, %s", code, errOut)
	}
	// Resuming with more episodes continues from 24.
	_, errOut, code = runCLI("train", scenario, "--out", run, "--resume", "--episodes", "32", "--quiet")
	if code != ExitOK || !strings.Contains(errOut, "resuming at episode 24") {
		t.Fatalf("resume: code %d\n%s", code, errOut)
	}
	if ms := readMetrics(t, filepath.Join(run, runMetrics)); len(ms) != 8 || ms[7]["episode"].(float64) != 32 {
		t.Errorf("after resuming: %d lines, last %v", len(ms), ms[len(ms)-1])
	}
}

func TestTrainRefusesBadCheckpoints(t *testing.T) {
	dir, scenario := tinyScenario(t)
	run := filepath.Join(dir, "run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "8"); code != ExitOK {
		t.Fatal(errOut)
	}
	ckpt := filepath.Join(run, runCheckpoint)
	data, _ := os.ReadFile(ckpt)
	data[len(data)/2] ^= 0xff
	os.WriteFile(ckpt, data, 0o644)
	_, errOut, code := runCLI("train", scenario, "--out", run, "--resume", "--quiet")
	if code != ExitUsage || !strings.Contains(errOut, "damaged") || !strings.Contains(errOut, ckpt) {
		t.Errorf("corrupt checkpoint: code %d\n%s", code, errOut)
	}
	// A scenario that differs from the run's copy is refused.
	other := filepath.Join(dir, "other.toml")
	os.WriteFile(other, []byte(strings.Replace(tinyTrain, "episodes = 24", "episodes = 30", 1)), 0o644)
	if _, errOut, code := runCLI("train", other, "--out", run, "--resume"); code != ExitUsage || !strings.Contains(errOut, "differs from the run's copy") {
		t.Errorf("different scenario: code %d\n%s", code, errOut)
	}
	if _, errOut, code := runCLI("train", scenario, "--resume", "--out", filepath.Join(dir, "none")); code != ExitUsage || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing run: code %d\n%s", code, errOut)
	}
	if _, errOut, code := runCLI("train", scenario, "--resume", "--seed", "3"); code != ExitUsage || !strings.Contains(errOut, "--seed cannot change") {
		t.Errorf("seed on resume: code %d\n%s", code, errOut)
	}
}

// TestTrainInterruptWritesACheckpoint sends the process the signal train
// stops on and checks that it exits 0 with a checkpoint to resume from, and
// that resuming finishes the budget.
func TestTrainInterruptWritesACheckpoint(t *testing.T) {
	old := trainSignals
	trainSignals = []os.Signal{syscall.SIGUSR1}
	defer func() { trainSignals = old }()
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(strings.Replace(tinyTrain, "episodes = 24", "episodes = 4000", 1)), 0o644)
	run := filepath.Join(dir, "run")
	done := make(chan [3]any)
	go func() {
		out, errOut, code := runCLI("train", scenario, "--out", run, "--quiet")
		done <- [3]any{out, errOut, code}
	}()
	// Wait for the first metrics line, then interrupt.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(filepath.Join(run, runMetrics)); len(b) > 0 {
			break
		}
	}
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	res := <-done
	errOut, code := res[1].(string), res[2].(int)
	if code != ExitOK || !strings.Contains(errOut, "interrupted after") || !strings.Contains(errOut, "--resume --out "+run) {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	ms := readMetrics(t, filepath.Join(run, runMetrics))
	last := ms[len(ms)-1]["episode"].(float64)
	if last >= 4000 {
		t.Fatalf("the run was not interrupted (last episode %v)", last)
	}
	// However many episodes the run played before the signal landed (a
	// loaded machine plays more), resume for 8 more than its checkpoint.
	more := strconv.Itoa(checkpointEpisode(t, run) + 8)
	_, errOut, code = runCLI("train", filepath.Join(run, runScenario), "--out", run, "--resume", "--quiet", "--episodes", more)
	if code != ExitOK {
		t.Fatalf("resume: code %d\n%s", code, errOut)
	}
}

// recordedPrecision returns the precision run.json of run folder dir
// names ("" when it names none).
func recordedPrecision(t *testing.T, dir string) string {
	t.Helper()
	r, ok, err := readRunRecord(dir)
	if err != nil || !ok {
		t.Fatalf("run record of %s: ok %v, %v", dir, ok, err)
	}
	var a struct{ Precision string }
	if err := json.Unmarshal(r.Algo, &a); err != nil {
		t.Fatal(err)
	}
	return a.Precision
}

// TestTrainDefaultPrecision: a new run whose scenario leaves
// algo.precision unset trains in float32 (float64 under maddpg) and
// records it; a run recorded without a precision (started when float64
// was the default) resumes in float64 from its float64 checkpoint; an
// explicit precision other than the run's is refused.
func TestTrainDefaultPrecision(t *testing.T) {
	dir, scenario := tinyScenario(t)

	run := filepath.Join(dir, "new")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "16"); code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	if p := recordedPrecision(t, run); p != "float32" {
		t.Fatalf("a new run with precision unset recorded %q, want float32", p)
	}
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--resume", "--episodes", "24", "--quiet"); code != ExitOK || !strings.Contains(errOut, "resuming at episode 16") {
		t.Fatalf("resume of the float32 run: code %d\n%s", code, errOut)
	}

	maddpg := filepath.Join(dir, "maddpg.toml")
	os.WriteFile(maddpg, []byte(strings.Replace(tinyTrain, "[algo]\n", "[algo]\nname = \"maddpg\"\n", 1)), 0o644)
	runM := filepath.Join(dir, "maddpg")
	if _, errOut, code := runCLI("train", maddpg, "--out", runM, "--quiet", "--episodes", "8"); code != ExitOK {
		t.Fatalf("maddpg: code %d\n%s", code, errOut)
	}
	if p := recordedPrecision(t, runM); p != "float64" {
		t.Fatalf("a new maddpg run recorded %q, want float64", p)
	}

	// A run of the float64-default days: trained in float64, its record
	// without a precision, its scenario copy without the key.
	old := filepath.Join(dir, "old")
	pinned := filepath.Join(dir, "pinned.toml")
	os.WriteFile(pinned, []byte(strings.Replace(tinyTrain, "[algo]\n", "[algo]\nprecision = \"float64\"\n", 1)), 0o644)
	if _, errOut, code := runCLI("train", pinned, "--out", old, "--quiet", "--episodes", "16"); code != ExitOK {
		t.Fatalf("float64 run: code %d\n%s", code, errOut)
	}
	os.WriteFile(filepath.Join(old, runScenario), []byte(tinyTrain), 0o644)
	r, _, err := readRunRecord(old)
	if err != nil {
		t.Fatal(err)
	}
	var a map[string]any
	json.Unmarshal(r.Algo, &a)
	delete(a, "precision")
	r.Algo, _ = json.Marshal(a)
	if err := writeRunRecord(old, r); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(old, runScenario)
	if _, errOut, code := runCLI("train", copyPath, "--out", old, "--resume", "--episodes", "24", "--quiet"); code != ExitOK || !strings.Contains(errOut, "resuming at episode 16") {
		t.Fatalf("resume of a float64-default run: code %d\n%s", code, errOut)
	}
	if _, errOut, code := runCLI("eval", "--run", old, "--populations", "2", "--episodes", "2", "--br-episodes", "0", "--adapt-steps", "0", "--quiet", "--out", filepath.Join(dir, "ev")); code != ExitOK {
		t.Fatalf("eval of a float64-default run: code %d\n%s", code, errOut)
	}

	// Saying float32 for the float64 run is an edit the record refuses.
	os.WriteFile(copyPath, []byte(strings.Replace(tinyTrain, "[algo]\n", "[algo]\nprecision = \"float32\"\n", 1)), 0o644)
	if _, errOut, code := runCLI("train", copyPath, "--out", old, "--resume", "--episodes", "32", "--quiet"); code != ExitUsage || !strings.Contains(errOut, "algo.precision") {
		t.Fatalf("float32 over a float64 run: code %d\n%s", code, errOut)
	}
}
