package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mrasim/mrasim/scenarios"
)

// TestEveryProblemInOneRun: a refused game parameter does not hide the
// refused populations, whose checks do not need the parameters.
func TestEveryProblemInOneRun(t *testing.T) {
	src := "[game]\nname = \"line\"\n[game.params]\nlenght = 4\n[train]\npopulations = [3, 300, \"walker=2\"]\n"
	_, err := scenarios.Parse("f.toml", []byte(src))
	var list scenarios.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v, want an ErrorList", err)
	}
	want := []string{
		`f.toml:4:1: game.params.lenght: unknown parameter`,
		`f.toml:6:19: train.populations[1]: game "line" refuses population "walkers=300"`,
		`f.toml:6:24: train.populations[2]: game "line" refuses population "walker=2"`,
	}
	if len(list) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(list), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(list[i].Error(), w) {
			t.Errorf("problem %d:\n got %s\nwant %s…", i, list[i], w)
		}
	}
}

// measure parses src and returns the wall time and the bytes allocated.
func measure(src []byte) (time.Duration, uint64, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := scenarios.Parse("big.toml", src)
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	return d, after.TotalAlloc - before.TotalAlloc, err
}

// TestPathologicalFilesAreCheap: files under the size limit validate in
// well under a second and 100 MB (the limits the issue sets; the times
// here are far below them, so a noisy machine does not fail the test).
func TestPathologicalFilesAreCheap(t *testing.T) {
	dupes := "[game]\nname = \"line\"\n[train]\npopulations = [" + strings.Repeat("3, ", 10000) + "3]\n"
	nested := "x = " + strings.Repeat("{a = ", 8000) + "1" + strings.Repeat("}", 8000) + "\n"
	arrays := "x = " + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + "\n"
	wide := "[game]\nname = \"line\"\n[train]\npopulations = [" + strings.Repeat("3,", scenarios.MaxFileSize/2-40) + "3]\n"
	under := "[game]\nname = \"line\"\n[train]\npopulations = [" + strings.Repeat("3,", scenarios.MaxValues-2) + "3]\n"
	for _, tc := range []struct {
		name, src string
		want      string // in the error
		count     int    // problems
	}{
		{"10000 repeats", dupes, "population walkers=3 is listed twice (first as train.populations[0])", 1},
		{"nested inline tables", nested, "nested more than 16 deep", 1},
		{"nested arrays", arrays, "nested more than 16 deep", 1},
		{"1 MB of repeats", wide, "more than 100000 values in arrays and inline tables", 1},
		{"just under the value limit", under, "listed twice", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.src) > scenarios.MaxFileSize {
				t.Fatalf("test input is %d bytes, over the limit", len(tc.src))
			}
			d, alloc, err := measure([]byte(tc.src))
			var list scenarios.ErrorList
			if !errors.As(err, &list) || len(list) != tc.count || !strings.Contains(list[0].Error(), tc.want) {
				t.Fatalf("error %v, want %d problem(s) containing %q", err, tc.count, tc.want)
			}
			if d > time.Second || alloc > 100<<20 {
				t.Errorf("%d bytes took %v and %d MB", len(tc.src), d, alloc>>20)
			}
			t.Logf("%d bytes: %v, %.1f MB allocated", len(tc.src), d, float64(alloc)/(1<<20))
		})
	}
	big := strings.Repeat("#", scenarios.MaxFileSize+1)
	if _, err := scenarios.Parse("big.toml", []byte(big)); err == nil || !strings.Contains(err.Error(), "a scenario file may have at most 1048576") {
		t.Errorf("oversized file: %v", err)
	}
}

// TestNestingIgnoresStringsAndComments: brackets in strings and comments do
// not count towards the nesting limit.
func TestNestingIgnoresStringsAndComments(t *testing.T) {
	deep := strings.Repeat("[", 40)
	src := "# " + deep + "\nname = \"" + deep + "\"\n" + "out = '''" + deep + "'''\n[game]\nname = \"line\"\n[train]\npopulations = [3]\n"
	_, err := scenarios.Parse("f.toml", []byte(src))
	if err == nil || strings.Contains(err.Error(), "nested") {
		// The name is refused for its brackets? No: only separators and "..".
		if err != nil {
			t.Fatalf("brackets in a comment or string counted: %v", err)
		}
	}
}

func TestLoadRefusesNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan error, 1)
	go func() { _, err := scenarios.Load(fifo); done <- err }()
	select {
	case err := <-done:
		// Opening a FIFO for reading blocks until a writer opens it, so a
		// refusal that arrives means Load did not read it.
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("FIFO: %v", err)
		}
	case <-time.After(2 * time.Second):
		// Unblock the open with a writer, then require the refusal.
		w, _ := os.OpenFile(fifo, os.O_WRONLY, 0)
		err := <-done
		w.Close()
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("FIFO: %v", err)
		}
	}
	if _, err := scenarios.Load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero: %v", err)
	}
	if _, err := scenarios.Load(dir); err == nil {
		t.Error("a folder loaded")
	}
	big := filepath.Join(dir, "big.toml")
	os.WriteFile(big, make([]byte, scenarios.MaxFileSize+1), 0o644)
	if _, err := scenarios.Load(big); err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Errorf("big file: %v", err)
	}
}
