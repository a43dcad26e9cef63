package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mrasim/mrasim/internal/runlock"
)

// Environment of the test binary started as mrasim (see TestMain).
const (
	envRunMain   = "MRASIM_TEST_RUN_MAIN"   // run Run() instead of the tests
	envHoldRound = "MRASIM_TEST_HOLD_ROUND" // never write the final checkpoint after a first signal
)

// TestMain lets the test binary play the mrasim program: started with
// envRunMain set, it runs Run() on its arguments exactly as cmd/mrasim's
// main does, so tests can send real signals to the pid they started.
func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) != "" {
		if os.Getenv(envHoldRound) != "" {
			// Training stopped by the first signal never reaches its final
			// checkpoint, so that the
			// second signal always finds the run inside it.
			stoppedForInterrupt = func() {
				for {
					time.Sleep(time.Hour)
				}
			}
		}
		os.Exit(Run())
	}
	os.Exit(m.Run())
}

// startedTrain is an mrasim train process started by a test.
type startedTrain struct {
	cmd    *exec.Cmd
	stderr *syncWriter
	run    string
	waited chan error
}

// startTrain starts the test binary as `mrasim train` of a long tinyTrain
// run in its own process group and waits for its first checkpoint. Every
// process of the group is killed when the test ends.
func startTrain(t *testing.T, hold bool) *startedTrain {
	t.Helper()
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(strings.Replace(tinyTrain, "episodes = 24", "episodes = 400000", 1)), 0o644)
	p := &startedTrain{run: filepath.Join(dir, "run"), stderr: &syncWriter{w: &strings.Builder{}}, waited: make(chan error, 1)}
	p.cmd = exec.Command(os.Args[0], "train", scenario, "--out", p.run, "--quiet", "--workers", "1")
	p.cmd.Env = append(os.Environ(), envRunMain+"=1")
	if hold {
		p.cmd.Env = append(p.cmd.Env, envHoldRound+"=1")
	}
	p.cmd.Stderr = p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := p.cmd.Process.Pid
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	go func() { p.waited <- p.cmd.Wait() }()
	waitFor(t, "the first checkpoint", func() bool {
		// The curves are written right after a checkpoint.
		_, err := os.Stat(filepath.Join(p.run, runCurves))
		return err == nil
	})
	return p
}

// wait waits for the started process to exit and returns its exit code
// (128 + the signal when a signal ended it).
func (p *startedTrain) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.waited:
		var ee *exec.ExitError
		if err == nil {
			return 0
		}
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	case <-time.After(time.Minute):
		t.Fatalf("the process did not exit within a minute of the signal:\n%s", p.stderr.String())
		return -1
	}
}

// signal sends sig to the started pid only (not to its group).
func (p *startedTrain) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(p.cmd.Process.Pid, sig); err != nil {
		t.Fatal(err)
	}
}

// assertNothingLeft checks that no process of the started group is left
// and that the run folder's lock is free, killing a holder it finds.
func (p *startedTrain) assertNothingLeft(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("a process of the started group is still running after the started pid exited (kill -0: %v)", err)
	}
	l, _, err := runlock.Acquire(p.run)
	if err != nil {
		var held *runlock.HeldError
		if errors.As(err, &held) && held.PID > 0 {
			syscall.Kill(held.PID, syscall.SIGKILL)
		}
		t.Fatalf("the run folder's lock is held after the started pid exited: %v", err)
	}
	l.Release()
}

// assertResumes continues the run for a few more episodes in this process.
func (p *startedTrain) assertResumes(t *testing.T) {
	t.Helper()
	ep := checkpointEpisode(t, p.run)
	_, errOut, code := runCLI("train", filepath.Join(p.run, runScenario), "--resume", "--out", p.run, "--quiet", "--episodes", strconv.Itoa(ep+8))
	if code != ExitOK || !strings.Contains(errOut, fmt.Sprintf("resuming at episode %d,", ep)) {
		t.Errorf("resume from episode %d: code %d\n%s", ep, code, errOut)
	}
}

// TestSignalsToTheStartedPid sends real signals to the pid of a started
// mrasim train, as `timeout -s INT`, `kill -INT $!` and `kill -9` do: an
// interrupt or a termination stops training with a checkpoint and exit 0, a
// second interrupt stops at once with exit 1 naming the checkpoint on disk,
// and SIGKILL leaves no process behind and no lock held. Each run resumes.
func TestSignalsToTheStartedPid(t *testing.T) {
	if testing.Short() {
		t.Skip("starts training processes")
	}
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		code int
	}{
		{"SIGINT", syscall.SIGINT, ExitOK},
		{"SIGTERM", syscall.SIGTERM, ExitOK},
		{"SIGKILL", syscall.SIGKILL, 128 + int(syscall.SIGKILL)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startTrain(t, false)
			p.signal(t, tc.sig)
			if code := p.wait(t); code != tc.code {
				t.Errorf("exit code %d, want %d\n%s", code, tc.code, p.stderr.String())
			}
			if tc.code == ExitOK && !strings.Contains(p.stderr.String(), "interrupted after") {
				t.Errorf("no word of the checkpoint:\n%s", p.stderr.String())
			}
			p.assertNothingLeft(t)
			p.assertResumes(t)
		})
	}
	t.Run("second SIGINT", func(t *testing.T) {
		p := startTrain(t, true)
		p.signal(t, syscall.SIGINT)
		waitFor(t, "the first signal's message", func() bool { return strings.Contains(p.stderr.String(), "stopping:") })
		p.signal(t, syscall.SIGINT)
		if code := p.wait(t); code != ExitFailure {
			t.Errorf("exit code %d, want %d\n%s", code, ExitFailure, p.stderr.String())
		}
		p.assertNothingLeft(t)
		want := fmt.Sprintf("stopped at once; the checkpoint of episode %d is intact", checkpointEpisode(t, p.run))
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("want %q:\n%s", want, p.stderr.String())
		}
		p.assertResumes(t)
	})
}
