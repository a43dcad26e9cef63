package mra_test

import (
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/mra"
)

// TestRelationGraphAndLatent checks what a player exposes after acting: a
// graph over its entity rows that is 0 exactly on masked blocks and sums
// to 1 elsewhere, that depends only on the observation and the latent,
// and a latent that is one-hot on the prior and the fixed one otherwise.
func TestRelationGraphAndLatent(t *testing.T) {
	// Food beyond a pac-man's sight of 0.3 is masked, so some rows are.
	g := learnertest.MustGame(t, "pacman", map[string]any{"sight": 0.3}, "pacmen=3,ghosts=2")
	spec := g.Spec()
	cfg := mra.DefaultConfig()
	model, err := mra.NewModel(cfg, replay.GameFeatures(spec), [][]float64{replay.Descriptor(spec.Population)}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	a, err := mra.NewPlayer(model, spec, nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	if a.RelationGraph(0) != nil || a.Latent(0) != nil {
		t.Fatal("graph or latent before the first Act")
	}
	f := env.NewFrame(spec)
	g.Reset(4, f)
	actions := make([]int, spec.NumAgents())
	a.Act(f, actions)
	masked := 0
	for i := range spec.NumAgents() {
		gi, mask := a.RelationGraph(i), f.AgentEntityMask(i)
		if len(gi) < len(mask) {
			t.Fatalf("agent %d: graph of %d rows for %d blocks", i, len(gi), len(mask))
		}
		sum := 0.0
		for e, w := range gi {
			present := e < len(mask) && mask[e]
			if !present {
				masked++
				if w != 0 {
					t.Errorf("agent %d row %d is masked and has weight %g", i, e, w)
				}
			}
			sum += w
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("agent %d: weights sum to %v", i, sum)
		}
		z := a.Latent(i)
		ones := 0
		for _, v := range z {
			if v == 1 {
				ones++
			} else if v != 0 {
				ones = -100
			}
		}
		if len(z) != cfg.Latents || ones != 1 {
			t.Errorf("agent %d: latent %v on the prior, want one-hot of length %d", i, z, cfg.Latents)
		}
	}
	if masked == 0 {
		t.Fatal("no masked row: the test exercises nothing")
	}
	// Two modes give two graphs; the same mode twice gives the same graph;
	// a soft latent is played as it is.
	graphOf := func(z []float64) []float64 {
		if err := a.SetLatents([][]float64{z, z}); err != nil {
			t.Fatal(err)
		}
		if a.RelationGraph(4) != nil || a.Latent(4) != nil {
			t.Error("graph or latent of the old latents after SetLatents, before the next Act")
		}
		a.Act(f, actions)
		if !slices.Equal(a.Latent(4), z) {
			t.Errorf("latent %v, want the fixed %v", a.Latent(4), z)
		}
		return slices.Clone(a.RelationGraph(4))
	}
	onehot := func(mode int) []float64 {
		z := make([]float64, cfg.Latents)
		z[mode] = 1
		return z
	}
	soft := make([]float64, cfg.Latents)
	soft[0], soft[1] = 0.5, 0.5
	g0, g1, again, gs := graphOf(onehot(0)), graphOf(onehot(1)), graphOf(onehot(0)), graphOf(soft)
	if !slices.Equal(g0, again) {
		t.Errorf("mode 0 twice gives %v and %v", g0, again)
	}
	if slices.Equal(g0, g1) {
		t.Errorf("modes 0 and 1 give the same graph %v", g0)
	}
	if slices.Equal(gs, g0) || slices.Equal(gs, g1) {
		t.Errorf("the soft latent gives the graph of a mode: %v", gs)
	}
}
