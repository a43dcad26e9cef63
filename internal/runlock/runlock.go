// Package runlock keeps two processes out of one run folder. A process that
// writes a run (train) holds the folder's lock file, which names its process
// id; a second process is refused with a message naming the holder.
//
// The lock is an flock(2) on the lock file, which the kernel releases when
// the holder exits in any way (kill -9 included), so a lock file left behind
// by a dead process is stale by construction: the next process takes it
// over. The lock is advisory: it keeps mrasim processes apart, not other
// programs.
package runlock

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// FileName is the lock file's name inside a run folder.
const FileName = ".lock"

// HeldError is returned by Acquire when another process holds the lock.
type HeldError struct {
	Dir string // the run folder
	PID int    // the holder's process id; 0 when it could not be read
}

// Error implements error.
func (e *HeldError) Error() string {
	who := "another mrasim process"
	if e.PID > 0 {
		who += fmt.Sprintf(" (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s is in use by %s; wait for it to finish or stop it, or choose another folder",
		e.Dir, who)
}

// Lock is a held run-folder lock.
type Lock struct {
	f    *os.File
	path string
}

// Acquire takes the lock of folder dir (which must exist) for this process.
// It returns a *HeldError when another process holds it. Stale reports that
// a lock file of a process that is gone was found and taken over, so the
// caller can say so.
func Acquire(dir string) (l *Lock, stale bool, err error) {
	path := filepath.Join(dir, FileName)
	for range 10 {
		f, err := openLockFile(path)
		if err != nil {
			return nil, false, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			pid, _ := readPID(f)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, false, &HeldError{Dir: dir, PID: pid}
			}
			return nil, false, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder before us removes the file when it releases: make sure
		// the file we locked is still the one at path.
		held, err1 := f.Stat()
		now, err2 := os.Lstat(path)
		if err1 != nil || err2 != nil || !os.SameFile(held, now) {
			f.Close()
			continue
		}
		_, hadPID := readPID(f)
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("lock %s: %w", path, err)
		}
		if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("lock %s: %w", path, err)
		}
		return &Lock{f: f, path: path}, hadPID, nil
	}
	return nil, false, fmt.Errorf("lock %s: the lock file keeps being replaced", path)
}

// openLockFile opens the lock file at path for writing, creating it,
// without following a symbolic link in its place (which would truncate and
// later delete a file outside the run folder) and without blocking on a
// FIFO; anything but a regular file is refused, naming what it is.
func openLockFile(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o644)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("lock %s: a symbolic link, not a lock file; mrasim never follows it: remove it (rm %s) and try again", path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, &os.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lock %s: not a regular file (%v); remove it and try again", path, st.Mode().Type())
	}
	return f, nil
}

// readPID reads the pid a lock file names; ok is false when it names none.
func readPID(f *os.File) (int, bool) {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 64))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, err == nil && pid > 0
}

// Release removes the lock file (only while it is still the file locked,
// never a link or file put in its place) and releases the lock. It is safe to call
// on a nil Lock and more than once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Remove the file only while it is still the one locked: never a
	// link or another file put in its place.
	var err error
	held, err1 := l.f.Stat()
	now, err2 := os.Lstat(l.path)
	if err1 == nil && err2 == nil && os.SameFile(held, now) {
		err = os.Remove(l.path)
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
