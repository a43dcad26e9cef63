package render_test

import (
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/env/particle/render"
)

// attention fills ov with one edge from every agent to every other agent
// of resource occupation, weighted like an attention: a softmax of
// logits drawn from N(0, 2²), so that a few weights per agent pass the
// threshold, plus a latent label per agent.
func attention(ov *render.Overlay, n int, rng *rand.Rand) {
	ov.Edges, ov.Labels = ov.Edges[:0], ov.Labels[:0]
	logits := make([]float64, n)
	for i := range n {
		sum := 0.0
		for j := range n {
			logits[j] = math.Exp(2 * rng.NormFloat64())
			if j != i {
				sum += logits[j]
			}
		}
		for j := range n {
			if j != i {
				ov.Edges = append(ov.Edges, render.Edge{From: i, To: j, Weight: logits[j] / sum})
			}
		}
		ov.Labels = append(ov.Labels, fmt.Sprintf("z%d", i%6))
	}
	ov.Caption = []string{"resource agents=24  episode 1/1  step 12/25", "agents: reward +0.412  return +5.120"}
}

// benchScene returns resource occupation with n agents after a reset, and
// an attention overlay.
func benchScene(n int, seed uint64) (*particle.Scene, *render.Overlay) {
	g, err := env.Make(particle.ResourceName, nil, env.Population{{Count: n}})
	if err != nil {
		panic(err)
	}
	g.Reset(seed, env.NewFrame(g.Spec()))
	s := &particle.Scene{}
	g.(particle.Viewer).Scene(s)
	ov := &render.Overlay{}
	attention(ov, n, rand.New(rand.NewPCG(seed, 1)))
	return s, ov
}

// BenchmarkRenderFrame draws one frame of 24 agents and 6 resources with
// 552 attention edges (those above the threshold drawn), labels and a
// caption.
func BenchmarkRenderFrame(b *testing.B) {
	s, ov := benchScene(24, 1)
	r, _ := render.New(render.Options{CaptionLines: 2})
	img := r.NewImage()
	b.ReportAllocs()
	for b.Loop() {
		r.Draw(img, s, ov)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkRenderEpisodeGIF renders a whole 25-step episode of resource
// occupation at N = 24 as mrasim render does (a new image per state, 26
// in all, with attention overlays) and encodes the GIF; one op is one
// episode, without the cost of the policy.
func BenchmarkRenderEpisodeGIF(b *testing.B) {
	const n = 24
	g, err := env.Make(particle.ResourceName, map[string]any{"max_steps": int64(25)}, env.Population{{Count: n}})
	if err != nil {
		b.Fatal(err)
	}
	r, _ := render.New(render.Options{CaptionLines: 2})
	f := env.NewFrame(g.Spec())
	actions := make([]int, n)
	rng := rand.New(rand.NewPCG(1, 2))
	var s particle.Scene
	ov := &render.Overlay{}
	b.ReportAllocs()
	for b.Loop() {
		g.Reset(rng.Uint64(), f)
		var frames []*image.Paletted
		for {
			g.(particle.Viewer).Scene(&s)
			attention(ov, n, rng)
			img := r.NewImage()
			r.Draw(img, &s, ov)
			frames = append(frames, img)
			if f.Done() {
				break
			}
			for i := range actions {
				actions[i] = rng.IntN(particle.NumActions)
			}
			g.Step(actions, f)
		}
		if err := render.WriteGIF(io.Discard, frames, 10); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/episode")
}
