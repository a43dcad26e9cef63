package mra

import (
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"math"
	"testing"

	"github.com/mrasim/mrasim/env"
)

// TestPlayerActionProbs: a player's exact action distribution is the
// mixture of the modes' policies, sums to 1 and allocates nothing (the
// league calls it for every agent of every frame where NashConv is exact).
func TestPlayerActionProbs(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Latents = 3
	spec := learnertest.ResourceSpec(t, 3)
	m, _ := testModel(t, cfg, spec, 1, 4)
	defer m.Close()
	modes := [][]float64{{0.5, 0.25, 0.25}}
	p, err := NewPlayer(m, spec, modes, 9)
	if err != nil {
		t.Fatal(err)
	}
	g, err := env.Make("resource", nil, spec.Population)
	if err != nil {
		t.Fatal(err)
	}
	f := env.NewFrame(spec)
	g.Reset(3, f)
	A := m.Features().A
	got := make([]float64, A)
	p.ActionProbs(f, 1, got)
	// The mixture, mode by mode, through one-hot players.
	want := make([]float64, A)
	for k, w := range modes[0] {
		one := make([]float64, 3)
		one[k] = 1
		q, err := NewPlayer(m, spec, [][]float64{one}, 9)
		if err != nil {
			t.Fatal(err)
		}
		pk := make([]float64, A)
		q.ActionProbs(f, 1, pk)
		for a := range want {
			want[a] += w * pk[a]
		}
	}
	sum := 0.0
	for a := range got {
		sum += got[a]
		if math.Abs(got[a]-want[a]) > 1e-12 {
			t.Errorf("P(%d) = %v, the mixture of the modes gives %v", a, got[a], want[a])
		}
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("probabilities sum to %v", sum)
	}
	if n := testing.AllocsPerRun(20, func() { p.ActionProbs(f, 1, got) }); n != 0 {
		t.Errorf("ActionProbs allocates %v times per call", n)
	}
}
