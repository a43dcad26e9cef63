package cli_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The pins: outputs of mrasim recorded by the code before the learner
// interface was introduced, which every later version must reproduce bit
// for bit. testdata/pin holds the scenarios, a run folder written by that
// code (run-mra, trained with `train mra.toml --out run-mra`), and the
// recorded outputs. Regenerate them only from a commit whose behaviour is
// meant to change, with
//
//	go test ./cmd/mrasim/cli -run Pinned -update-pins
var updatePins = flag.Bool("update-pins", false, "rewrite the pinned outputs in testdata/pin")

const pinDir = "testdata/pin"

// copyTree copies the folder src into dst, file by file.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// stripVolatile removes, at every depth, the keys whose values depend on
// the machine or the folder rather than on the computation: wall times
// and run folders' paths.
func stripVolatile(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if k == "dir" || strings.HasSuffix(k, "_seconds") || k == "steps_per_second" {
				delete(x, k)
				continue
			}
			x[k] = stripVolatile(val)
		}
	case []any:
		for i := range x {
			x[i] = stripVolatile(x[i])
		}
	}
	return v
}

// canonical returns the JSON document (or, with lines, the JSON lines) in
// data without its volatile keys, indented, for a byte comparison.
func canonical(t *testing.T, data []byte, lines bool) []byte {
	t.Helper()
	docs := [][]byte{data}
	if lines {
		docs = bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	}
	var out bytes.Buffer
	for _, d := range docs {
		var v any
		if err := json.Unmarshal(d, &v); err != nil {
			t.Fatalf("%v in %s", err, d)
		}
		b, err := json.MarshalIndent(stripVolatile(v), "", " ")
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// checkPin compares got with the pinned file name (or rewrites it under
// -update-pins).
func checkPin(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(pinDir, name)
	if *updatePins {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gotPath := filepath.Join(t.TempDir(), name)
		os.WriteFile(gotPath, got, 0o644)
		t.Errorf("%s differs from the pinned output %s (got written to %s)", name, path, gotPath)
	}
}

func mustRun(t *testing.T, args ...string) {
	t.Helper()
	if _, errOut, code := run(args...); code != 0 {
		t.Fatalf("mrasim %s: code %d\n%s", strings.Join(args, " "), code, errOut)
	}
}

// TestPinnedEval evaluates the committed run folder (MRA, written by the
// code before the learner interface) beside a MADDPG run trained now from
// the pinned scenario, and compares results.json with the recorded one.
func TestPinnedEval(t *testing.T) {
	dir := t.TempDir()
	runA, runB := filepath.Join(dir, "runA"), filepath.Join(dir, "runB")
	copyTree(t, filepath.Join(pinDir, "run-mra"), runA)
	mustRun(t, "train", filepath.Join(pinDir, "maddpg.toml"), "--out", runB, "--quiet")
	mustRun(t, "eval", "--run", runA, "--run", runB, "--out", filepath.Join(dir, "rep"), "--quiet")
	got, err := os.ReadFile(filepath.Join(dir, "rep", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkPin(t, "eval-results.json", canonical(t, got, false))
}

// TestPinnedResume resumes the committed run folder for 4 more episodes per
// population and compares the metrics (without wall times) with the
// recorded ones: the old checkpoint and replay segments still load, and
// training continues as it did.
func TestPinnedResume(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	copyTree(t, filepath.Join(pinDir, "run-mra"), run)
	mustRun(t, "train", filepath.Join(run, "scenario.toml"), "--out", run, "--resume", "--episodes", "12", "--quiet")
	got, err := os.ReadFile(filepath.Join(run, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	got, logged := dropModeDiagnostics(t, got)
	if !logged {
		t.Error("the resumed run's metrics have no mode_diagnostics")
	}
	checkPin(t, "resume-metrics.jsonl", canonical(t, got, true))
}

// dropModeDiagnostics returns the JSON lines of data without their
// "mode_diagnostics" key, and whether a line had one. The diagnostics
// (gradient norms and the heads' attention spread) were added to the
// metrics after the pin was recorded and change no training number; every
// other key is still compared.
func dropModeDiagnostics(t *testing.T, data []byte) ([]byte, bool) {
	t.Helper()
	var out bytes.Buffer
	found := false
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var v map[string]json.RawMessage
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("%v in %s", err, line)
		}
		if _, ok := v["mode_diagnostics"]; ok {
			found = true
			delete(v, "mode_diagnostics")
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes(), found
}

// TestPinnedSweep runs a small sweep (MRA, MADDPG, single and random, two
// seeds) and compares sweep.json, without paths and wall times, with the
// recorded one.
func TestPinnedSweep(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"walk.toml", "grid.toml"} {
		data, err := os.ReadFile(filepath.Join(pinDir, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), data, 0o644)
	}
	out := filepath.Join(dir, "out")
	mustRun(t, "sweep", filepath.Join(dir, "grid.toml"), "--out", out, "--quiet", "--jobs", "2")
	got, err := os.ReadFile(filepath.Join(out, "sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	got = bytes.ReplaceAll(got, []byte(dir+string(filepath.Separator)), nil)
	checkPin(t, "sweep.json", canonical(t, got, false))
}
