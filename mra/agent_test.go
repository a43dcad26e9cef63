package mra_test

import (
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/mra"
)

// TestAgentActionProbsMatchSampling checks the exact action distribution of
// an agent on the prior against the frequencies of its sampled actions
// (fresh latents every episode), on a two-type game.
func TestAgentActionProbsMatchSampling(t *testing.T) {
	g := learnertest.MustGame(t, "tag", nil, "adversaries=2,good=1")
	spec := g.Spec()
	f := replay.GameFeatures(spec)
	cfg := mra.DefaultConfig()
	model, err := mra.NewModel(cfg, f, [][]float64{replay.Descriptor(spec.Population)}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	a, err := mra.NewAgent(model, spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	fr := env.NewFrame(spec)
	g.Reset(4, fr)
	exact := make([][]float64, 3)
	for i := range exact {
		exact[i] = make([]float64, 5)
		a.ActionProbs(fr, i, exact[i])
		sum := 0.0
		for _, p := range exact[i] {
			sum += p
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("agent %d: probabilities sum to %v", i, sum)
		}
	}
	const draws = 20000
	counts := make([][]float64, 3)
	for i := range counts {
		counts[i] = make([]float64, 5)
	}
	actions := make([]int, 3)
	for range draws {
		a.Act(fr, actions) // T = 0: a fresh latent per call
		for i, act := range actions {
			counts[i][act]++
		}
	}
	for i := range counts {
		for c := range counts[i] {
			p := counts[i][c] / draws
			if math.Abs(p-exact[i][c]) > 4*math.Sqrt(exact[i][c]*(1-exact[i][c])/draws)+1e-3 {
				t.Errorf("agent %d action %d: sampled %.4f, exact %.4f", i, c, p, exact[i][c])
			}
		}
	}
	// A fixed one-hot latent gives that mode's distribution alone, which
	// differs from the prior mixture.
	if err := a.FixLatents([]float64{1, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	mode0 := make([]float64, 5)
	a.ActionProbs(fr, 0, mode0)
	diff := 0.0
	for c := range mode0 {
		diff += math.Abs(mode0[c] - exact[0][c])
	}
	if diff < 1e-9 {
		t.Error("a fixed latent gave the prior mixture's distribution")
	}
}
