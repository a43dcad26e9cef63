package cli

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle/render"
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

func checkMAPPOExport(t *testing.T, path, game, pop string, tol float64) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	_, mj := npzEntry(t, z, "meta.json")
	var meta struct {
		Format, Encoder, Pooling string
		Hidden                   int
		Scale                    float64
		Tagged                   bool
		Features                 struct {
			Pad  int
			Sets []string
		}
	}
	if err := json.Unmarshal(mj, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Format != "mrasim-mappo-policy/1" {
		t.Fatalf("format %q", meta.Format)
	}
	arrays := map[string][]float64{}
	shapes := map[string]string{}
	for _, f := range z.File {
		name := strings.TrimSuffix(f.Name, ".npy")
		if strings.HasPrefix(name, "actor.") {
			shapes[name], _ = npzEntry(t, z, name)
			arrays[name] = readNPY(t, z, name)
		}
	}
	mlp := func(prefix string, x []float64) []float64 {
		for k := 0; ; k++ {
			w, ok := arrays[prefix+"."+itoa(k)+".W"]
			if !ok {
				return x
			}
			b := arrays[prefix+"."+itoa(k)+".b"]
			in := len(x)
			y := make([]float64, len(b))
			for o := range y {
				y[o] = b[o]
				for i := range in {
					y[o] += w[o*in+i] * x[i]
				}
			}
			if _, more := arrays[prefix+"."+itoa(k+1)+".W"]; more {
				for o := range y {
					y[o] = max(y[o], 0)
				}
			}
			x = y
		}
	}

	// The check frames and the game they were recorded in.
	p, err := env.ParsePopulation(pop)
	if err != nil {
		t.Fatal(err)
	}
	g, err := env.Make(game, map[string]any{"max_steps": 6}, p)
	if err != nil {
		t.Fatal(err)
	}
	spec := g.Spec()
	f := replay.GameFeatures(spec)
	enc, err := replay.NewEncoding(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	obs, probs := readNPY(t, z, "check.obs"), readNPY(t, z, "check.probs")
	_, maskBytes := npzEntry(t, z, "check.entity_mask")
	n, frames := spec.NumAgents(), 32
	w, ew, a := len(obs)/(frames*n), len(maskBytes)/(frames*n), len(probs)/(frames*n)
	e, d, h := enc.E, enc.D, meta.Hidden
	self, ents, present := make([]float64, d), make([]float64, e*d), make([]bool, e)
	sets := 1
	if meta.Tagged {
		sets = len(meta.Features.Sets)
	}
	var worst float64
	for fr := range frames {
		for i := range n {
			ty := spec.Type(i)
			o := obs[(fr*n+i)*w : (fr*n+i)*w+ty.ObsLen()]
			m := make([]bool, ty.Entities())
			for j := range m {
				m[j] = maskBytes[(fr*n+i)*ew+j] != 0
			}
			replay.Encode(enc, i, o, m, self, ents, present)
			prefix := "actor." + itoa(enc.Type[i])
			q := mlp(prefix+".self", self)
			keys := make([][]float64, e)
			for j := range e {
				keys[j] = mlp(prefix+".ent", ents[j*d:(j+1)*d])
			}
			feat := append([]float64(nil), q...)
			for s := range sets {
				in := make([]bool, e)
				c := 0.0
				for j := range e {
					in[j] = present[j] && (!meta.Tagged || ents[j*d+meta.Features.Pad+s] > 0.5)
					if in[j] {
						c++
					}
				}
				wts := make([]float64, e)
				if meta.Encoder == "attention" {
					top, sum := math.Inf(-1), 0.0
					for j := range e {
						if in[j] {
							for k := range h {
								wts[j] += q[k] * keys[j][k]
							}
							wts[j] *= meta.Scale
							top = max(top, wts[j])
						}
					}
					for j := range e {
						if in[j] {
							wts[j] = math.Exp(wts[j] - top)
							sum += wts[j]
						}
					}
					for j := range e {
						if in[j] {
							wts[j] /= sum
						}
					}
				} else {
					for j := range e {
						if in[j] {
							wts[j] = 1 / c
						}
					}
				}
				mu := make([]float64, h)
				for j := range e {
					if in[j] {
						for k := range h {
							mu[k] += wts[j] * keys[j][k]
						}
					}
				}
				switch meta.Pooling {
				case "sum":
					for k := range mu {
						mu[k] *= c
					}
				case "mean+logcount":
					mu = append(mu, math.Log1p(c))
				}
				feat = append(feat, mu...)
			}
			logits := mlp(prefix+".head", feat)
			top, sum := math.Inf(-1), 0.0
			for _, v := range logits {
				top = max(top, v)
			}
			for _, v := range logits {
				sum += math.Exp(v - top)
			}
			for k, v := range logits {
				got, want := math.Exp(v-top)/sum, probs[(fr*n+i)*a+k]
				worst = max(worst, math.Abs(got-want))
			}
		}
	}
	t.Logf("largest difference from the Go player's probabilities: %.3g", worst)
	if worst > tol || math.IsNaN(worst) {
		t.Errorf("the export's probabilities differ from the Go player's by up to %g (tolerance %g)", worst, tol)
	}
}

func itoa(k int) string { return strconv.Itoa(k) }
