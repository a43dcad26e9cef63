// Package ppo is the one implementation of proximal policy optimisation's
// arithmetic (Schulman et al. 2017, arXiv 1707.06347) that every on-policy
// learner of mrasim shares: generalised advantage estimation, advantage
// normalisation, the clipped surrogate and its gradient, the clipped value
// loss, and the shuffled minibatch epochs over a batch of rows.
//
// It holds no networks and no rollouts: a learner collects its rows in
// episode order, calls GAE and Normalize on them, and runs Epochs with a
// step that evaluates its own networks on each minibatch through Surrogate
// and ValueLoss. Keeping the formulas here, below the learners, means the
// league's best response and the multi-agent learners cannot drift apart.
// Nothing here allocates except Epochs' first use of a larger order.
package ppo

import (
	"math"
	"math/rand/v2"
)

// GAE writes into adv the generalised advantage estimates GAE(γ, λ) of
// rows in episode order and into ret the value targets adv + value, from
// each row's reward (summed up to the next row), the value estimate and
// last, which marks an episode's last row: there the bootstrap is 0 and
// the accumulation restarts. All slices have the same length.
//
//	δ_r = reward_r + γ·V_{r+1} − V_r,   Â_r = δ_r + γ·λ·Â_{r+1}
func GAE(adv, ret, reward, value []float64, last []bool, gamma, lambda float64) {
	var next, acc float64
	for r := len(reward) - 1; r >= 0; r-- {
		if last[r] {
			next, acc = 0, 0
		}
		delta := reward[r] + gamma*next - value[r]
		acc = delta + gamma*lambda*acc
		adv[r] = acc
		ret[r] = acc + value[r]
		next = value[r]
	}
}

// NormEps is added to the standard deviation Normalize divides by, so that
// a batch of equal advantages maps to zeros instead of NaN.
const NormEps = 1e-8

// Normalize shifts and scales x in place to mean 0 and (population)
// standard deviation 1: the per-batch advantage normalisation of PPO,
// which makes the step size independent of the rewards' scale. An empty
// x is left alone.
func Normalize(x []float64) {
	if len(x) == 0 {
		return
	}
	var mean, ss float64
	for _, a := range x {
		mean += a
	}
	mean /= float64(len(x))
	for _, a := range x {
		ss += (a - mean) * (a - mean)
	}
	sd := math.Sqrt(ss / float64(len(x)))
	for r := range x {
		x[r] = (x[r] - mean) / (sd + NormEps)
	}
}

// Surrogate returns PPO's clipped objective for one row,
//
//	min(ρ·Â, clip(ρ, 1−ε, 1+ε)·Â),   ρ = π(a|x) / π_old(a|x) = ratio,
//
// and coef, its derivative with respect to log π(a|x): ρ·Â where the
// unclipped term is the minimum, 0 where the clipped one is (it is
// constant in the parameters there). A learner's gradient of the
// objective is coef · ∂log π(a|x)/∂θ.
func Surrogate(ratio, adv, clip float64) (obj, coef float64) {
	coef = adv * ratio
	if (adv >= 0 && ratio > 1+clip) || (adv < 0 && ratio < 1-clip) {
		coef = 0
	}
	return min(ratio*adv, math.Max(1-clip, math.Min(ratio, 1+clip))*adv), coef
}

// ValueLoss returns the squared error of a value prediction v to target
// and its derivative with respect to v. With clip > 0 it is PPO's clipped
// value loss,
//
//	max((v − target)², (old + clip(v − old, −clip, clip) − target)²),
//
// which keeps the value function near old, the prediction of the network
// that collected the data, as the ratio clip keeps the policy near its
// own; the derivative is 0 where the clipped term is the larger and
// clipped. With clip ≤ 0 it is the plain (v − target)², 2·(v − target).
func ValueLoss(v, old, target, clip float64) (loss, grad float64) {
	e := v - target
	if clip <= 0 {
		return e * e, 2 * e
	}
	vc := old + math.Max(-clip, math.Min(v-old, clip))
	ec := vc - target
	if ec*ec > e*e {
		if vc != v {
			return ec * ec, 0
		}
		return ec * ec, 2 * ec
	}
	return e * e, 2 * e
}

// Epochs runs epochs passes over rows rows in minibatches: each pass
// shuffles order (kept from the previous pass, as a continuing
// permutation) with perm and calls step with successive slices of about
// rows/minibatches row indices, folding a tail shorter than half a
// minibatch into the last one. order is scratch of capacity ≥ rows (a
// shorter one is grown) and is returned for reuse; step must not keep the
// slice it is given. Epochs stops at step's first error.
func Epochs(order []int, rows, epochs, minibatches int, perm *rand.Rand, step func(mb []int) error) ([]int, error) {
	if cap(order) < rows {
		order = make([]int, rows)
	}
	order = order[:rows]
	for i := range order {
		order[i] = i
	}
	if rows == 0 {
		return order, nil
	}
	mb := max(1, rows/max(1, minibatches))
	for range epochs {
		perm.Shuffle(rows, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for lo := 0; lo < rows; lo += mb {
			hi := min(rows, lo+mb)
			if rows-hi < mb/2 { // fold a short tail into this minibatch
				hi = rows
			}
			if err := step(order[lo:hi]); err != nil {
				return order, err
			}
			if hi == rows {
				break
			}
		}
	}
	return order, nil
}
