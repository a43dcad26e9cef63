package agents_test

import (
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/examples/customenv/line"
)

func init() { line.Register() }

// TestPlayReturns checks Play's bookkeeping against the line game's rules:
// a walker's return is +1 (goal), −1 (pit) or 0 (neither before the
// horizon), and an episode lasts until every walker is done or the horizon.
func TestPlayReturns(t *testing.T) {
	g, err := env.Make("line", map[string]any{"length": int64(5), "horizon": int64(6)}, env.Population{{Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	frames := 0
	returns, lengths, err := agents.Play(g, agents.NewRandom(3), 11, 50, func(ep int, f *env.Frame, actions []int) error {
		frames++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(returns) != 50 || len(lengths) != 50 {
		t.Fatalf("%d returns and %d lengths for 50 episodes", len(returns), len(lengths))
	}
	steps := 0
	seen := map[float64]int{}
	for k, ret := range returns {
		steps += lengths[k]
		if lengths[k] < 1 || lengths[k] > 6 {
			t.Errorf("episode %d lasted %d steps, horizon 6", k, lengths[k])
		}
		for _, r := range ret {
			if r != 1 && r != -1 && r != 0 {
				t.Errorf("episode %d: return %v, want −1, 0 or 1", k, r)
			}
			seen[r]++
		}
	}
	if frames != steps+50 {
		t.Errorf("observer saw %d frames, want %d steps + 50 resets", frames, steps)
	}
	if seen[1] == 0 || seen[-1] == 0 {
		t.Errorf("50 random episodes never reached the goal or the pit: %v", seen)
	}
	// Same seeds, same returns.
	again, _, _ := agents.Play(g, agents.NewRandom(3), 11, 50, nil)
	for k := range returns {
		for i := range returns[k] {
			if again[k][i] != returns[k][i] {
				t.Fatalf("replay differs at episode %d agent %d", k, i)
			}
		}
	}
}

func TestRandomRespectsMasks(t *testing.T) {
	g, _ := env.Make("line", map[string]any{"length": int64(3)}, env.Population{{Count: 4}})
	f := env.NewFrame(g.Spec())
	p := agents.NewRandom(1)
	actions := make([]int, 4)
	counts := make([]int, 3)
	for seed := range uint64(200) {
		g.Reset(seed, f)
		p.Act(f, actions)
		for i, a := range actions {
			if !f.AgentActionMask(i)[a] {
				t.Fatalf("seed %d: agent %d chose masked action %d", seed, i, a)
			}
			counts[a]++
		}
	}
	for a, n := range counts {
		if n == 0 {
			t.Errorf("action %d never chosen", a)
		}
	}
}

func TestRandomActionProbs(t *testing.T) {
	g, _ := env.Make("line", map[string]any{"length": int64(3)}, env.Population{{Count: 2}})
	f := env.NewFrame(g.Spec())
	r := agents.NewRandom(1)
	for seed := range uint64(20) {
		g.Reset(seed, f)
		for i := range 2 {
			dst := make([]float64, 3)
			r.ActionProbs(f, i, dst)
			mask := f.AgentActionMask(i)
			legal := 0.0
			for _, ok := range mask {
				if ok {
					legal++
				}
			}
			for a, p := range dst {
				want := 0.0
				if mask[a] {
					want = 1 / legal
				}
				if p != want {
					t.Fatalf("seed %d agent %d action %d: p = %v, want %v (mask %v)", seed, i, a, p, want, mask)
				}
			}
		}
	}
}
