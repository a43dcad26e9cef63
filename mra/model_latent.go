package mra

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
)

// Soft latents. The relation net mixes its K heads by z (relation.go):
// k_i = Σ_h z_ih·key_h, q_ij = Σ_h z_ih·query_h, so any z on the simplex
// (not only a one-hot mode) gives a relation graph g_φ(o, z) and a policy
// π_θ(a | o, g_φ(o, z)). Fast adaptation (adapt.go, mra.md §5) moves such
// relaxed latents by first-order gradients of log π with respect to z,
// computed here through the relation graph and the policy with every
// parameter frozen.

// LatentGrad computes, for rows = copies·N agent rows of enc's population
// laid out as for Act (row r is agent r % N of copy r / N), the objective
//
//	F(z) = Σ_r weights[r]·log π_θ(actions[r] | o_r, g_φ(o_r, z_r))
//
// and writes ∂F/∂z_r into dz (rows×K), through the relation graph g (the
// head mixing of both key and query, the masked attention) and the
// aggregation e = Σ_j g_j·v_j of the row's type's policy. The inputs are
// those of Act (self rows×D, ents rows·E×D, present rows·E, z rows×K, any
// real values; adaptation uses points of the simplex) plus the taken
// actions (rows) and weights (rows); rows with weight 0 contribute nothing.
// It returns F.
//
// Parameters are frozen: nothing is written to the model's parameters,
// training gradients, targets or optimizer states (the parameter gradients
// the backward pass produces go to the model's actor's private buffer and
// are cleared). Like Act it is not safe for concurrent use on one Model;
// use an Actor per goroutine. It panics if a length is inconsistent or an
// action is out of its type's range.
func (m *ModelOf[T]) LatentGrad(enc *replay.Encoding, rows int, self, ents []float64, present []bool, z []float64, actions []int, weights []float64, dz []float64) float64 {
	return m.act.LatentGrad(enc, rows, self, ents, present, z, actions, weights, dz)
}

// LatentGrad is Model.LatentGrad on the actor's own layer caches.
func (a *ActorOf[T]) LatentGrad(enc *replay.Encoding, rows int, self, ents []float64, present []bool, z []float64, actions []int, weights []float64, dz []float64) float64 {
	n, e, d, k := enc.N, enc.E, enc.D, a.m.cfg.Latents
	if rows < 1 || rows%n != 0 || len(self) != rows*d || len(ents) != rows*e*d || len(present) != rows*e ||
		len(z) != rows*k || len(actions) != rows || len(weights) != rows || len(dz) != rows*k || enc.D != a.m.f.D {
		panic(fmt.Sprintf("mra: LatentGrad with %d rows of N=%d, E=%d, D=%d, K=%d: inconsistent lengths self %d ents %d present %d z %d actions %d weights %d dz %d",
			rows, n, e, d, k, len(self), len(ents), len(present), len(z), len(actions), len(weights), len(dz)))
	}
	for r0, act := range actions {
		if na := a.m.f.Actions[enc.Type[r0%n]]; act < 0 || act >= na {
			panic(fmt.Sprintf("mra: LatentGrad row %d: action %d of a type with %d actions", r0, act, na))
		}
	}
	rs := a.gatherRows(enc, rows, self, ents, present, z)
	g := a.n.rel.Forward(e, rs.Self, rs.Ents, a.z, rs.Mask)

	// Actor (policy.go) has no scratch for these; LatentGrad is called once
	// per adaptation step on many rows, so allocating them is negligible.
	dg := make([]T, rows*e)
	var dlp []T
	var f float64
	for t, p := range a.n.policy {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		entsK, gK := rs.TypeSlices(t, rs.Ents, g)
		lp := p.forward(e, entsK, gK, typeMask(rs, t, rs.Mask), rs.TypeSelf(t, rs.Self))
		dlp = chunk.Grow(dlp, (hi-lo)*p.a)
		clear(dlp)
		for r := lo; r < hi; r++ {
			r0 := rs.Sample[r]*n + rs.Agent[r]
			w := weights[r0]
			if w == 0 {
				continue
			}
			at := (r-lo)*p.a + actions[r0]
			f += w * float64(lp[at])
			dlp[at] = T(w)
		}
		copy(dg[lo*e:hi*e], p.backwardGraph(dlp))
	}
	_, _, dzr := a.n.rel.Backward(dg)
	for r0 := range rows {
		r := rs.At[r0]
		chunk.Widen(dz[r0*k:(r0+1)*k], dzr[r*k:(r+1)*k])
	}
	clear(a.grad) // the frozen parameters' gradients are not wanted
	return f
}

// gatherRows copies the caller's rows (agent-major within each copy) into
// the actor's type-major row order (see rows) and returns the layout; the
// latents go to a.z.
func (a *ActorOf[T]) gatherRows(enc *replay.Encoding, rows int, self, ents []float64, present []bool, z []float64) *chunk.Rows[T] {
	n, e, d, k := enc.N, enc.E, enc.D, a.m.cfg.Latents
	rs := &a.rs
	rs.Layout(enc, rows/n)
	rs.Self = chunk.Grow(rs.Self, rows*d)
	rs.Ents = chunk.Grow(rs.Ents, rows*e*d)
	rs.Mask = chunk.Grow(rs.Mask, rows*e)
	a.z = chunk.Grow(a.z, rows*k)
	for r0 := range rows {
		r := rs.At[r0]
		chunk.Convert(rs.Self[r*d:(r+1)*d], self[r0*d:(r0+1)*d])
		chunk.Convert(rs.Ents[r*e*d:(r+1)*e*d], ents[r0*e*d:(r0+1)*e*d])
		copy(rs.Mask[r*e:(r+1)*e], present[r0*e:(r0+1)*e])
		chunk.Convert(a.z[r*k:(r+1)*k], z[r0*k:(r0+1)*k])
	}
	return rs
}

// checkSimplex reports whether z (length k) is a point of the probability
// simplex: finite, non-negative entries summing to 1 within 1e-6.
func checkSimplex(z []float64, k int) error {
	if len(z) != k {
		return fmt.Errorf("mra: latent of length %d, the model has %d modes", len(z), k)
	}
	var sum float64
	for j, v := range z {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("mra: latent entry %d is %v, want a finite value ≥ 0", j, v)
		}
		sum += v
	}
	if math.Abs(sum-1) > 1e-6 {
		return fmt.Errorf("mra: latent sums to %v, want a point of the simplex (sum 1)", sum)
	}
	return nil
}
