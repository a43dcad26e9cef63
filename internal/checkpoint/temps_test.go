package checkpoint

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRemoveTemps interrupts writes (the write function fails after
// creating the temporary file, as a crash would leave it, and then the
// temporary file is restored by hand) and checks that RemoveTemps removes
// exactly the leftovers.
func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	keep := []string{"checkpoint.mrasim", "metrics.jsonl", ".lock", "notes.tmp-1"}
	for _, k := range keep {
		os.WriteFile(filepath.Join(dir, k), []byte("x"), 0o644)
	}
	// Capture the name of the temporary file WriteAtomic uses.
	var tmp string
	err := WriteAtomic(filepath.Join(dir, "curves.png"), func(w io.Writer) error {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if !slices.Contains(keep, e.Name()) {
				tmp = e.Name()
			}
		}
		return errors.New("crash")
	})
	if err == nil || tmp == "" {
		t.Fatalf("no temporary file seen (%v)", err)
	}
	// A crash would have left it; put it back as a crash leaves it.
	os.WriteFile(filepath.Join(dir, tmp), []byte("partial"), 0o644)
	os.WriteFile(filepath.Join(dir, ".checkpoint.mrasim.tmp-123"), []byte("partial"), 0o644)
	removed, err := RemoveTemps(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	want := []string{".checkpoint.mrasim.tmp-123", tmp}
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, k := range keep {
		if _, err := os.Stat(filepath.Join(dir, k)); err != nil {
			t.Errorf("%s was removed: %v", k, err)
		}
	}
}
