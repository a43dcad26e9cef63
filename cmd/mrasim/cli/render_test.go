package cli

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env/particle/render"
)

// tinyResource is a resource-occupation scenario small enough to train in
// a second.
const tinyResource = `name = "tinyres"
[game]
name = "resource"
params = { max_steps = 6 }
[train]
populations = [3]
episodes = 8
parallel_envs = 4
log_every = 4
checkpoint_every = 8
[eval]
populations = [3, 4]
episodes = 2
adapt_steps = 0
br_episodes = 0
[algo]
batch_size = 16
steps_per_update = 12
num_updates = 1
buffer_length = 500
latents = 3
`

func decodeGIF(t *testing.T, path string) *gif.GIF {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return g
}

// countColour counts the pixels of img in colour c.
func countColour(img *image.Paletted, c color.RGBA) int {
	n := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if img.At(x, y) == c {
				n++
			}
		}
	}
	return n
}

// TestRenderRandom renders random play of every particle game and checks
// one GIF frame per state: 2 episodes of at most max_steps steps, plus
// their first states.
func TestRenderRandom(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ file, pop string }{
		{"resource.toml", "agents=4"},
		{"spread.toml", "agents=3"},
		{"tag.toml", "adversaries=2,good=1"},
		{"treasure.toml", "collectors=3,deposits=2"},
		{"pacman.toml", "pacmen=2,ghosts=2"},
	} {
		out := filepath.Join(dir, strings.TrimSuffix(c.file, ".toml")+".gif")
		stdout, errOut, code := runCLI("render", filepath.Join("../../../scenarios", c.file), "--population", c.pop, "--episodes", "2", "--out", out, "--size", "128")
		if code != ExitOK {
			t.Fatalf("%s: code %d\n%s", c.file, code, errOut)
		}
		if !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stdout, "played by random") {
			t.Errorf("%s: output\n%s", c.file, stdout)
		}
		g := decodeGIF(t, out)
		// "N frames" as printed must be what the GIF holds.
		var frames int
		_, counts, _ := strings.Cut(stdout, ": ")
		if _, err := fmt.Sscanf(counts, "%d frames", &frames); err != nil {
			t.Fatalf("%s: no frame count in %q", c.file, stdout)
		}
		if len(g.Image) != frames || frames < 4 {
			t.Errorf("%s: GIF has %d frames, the command reports %d", c.file, len(g.Image), frames)
		}
		if g.Image[0].Rect.Dx() != 128 {
			t.Errorf("%s: width %d, want --size 128", c.file, g.Image[0].Rect.Dx())
		}
	}
	// Games of fixed length: exactly 2 × (6 + 1) frames.
	out := filepath.Join(dir, "fixed.gif")
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyResource), 0o644)
	if _, errOut, code := runCLI("render", scenario, "--episodes", "2", "--out", out); code != ExitOK {
		t.Fatal(errOut)
	}
	if g := decodeGIF(t, out); len(g.Image) != 14 {
		t.Errorf("2 episodes of 6 steps: %d frames, want 14", len(g.Image))
	}
	// The same seed gives the same GIF, byte for byte.
	again := filepath.Join(dir, "again.gif")
	if _, errOut, code := runCLI("render", scenario, "--episodes", "2", "--out", again); code != ExitOK {
		t.Fatal(errOut)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("two renders with the same seed differ")
	}
	// PNG frames instead.
	frames := filepath.Join(dir, "frames")
	if _, errOut, code := runCLI("render", scenario, "--frames", frames); code != ExitOK {
		t.Fatal(errOut)
	}
	names, _ := filepath.Glob(filepath.Join(frames, "*.png"))
	if len(names) != 7 || filepath.Base(names[0]) != "e001-t000.png" || filepath.Base(names[6]) != "e001-t006.png" {
		t.Errorf("frames %v, want e001-t000.png … e001-t006.png", names)
	}
	if left, _ := filepath.Glob(filepath.Join(frames, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestRenderRun trains a tiny MRA run and renders it: the frames where
// agents act show relation-graph edges (with 3 agents each attends to 2
// others, so some weight is at least 1/2, above the fixed threshold 0.1;
// an untrained run's weights are near uniform, below the default relative
// rule), the last
// state, where nobody acts, shows none; eval --render links one GIF per
// population and entry from report.md.
func TestRenderRun(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyResource), 0o644)
	run := filepath.Join(dir, "run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet"); code != ExitOK {
		t.Fatal(errOut)
	}
	stdout, errOut, code := runCLI("render", "--run", run, "--edge-threshold", "0.1")
	if code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	out := filepath.Join(run, "render-agents3.gif")
	if !strings.Contains(stdout, out) {
		t.Errorf("output %q does not name %s", stdout, out)
	}
	g := decodeGIF(t, out)
	if len(g.Image) != 7 {
		t.Fatalf("%d frames, want 7", len(g.Image))
	}
	edge := render.EdgeColour(color.RGBA{89, 89, 217, 255}) // resource agents' blue
	for k, img := range g.Image {
		n := countColour(img, edge)
		if last := k == len(g.Image)-1; last != (n == 0) {
			t.Errorf("frame %d: %d edge pixels (the last frame should have none, the others some)", k, n)
		}
	}

	report := filepath.Join(dir, "report")
	if _, errOut, code := runCLI("eval", "--run", run, "--out", report, "--quiet", "--render"); code != ExitOK {
		t.Fatalf("eval --render: code %d\n%s", code, errOut)
	}
	md, err := os.ReadFile(filepath.Join(report, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"render-run-agents3.gif", "render-random-agents3.gif", "render-run-agents4.gif", "render-random-agents4.gif"} {
		if !strings.Contains(string(md), "("+name+")") {
			t.Errorf("report.md does not link %s", name)
		}
		if g := decodeGIF(t, filepath.Join(report, name)); len(g.Image) != 7 {
			t.Errorf("%s: %d frames, want 7", name, len(g.Image))
		}
	}
	if !strings.Contains(string(md), "## Renders") {
		t.Error("report.md has no Renders section")
	}
}

// TestRenderRefusesBadInput checks that every kind of bad input exits 2
// with a message that names it, and writes nothing.
func TestRenderRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyResource), 0o644)
	out := filepath.Join(dir, "x.gif")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "want a scenario file or --run DIR"},
		{[]string{scenario, scenario}, "at most one scenario file"},
		{[]string{scenario, "--run", dir}, "not both"},
		{[]string{scenario, "--population", "agents=0"}, "--population agents=0"},
		{[]string{scenario, "--population", "wolves=3"}, "--population wolves=3"},
		{[]string{scenario, "--population", "agents=1000"}, "--population agents=1000"},
		{[]string{scenario, "--episodes", "0"}, "--episodes 0"},
		{[]string{scenario, "--size", "8"}, "size 8 pixels"},
		{[]string{scenario, "--edge-threshold", "1.5"}, "edge threshold 1.5"},
		{[]string{scenario, "--frames", dir, "--out", out}, "give one of them"},
		{[]string{scenario, "--episodes", "1000", "--size", "4096"}, "would hold 118587 MB of frames in memory (limit 1000 MB)"},
		{[]string{"../../../scenarios/volunteer.toml"}, `game "volunteer" is not a particle-world game: only particle games render`},
		{[]string{"--run", filepath.Join(dir, "nothing")}, "nothing"},
		{[]string{filepath.Join(dir, "missing.toml")}, "missing.toml"},
	} {
		args := append([]string{"render"}, c.args...)
		if len(c.args) > 0 && !strings.Contains(strings.Join(c.args, " "), "--out") && !strings.Contains(strings.Join(c.args, " "), "--frames") {
			args = append(args, "--out", out)
		}
		_, errOut, code := runCLI(args...)
		if code != ExitUsage {
			t.Errorf("%v: code %d, want %d\n%s", c.args, code, ExitUsage, errOut)
		}
		if !strings.Contains(errOut, c.want) {
			t.Errorf("%v: message %q lacks %q", c.args, errOut, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: wrote %s", c.args, out)
			os.Remove(out)
		}
	}
	// A GIF into a folder that does not exist fails (exit 1) before playing.
	if _, errOut, code := runCLI("render", scenario, "--out", filepath.Join(dir, "no", "x.gif")); code != ExitFailure || !strings.Contains(errOut, "does not exist") {
		t.Errorf("--out into a missing folder: code %d\n%s", code, errOut)
	}
	// eval --render refuses a non-particle game before evaluating.
	line := filepath.Join(dir, "line.toml")
	os.WriteFile(line, []byte(tinyTrain), 0o644)
	lineRun := filepath.Join(dir, "line-run")
	if _, errOut, code := runCLI("train", line, "--out", lineRun, "--quiet", "--episodes", "4"); code != ExitOK {
		t.Fatal(errOut)
	}
	report := filepath.Join(dir, "report")
	_, errOut, code := runCLI("eval", "--run", lineRun, "--out", report, "--quiet", "--render")
	if code != ExitUsage || !strings.Contains(errOut, `--render: game "line" is not a particle-world game`) {
		t.Errorf("eval --render of the line game: code %d\n%s", code, errOut)
	}
	if _, err := os.Stat(report); err == nil {
		t.Errorf("eval --render of the line game created %s", report)
	}
}
