package fsutil_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mrasim/mrasim/internal/fsutil"
)

// TestReadRegular reads a file within its limit and refuses a larger one,
// a folder and a FIFO (at once, without waiting for a writer), each with
// an error that says what was wrong and matches its sentinel.
func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	hasFIFO := syscall.Mkfifo(fifo, 0o644) == nil
	for _, tc := range []struct {
		name  string
		path  string
		limit int64
		is    error
		want  string // in the message
	}{
		{"within", file, 5, nil, ""},
		{"too large", file, 4, fsutil.ErrTooLarge, "5 bytes, more than the 4 allowed"},
		{"folder", dir, 10, fsutil.ErrNotRegular, "not a regular file (d"},
		{"fifo", fifo, 10, fsutil.ErrNotRegular, "not a regular file (p"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path == fifo && !hasFIFO {
				t.Skip("no FIFO here")
			}
			done := make(chan error, 1)
			var data []byte
			go func() {
				var err error
				data, err = fsutil.ReadRegular(tc.path, tc.limit)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				if w, err := os.OpenFile(tc.path, os.O_WRONLY, 0); err == nil {
					w.Close() // unblock the reader so the test ends
				}
				t.Fatal("still waiting after 30 s")
			}
			if tc.is == nil {
				if err != nil || string(data) != "12345" {
					t.Errorf("got %q, %v", data, err)
				}
				return
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), tc.path+": ") {
				t.Errorf("error %v, want %v saying %q", err, tc.is, tc.want)
			}
			var nr *fsutil.NotRegularError
			if errors.As(err, &nr) != (tc.is == fsutil.ErrNotRegular) || (nr != nil && nr.Mode.IsRegular()) {
				t.Errorf("error %v: NotRegularError %+v", err, nr)
			}
			if tc.is == fsutil.ErrNotRegular {
				f, st, err := fsutil.OpenRegular(tc.path)
				if f != nil || st == nil || st.Mode().IsRegular() || !errors.Is(err, fsutil.ErrNotRegular) {
					t.Errorf("OpenRegular: %v, %v, %v", f, st, err)
				}
			}
		})
	}
}
