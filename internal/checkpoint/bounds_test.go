package checkpoint_test

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// sparseCheckpoint writes a sparse file of size bytes at path that starts
// with a checkpoint header of kind "mra-run" version 1 claiming a payload
// of claim bytes.
func sparseCheckpoint(t *testing.T, path string, size int64, claim uint64) {
	t.Helper()
	b := []byte(checkpoint.Magic)
	b = binary.LittleEndian.AppendUint32(b, checkpoint.FormatVersion)
	b = binary.LittleEndian.AppendUint16(b, uint16(len("mra-run")))
	b = append(b, "mra-run"...)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint64(b, claim)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		t.Skipf("no sparse file of %d bytes here: %v", size, err)
	}
}

// TestClaimedSizeIsNeverAllocated: a sparse file whose header claims
// gigabytes is refused as damaged without allocating them, both when its
// lengths do not add up (the magic and zeros) and when they do (only the
// checksum tells).
func TestClaimedSizeIsNeverAllocated(t *testing.T) {
	const gb = 1 << 30
	header := int64(len(checkpoint.Magic) + 4 + 2 + len("mra-run") + 4 + 8)
	for _, tc := range []struct {
		name  string
		size  int64
		claim uint64
	}{
		{"magic and zeros, 20 GB", 20 * gb, 0},
		{"lengths add up, 1 GB", gb, uint64(gb - header - 32)},
		{"claim past the end", gb, 1 << 62},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "checkpoint.mrasim")
			sparseCheckpoint(t, path, tc.size, tc.claim)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := checkpoint.ReadFile(path, "mra-run", 1)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, checkpoint.ErrCorrupt) {
				t.Errorf("error %v, want ErrCorrupt", err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("reading it allocated %d bytes", got)
			}
		})
	}
}

// TestFIFOIsRefusedAtOnce: a FIFO in place of a checkpoint or any file of
// a run folder is refused without waiting for a writer.
func TestFIFOIsRefusedAtOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	for _, tc := range []struct {
		name string
		read func() error
		is   error
	}{
		{"ReadFile", func() error { _, _, err := checkpoint.ReadFile(path, "mra-run", 1); return err }, checkpoint.ErrNotCheckpoint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- tc.read() }()
			select {
			case err := <-done:
				if !errors.Is(err, tc.is) {
					t.Errorf("error %v, want %v", err, tc.is)
				}
			case <-time.After(30 * time.Second):
				// Unblock the reader so the test ends.
				if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
					w.Close()
				}
				t.Fatal("still waiting on the FIFO after 30 s")
			}
		})
	}
}
