package matrix_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/envtest"
	"github.com/mrasim/mrasim/env/matrix"
)

func TestRepeatedVolunteerConformance(t *testing.T) {
	for _, n := range []int{2, 5, 64} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			envtest.Check(t, func() (env.Game, error) {
				return env.Make(matrix.RepeatedVolunteerName, map[string]any{"rounds": int64(4)}, env.Population{{Count: n}})
			})
		})
	}
}

// reactive volunteers with a probability that depends on the round and on
// last round's count, read from the observation (a Markov policy).
func reactive(f *env.Frame, j int, dst []float64) {
	obs := f.AgentObs(j)
	p := 0.2 + 0.5*obs[5] + 0.1*obs[4] + 0.03*float64(j)
	if obs[6] == 1 {
		p = 0.35
	}
	dst[0], dst[1] = 1-p, p
}

// expected returns agent i's expected return from the game's current state
// by enumerating every joint action of every remaining round, when agent i
// plays mine(state) and the others play reactive.
func expected(t *testing.T, g *matrix.RepeatedVolunteer, i int, mine func(f *env.Frame) []float64) float64 {
	f := env.NewFrame(g.Spec())
	g.Observe(f)
	if f.Done() {
		return 0
	}
	n := g.Spec().NumAgents()
	state := g.AppendState(nil)
	probs := make([][]float64, n)
	for j := range n {
		probs[j] = make([]float64, 2)
		if j == i {
			copy(probs[j], mine(f))
		} else {
			reactive(f, j, probs[j])
		}
	}
	var total float64
	actions := make([]int, n)
	for mask := range 1 << n {
		p := 1.0
		for j := range n {
			actions[j] = (mask >> j) & 1
			p *= probs[j][actions[j]]
		}
		if p == 0 {
			continue
		}
		if err := g.SetState(state); err != nil {
			t.Fatal(err)
		}
		g.Step(actions, f)
		r := f.Reward[i]
		total += p * (r + expected(t, g, i, mine))
	}
	if err := g.SetState(state); err != nil {
		t.Fatal(err)
	}
	return total
}

// TestExactResponse checks ExactResponse against brute force at n = 3 and
// H = 3: the current value against full enumeration with agent i playing
// reactive too, and the best value against the best of every deterministic
// policy of agent i over the states (round, last count), also enumerated.
func TestExactResponse(t *testing.T) {
	const n, rounds = 3, 3
	g, err := matrix.NewRepeatedVolunteer(n, 1, 0.5, rounds)
	if err != nil {
		t.Fatal(err)
	}
	f := env.NewFrame(g.Spec())
	for _, i := range []int{0, 2} {
		g.Reset(0, f)
		best, current := g.ExactResponse(reactive, i)
		want := expected(t, g, i, func(f *env.Frame) []float64 {
			d := make([]float64, 2)
			reactive(f, i, d)
			return d
		})
		if math.Abs(current-want) > 1e-12 {
			t.Errorf("agent %d: current value %v, enumeration %v", i, current, want)
		}
		// States: round 0 (last −1), rounds 1 and 2 with last ∈ 0…3: 9.
		bruteBest := math.Inf(-1)
		for policy := range 1 << 9 {
			v := expected(t, g, i, func(f *env.Frame) []float64 {
				obs := f.AgentObs(i)
				s := 0
				if obs[6] == 0 {
					s = 1 + int(math.Round(obs[4]*rounds)-1)*4 + int(math.Round(obs[5]*n))
				}
				a := (policy >> s) & 1
				return []float64{float64(1 - a), float64(a)}
			})
			bruteBest = max(bruteBest, v)
		}
		t.Logf("agent %d: best %.6f (brute force %.6f), current %.6f", i, best, bruteBest, current)
		if math.Abs(best-bruteBest) > 1e-12 || best < current-1e-12 {
			t.Errorf("agent %d: best value %v, brute force %v, current %v", i, best, bruteBest, current)
		}
	}
}
