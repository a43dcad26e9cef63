package scenarios_test

import (
	"errors"
	"fmt"
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

// TestPathologicalFilesAreCheap: files under the size limit validate with
// less than 100 MB allocated. The bound is on allocation, which a loaded
// machine does not change; the wall time is only logged (speed goals live
// in benchmarks, never in timed unit tests).
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
			if alloc > 100<<20 {
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
		// Unblock the open with a writer that closes at once (a reader
		// would otherwise wait for more), then require the refusal.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		err := <-done
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

// TestKeyNesting: every part of a table header, and every part of a dotted
// key but the last, opens a table and counts towards the nesting limit
// before the file is decoded (a 40 KB header of 20,000 parts used to
// exhaust memory in the decoder, and a dotted key of 10,000 parts took
// seconds and a gigabyte). Quoted parts are one part whatever their dots,
// and strings and comments do not count.
func TestKeyNesting(t *testing.T) {
	parts := func(n int) string { return strings.Repeat("a.", n-1) + "a" }
	const tooDeep = "tables nested more than 16 deep: each part of a table header or dotted key is a table"
	for _, tc := range []struct {
		name, src string
		want      string // the only problem; "" for a file within the limits
	}{
		{"header of 20000 parts", "[" + parts(20000) + "]\n", "f.toml:1:34: " + tooDeep},
		{"array of tables of 20000 parts", "[[" + parts(20000) + "]]\n", "f.toml:1:35: " + tooDeep},
		{"dotted key of 10000 parts", parts(10000) + " = 1\n", "f.toml:1:35: " + tooDeep},
		{"dotted key of 17 parts", parts(17) + " = 1\n", ""},
		{"header and key together", "[" + parts(8) + "]\n" + parts(10) + " = 1\n", "f.toml:2:19: " + tooDeep},
		{"key under an array of tables", "[[" + parts(8) + "]]\n" + parts(9) + " = 1\n", ""},
		{"dotted key in an inline table", "x = {" + parts(17) + " = 1}\n", "f.toml:1:38: " + tooDeep},
		{"dotted key in an inline table in an array", "x = [1, {b = 2, " + parts(16) + " = 1}]\n", "f.toml:1:47: " + tooDeep},
		{"spaced and quoted parts", "a . \"b\" . 'c.c' ." + strings.Repeat(" a .", 14) + " a = 1\n", "f.toml:1:75: " + tooDeep},
		{"dots inside a quoted part", "\"" + parts(40) + "\" = 1\n[\"" + parts(40) + "\"]\n", ""},
		{"dots in values and comments", "x = \"" + parts(40) + "\" # " + parts(40) + "\ny = '''\n" + parts(40) + "'''\n", ""},
		{"too many keys", strings.Repeat("[t]\n", scenarios.MaxKeys) + "[u]\n", "f.toml:50001:2: more than 50000 keys: each part of a dotted key or table header counts as one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.Parse("f.toml", []byte(tc.src))
			var list scenarios.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %v, want an ErrorList", err)
			}
			if tc.want == "" {
				for _, e := range list {
					if strings.Contains(e.Msg, "more than") {
						t.Errorf("a limit refused a file within it: %v", e)
					}
				}
				return
			}
			if len(list) != 1 || list[0].Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestKeysUpToTheLimitAreCheap: files with as many keys as MaxKeys allows,
// as deep as MaxNesting allows, are decoded with a bounded allocation (the
// count of bytes, not the time, so a busy machine does not fail it).
func TestKeysUpToTheLimitAreCheap(t *testing.T) {
	// 3,000 keys of 16 parts, each opening 15 tables.
	var deep strings.Builder
	deep.WriteString("[game]\nname = \"line\"\n[train]\npopulations = [3]\n[algo]\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&deep, "%sk%d = 1\n", strings.Repeat("a.", 15), i)
	}
	// As many one-part keys as allowed, each a table header and a key.
	var many strings.Builder
	many.WriteString("[game]\nname = \"line\"\n[train]\npopulations = [3]\n")
	for i := 0; i < scenarios.MaxKeys/2-4; i++ {
		fmt.Fprintf(&many, "[t%d]\nk = 1\n", i)
	}
	for _, tc := range []struct {
		name, src string
		want      string // the first problem
	}{
		{"deep dotted keys", deep.String(), "big.toml:6:1: algo.a: unknown key; allowed in [algo]: "},
		{"one-part tables", many.String(), "big.toml:5:2: t0: unknown key; allowed at the top level: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, alloc, err := measure([]byte(tc.src))
			var list scenarios.ErrorList
			if !errors.As(err, &list) || !strings.HasPrefix(list[0].Error(), tc.want) {
				t.Fatalf("error %.300v, want one starting %s", err, tc.want)
			}
			if alloc > 100<<20 {
				t.Errorf("%d bytes allocated %d MB", len(tc.src), alloc>>20)
			}
			t.Logf("%d bytes: %v, %.1f MB allocated", len(tc.src), d, float64(alloc)/(1<<20))
		})
	}
}

// TestLimitScanAllocatesNothingPerString: the scan that runs before
// decoding costs no allocation per string or key, however many the file
// holds (it allocated one per string).
func TestLimitScanAllocatesNothingPerString(t *testing.T) {
	src := "[game]\nname = \"line\"\n[train]\npopulations = [" + strings.Repeat(`"walkers=3", '''x''', """y""", `, 10_000) + "3]\n" +
		strings.Repeat("\"k\".'l' = \"v\"\n", 1000)
	allocs := testing.AllocsPerRun(3, func() {
		if at, msg := scenarios.NestingScan(src); at >= 0 {
			t.Fatalf("refused at %d: %s", at, msg)
		}
	})
	if allocs > 5 {
		t.Errorf("%v allocations for %d strings", allocs, 31_000)
	}
}
