package cli

import (
	"archive/zip"
	"bytes"
	stdcontext "context"
	"encoding/binary"
	"encoding/json"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle/render"
	"github.com/mrasim/mrasim/league/natsrun"
	"github.com/mrasim/mrasim/league/sweep"
	"github.com/mrasim/mrasim/scenarios"
)

// tinyMAPPO is a MAPPO scenario of resource small enough to train in a
// second; algo is appended to its [algo] table.
func tinyMAPPO(game, pops, algo string) string {
	return `name = "tinymappo"
[game]
name = "` + game + `"
params = { max_steps = 6 }
[train]
populations = ` + pops + `
episodes = 8
parallel_envs = 4
log_every = 4
checkpoint_every = 8
[eval]
episodes = 2
adapt_steps = 0
br_episodes = 0
[algo]
name = "mappo"
hidden = 8
epochs = 2
` + algo
}

// trainTinyMAPPO trains the scenario src into dir/run and returns the run.
func trainTinyMAPPO(t *testing.T, dir, src string) string {
	t.Helper()
	scenario := filepath.Join(dir, "tiny.toml")
	if err := os.WriteFile(scenario, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet"); code != ExitOK {
		t.Fatal(errOut)
	}
	return run
}

// TestRenderMAPPOAttention: a MAPPO run with an attention encoder renders
// with its attention graphs (edges in every frame where agents act, none
// in the last), a Deep-Sets one without any.
func TestRenderMAPPOAttention(t *testing.T) {
	edge := render.EdgeColour(color.RGBA{89, 89, 217, 255}) // resource agents' blue
	for _, tc := range []struct {
		encoder string
		edges   bool
	}{{"attention", true}, {"deepsets", false}} {
		t.Run(tc.encoder, func(t *testing.T) {
			run := trainTinyMAPPO(t, t.TempDir(), tinyMAPPO("resource", "[3]", `encoder = "`+tc.encoder+`"`+"\n"))
			if _, errOut, code := runCLI("render", "--run", run, "--edge-threshold", "0.1"); code != ExitOK {
				t.Fatalf("code %d\n%s", code, errOut)
			}
			g := decodeGIF(t, filepath.Join(run, "render-agents3.gif"))
			if len(g.Image) != 7 {
				t.Fatalf("%d frames, want 7", len(g.Image))
			}
			for k, img := range g.Image {
				n := countColour(img, edge)
				if want := tc.edges && k < len(g.Image)-1; want != (n > 0) {
					t.Errorf("frame %d: %d edge pixels, want edges %v", k, n, want)
				}
			}
		})
	}
}

// TestExportMAPPO exports MAPPO runs (resource with an attention encoder
// in float32; tag, two agent types and three entity sets, with Deep Sets
// in float64) and recomputes, from the archive alone, the action
// probabilities of the Go player on the recorded frames, following the
// forward pass mappo.ExportPolicy documents: they must agree to 1e-9
// (float64) or 1e-5 (float32, whose actor rounds every sum).
func TestExportMAPPO(t *testing.T) {
	for _, tc := range []struct {
		name, game, pops, algo, pop string
		tol                         float64
	}{
		{"resource attention float32", "resource", "[3]", "encoder = \"attention\"\npooling = \"sum\"\nprecision = \"float32\"\n", "agents=4", 1e-5},
		{"tag deepsets float64", "tag", `["adversaries=2,good=1"]`, "", "adversaries=3,good=2", 1e-9},
		{"tag attention float64", "tag", `["adversaries=2,good=1"]`, "encoder = \"attention\"\n", "adversaries=2,good=2", 1e-9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := trainTinyMAPPO(t, t.TempDir(), tinyMAPPO(tc.game, tc.pops, tc.algo))
			stdout, errOut, code := runCLI("export", "--run", run, "--population", tc.pop)
			if code != ExitOK || !strings.Contains(stdout, "mappo policy of game "+tc.game) || !strings.Contains(stdout, "32 check frames at "+tc.pop) {
				t.Fatalf("export: code %d, stdout %q, stderr %q", code, stdout, errOut)
			}
			checkMAPPOExport(t, filepath.Join(run, "policy.npz"), tc.game, tc.pop, tc.tol)
		})
	}
}

// npzEntry returns the body of an .npy entry and its header.
func npzEntry(t *testing.T, z *zip.Reader, name string) (string, []byte) {
	t.Helper()
	for _, f := range z.File {
		if f.Name == name+".npy" {
			r, _ := f.Open()
			b, _ := io.ReadAll(r)
			h := int(binary.LittleEndian.Uint16(b[8:]))
			return string(b[10 : 10+h]), b[10+h:]
		}
	}
	t.Fatalf("no %s in the archive", name)
	return "", nil
}

// exportedActor is a MAPPO export read back: its meta.json and arrays.
type exportedActor struct {
	Format, Encoder, Pooling string
	Hidden                   int
	Scale                    float64
	Tagged                   bool
	Features                 struct {
		Pad  int
		Sets []string
	}
	arrays map[string][]float64
}

// readExportedActor reads the meta.json and actor arrays of archive z.
func readExportedActor(t *testing.T, z *zip.Reader) *exportedActor {
	t.Helper()
	_, mj := npzEntry(t, z, "meta.json")
	x := &exportedActor{arrays: map[string][]float64{}}
	if err := json.Unmarshal(mj, x); err != nil {
		t.Fatal(err)
	}
	if x.Format != "mrasim-mappo-policy/1" {
		t.Fatalf("format %q", x.Format)
	}
	for _, f := range z.File {
		if name := strings.TrimSuffix(f.Name, ".npy"); strings.HasPrefix(name, "actor.") {
			x.arrays[name] = readNPY(t, z, name)
		}
	}
	return x
}

// mlp applies the exported MLP prefix (ReLU between layers) to x.
func (x *exportedActor) mlp(prefix string, in []float64) []float64 {
	for k := 0; ; k++ {
		w, ok := x.arrays[prefix+"."+itoa(k)+".W"]
		if !ok {
			return in
		}
		b := x.arrays[prefix+"."+itoa(k)+".b"]
		y := make([]float64, len(b))
		for o := range y {
			y[o] = b[o]
			for i, v := range in {
				y[o] += w[o*len(in)+i] * v
			}
		}
		if _, more := x.arrays[prefix+"."+itoa(k+1)+".W"]; more {
			for o := range y {
				y[o] = max(y[o], 0)
			}
		}
		in = y
	}
}

// pool returns one entity set's features: the weights (uniform, or the
// softmax of scale·q·k_j) over the rows in the set, their mean of the
// keys and the pooling mode's features.
func (x *exportedActor) pool(q []float64, keys [][]float64, in []bool) []float64 {
	h := len(q)
	c := 0.0
	for _, ok := range in {
		if ok {
			c++
		}
	}
	wts := make([]float64, len(keys))
	if x.Encoder == "attention" {
		top, sum := math.Inf(-1), 0.0
		for j := range keys {
			if in[j] {
				for k := range h {
					wts[j] += q[k] * keys[j][k]
				}
				wts[j] *= x.Scale
				top = max(top, wts[j])
			}
		}
		for j := range keys {
			if in[j] {
				wts[j] = math.Exp(wts[j] - top)
				sum += wts[j]
			}
		}
		for j := range keys {
			if in[j] {
				wts[j] /= sum
			}
		}
	} else {
		for j := range keys {
			if in[j] {
				wts[j] = 1 / c
			}
		}
	}
	mu := make([]float64, h)
	for j := range keys {
		if in[j] {
			for k := range h {
				mu[k] += wts[j] * keys[j][k]
			}
		}
	}
	switch x.Pooling {
	case "sum":
		for k := range mu {
			mu[k] *= c
		}
	case "mean+logcount":
		mu = append(mu, math.Log1p(c))
	}
	return mu
}

// probs returns the action probabilities of an agent of type ty from its
// encoded rows, as mappo.ExportPolicy documents the forward pass.
func (x *exportedActor) probs(ty int, self, ents []float64, present []bool, e, d int) []float64 {
	prefix := "actor." + itoa(ty)
	q := x.mlp(prefix+".self", self)
	keys := make([][]float64, e)
	for j := range e {
		keys[j] = x.mlp(prefix+".ent", ents[j*d:(j+1)*d])
	}
	feat := append([]float64(nil), q...)
	sets := 1
	if x.Tagged {
		sets = len(x.Features.Sets)
	}
	for s := range sets {
		in := make([]bool, e)
		for j := range e {
			in[j] = present[j] && (!x.Tagged || ents[j*d+x.Features.Pad+s] > 0.5)
		}
		feat = append(feat, x.pool(q, keys, in)...)
	}
	logits := x.mlp(prefix+".head", feat)
	top, sum := math.Inf(-1), 0.0
	for _, v := range logits {
		top = max(top, v)
	}
	for _, v := range logits {
		sum += math.Exp(v - top)
	}
	out := make([]float64, len(logits))
	for k, v := range logits {
		out[k] = math.Exp(v-top) / sum
	}
	return out
}

// checkMAPPOExport recomputes from the archive at path the probabilities
// of the check frames recorded at pop of game and compares them with the
// Go player's, within tol.
func checkMAPPOExport(t *testing.T, path, game, pop string, tol float64) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	x := readExportedActor(t, z)
	p, err := env.ParsePopulation(pop)
	if err != nil {
		t.Fatal(err)
	}
	g, err := env.Make(game, map[string]any{"max_steps": 6}, p)
	if err != nil {
		t.Fatal(err)
	}
	spec := g.Spec()
	enc, err := replay.NewEncoding(replay.GameFeatures(spec), spec)
	if err != nil {
		t.Fatal(err)
	}
	obs, probs := readNPY(t, z, "check.obs"), readNPY(t, z, "check.probs")
	_, maskBytes := npzEntry(t, z, "check.entity_mask")
	n, frames := spec.NumAgents(), 32
	w, ew, a := len(obs)/(frames*n), len(maskBytes)/(frames*n), len(probs)/(frames*n)
	e, d := enc.E, enc.D
	self, ents, present := make([]float64, d), make([]float64, e*d), make([]bool, e)
	var worst float64
	for fr := range frames {
		for i := range n {
			ty := spec.Type(i)
			m := make([]bool, ty.Entities())
			for j := range m {
				m[j] = maskBytes[(fr*n+i)*ew+j] != 0
			}
			replay.Encode(enc, i, obs[(fr*n+i)*w:(fr*n+i)*w+ty.ObsLen()], m, self, ents, present)
			for k, got := range x.probs(enc.Type[i], self, ents, present, e, d) {
				worst = max(worst, math.Abs(got-probs[(fr*n+i)*a+k]))
			}
		}
	}
	t.Logf("largest difference from the Go player's probabilities: %.3g", worst)
	if worst > tol || math.IsNaN(worst) {
		t.Errorf("the export's probabilities differ from the Go player's by up to %g (tolerance %g)", worst, tol)
	}
}

func itoa(k int) string { return strconv.Itoa(k) }

// mappoSweepScenario is sweepScenario without its [algo] table: a grid
// of several algorithms sets each one's keys in its own table.
var mappoSweepScenario = sweepScenario[:strings.Index(sweepScenario, "[algo]")]

// mappoSweepGrid is sweepGrid's MRA row (its keys from sweepScenario's
// [algo]) and a MAPPO row.
const mappoSweepGrid = `seeds = [1, 2]
scenarios = ["walk.toml"]
[algorithms.mra]
batch_size = 32
steps_per_update = 20
num_updates = 2
buffer_length = 2000
latents = 2
resamples = 2
[algorithms.mappo]
hidden = 8
epochs = 2
[eval]
seen = [2, 3]
unseen = [5]
episodes = 6
adapt_steps = 1
adapt_episodes = 2
br_episodes = 0
`

// TestSweepMAPPORow runs a grid with a MAPPO row through `mrasim sweep`
// (16 episodes per population) and checks its rows, then runs the same
// grid's training and evaluation jobs on two workers of an embedded NATS
// server: the rows and every run's results.json equal the local sweep's.
func TestSweepMAPPORow(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "walk.toml"), []byte(mappoSweepScenario), 0o644)
	grid := filepath.Join(dir, "grid.toml")
	os.WriteFile(grid, []byte(mappoSweepGrid), 0o644)
	out := filepath.Join(dir, "cmd")
	stdout, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--jobs", "2")
	if code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	for _, f := range []string{"walk/mappo/seed-1/eval/results.json", "walk/mappo/seed-2/train.log", "sweep.csv"} {
		if !exists(filepath.Join(out, f)) {
			t.Errorf("missing %s", f)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(out, "sweep.csv"))
	for _, pop := range []string{"walkers=2", "walkers=3", "walkers=5"} {
		if !strings.Contains(string(csv), "walk,"+pop) || !regexpRow(string(csv), pop, "mappo") {
			t.Errorf("sweep.csv has no mappo row at %s:\n%s", pop, csv)
		}
	}
	if !strings.Contains(stdout, "mappo") {
		t.Errorf("the sweep's table names no mappo row:\n%s", stdout)
	}

	c := &context{stdout: io.Discard, stderr: io.Discard}
	bg := stdcontext.Background()
	local, err := c.sweep(bg, mappoSweepPlan(t, dir, "local"), sweepSettings{jobs: 2, workers: 1, quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("no server")
	}
	ctx, cancel := stdcontext.WithCancel(bg)
	defer cancel()
	for _, name := range []string{"a", "b"} {
		nc, err := natsrun.Connect(natsrun.Dial{URL: srv.ClientURL()})
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		go (&natsrun.Worker{Conn: nc, Settings: natsrun.DefaultSettings(), Name: name}).Serve(ctx)
	}
	nc, err := natsrun.Connect(natsrun.Dial{URL: srv.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	remote, err := c.sweep(bg, mappoSweepPlan(t, dir, "remote"), sweepSettings{jobs: 2, workers: 1, quiet: true, remote: &natsrun.Runner{Conn: nc, Settings: natsrun.DefaultSettings()}})
	if err != nil {
		t.Fatal(err)
	}
	mappoRuns := 0
	for i, r := range remote.Runs {
		if !r.Finished || r.Episodes != 16 {
			t.Errorf("through NATS: %+v", r)
		}
		if strings.Contains(r.Dir, string(filepath.Separator)+"mappo"+string(filepath.Separator)) {
			mappoRuns++
		}
		a, _ := os.ReadFile(filepath.Join(local.Runs[i].Dir, "eval", "results.json"))
		b, _ := os.ReadFile(filepath.Join(r.Dir, "eval", "results.json"))
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("%s: results.json differs from the local sweep's:\n%s\n%s", r.Dir, a, b)
		}
	}
	if mappoRuns != 2 {
		t.Errorf("%d MAPPO runs went through NATS, want 2 (one per seed)", mappoRuns)
	}
	if !reflect.DeepEqual(remote.Rows, local.Rows) {
		t.Errorf("rows differ from the local sweep's:\n%+v\n%+v", remote.Rows, local.Rows)
	}
}

// mappoSweepPlan is the plan of mappoSweepGrid in dir (whose walk.toml
// is mappoSweepScenario), its runs under dir/out.
func mappoSweepPlan(t *testing.T, dir, out string) *sweep.Plan {
	t.Helper()
	g, err := scenarios.LoadGrid(filepath.Join(dir, "grid.toml"))
	if err != nil {
		t.Fatal(err)
	}
	p := planOf(g)
	p.Out = filepath.Join(dir, out)
	return p
}

// regexpRow reports whether a line of csv holds pop and then algo.
func regexpRow(csv, pop, algo string) bool {
	for _, line := range strings.Split(csv, "\n") {
		if i := strings.Index(line, pop); i >= 0 && strings.Contains(line[i:], ","+algo+",") {
			return true
		}
	}
	return false
}

// TestCurriculumThroughTheCommand trains a MAPPO scenario of three
// populations under train.curriculum = "doubling" with `mrasim train`,
// stopped partway and resumed: the resumed run's metrics equal the
// uninterrupted run's line for line (the curriculum column included), the
// populations join smallest first, and curves.png is written.
func TestCurriculumThroughTheCommand(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(tinyMAPPO("resource", "[4, 2, 3]", ""), "episodes = 8\nparallel_envs = 4\nlog_every = 4\n",
		"episodes = 48\nparallel_envs = 2\nlog_every = 2\ncurriculum = \"doubling\"\ncurriculum_window = 2\n", 1)
	scenario := filepath.Join(dir, "cur.toml")
	if err := os.WriteFile(scenario, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	whole, part := filepath.Join(dir, "whole"), filepath.Join(dir, "part")
	for _, args := range [][]string{
		{"train", scenario, "--out", whole, "--quiet"},
		{"train", scenario, "--out", part, "--quiet", "--episodes", "14"},
		{"train", scenario, "--out", part, "--quiet", "--resume", "--episodes", "48"},
	} {
		if _, errOut, code := runCLI(args...); code != ExitOK {
			t.Fatalf("%v: code %d\n%s", args, code, errOut)
		}
	}
	a, b := readMetrics(t, filepath.Join(whole, "metrics.jsonl")), readMetrics(t, filepath.Join(part, "metrics.jsonl"))
	if len(a) != 24 || len(b) != len(a) {
		t.Fatalf("%d and %d metrics lines, want 24", len(a), len(b))
	}
	var joined []any
	for i := range a {
		for _, m := range []map[string]any{a[i], b[i]} {
			delete(m, "wall_seconds")
			delete(m, "steps_per_second")
		}
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Fatalf("line %d differs:\n%v\n%v", i+1, a[i], b[i])
		}
		cur, _ := a[i]["curriculum"].([]any)
		if len(cur) > len(joined) {
			joined = cur
		}
	}
	if !reflect.DeepEqual(joined, []any{"agents=2", "agents=3", "agents=4"}) {
		t.Errorf("the populations joined as %v, want agents=2, agents=3, agents=4", joined)
	}
	if !exists(filepath.Join(whole, "curves.png")) {
		t.Error("no curves.png")
	}
}
