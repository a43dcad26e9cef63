package cli

import (
	"encoding/json"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/runlock"
	"github.com/mrasim/mrasim/scenarios"
)

// trainTiny trains tinyTrain (with the replacements applied) into a new run
// folder and returns the scenario file and the folder.
func trainTiny(t *testing.T, extra ...string) (scenario, run string) {
	t.Helper()
	var dir string
	dir, scenario = tinyScenario(t)
	run = filepath.Join(dir, "run")
	args := append([]string{"train", scenario, "--out", run, "--quiet", "--episodes", "8"}, extra...)
	if _, errOut, code := runCLI(args...); code != ExitOK {
		t.Fatalf("train: code %d\n%s", code, errOut)
	}
	return scenario, run
}

func TestRunFolderIsLocked(t *testing.T) {
	dir, scenario := tinyScenario(t)
	run := filepath.Join(dir, "run")
	os.MkdirAll(run, 0o755)
	// Another holder (an open file description of its own, as another
	// process has).
	l, _, err := runlock.Acquire(run)
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "8")
	if code != ExitUsage || !strings.Contains(errOut, "is in use by another mrasim process (pid ") {
		t.Errorf("train into a locked folder: code %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(run, runMetrics)); err == nil {
		t.Error("the refused train wrote metrics")
	}
	l.Release()
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "8"); code != ExitOK {
		t.Fatalf("after the lock was released: code %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(run, runlock.FileName)); !os.IsNotExist(err) {
		t.Errorf("lock file left after the run: %v", err)
	}
}

func TestDefaultRunFoldersAreUnique(t *testing.T) {
	out := t.TempDir()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var dirs []string
	for range 12 {
		d, err := newRunDir(out, "x", now)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	if dirs[0] != filepath.Join(out, "x-20260102-030405") || dirs[1] != dirs[0]+"-2" || dirs[11] != dirs[0]+"-12" {
		t.Errorf("folders %v", dirs)
	}
	later, _ := newRunDir(out, "x", now.Add(time.Second))
	for i, a := range append(dirs, later) {
		for j, b := range append(dirs, later) {
			if got, want := runDirOrder(a, b), i < j; got != want {
				t.Errorf("runDirOrder(%s, %s) = %v, want %v", filepath.Base(a), filepath.Base(b), got, want)
			}
		}
	}
}

// TestSeededRunResumes: the continuation command of a run started with
// --seed works, because the run records its effective seed.
func TestSeededRunResumes(t *testing.T) {
	_, run := trainTiny(t, "--seed", "5")
	var rec runRecord
	b, _ := os.ReadFile(filepath.Join(run, runRecordFile))
	if err := json.Unmarshal(b, &rec); err != nil || rec.Seed != 5 || rec.Episodes != 8 {
		t.Fatalf("run.json: %s (%v)", b, err)
	}
	_, errOut, code := runCLI("train", filepath.Join(run, runScenario), "--resume", "--out", run, "--quiet", "--episodes", "12")
	if code != ExitOK || !strings.Contains(errOut, "seed 5") {
		t.Fatalf("resume of a --seed run: code %d\n%s", code, errOut)
	}
	// The new budget is recorded: a further resume finds the run finished.
	out, errOut, code := runCLI("train", filepath.Join(run, runScenario), "--resume", "--out", run, "--quiet")
	if code != ExitOK || !strings.Contains(out, "is finished: 12 episodes per population") || strings.Contains(out, "reward 0.0000") {
		t.Fatalf("resume of a finished run: code %d\n%s%s", code, out, errOut)
	}
}

func TestResumeSurvivesDamagedMetrics(t *testing.T) {
	_, run := trainTiny(t)
	path := filepath.Join(run, runMetrics)
	whole, _ := os.ReadFile(path)
	// A line torn by a full disk after the last complete one.
	os.WriteFile(path, append(append([]byte{}, whole...), `{"episode":12,"mean_st`...), 0o644)
	// Pretend a torn tail also inside the checkpoint's range: cut the last
	// complete line in half too.
	_, errOut, code := runCLI("train", filepath.Join(run, runScenario), "--resume", "--out", run, "--quiet", "--episodes", "12")
	if code != ExitOK || !strings.Contains(errOut, "dropped 1 line(s)") {
		t.Fatalf("resume with a torn line: code %d\n%s", code, errOut)
	}
	ms := readMetrics(t, path)
	if len(ms) != 3 || ms[2]["episode"].(float64) != 12 {
		t.Errorf("after resuming: %d lines, want 3 ending at episode 12", len(ms))
	}
	os.Remove(path)
	_, errOut, code = runCLI("train", filepath.Join(run, runScenario), "--resume", "--out", run, "--quiet", "--episodes", "16")
	if code != ExitOK || !strings.Contains(errOut, "was missing") {
		t.Fatalf("resume without metrics.jsonl: code %d\n%s", code, errOut)
	}
	if ms := readMetrics(t, path); len(ms) != 1 || ms[0]["episode"].(float64) != 16 {
		t.Errorf("after resuming without metrics: %v", ms)
	}
}

func TestTempLeftoversAreRemoved(t *testing.T) {
	_, run := trainTiny(t)
	leftovers := []string{".checkpoint.mrasim.tmp-123", ".curves.png.tmp-9"}
	for _, l := range leftovers {
		os.WriteFile(filepath.Join(run, l), []byte("partial"), 0o644)
	}
	_, errOut, code := runCLI("train", filepath.Join(run, runScenario), "--resume", "--out", run, "--quiet", "--episodes", "12")
	if code != ExitOK || !strings.Contains(errOut, "removed 2 temporary file(s)") {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	for _, l := range leftovers {
		if _, err := os.Stat(filepath.Join(run, l)); !os.IsNotExist(err) {
			t.Errorf("%s is still there", l)
		}
	}
}

// TestEditedCopyIsRefused: a scenario copy edited after the run started in
// a way that changes the game is refused by --resume and by eval.
func TestEditedCopyIsRefused(t *testing.T) {
	_, run := trainTiny(t)
	copyPath := filepath.Join(run, runScenario)
	src, _ := os.ReadFile(copyPath)
	edited := strings.Replace(string(src), "[game]\nname = \"line\"\n", "[game]\nname = \"line\"\nparams = {horizon = 20}\n", 1)
	if edited == string(src) {
		t.Fatal("test edit did not apply")
	}
	os.WriteFile(copyPath, []byte(edited), 0o644)
	_, errOut, code := runCLI("train", copyPath, "--resume", "--out", run, "--quiet", "--episodes", "12")
	if code != ExitUsage || !strings.Contains(errOut, "game.params.horizon is 20 in scenario.toml, null in run.json; one of them was edited after the run started") {
		t.Errorf("resume of an edited copy: code %d\n%s", code, errOut)
	}
	_, errOut, code = runCLI("eval", "--run", run, "--episodes", "2", "--br-episodes", "0", "--quiet")
	if code != ExitUsage || !strings.Contains(errOut, "was edited after the run started") {
		t.Errorf("eval of an edited copy: code %d\n%s", code, errOut)
	}
	// Editing what does not change the game (the eval table) is fine.
	os.WriteFile(copyPath, append(src, []byte("[eval]\nepisodes = 3\n")...), 0o644)
	if _, errOut, code := runCLI("eval", "--run", run, "--episodes", "2", "--br-episodes", "0", "--adapt-steps", "0", "--quiet", "--out", filepath.Join(t.TempDir(), "rep")); code != ExitOK {
		t.Errorf("eval after an eval-table edit: code %d\n%s", code, errOut)
	}
}

func TestFlagChecks(t *testing.T) {
	scenario, run := trainTiny(t)
	bad := filepath.Join(run, runCheckpoint+".bad")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"train workers 0", []string{"train", scenario, "--workers", "0"}, "--workers 0: want ≥ 1"},
		{"train workers negative", []string{"train", scenario, "--workers", "-3"}, "--workers -3: want ≥ 1"},
		{"train huge episodes", []string{"train", scenario, "--episodes", "2000000000"}, "--episodes 2000000000: want an integer in [1, 1e9]"},
		{"eval workers 0", []string{"eval", "--run", run, "--workers", "0"}, "--workers 0: want ≥ 1"},
		{"eval huge episodes", []string{"eval", "--run", run, "--episodes", "2000000000"}, "want an integer in [1, 1e9]"},
		{"eval empty populations", []string{"eval", "--run", run, "--populations", ""}, `--populations "": name at least one population`},
		{"eval repeated population", []string{"eval", "--run", run, "--populations", "3 walkers=3"}, "3 and walkers=3 are the same population walkers=3"},
		{"eval repeated run", []string{"eval", "--run", run, "--run", run + "/"}, "is given twice"},
		{"eval same names", []string{"eval", "--run", run, "--run", filepath.Join(t.TempDir(), "run")}, `have the same name "run"`},
		{"train memory limit", []string{"train", scenario, "--max-memory", "1MiB", "--out", bad}, "this run needs about"},
		{"train bad memory flag", []string{"train", scenario, "--max-memory", "lots"}, `--max-memory: size "lots"`},
		{"eval memory limit", []string{"eval", "--run", run, "--max-memory", "1MiB"}, "this evaluation needs about"},
		{"train non-regular file", []string{"train", "/dev/zero"}, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadDir(run)
			_, errOut, code := runCLI(tc.args...)
			if code != ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("code %d, want %d with %q\n%s", code, ExitUsage, tc.want, errOut)
			}
			if after, _ := os.ReadDir(run); len(after) != len(before) {
				t.Errorf("the refused command left files in the run folder: %d entries, %d before", len(after), len(before))
			}
		})
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Error("a refused train created its --out folder")
	}
}

func TestEvalChecksOutputsFirst(t *testing.T) {
	_, run := trainTiny(t)
	start := time.Now()
	_, errOut, code := runCLI("eval", "--run", run, "--json", filepath.Join(t.TempDir(), "no", "such", "dir", "r.json"), "--quiet")
	if code != ExitFailure || !strings.Contains(errOut, "--json:") {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	if strings.Contains(errOut, "evaluating") {
		t.Errorf("the evaluation ran before the output was checked:\n%s", errOut)
	}
	entries, _ := os.ReadDir(run)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "eval-") {
			t.Errorf("left the report folder %s", e.Name())
		}
	}
	t.Logf("refused in %v", time.Since(start))
}

func TestEvalCheckpointErrorsDoNotMentionResume(t *testing.T) {
	_, run := trainTiny(t)
	ckpt := filepath.Join(run, runCheckpoint)
	data, _ := os.ReadFile(ckpt)
	data[len(data)/2] ^= 0xff
	os.WriteFile(ckpt, data, 0o644)
	_, errOut, code := runCLI("eval", "--run", run, "--quiet")
	if code != ExitUsage || !strings.Contains(errOut, "damaged") || strings.Contains(errOut, "--resume") {
		t.Errorf("code %d\n%s", code, errOut)
	}
}

func TestEvalInterrupt(t *testing.T) {
	old := evalSignals
	evalSignals = []os.Signal{syscall.SIGUSR2}
	defer func() { evalSignals = old }()
	// The test's own notification keeps a signal that comes before the
	// evaluation listens from ending the test binary.
	mine := make(chan os.Signal, 1)
	signal.Notify(mine, syscall.SIGUSR2)
	defer signal.Stop(mine)
	_, run := trainTiny(t)
	done := make(chan [3]any)
	go func() {
		out, errOut, code := runCLI("eval", "--run", run, "--episodes", "100000", "--br-episodes", "0", "--quiet")
		done <- [3]any{out, errOut, code}
	}()
	// Once the report folder exists the evaluation is about to listen:
	// interrupt until it stops, however long it takes to start listening.
	waitFor(t, "the report folder", func() bool {
		m, _ := filepath.Glob(filepath.Join(run, "eval-*"))
		return len(m) > 0
	})
	var res [3]any
	for stopped := false; !stopped; {
		syscall.Kill(os.Getpid(), syscall.SIGUSR2)
		select {
		case res = <-done:
			stopped = true
		case <-time.After(20 * time.Millisecond):
		}
	}
	errOut, code := res[1].(string), res[2].(int)
	if code != ExitFailure || !strings.Contains(errOut, "interrupted; stopped without writing a report") {
		t.Errorf("code %d\n%s", code, errOut)
	}
	if m, _ := filepath.Glob(filepath.Join(run, "eval-*")); len(m) > 0 {
		t.Errorf("left %v", m)
	}
}

// TestSecondInterruptStopsAtOnce: the first signal prints at once that
// training stops; the second stops without waiting for the round, after
// checking that the last checkpoint reads back, and names that checkpoint's
// episode. Training, once stopped by the first signal, is held before its
// final checkpoint until the second one was handled, and the checkpoint on disk is read when the process
// would exit, so the test depends on no machine's speed.
func TestSecondInterruptStopsAtOnce(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	type exit struct{ code, episode int }
	exited := make(chan exit, 1)
	released := make(chan struct{})
	oldSig, oldExit, oldStopped := trainSignals, osExit, stoppedForInterrupt
	trainSignals = []os.Signal{syscall.SIGUSR1}
	osExit = func(code int) {
		// The run holds its checkpoint lock here, as a real exit would:
		// the folder is as the process leaves it.
		exited <- exit{code, checkpointEpisode(t, run)}
		close(released)
	}
	stoppedForInterrupt = func() { <-released }
	defer func() { trainSignals, osExit, stoppedForInterrupt = oldSig, oldExit, oldStopped }()
	scenario := filepath.Join(dir, "tiny.toml")
	src := strings.Replace(tinyTrain, "episodes = 24", "episodes = 400000", 1)
	os.WriteFile(scenario, []byte(src), 0o644)
	var errOut strings.Builder
	errW := &syncWriter{w: &errOut}
	done := make(chan int)
	go func() {
		var out strings.Builder
		done <- Main([]string{"train", scenario, "--out", run, "--quiet"}, &out, errW)
	}()
	waitFor(t, "the first checkpoint", func() bool {
		// The curves are written right after a checkpoint.
		_, err := os.Stat(filepath.Join(run, runCurves))
		return err == nil
	})
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	// Identical signals pending at once are delivered once: send the second
	// after the first was handled, as a person pressing Ctrl-C twice does.
	waitFor(t, "the first signal's message", func() bool { return strings.Contains(errW.String(), "stopping:") })
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	// The replaced exit does not end the process, so the run may go on and
	// end by itself (its metrics file closed under it) before or after the
	// exit is called: wait for the exit, and for the run's end as well.
	var got exit
	gotExit, ended := false, false
	timeout := time.After(time.Minute)
	for !gotExit {
		select {
		case got = <-exited:
			gotExit = true
		case <-done:
			ended = true
		case <-timeout:
			t.Fatalf("the second signal did not stop the run at once:\n%s", errW.String())
		}
	}
	if !ended {
		<-done
	}
	if got.code != ExitFailure {
		t.Errorf("exit code %d, want %d", got.code, ExitFailure)
	}
	msg := errW.String()
	if !strings.Contains(msg, "stopping: finishing the current round") {
		t.Errorf("no message on the first signal:\n%s", msg)
	}
	want := fmt.Sprintf("stopped at once; the checkpoint of episode %d is intact (checksum verified)", got.episode)
	if got.episode <= 0 || !strings.Contains(msg, want) {
		t.Errorf("want %q:\n%s", want, msg)
	}
}

// checkpointEpisode reads the run folder's checkpoint as --resume does and
// returns its episode.
func checkpointEpisode(t *testing.T, run string) int {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(run, runScenario))
	if err != nil {
		t.Error(err)
		return -1
	}
	s, err := scenarios.Parse(runScenario, src)
	if err == nil {
		err = resolveSettings(s, run, true)
	}
	if err != nil {
		t.Error(err)
		return -1
	}
	cfg, setup := trainConfig(s)
	tr, err := learner.NewTrainer(cfg, setup)
	if err != nil {
		t.Error(err)
		return -1
	}
	defer tr.Close()
	payload, _, err := checkpoint.ReadFile(filepath.Join(run, runCheckpoint), checkpointKin, learner.StateVersion)
	if err == nil {
		err = tr.LoadFrom(payload, run)
	}
	if err != nil {
		t.Error(err)
		return -1
	}
	return tr.Episode()
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// syncWriter serialises writes from the signal goroutine and the run.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*strings.Builder).String()
}
