package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunLatest checks that --run latest and --run FOLDER/latest name the
// run with the newest checkpoint, and that a folder really named latest
// is itself.
func TestRunLatest(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "runs")
	old, newer := filepath.Join(root, "a-1"), filepath.Join(root, "b-2")
	for i, run := range []string{newer, old} {
		os.MkdirAll(run, 0o755)
		ckpt := filepath.Join(run, runCheckpoint)
		os.WriteFile(ckpt, []byte("x"), 0o644)
		when := time.Date(2026, 1, 2-i, 0, 0, 0, 0, time.UTC)
		if err := os.Chtimes(ckpt, when, when); err != nil {
			t.Fatal(err)
		}
	}
	real := filepath.Join(dir, "other", "latest")
	os.MkdirAll(real, 0o755)
	for _, tc := range []struct{ run, want string }{
		{filepath.Join(root, "latest"), newer},
		{old, old},
		{real, real},
	} {
		got, err := resolveRun(tc.run)
		if err != nil || got != tc.want {
			t.Errorf("resolveRun(%s) = %q, %v; want %q", tc.run, got, err, tc.want)
		}
	}
	if _, err := resolveRun(filepath.Join(dir, "none", "latest")); err == nil || !strings.Contains(err.Error(), "no run folder") {
		t.Errorf("latest of a missing folder: %v", err)
	}

	// End to end: render the newest real run through FOLDER/latest.
	scenario := filepath.Join(dir, "res.toml")
	os.WriteFile(scenario, []byte(tinyResource), 0o644)
	runs := filepath.Join(dir, "trained")
	run := filepath.Join(runs, "res-run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "4"); code != ExitOK {
		t.Fatalf("train: code %d\n%s", code, errOut)
	}
	out, errOut, code := runCLI("render", "--run", filepath.Join(runs, "latest"), "--size", "64")
	if code != ExitOK || !strings.Contains(out, filepath.Join(run, "render-")) {
		t.Errorf("render --run FOLDER/latest: code %d\n%s%s", code, out, errOut)
	}
}
