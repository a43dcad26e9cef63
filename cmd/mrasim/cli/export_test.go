package cli

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readNPY returns the float64 values of an .npy entry of an .npz archive
// written by export (version 1.0 header, '<f8').
func readNPY(t *testing.T, z *zip.Reader, name string) []float64 {
	t.Helper()
	for _, f := range z.File {
		if f.Name != name+".npy" {
			continue
		}
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		h := int(binary.LittleEndian.Uint16(b[8:]))
		if !strings.Contains(string(b[10:10+h]), "'<f8'") {
			t.Fatalf("%s: header %q, want float64", name, b[10:10+h])
		}
		body := b[10+h:]
		out := make([]float64, len(body)/8)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
		}
		return out
	}
	t.Fatalf("no %s in the archive", name)
	return nil
}

// TestExportRun exports a tiny MRA run: the archive holds meta.json naming
// the format and sizes, every network's layers, and check frames whose Go
// probabilities are distributions.
func TestExportRun(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyResource), 0o644)
	run := filepath.Join(dir, "run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet"); code != ExitOK {
		t.Fatal(errOut)
	}
	stdout, errOut, code := runCLI("export", "--run", run, "--population", "agents=4")
	if code != ExitOK || !strings.Contains(stdout, "32 check frames at agents=4") {
		t.Fatalf("export: code %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	data, err := os.ReadFile(filepath.Join(run, "policy.npz"))
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var meta map[string]any
	for _, f := range z.File {
		names = append(names, f.Name)
		if f.Name == "meta.json.npy" {
			r, _ := f.Open()
			b, _ := io.ReadAll(r)
			h := int(binary.LittleEndian.Uint16(b[8:]))
			if err := json.Unmarshal(b[10+h:], &meta); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, want := range []string{"relation.key.1.W.npy", "relation.query.0.b.npy", "policy.0.value.1.W.npy", "policy.0.head.1.b.npy", "prior.1.W.npy", "check.spec.json.npy", "check.entity_mask.npy"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("archive lacks %s; it holds %v", want, names)
		}
	}
	if meta["format"] != "mrasim-mra-policy/1" || meta["latents"] != 3.0 || meta["game"] != "resource" {
		t.Errorf("meta.json %v", meta)
	}
	probs := readNPY(t, z, "check.probs")
	if len(probs) != 32*4*5 {
		t.Fatalf("%d check probabilities, want 32 frames × 4 agents × 5 actions", len(probs))
	}
	for r := 0; r < len(probs); r += 5 {
		sum := 0.0
		for _, p := range probs[r : r+5] {
			sum += p
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("row %d of the Go player's probabilities sums to %v", r/5, sum)
		}
	}
	// resource at 4 agents: a self block and 3 other agents' blocks of 22
	// numbers each (env/particle/resource.go).
	if n := len(readNPY(t, z, "check.obs")); n != 32*4*4*22 {
		t.Errorf("%d check observation values, want 32 frames × 4 agents × 88", n)
	}
}

// TestExportRefuses checks export's usage errors.
func TestExportRefuses(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny-maddpg.toml")
	src := strings.Replace(tinyTrain, "[algo]\n", "[algo]\nname = \"maddpg\"\n", 1)
	if err := os.WriteFile(scenario, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	maddpg := filepath.Join(dir, "maddpg-run")
	if _, errOut, code := runCLI("train", scenario, "--out", maddpg, "--quiet", "--episodes", "4"); code != ExitOK {
		t.Fatal(errOut)
	}
	pooled := filepath.Join(dir, "pooled-run")
	pooledScenario := filepath.Join(dir, "tiny-pooled.toml")
	src = strings.Replace(tinyTrain, "[algo]\n", "[algo]\nvariant = \"corrected\"\nrelation_pooling = \"sum\"\n", 1)
	if err := os.WriteFile(pooledScenario, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI("train", pooledScenario, "--out", pooled, "--quiet", "--episodes", "4"); code != ExitOK {
		t.Fatal(errOut)
	}
	cases := []struct {
		args []string
		msg  string
	}{
		{nil, "want --run DIR"},
		{[]string{"--run", pooled}, `relation_pooling = "sum"; the exported policy format`},
		{[]string{"--run", filepath.Join(dir, "none")}, "no such file"},
		{[]string{"--run", dir, "extra"}, "unexpected arguments"},
		{[]string{"--run", maddpg}, "is a maddpg run; its algorithm offers no export"},
	}
	for _, c := range cases {
		_, errOut, code := runCLI(append([]string{"export"}, c.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, c.msg) {
			t.Errorf("export %v: code %d, stderr %q; want usage error with %q", c.args, code, errOut, c.msg)
		}
	}
}
