package mra

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
)

// UpdateRelation takes one gradient step of the relation net φ on b, the
// diversity term I(z; a | o) of mra.md §3.2. With the prior p_ψ(· | m) of
// the batch's game (descriptor desc), one latent z_i ~ p_ψ(· | m) per agent
// for the whole batch and K' =
// Resamples more z_{k,i} ~ p_ψ(· | m) per agent, also shared by the batch:
//
//	a*_i = sample of π_θ(· | o_i, g_φ(o_i, z_i))       (current policy, detached)
//	p0_i = π_θ⁻(a*_i | o_i, g_φ(o_i, z_i))             (target policy)
//	pk_i = π_θ⁻(a*_i | o_i, g_φ(o_i, z_{k,i})),  k = 1 … K'
//	r_MI = mean_b Σ_i [ log(K'·p0_i) − log Σ_k pk_i ]  (alive agents)
//	loss = −w·r_MI                                     (w = MIWeight, official 1)
//
// Gradients reach φ only through g; the gradient is clipped at GradClip·N
// before Adam. The pass also measures, changing no number of the update,
// the mode diagnostics of Stats: ‖∂r_MI/∂φ‖, ‖∂r_MI/∂θ⁻‖ (the gradient the
// official code computes into the target policies and discards, Q9),
// WeightDecay·‖φ‖ and the spread of the K heads' attention (headSpread).
// Random numbers come from rng: the latents, then one seed for the action
// samples. It returns r_MI (NaN, with the parameters unchanged
// and Err set, if the gradient is not finite). It panics if b does not fit
// the model or desc is not of length H.
func (m *ModelOf[T]) UpdateRelation(b *replay.Batch, desc []float64, rng *rand.Rand) float64 {
	m.checkBatch(b)
	n, k := b.Enc.N, m.cfg.Latents
	m.latent.z0 = chunk.Grow(m.latent.z0, n*k)
	copy(m.latent.z0, m.sampleLatents(desc, rng, n))
	m.latent.zk = chunk.Grow(m.latent.zk, m.cfg.Resamples*n*k)
	copy(m.latent.zk, m.sampleLatents(desc, rng, m.cfg.Resamples*n))
	sum := m.run(phaseRelation, groupRelation, b, rng.Uint64(), 0)
	m.stats.MI = sum[0]
	m.stats.HeadSpread = 0
	if sum[2] > 0 {
		m.stats.HeadSpread = sum[1] / sum[2]
	}
	rel := m.groups[groupRelation]
	grad := m.grad[rel.lo:rel.hi]
	m.stats.MIGradRelation = norm(grad)
	m.stats.RelationDecay = m.cfg.WeightDecay * norm(m.params[rel.lo:rel.hi])
	m.stats.MIGradActor = m.targetPolicyGradNorm()
	if w := m.cfg.miWeight(); w != 1 {
		for i := range grad {
			grad[i] *= T(w)
		}
	}
	return m.finish(groupRelation, m.cfg.GradClip*float64(n), sum[0])
}

// targetPolicyGradNorm returns the norm of the target policies' gradient
// of the running relation update (∂(−r_MI)/∂θ⁻), reduced over the chunks
// in chunk order.
func (m *ModelOf[T]) targetPolicyGradNorm() float64 {
	sp := m.groups[groupPolicy]
	m.tgradSum = chunk.Grow(m.tgradSum, sp.hi-sp.lo)
	clear(m.tgradSum)
	for c := range chunk.Count {
		for i, v := range m.chunkTGrad[c] {
			m.tgradSum[i] += v
		}
	}
	return norm(m.tgradSum)
}

// norm returns the Euclidean norm of x, summed in float64.
func norm[T nn.Float](x []T) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// game returns the descriptor of training game g.
func (m *ModelOf[T]) game(g int) []float64 {
	if g < 0 || g >= len(m.games) {
		panic(fmt.Sprintf("mra: game index %d, the model has %d training games", g, len(m.games)))
	}
	return m.games[g]
}

// miScratch is a worker's scratch for the diversity update.
type miScratch[T nn.Float] struct {
	mg    multiGraph[T]
	z     [][]T        // 1+K' assignments, rows×K each: z_i, then z_{k,i}
	g     [][]T        // 1+K' graphs, rows×E
	dg    [][]T        // ∂L/∂g per assignment, rows×E
	agg   []relPool[T] // per assignment and type
	s     []T          // stacked embeddings of one type, (1+K')·rows_k×V
	dlp   []T          // ∂L/∂log π⁻ of one type, (1+K')·rows_k×A_k
	dvals []T          // ∂L/∂(value rows) of one type's target policy, summed over assignments
	astar []int        // rows: a*
	lpk   []T          // K' log pk of one row
	dist  []float64    // K×E: one row's attention under each head (headSpread)
}

// relationChunk computes r_MI of samples s0 … s1−1 into st[0] and the
// gradient of −r_MI with respect to φ into wk.grad, and, for the
// diagnostics only, its gradient with respect to the target policies into
// wk.tgrad and the heads' attention spread summed over rows into st[1]
// with the rows counted into st[2].
func (m *ModelOf[T]) relationChunk(wk *worker[T], c, s0, s1 int, st *[4]float64) {
	b := m.job.b
	rs := &wk.rs
	rs.Gather(b, s0, s1, false)
	nr, e, k, v := (s1-s0)*rs.N, rs.E, m.cfg.Latents, m.cfg.ValueDim
	kp := m.cfg.Resamples
	nl := 1 + kp
	h := len(m.f.Types)
	inv := 1 / float64(b.Size)
	sc := &wk.mi

	// Latents per row: assignment 0 is z_i, assignment l ≥ 1 is z_{l,i}.
	sc.z = chunk.Grow(sc.z, nl)
	sc.g = chunk.Grow(sc.g, nl)
	sc.dg = chunk.Grow(sc.dg, nl)
	for l := range nl {
		sc.z[l] = chunk.Grow(sc.z[l], nr*k)
		sc.dg[l] = chunk.Grow(sc.dg[l], nr*e)
		for r := range nr {
			i := rs.Agent[r]
			src := m.latent.z0[i*k : (i+1)*k]
			if l > 0 {
				src = m.latent.zk[((l-1)*rs.N+i)*k : ((l-1)*rs.N+i+1)*k]
			}
			copy(sc.z[l][r*k:(r+1)*k], src)
		}
	}
	sc.mg.forward(wk.n.rel, e, rs.Self, rs.Ents, sc.z, rs.Mask, sc.g)
	st[1], st[2] = sc.mg.headSpread(wk.n.rel, e, rs.Mask, rs.Alive, &sc.dist)

	// a* ~ π_θ(· | o, g_φ(o, z)), detached.
	sc.astar = chunk.Grow(sc.astar, nr)
	for t, p := range wk.n.policy {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		entsK, gK := rs.TypeSlices(t, rs.Ents, sc.g[0])
		p.forward(e, entsK, gK, typeMask(rs, t, rs.Mask), rs.TypeSelf(t, rs.Self))
		for r := lo; r < hi; r++ {
			draw := sampleLogp(wk.rng, p.row(r-lo), wk.prob[:p.a])
			sc.astar[r] = m.rec.sampled(c, r, m.inj.action(drawAStar, s0+rs.Sample[r], rs.Agent[r], rs.N, draw))
		}
	}

	// log π⁻(a* | o, g_l) for every assignment, and ∂(−r_MI)/∂log π⁻.
	for len(sc.agg) < nl*h {
		sc.agg = append(sc.agg, newRelPool[T](m.cfg.relationPooling(), v))
	}
	sc.lpk = chunk.Grow(sc.lpk, kp)
	var rmi float64
	logKp := math.Log(float64(kp))
	for t, p := range wk.t.policy {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		nk, pv := hi-lo, p.v
		entsK, _ := rs.TypeSlices(t, rs.Ents, sc.g[0])
		maskK := typeMask(rs, t, rs.Mask)
		vals := p.value.Forward(entsK)
		sc.s = chunk.Grow(sc.s, nl*nk*pv)
		for l := range nl {
			_, gK := rs.TypeSlices(t, rs.Ents, sc.g[l])
			copy(sc.s[l*nk*pv:(l+1)*nk*pv], sc.agg[l*h+t].forward(e, gK, vals, maskK))
		}
		// (1+K')·nk × A_k; stacked copy l of row r sees r's self row.
		lp := p.logp.Forward(p.head.Forward(p.headInput(sc.s, rs.TypeSelf(t, rs.Self))))
		sc.dlp = chunk.Grow(sc.dlp, nl*nk*p.a)
		clear(sc.dlp)
		for r := lo; r < hi; r++ {
			if !rs.Alive[r] {
				continue
			}
			a := sc.astar[r]
			at := func(l int) int { return (l*nk+r-lo)*p.a + a }
			for l := 1; l < nl; l++ {
				sc.lpk[l-1] = lp[at(l)]
			}
			lse := logSumExp(sc.lpk)
			rmi += (logKp + float64(lp[at(0)]) - lse) * inv
			sc.dlp[at(0)] = T(-inv)
			for l := 1; l < nl; l++ {
				sc.dlp[at(l)] = T(math.Exp(float64(sc.lpk[l-1])-lse) * inv)
			}
		}
		ds := p.embedGrad(p.head.Backward(p.logp.Backward(sc.dlp)))
		sc.dvals = chunk.Grow(sc.dvals, nk*e*v)
		clear(sc.dvals)
		for l := range nl {
			dg, dv := sc.agg[l*h+t].backward(ds[l*nk*pv : (l+1)*nk*pv])
			copy(sc.dg[l][lo*e:hi*e], dg)
			for i, x := range dv {
				sc.dvals[i] += x
			}
		}
		p.value.Backward(sc.dvals) // into wk.tgrad: diagnostics only
	}
	sc.mg.backward(wk.n.rel, e, sc.dg)
	st[0] = rmi
}
