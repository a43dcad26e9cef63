package scenarios_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/scenarios"
)

// TestNames: a scenario's name is checked as train uses it, as part of one
// folder name: printable, at most MaxNameLen bytes, not hidden, without a
// path separator or a glob character. Each of these passed validate, and
// train then failed at mkdir or, for a glob character, matched other runs'
// folders.
func TestNames(t *testing.T) {
	const use = "a name becomes part of a folder name under out; use letters, digits, - and _"
	body := "[game]\nname = \"line\"\n[train]\npopulations = [3]\n"
	for _, tc := range []struct {
		name, file, line string // the file's name and its first line
		want             string // the only problem; "" for none
	}{
		{"plain", "f.toml", `name = "walk-3_a.b"`, ""},
		{"printable non-ASCII", "f.toml", `name = "résumé été"`, ""},
		{"longest", "f.toml", `name = "` + strings.Repeat("n", scenarios.MaxNameLen) + `"`, ""},
		{"empty", "f.toml", `name = ""`, "f.toml:1:1: name: empty: " + use},
		{"dot", "f.toml", `name = "."`, `f.toml:1:1: name: "." starts with '.', so its run folders would be hidden: ` + use},
		{"hidden", "f.toml", `name = ".walk"`, `f.toml:1:1: name: ".walk" starts with '.', so its run folders would be hidden: ` + use},
		{"newline", "f.toml", `name = "a\nb"`, `f.toml:1:1: name: "a\nb" has an unprintable character at byte 1: ` + use},
		{"escape character", "f.toml", `name = "a\u001bb"`, `f.toml:1:1: name: "a\x1bb" has an unprintable character at byte 1: ` + use},
		{"non-breaking space", "f.toml", `name = "a\u00a0b"`, `f.toml:1:1: name: "a\u00a0b" has an unprintable character at byte 1: ` + use},
		{"star", "f.toml", `name = "exp*"`, `f.toml:1:1: name: "exp*" has a glob character (*, ?, [ or ]): ` + use},
		{"question mark", "f.toml", `name = "exp?"`, `f.toml:1:1: name: "exp?" has a glob character (*, ?, [ or ]): ` + use},
		{"bracket", "f.toml", `name = "a[1"`, `f.toml:1:1: name: "a[1" has a glob character (*, ?, [ or ]): ` + use},
		{"backslash", "f.toml", `name = 'a\b'`, `f.toml:1:1: name: "a\\b" has a path separator: ` + use},
		{"one too long", "f.toml", `name = "` + strings.Repeat("n", scenarios.MaxNameLen+1) + `"`, "f.toml:1:1: name: 65 bytes long: a name may have at most 64 (it becomes part of a folder name under out)"},
		{"a megabyte", "f.toml", `name = "` + strings.Repeat("n", 1_000_000) + `"`, "f.toml:1:1: name: 1000000 bytes long: a name may have at most 64 (it becomes part of a folder name under out)"},
		{"from a file name with a glob character", "runs/exp?.toml", "", `runs/exp?.toml: name: the file's name gives the scenario's name, and "exp?" has a glob character (*, ?, [ or ]): ` + use + "; set name"},
		{"from a hidden file name", "runs/.x.toml", "", `runs/.x.toml: name: the file's name gives the scenario's name, and ".x" starts with '.', so its run folders would be hidden: ` + use + "; set name"},
		{"set, from any file name", "runs/exp?.toml", `name = "exp"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.Parse(tc.file, []byte(tc.line+"\n"+body))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var list scenarios.ErrorList
			if !errors.As(err, &list) || len(list) != 1 || list[0].Error() != tc.want {
				t.Fatalf("got  %.300v\nwant %s", err, tc.want)
			}
			if n := len(list[0].Detail()); n > 600 {
				t.Errorf("the problem prints %d bytes", n)
			}
		})
	}
}

// TestGridNames: a grid's name and its algorithm labels name folders too.
func TestGridNames(t *testing.T) {
	read := files(map[string]string{"line.toml": lineScenario})
	const use = "a name becomes part of a folder name under out; use letters, digits, - and _"
	rest := "seeds = [1]\nscenarios = [\"line.toml\"]\n"
	for _, tc := range []struct {
		name, file, src string
		want            string // the first problem
	}{
		{"empty name", "g.toml", "name = \"\"\n" + rest + "[algorithms.mra]\n", "g.toml:1:1: name: empty: " + use},
		{"glob in the name", "g.toml", "name = \"s*\"\n" + rest + "[algorithms.mra]\n", `g.toml:1:1: name: "s*" has a glob character (*, ?, [ or ]): ` + use},
		{"name from a hidden file", ".g.toml", rest + "[algorithms.mra]\n", `.g.toml: name: the file's name gives the grid's name, and ".g" starts with '.', so its run folders would be hidden: ` + use + "; set name"},
		{"long label", "g.toml", rest + "[algorithms." + strings.Repeat("m", 65) + "]\nname = \"mra\"\n", "g.toml:3:2: algorithms." + strings.Repeat("m", 65) + ": label of 65 bytes: a label may have at most 64 (it names folders)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.ParseGrid(tc.file, []byte(tc.src), read)
			var list scenarios.ErrorList
			if !errors.As(err, &list) || list[0].Error() != tc.want {
				t.Fatalf("got  %.300v\nwant %s", err, tc.want)
			}
		})
	}
}
