package scenarios_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mrasim/mrasim/scenarios"
)

// TestManyProblemsCostLittle: a file with 50,000 distinct refused
// populations reports the first 20 with their positions, and does not
// locate the others (that took over a minute and allocated 9.6 GB).
func TestManyProblemsCostLittle(t *testing.T) {
	var b strings.Builder
	b.WriteString("[game]\nname = \"line\"\n[train]\npopulations = [")
	for i := 0; i < 50_000; i++ {
		fmt.Fprintf(&b, "\"x%d=1\", ", i)
	}
	b.WriteString("]\n")
	src := b.String()
	d, alloc, err := measure([]byte(src))
	var list scenarios.ErrorList
	if !errors.As(err, &list) || len(list) != 20 {
		t.Fatalf("got %d problems (%v), want the first 20", len(list), err)
	}
	col := strings.Index(src, `"x19=1"`) - strings.LastIndex(src, "\n[train]\n") - len("\n[train]\n") + 1
	if want := fmt.Sprintf("big.toml:4:%d: train.populations[19]: ", col); !strings.HasPrefix(list[19].Error(), want) {
		t.Errorf("last problem %s, want it to start %s", list[19], want)
	}
	// Locating every problem allocated 9.6 GB; 47 MB are needed.
	if alloc > 200<<20 {
		t.Errorf("%d bytes allocated %d MB", len(src), alloc>>20)
	}
	t.Logf("%d bytes: %v, %.1f MB allocated", len(src), d, float64(alloc)/(1<<20))
}

// TestDetailWindow: an echoed source line is cut to a window around the
// column, made printable, with the caret under the column; a 300 KB line
// with 20 problems used to print 5.8 MB.
func TestDetailWindow(t *testing.T) {
	pad := strings.Repeat(" ", 15_000)
	items := make([]string, 20)
	for i := range items {
		items[i] = fmt.Sprintf(`"y%d=1"`, i)
	}
	src := "[game]\nname = \"line\"\n[train]\npopulations = [" + strings.Join(items, ","+pad) + "]\n"
	_, err := scenarios.Parse("f.toml", []byte(src))
	var list scenarios.ErrorList
	if !errors.As(err, &list) || len(list) != 20 {
		t.Fatalf("got %v, want 20 problems", err)
	}
	total := 0
	for _, e := range list {
		total += len(e.Detail())
	}
	if total > 20*600 {
		t.Errorf("20 problems print %d bytes, want at most %d", total, 20*600)
	}
	got := list[1].Detail()
	want := "f.toml:4:15023: train.populations[1]: game \"line\" refuses population \"y1=1\": unknown agent type \"y1\"; types: walkers (1–256)\n" +
		"   4 | …" + strings.Repeat(" ", 40) + `"y1=1",` + strings.Repeat(" ", 33) + "…\n" +
		"     |  " + strings.Repeat(" ", 40) + "^"
	if got != want {
		t.Errorf("Detail:\n%s\nwant\n%s", got, want)
	}

	for _, tc := range []struct {
		name, line string
		col        int
		want       string // the two lines after the message
	}{
		{"short line", "episodes = 0", 12, "   1 | episodes = 0\n     |            ^"},
		{"tab and control characters", "\tx = \"a\x1b[2Jb\" ", 6, "   1 |  x = \"a\uFFFD[2Jb\" \n     |      ^"},
		{"multi-byte characters before the column", "é = \"ü\" x", 11, "   1 | é = \"ü\" x\n     |         ^"},
		{"invalid bytes", "a\xff\xfe = 1", 5, "   1 | a\uFFFD\uFFFD = 1\n     |     ^"},
		{"cut on the left only", strings.Repeat("é", 100) + "=1", 201, "   1 | …" + strings.Repeat("é", 40) + "=1\n     |  " + strings.Repeat(" ", 40) + "^"},
		{"column past the end", "ab", 9, "   1 | ab\n     |   ^"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := scenarios.NewErrorAt("f.toml", tc.line, 1, tc.col, "problem")
			got := e.Detail()
			want := "f.toml:1:" + fmt.Sprint(tc.col) + ": problem\n" + tc.want
			if got != want {
				t.Errorf("Detail:\n%q\nwant\n%q", got, want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Detail is not valid UTF-8: %q", got)
			}
		})
	}
}

// TestLongKeysAndValuesAreCut: a key or value of hundreds of kilobytes is
// cut in the middle in messages, and a key's control characters are not
// printed.
func TestLongKeysAndValuesAreCut(t *testing.T) {
	long := strings.Repeat("k", 300_000)
	for _, tc := range []struct {
		name, src string
		max       int    // bytes of the first problem's Detail
		want      string // in it
	}{
		{"long unknown key", minimal + long + " = 1\n", 1500, "bytes cut)…"},
		{"long string value", minimal + "[algo]\nname = \"" + long + "\"\n", 1500, "bytes cut)…"},
		{"control character in a key", minimal + "\"a\\u001b[2Jb\" = 1\n", 600, "a\uFFFD[2Jb: unknown key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.Parse("f.toml", []byte(tc.src))
			var list scenarios.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %v, want an ErrorList", err)
			}
			d := list[0].Detail()
			if len(d) > tc.max || !strings.Contains(d, tc.want) {
				t.Errorf("Detail (%d bytes, want at most %d, containing %q):\n%.2000s", len(d), tc.max, tc.want, d)
			}
		})
	}
}
