package mra

import (
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
)

// UpdateCritic takes one gradient step of the centralised critic on b
// (mra.md §3.2, the RL term). With the relation graph g' at o' and next
// actions a' ~ π⁻(· | o', g') from the target policies,
//
//	y_i  = r̃_i + (1 − done_i)·(γ·Q⁻_i(o', a', g') − α·log π⁻(a'_i | o'_i, g'_i)),   α = 1/RewardScale
//	loss = mean_b (Σ_i Q_i(o, a, g) − Σ_i y_i)²                 (official: team-level MSE)
//	loss = Σ_{b,i} (Q_i − y_i)² / #alive rows                  (PerAgentCriticLoss)
//
// where g is the stored graph of o and the sums run over alive agents only
// (dead rows carry no loss). g' is the stored g too (the official code's
// quirk), or, with Config.RecomputeNextGraph, g' = g_φ(o', z) computed with
// the current relation net φ from the batch's o' rows and latents z
// (b.Latent); φ is only evaluated, the critic update does not train it.
// With Config.CriticSeesSelf both critics also take each agent's own self
// row in MLP_c and MLP_s (the row of o for Q, of o' for Q⁻). The
// gradient is clipped at GradClip·N before Adam. It returns the loss (NaN,
// with the parameters unchanged and Err set, if the gradient is not
// finite). It panics if b does not fit the model (with RecomputeNextGraph:
// if b.Latent is not K wide).
//
// In the official variant (TargetActionAtObs, Q1) a' and log π⁻ are taken
// at o with the stored g instead, and (TerminalEntropy, Q3) the entropy
// term is kept at terminal o': y_i = r̃_i + γ·Q⁻_i(o', a', g')·(1 − done_i)
// − α·log π⁻(a'_i | o_i, g_i).
func (m *ModelOf[T]) UpdateCritic(b *replay.Batch) float64 {
	m.checkBatch(b)
	sum := m.run(phaseCritic, groupCritic, b, m.rng.Uint64(), 0)
	m.stats.CriticLoss = sum[0]
	return m.finish(groupCritic, m.cfg.GradClip*float64(b.Enc.N), sum[0])
}

// criticChunk computes the critic loss of chunk c (samples s0 … s1−1) into
// st[0] and its gradient into wk.grad.
func (m *ModelOf[T]) criticChunk(wk *worker[T], c, s0, s1 int, st *[4]float64) {
	b := m.job.b
	rs := &wk.rs
	rs.Gather(b, s0, s1, true)
	nr, e, a := (s1-s0)*rs.N, rs.E, m.f.A
	alpha, gamma := T(m.cfg.Alpha()), T(m.cfg.Gamma)

	// The relation graph at o': the stored g (official), or g' = g_φ(o', z)
	// with the current φ, forward only (φ gets no gradient here).
	gNext := rs.Graph
	if m.cfg.RecomputeNextGraph {
		rs.GatherLatent(b, s0, s1, m.cfg.Latents)
		gNext = wk.n.rel.Forward(e, rs.NextSelf, rs.NextEnts, rs.Latent, rs.NextMask)
	}

	// a' ~ π⁻(· | o', g'), or, with TargetActionAtObs (official, Q1),
	// a' ~ π⁻(· | o, g): the target policy sees o and the stored g.
	aSelf, aEnts, aMask, aGraph := rs.NextSelf, rs.NextEnts, rs.NextMask, gNext
	if m.cfg.TargetActionAtObs {
		aSelf, aEnts, aMask, aGraph = rs.Self, rs.Ents, rs.Mask, rs.Graph
	}
	wk.act = chunk.Grow(wk.act, nr)
	wk.lp = chunk.Grow(wk.lp, nr)
	for t, p := range wk.t.policy {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		entsK, gK := rs.TypeSlices(t, aEnts, aGraph)
		p.forward(e, entsK, gK, typeMask(rs, t, aMask), rs.TypeSelf(t, aSelf))
		for r := lo; r < hi; r++ {
			lp := p.row(r - lo)
			wk.act[r] = m.inj.action(drawCritic, s0+rs.Sample[r], rs.Agent[r], rs.N, sampleLogp(wk.rng, lp, wk.prob[:p.a]))
			wk.lp[r] = lp[wk.act[r]]
		}
	}
	qNext := wk.t.critic.forward(rs, rs.NextSelf, rs.NextEnts, rs.NextMask, wk.act, gNext)
	wk.y = chunk.Grow(wk.y, nr)
	for r := range nr {
		live := 1 - rs.Done[r]
		ent := -alpha * wk.lp[r]
		if !m.cfg.TerminalEntropy {
			ent *= live // no entropy bonus after a terminal o'
		}
		wk.y[r] = rs.Reward[r] + gamma*qNext[r*a+wk.act[r]]*live + ent
	}
	recordTarget(m.rec, c, wk.y)

	// Q(o, a, g) with the stored g.
	q := wk.n.critic.forward(rs, rs.Self, rs.Ents, rs.Mask, rs.Action, rs.Graph)
	wk.dq = chunk.Grow(wk.dq, nr*a)
	clear(wk.dq)
	var loss float64
	if m.cfg.PerAgentCriticLoss {
		if m.job.alive > 0 {
			inv := T(1 / float64(m.job.alive))
			for r := range nr {
				if !rs.Alive[r] {
					continue
				}
				d := q[r*a+rs.Action[r]] - wk.y[r]
				loss += float64(d * d * inv)
				wk.dq[r*a+rs.Action[r]] = 2 * d * inv
			}
		}
	} else {
		inv := T(1 / float64(b.Size))
		for s := range s1 - s0 {
			var diff T
			for i := range rs.N {
				if r := rs.At[s*rs.N+i]; rs.Alive[r] {
					diff += q[r*a+rs.Action[r]] - wk.y[r]
				}
			}
			loss += float64(diff * diff * inv)
			for i := range rs.N {
				if r := rs.At[s*rs.N+i]; rs.Alive[r] {
					wk.dq[r*a+rs.Action[r]] = 2 * diff * inv
				}
			}
		}
	}
	wk.n.critic.backward(wk.dq)
	st[0] = loss
}
