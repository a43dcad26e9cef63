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

// TestPlayerActionProbsMatchSampling checks a player's exact action
// distribution against the frequencies of its sampled actions (fresh
// latents every episode), on a two-type game: on the prior, and with one
// type on a fixed soft latent (SetLatents) beside the other on the prior.
// A fixed latent's distribution is that latent's policy alone, not the
// prior mixture, and makes its type Markov.
func TestPlayerActionProbsMatchSampling(t *testing.T) {
	g := learnertest.MustGame(t, "tag", nil, "adversaries=2,good=1")
	spec := g.Spec()
	f := replay.GameFeatures(spec)
	cfg := mra.DefaultConfig()
	model, err := mra.NewModel(cfg, f, [][]float64{replay.Descriptor(spec.Population)}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	fr := env.NewFrame(spec)
	g.Reset(4, fr)
	soft := []float64{0.1, 0.3, 0, 0.2, 0.15, 0.25}
	var prior [][]float64 // per agent, the exact distribution on the prior
	for _, tc := range []struct {
		name    string
		perType [][]float64
		markov  bool
	}{
		{"prior", nil, false},
		{"adversaries fixed soft, good on the prior", [][]float64{soft, nil}, false},
		{"both fixed", [][]float64{soft, {0, 0, 0, 0, 0, 1}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := mra.NewPlayer(model, spec, nil, 3)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.SetLatents(tc.perType); err != nil {
				t.Fatal(err)
			}
			if a.Markov() != tc.markov {
				t.Errorf("Markov() = %v, want %v", a.Markov(), tc.markov)
			}
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
			scratch := make([]float64, 5)
			if n := testing.AllocsPerRun(20, func() { a.ActionProbs(fr, 0, scratch) }); n != 0 {
				t.Errorf("ActionProbs allocates %v times per call", n)
			}
			if tc.perType == nil {
				prior = exact
			} else {
				// The adversaries (agents 0 and 1) play the soft latent's
				// distribution, not the prior mixture.
				diff := 0.0
				for c := range exact[0] {
					diff += math.Abs(exact[0][c] - prior[0][c])
				}
				if diff < 1e-6 {
					t.Error("a fixed latent gave the prior mixture's distribution")
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
		})
	}
}
