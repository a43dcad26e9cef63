package runlock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSecondHolderIsRefused(t *testing.T) {
	dir := t.TempDir()
	l, stale, err := Acquire(dir)
	if err != nil || stale {
		t.Fatalf("first Acquire: %v, stale %v", err, stale)
	}
	// A second open file description is a second holder, as another process would be.
	_, _, err = Acquire(dir)
	var held *HeldError
	if !errors.As(err, &held) || held.PID != os.Getpid() || !strings.Contains(err.Error(), "in use by another mrasim process (pid "+strconv.Itoa(os.Getpid())+")") {
		t.Fatalf("second Acquire: %v, want a HeldError naming pid %d", err, os.Getpid())
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !os.IsNotExist(err) {
		t.Errorf("lock file left after Release: %v", err)
	}
	l2, stale, err := Acquire(dir)
	if err != nil || stale {
		t.Fatalf("Acquire after Release: %v, stale %v", err, stale)
	}
	l2.Release()
	l2.Release() // twice is harmless
}

// TestStaleLockOfADeadProcess leaves a lock file behind from a process that
// was killed and checks that the next Acquire takes it over.
func TestStaleLockOfADeadProcess(t *testing.T) {
	if os.Getenv("RUNLOCK_HOLD") != "" {
		if _, _, err := Acquire(os.Getenv("RUNLOCK_HOLD")); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStaleLockOfADeadProcess$")
	cmd.Env = append(os.Environ(), "RUNLOCK_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf) != "held\n" {
		cmd.Process.Kill()
		t.Fatalf("child did not take the lock: %q %v", buf, err)
	}
	_, _, err = Acquire(dir)
	var held *HeldError
	if !errors.As(err, &held) || held.PID != cmd.Process.Pid {
		t.Errorf("while the child holds the lock: %v, want a HeldError naming pid %d", err, cmd.Process.Pid)
	}
	cmd.Process.Kill() // kill -9: no chance to clean up
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatalf("the killed child should have left its lock file: %v", err)
	}
	l, stale, err := Acquire(dir)
	if err != nil || !stale {
		t.Fatalf("Acquire after the holder died: %v, stale %v; want the stale lock taken over", err, stale)
	}
	l.Release()
}
