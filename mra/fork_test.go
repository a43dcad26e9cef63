package mra

import (
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"math"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/env"
)

// TestPlayerFork: copies of a player act in many game copies with one
// forward pass; each copy's actions follow the player's exact distribution
// (over a latent each copy draws afresh, never the player's own, or the
// player's fixed latent), the same seeds give the same actions, and acting
// allocates nothing once the buffers have grown.
func TestPlayerFork(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fixed [][]float64 // SetLatents before the Fork
	}{
		{"modes", nil},
		{"fixed soft latent", [][]float64{{0.2, 0.3, 0.5}}},
	} {
		t.Run(tc.name, func(t *testing.T) { testPlayerFork(t, tc.fixed) })
	}
}

func testPlayerFork(t *testing.T, fixed [][]float64) {
	cfg := DefaultConfig()
	cfg.Latents = 3
	spec := learnertest.ResourceSpec(t, 3)
	m, _ := testModel(t, cfg, spec, 1, 4)
	defer m.Close()
	p, err := NewPlayer(m, spec, [][]float64{{0.5, 0.25, 0.25}}, 9)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetLatents(fixed); err != nil {
		t.Fatal(err)
	}
	g, err := env.Make("resource", nil, spec.Population)
	if err != nil {
		t.Fatal(err)
	}
	f := env.NewFrame(spec)
	g.Reset(3, f)
	const copies, rounds = 64, 200
	c := p.Fork(copies)
	which := make([]int, copies)
	frames := make([]*env.Frame, copies)
	actions := make([][]int, copies)
	for k := range which {
		which[k], frames[k], actions[k] = k, f, make([]int, spec.NumAgents())
	}
	A := m.Features().A
	count := make([]float64, A)
	for r := range rounds {
		for k := range which {
			c.Reseed(k, uint64(r*copies+k))
		}
		c.Act(which, frames, actions)
		for k := range which {
			count[actions[k][1]]++
		}
	}
	if fixed != nil {
		for i, z := range slices.Collect(slices.Chunk(c.(*PlayerCopies).z, cfg.Latents)) {
			if !slices.Equal(z, fixed[0]) {
				t.Fatalf("copy %d agent %d plays %v, want the fixed %v", i/spec.NumAgents(), i%spec.NumAgents(), z, fixed[0])
			}
		}
	}
	want := make([]float64, A)
	p.ActionProbs(f, 1, want)
	for a := range count {
		got := count[a] / (copies * rounds)
		if se := math.Sqrt(want[a] * (1 - want[a]) / (copies * rounds)); math.Abs(got-want[a]) > 4*se+1e-9 {
			t.Errorf("P(%d): copies play %.4f, the player's distribution %.4f (se %.4f)", a, got, want[a], se)
		}
	}
	first := append([]int(nil), actions[5]...)
	c.Reseed(5, uint64((rounds-1)*copies+5))
	c.Act(which[5:6], frames[5:6], actions[5:6])
	for i := range first {
		if actions[5][i] != first[i] {
			t.Fatalf("copy 5 reseeded alike acts %v, then %v", first, actions[5])
		}
	}
	if n := testing.AllocsPerRun(10, func() { c.Act(which, frames, actions) }); n != 0 {
		t.Errorf("Act allocates %v times per call", n)
	}
}
