package runlock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// TestLockFileIsNeverFollowed: a symbolic link, a FIFO or a folder at the
// lock file's place is refused without blocking, and nothing outside the
// run folder is truncated, written or deleted.
func TestLockFileIsNeverFollowed(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(lock, outside string) error
		want string
	}{
		{"symlink to a file", func(lock, outside string) error { return os.Symlink(outside, lock) }, "symbolic link"},
		{"dangling symlink", func(lock, outside string) error { return os.Symlink(outside+".new", lock) }, "symbolic link"},
		{"fifo", func(lock, _ string) error { return syscall.Mkfifo(lock, 0o644) }, "not a regular file"},
		{"folder", func(lock, _ string) error { return os.Mkdir(lock, 0o755) }, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, elsewhere := t.TempDir(), t.TempDir()
			outside := filepath.Join(elsewhere, "precious")
			os.WriteFile(outside, []byte("keep me\n"), 0o644)
			lock := filepath.Join(dir, FileName)
			if err := tc.make(lock, outside); err != nil {
				t.Fatal(err)
			}
			l, _, err := Acquire(dir)
			if err == nil {
				l.Release()
				t.Fatal("Acquire took the lock")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), lock) {
				t.Errorf("error %q, want it to name %s and say %q", err, lock, tc.want)
			}
			if b, err := os.ReadFile(outside); err != nil || string(b) != "keep me\n" {
				t.Errorf("the file outside the run folder is now %q (%v)", b, err)
			}
			if _, err := os.Stat(outside + ".new"); !os.IsNotExist(err) {
				t.Errorf("a file was created outside the run folder: %v", err)
			}
			if _, err := os.Lstat(lock); err != nil {
				t.Errorf("the refused lock file was removed: %v", err)
			}
		})
	}
}
