package matrix

import (
	"fmt"
	"math"

	"github.com/mrasim/mrasim/env"
)

// NashConv returns the NashConv of the mixed strategy profile of a one-shot
// game, the sum over players of what each could gain by switching alone to
// a best response,
//
//	NashConv(σ) = Σ_i [ max_a u_i(a, σ_−i) − u_i(σ) ],   u_i(σ) = Σ_a σ_i(a)·u_i(a, σ_−i),
//
// and each player's improvement. The profile is a Nash equilibrium exactly
// when NashConv is 0. It works for any game that implements
// env.MixedPayoffs, not only this package's; spec is the game's spec.
//
// Each improvement is computed as Σ_a σ_i(a)·(max_b u_i(b, σ_−i) − u_i(a, σ_−i)),
// a sum of non-negative terms, so it is never negative even in floating
// point. NashConv panics unless profile has one probability vector per agent
// of the length of its type's action space, with non-negative entries that
// sum to 1 within 1e-9.
func NashConv(g env.MixedPayoffs, spec *env.Spec, profile [][]float64) (total float64, improvements []float64) {
	n := spec.NumAgents()
	if len(profile) != n {
		panic(fmt.Sprintf("matrix: NashConv of a profile of %d strategies for %d agents", len(profile), n))
	}
	most := 0
	for i, s := range profile {
		na := spec.Type(i).NumActions
		checkStrategy(i, s, na)
		most = max(most, na)
	}
	improvements = make([]float64, n)
	values := make([]float64, most)
	for i, s := range profile {
		v := values[:len(s)]
		g.ActionValues(profile, i, v)
		best := math.Inf(-1)
		for _, x := range v {
			best = max(best, x)
		}
		d := 0.0
		for a, p := range s {
			d += p * (best - v[a])
		}
		improvements[i] = d
		total += d
	}
	return total, improvements
}

// checkStrategy panics unless s is a probability vector over na actions.
func checkStrategy(i int, s []float64, na int) {
	if len(s) != na {
		panic(fmt.Sprintf("matrix: strategy of agent %d has %d probabilities for %d actions", i, len(s), na))
	}
	sum := 0.0
	for a, p := range s {
		if !(p >= 0) || math.IsInf(p, 0) {
			panic(fmt.Sprintf("matrix: strategy of agent %d gives action %d probability %v", i, a, p))
		}
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		panic(fmt.Sprintf("matrix: strategy of agent %d sums to %v, want 1", i, sum))
	}
}

// SymmetricProfile returns the profile in which each of n agents plays a
// copy of strategy.
func SymmetricProfile(n int, strategy []float64) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = append([]float64(nil), strategy...)
	}
	return out
}

// BinaryProfile returns the profile of n agents with two actions in which
// every agent plays action 1 with probability p: SymmetricProfile(n,
// []float64{1−p, p}).
func BinaryProfile(n int, p float64) [][]float64 {
	return SymmetricProfile(n, []float64{1 - p, p})
}
