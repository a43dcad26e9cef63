package mra

import (
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"

	"github.com/mrasim/mrasim/agents/nn"
)

// UpdatePolicies takes one gradient step of every type's policy on b
// (mra.md §3.2). With a fresh joint action a ~ π(· | o, g) (stored g) and
// the current critic,
//
//	loss = Σ_i mean_b [ log π(a_i | o_i, g_i) · stopgrad(α·log π(a_i | o_i, g_i) − Q_i(o, a, g)) ]
//
// over alive agents (official: no baseline). With Baseline, MAAC's
// counterfactual advantage Q_i(a) − Σ_a' π(a' | o_i, g_i)·Q_i(a'_i, a_−i)
// replaces Q_i, where Q_i(a'_i, a_−i) is agent i's Q with a' substituted
// into its own action input and every other agent's action fixed (the
// critic's per-agent MLPs and head re-run per a', see
// criticNet.counterfactual). There is no gradient clipping, as in the official code (mra.md
// §3.2 clips only the critic and φ). It returns the loss (NaN, with the
// parameters unchanged and Err set, if the gradient is not finite) and the
// mean entropy of the policies over alive rows. It panics if b does not
// fit the model.
func (m *ModelOf[T]) UpdatePolicies(b *replay.Batch) (loss, entropy float64) {
	m.checkBatch(b)
	sum := m.run(phasePolicy, groupPolicy, b, m.rng.Uint64(), 0)
	if sum[2] > 0 {
		entropy = sum[1] / sum[2]
	}
	m.stats.PolicyLoss, m.stats.Entropy = sum[0], entropy
	sp := m.groups[groupPolicy]
	m.stats.ActorGrad = norm(m.grad[sp.lo:sp.hi])
	m.present = chunk.Grow(m.present, len(m.typeSpan))
	clear(m.present)
	for _, k := range b.Enc.Type {
		m.present[k] = true
	}
	return m.finishTypes(groupPolicy, 0, sum[0], m.present), entropy
}

// policyChunk computes the actor loss of samples s0 … s1−1 into st[0], the
// summed entropy into st[1] and the alive rows into st[2], and the policy
// gradient into wk.grad.
func (m *ModelOf[T]) policyChunk(wk *worker[T], c, s0, s1 int, st *[4]float64) {
	b := m.job.b
	rs := &wk.rs
	rs.Gather(b, s0, s1, false)
	nr, e, a := (s1-s0)*rs.N, rs.E, m.f.A
	alpha, inv := T(m.cfg.Alpha()), T(1/float64(b.Size))

	// a ~ π(· | o, g).
	wk.act = chunk.Grow(wk.act, nr)
	for t, p := range wk.n.policy {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		entsK, gK := rs.TypeSlices(t, rs.Ents, rs.Graph)
		p.forward(e, entsK, gK, typeMask(rs, t, rs.Mask), rs.TypeSelf(t, rs.Self))
		for r := lo; r < hi; r++ {
			draw := sampleLogp(wk.rng, p.row(r-lo), wk.prob[:p.a])
			wk.act[r] = m.rec.sampled(c, r, m.inj.action(drawPolicy, s0+rs.Sample[r], rs.Agent[r], rs.N, draw))
		}
	}
	q := wk.n.critic.forward(rs, rs.Self, rs.Ents, rs.Mask, wk.act, rs.Graph)
	var qcf []T // Q_r(a') with a' in agent r's action only
	if m.cfg.Baseline {
		wk.q = append(wk.q[:0], q...) // counterfactual reuses the head's output buffer
		q = wk.q
		qcf = wk.n.critic.counterfactual()
	}

	var loss, ent, alive float64
	for t, p := range wk.n.policy {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		wk.dlp = chunk.Grow(wk.dlp, (hi-lo)*p.a)
		clear(wk.dlp)
		for r := lo; r < hi; r++ {
			if !rs.Alive[r] {
				continue
			}
			lp, act := p.row(r-lo), wk.act[r]
			qi := q[r*a+act]
			if m.cfg.Baseline {
				var v T
				for k, l := range lp {
					v += T(math.Exp(float64(l))) * qcf[r*a+k]
				}
				qi -= v
			}
			coef := T(m.rec.coefficient(c, r, float64(alpha*lp[act]-qi))) // stopgrad
			loss += float64(lp[act] * coef * inv)
			wk.dlp[(r-lo)*p.a+act] = coef * inv
			ent += nn.Entropy(lp)
			alive++
		}
		p.backward(wk.dlp)
	}
	st[0], st[1], st[2] = loss, ent, alive
}
