package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainRefusesBadNamesBeforeWriting: a scenario name that cannot be one
// folder name is refused by validate and by train before anything is
// written, in a message of bounded size (a 1 MB name used to pass validate
// and make train fail at mkdir, echoing the megabyte).
func TestTrainRefusesBadNamesBeforeWriting(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"a megabyte", strings.Repeat("n", 1_000_000), "name: 1000000 bytes long: a name may have at most 64"},
		{"empty", "", "name: empty"},
		{"dot", ".", `name: "." starts with '.'`},
		{"newline", `a\nb`, `name: "a\nb" has an unprintable character`},
		{"glob", "exp?", `name: "exp?" has a glob character`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "runs")
			file := filepath.Join(dir, "s.toml")
			src := "name = \"" + tc.value + "\"\nout = \"" + out + "\"\n" + tinyTrain
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"validate", "train"} {
				stdout, stderr, code := runCLI(cmd, file)
				if code != ExitUsage || !strings.Contains(stderr, tc.want) {
					t.Errorf("%s: exit %d, stderr %.300q, want exit %d and %q", cmd, code, stderr, ExitUsage, tc.want)
				}
				if n := len(stdout) + len(stderr); n > 2000 {
					t.Errorf("%s printed %d bytes", cmd, n)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("train wrote %s (%v)", out, err)
			}
		})
	}
}
