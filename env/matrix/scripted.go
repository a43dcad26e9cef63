package matrix

import (
	"fmt"
	"math/rand/v2"

	"github.com/mrasim/mrasim/env"
)

// ScriptEquilibrium names the closed-form symmetric equilibrium every
// one-shot game offers as a scripted policy (env.ScriptedPolicies).
const ScriptEquilibrium = "equilibrium"

// equilibrium plays a fixed mixed strategy for every player. It
// implements agents.Distribution (ActionProbs), so the league computes its
// exact NashConv, which is 0 up to rounding, and Reseed, for common random
// numbers.
type equilibrium struct {
	p   []float64 // the strategy: a probability per action
	pcg *rand.PCG
	rng *rand.Rand
}

func newEquilibrium(game, name string, p []float64, seed uint64) (env.ScriptedActor, error) {
	if name != ScriptEquilibrium {
		return nil, fmt.Errorf("%s: no scripted policy %q; the game offers [%s]", game, name, ScriptEquilibrium)
	}
	pcg := rand.NewPCG(seed, 0x6571)
	return &equilibrium{p: p, pcg: pcg, rng: rand.New(pcg)}, nil
}

// Act draws every player's action from the strategy.
func (e *equilibrium) Act(f *env.Frame, actions []int) {
	for i := range actions {
		u, a := e.rng.Float64(), 0
		for a < len(e.p)-1 && u >= e.p[a] {
			u -= e.p[a]
			a++
		}
		actions[i] = a
	}
}

// ActionProbs writes the strategy.
func (e *equilibrium) ActionProbs(_ *env.Frame, _ int, dst []float64) { copy(dst, e.p) }

// Reseed restarts the draws from seed.
func (e *equilibrium) Reseed(seed uint64) { e.pcg.Seed(seed, 0x6571) }

// Markov reports that the strategy depends on nothing.
func (e *equilibrium) Markov() bool { return true }

func binary(p float64) []float64 { return []float64{1 - p, p} }

// Scripted implements env.ScriptedPolicies.
func (g *Volunteer) Scripted() []string { return []string{ScriptEquilibrium} }

// ScriptedPolicy implements env.ScriptedPolicies: everybody volunteers
// with VolunteerEquilibrium's probability.
func (g *Volunteer) ScriptedPolicy(name string, seed uint64) (env.ScriptedActor, error) {
	return newEquilibrium(VolunteerName, name, binary(VolunteerEquilibrium(g.n, g.benefit, g.cost)), seed)
}

// Scripted implements env.ScriptedPolicies.
func (g *ElFarol) Scripted() []string { return []string{ScriptEquilibrium} }

// ScriptedPolicy implements env.ScriptedPolicies: everybody goes with
// ElFarolEquilibrium's probability.
func (g *ElFarol) ScriptedPolicy(name string, seed uint64) (env.ScriptedActor, error) {
	return newEquilibrium(ElFarolName, name, binary(ElFarolEquilibrium(g.n, g.capacity, g.good, g.bad)), seed)
}

// Scripted implements env.ScriptedPolicies.
func (g *Minority) Scripted() []string { return []string{ScriptEquilibrium} }

// ScriptedPolicy implements env.ScriptedPolicies: every player picks
// either side with probability MinorityEquilibrium.
func (g *Minority) ScriptedPolicy(name string, seed uint64) (env.ScriptedActor, error) {
	return newEquilibrium(MinorityName, name, binary(MinorityEquilibrium(g.n)), seed)
}

// Scripted implements env.ScriptedPolicies.
func (g *PublicGoods) Scripted() []string { return []string{ScriptEquilibrium} }

// ScriptedPolicy implements env.ScriptedPolicies: every player contributes
// the dominant level PublicGoodsEquilibrium.
func (g *PublicGoods) ScriptedPolicy(name string, seed uint64) (env.ScriptedActor, error) {
	p := make([]float64, g.spec.Types[0].NumActions)
	p[PublicGoodsEquilibrium(g.n, g.multiplier, len(p))] = 1
	return newEquilibrium(PublicGoodsName, name, p, seed)
}
