package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/scenarios"
)

// segmentNames returns the replay segment files in run folder dir.
func segmentNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".seg") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestGlobCharactersInRunFolders: a run folder whose name holds glob
// characters trains and prunes its own replay segments only, never a
// sibling's that the name would match as a pattern.
func TestGlobCharactersInRunFolders(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyTrain), 0o644)
	sibling := filepath.Join(dir, "exp1")
	if _, errOut, code := runCLI("train", scenario, "--out", sibling, "--quiet", "--episodes", "12"); code != ExitOK {
		t.Fatalf("train %s: code %d\n%s", sibling, code, errOut)
	}
	// Its last segment (episodes 8 … 12) has a name no run of 24
	// episodes checkpointed every 8 writes.
	before := segmentNames(t, sibling)
	if len(before) == 0 {
		t.Fatal("the sibling run wrote no replay segments")
	}
	for _, name := range []string{"exp?", "exp*", "a[1", "exp[0-9]"} {
		t.Run(name, func(t *testing.T) {
			run := filepath.Join(dir, name)
			if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "24"); code != ExitOK {
				t.Fatalf("train --out %s: code %d\n%s", run, code, errOut)
			}
			if len(segmentNames(t, run)) == 0 {
				t.Errorf("%s holds no replay segments", run)
			}
			if got := segmentNames(t, sibling); strings.Join(got, " ") != strings.Join(before, " ") {
				t.Errorf("training into %s changed the sibling's segments: %v, were %v", run, got, before)
			}
		})
	}
	if _, errOut, code := runCLI("train", filepath.Join(sibling, runScenario), "--resume", "--out", sibling, "--quiet", "--episodes", "16"); code != ExitOK {
		t.Fatalf("the sibling run does not resume: code %d\n%s", code, errOut)
	}
}

// TestNewestRunTakesPathsLiterally: --resume without --out finds the run
// under an out folder whose name holds glob characters, and only there.
func TestNewestRunTakesPathsLiterally(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct{ out, want string }{
		{"runs[1", "runs[1/x-20260101-000000"},
		{"runs?", "runs?/x-20260101-000000-2"},
		{"runs*", ""},
	} {
		t.Run(tc.out, func(t *testing.T) {
			out := filepath.Join(root, tc.out)
			os.MkdirAll(out, 0o755)
			if tc.want != "" {
				for _, d := range []string{filepath.Join(root, tc.want), filepath.Join(out, "x-20260101-000000")} {
					os.MkdirAll(d, 0o755)
					os.WriteFile(filepath.Join(d, runCheckpoint), nil, 0o644)
				}
			}
			// A sibling a pattern built from out would match.
			other := filepath.Join(root, "runs1", "x-20260102-000000")
			os.MkdirAll(other, 0o755)
			os.WriteFile(filepath.Join(other, runCheckpoint), nil, 0o644)
			s := &scenarios.Scenario{Name: "x", Out: out}
			got, err := newestRun(s)
			if tc.want == "" {
				if err == nil {
					t.Errorf("found %s in an out folder without runs", got)
				}
				return
			}
			if err != nil || got != filepath.Join(root, tc.want) {
				t.Errorf("newestRun = %q, %v; want %s", got, err, filepath.Join(root, tc.want))
			}
		})
	}
}
