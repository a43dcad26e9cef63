package cli

import (
	"fmt"
	"image/color"
	"math"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/env/particle/render"
)

// knownGraph is a policy with a relation graph chosen by the test: every
// agent stays put, agent 0 puts all its weight on entity row `row`, and
// every agent plays latent mode 2 of 4.
type knownGraph struct {
	n, rows, row int
}

func (p *knownGraph) Act(_ *env.Frame, actions []int) { clear(actions) }

func (p *knownGraph) RelationGraph(i int) []float64 {
	g := make([]float64, p.rows)
	if i == 0 {
		g[p.row] = 1
	}
	return g
}

func (p *knownGraph) Latent(int) []float64 { return []float64{0, 0.1, 0.8, 0.1} }

// TestRelationGraphRowsMapToEntities checks the glue between a policy's
// graph rows and the world: in spread, agent 0 observes the 3 landmarks
// (rows 0–2) and then agents 1 and 2 (rows 3–4), so all weight on row r
// must draw exactly one edge, from agent 0 to the entity of row r, and
// every live agent gets the label of its latent's largest mode.
func TestRelationGraphRowsMapToEntities(t *testing.T) {
	g, err := env.Make(particle.SpreadName, nil, env.Population{{Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	sp := g.(*particle.Spread)
	f := env.NewFrame(g.Spec())
	g.Reset(1, f)
	// Placed so that the middle of every band from agent 0 is clear of
	// the other bands and of every entity.
	for e, p := range [][2]float64{{-0.8, 0.6}, {-0.8, -0.6}, {-0.2, 0}, {0.8, 0.7}, {0.8, 0}, {0.8, -0.7}} {
		sp.World().Place(e, p[0], p[1], 0, 0)
	}
	wantTo := []int{3, 4, 5, 1, 2} // row → scene entity
	for row, to := range wantTo {
		policy := &knownGraph{n: 3, rows: 5, row: row}
		ep, err := newEpisodeRenderer(render.Options{}, defaultEdgeFactor, g, policy, "known")
		if err != nil {
			t.Fatal(err)
		}
		ep.policy.Act(f, make([]int, 3))
		ep.view.Scene(&ep.scene)
		ep.describe(f, make([]float64, 3), 0, 1, true)
		for i, l := range ep.overlay.Labels {
			if want := fmt.Sprintf("%d z2", i); l != want {
				t.Errorf("agent %d label %q, want %q", i, l, want)
			}
		}
		img := ep.r.NewImage()
		ep.r.Draw(img, &ep.scene, &ep.overlay)
		edge := render.EdgeColour(color.RGBA{89, 89, 217, 255})
		for cand := 1; cand < 6; cand++ {
			x0, y0 := ep.r.Pixel(ep.scene.Entities[0].X, ep.scene.Entities[0].Y)
			x1, y1 := ep.r.Pixel(ep.scene.Entities[cand].X, ep.scene.Entities[cand].Y)
			l := math.Hypot(x1-x0, y1-y0)
			nx, ny := -(y1-y0)/l, (x1-x0)/l
			px, py := (x0+x1)/2+nx*4.5, (y0+y1)/2+ny*4.5 // the middle of an 8-pixel band
			drawn := img.At(int(px), int(py)) == edge
			if drawn != (cand == to) {
				t.Errorf("weight 1 on row %d: edge to entity %d drawn %v, want an edge to entity %d only", row, cand, drawn, to)
			}
		}
	}
}

// fixedGraph is a policy whose every agent has relation graph g.
type fixedGraph struct{ g []float64 }

func (p *fixedGraph) Act(_ *env.Frame, actions []int) { clear(actions) }
func (p *fixedGraph) RelationGraph(int) []float64     { return p.g }
func (p *fixedGraph) Latent(int) []float64            { return nil }

// TestEdgesRelativeToUniformAttention checks the default edge rule: among
// 6 agents of resource, each attending to the 5 others, uniform weights
// (0.2) draw no edge, one weight of 0.3 (above 1.25 × 1/5) draws one edge
// per agent, and a fixed threshold of 0.1 draws all 30.
func TestEdgesRelativeToUniformAttention(t *testing.T) {
	g, err := env.Make(particle.ResourceName, nil, env.Population{{Count: 6}})
	if err != nil {
		t.Fatal(err)
	}
	f := env.NewFrame(g.Spec())
	g.Reset(1, f)
	uniform := []float64{0.2, 0.2, 0.2, 0.2, 0.2}
	peaked := []float64{0.3, 0.175, 0.175, 0.175, 0.175}
	for _, tc := range []struct {
		name   string
		graph  []float64
		factor float64
		want   int
	}{
		{"uniform, relative", uniform, defaultEdgeFactor, 0},
		{"peaked, relative", peaked, defaultEdgeFactor, 6},
		{"uniform, fixed 0.1", uniform, 0, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := render.Options{}
			if tc.factor == 0 {
				opts.EdgeThreshold = 0.1
			}
			ep, err := newEpisodeRenderer(opts, tc.factor, g, &fixedGraph{g: tc.graph}, "fixed")
			if err != nil {
				t.Fatal(err)
			}
			ep.view.Scene(&ep.scene)
			ep.describe(f, make([]float64, 6), 0, 1, true)
			drawn := 0
			for _, e := range ep.overlay.Edges {
				if e.Weight > 0.1 || tc.factor > 0 {
					drawn++
				}
			}
			if drawn != tc.want {
				t.Errorf("%d edges, want %d", drawn, tc.want)
			}
		})
	}
}

// TestFramesNumberAgentsAndLabelResources checks that random play numbers
// the agents and that resources carry their value (10 × size).
func TestFramesNumberAgentsAndLabelResources(t *testing.T) {
	g, err := env.Make(particle.ResourceName, map[string]any{"resources": int64(3)}, env.Population{{Count: 2}})
	if err != nil {
		t.Fatal(err)
	}
	f := env.NewFrame(g.Spec())
	g.Reset(1, f)
	ep, err := newEpisodeRenderer(render.Options{}, defaultEdgeFactor, g, &fixedGraph{}, "random")
	if err != nil {
		t.Fatal(err)
	}
	ep.inspect = nil // as a random player
	ep.view.Scene(&ep.scene)
	ep.describe(f, make([]float64, 2), 0, 1, true)
	if got := fmt.Sprint(ep.overlay.Labels); got != "[0 1]" {
		t.Errorf("agent labels %s, want [0 1]", got)
	}
	var values []string
	for _, e := range ep.scene.Entities[2:] {
		values = append(values, e.Label)
	}
	if got := fmt.Sprint(values); got != "[0.5 1 1.5]" {
		t.Errorf("resource labels %s, want [0.5 1 1.5]", got)
	}
}
