package mra

import (
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
)

// UpdatePrior takes one gradient step of the prior ψ and the game
// classifier ω (with its own value net v_ω) on b, the game-specific term of
// mra.md §3.2 (the Barber–Agakov bound I(m; z) ≥ log M − CE). With one
// latent per agent for the whole batch,
//
//	z_i   ~ GumbelHard(p_ψ(· | m_game))               straight-through, τ = 1
//	g     = g_φ(o, z)                                  φ not updated
//	e_i   = Σ_j g_ij·v_ω(ent_ij)                       the classifier's own value net (task_net.py:56)
//	logit = Σ_i MLP_ω([e_i ; z_i])                     over alive agents, M classes
//	loss  = mean_b CrossEntropy(logit, game)
//
// With ClassifierCrossPairing (official, Q5) agent row b·N+i takes the graph
// row of sample (b·N+i) mod B, agent (b·N+i) div B instead of its own, and
// the update runs over the whole batch on the calling goroutine.
//
// The gradient reaches ψ through z, both directly and through g and e; the
// straight-through estimator passes ∂L/∂z_hard to the soft sample
// softmax(ℓ/T + noise). There is no clipping. Random numbers come from rng
// (the Gumbel noise). It returns the cross-entropy (NaN, with the
// parameters unchanged and Err set, if the gradient is not finite); Stats
// also gives the classifier's accuracy on the batch. It panics if b does
// not fit the model or game is not a training game index.
func (m *ModelOf[T]) UpdatePrior(b *replay.Batch, game int, rng *rand.Rand) float64 {
	m.checkBatch(b)
	sum := m.priorGrad(b, game, rng)
	m.stats.CE, m.stats.Accuracy = sum[0], sum[1]/float64(b.Size)
	return m.finish(groupPrior, 0, sum[0])
}

// priorGrad draws the latents, computes the classifier loss and writes the
// gradient with respect to ψ, ω and v_ω into m.grad.
func (m *ModelOf[T]) priorGrad(b *replay.Batch, game int, rng *rand.Rand) [4]float64 {
	desc := m.game(game)
	n, k := b.Enc.N, m.cfg.Latents
	m.latent.z0 = chunk.Grow(m.latent.z0, n*k)
	copy(m.latent.z0, m.sampleLatents(desc, rng, n)) // m.gumbel keeps the soft sample
	for c := range m.chunkDZ {
		m.chunkDZ[c] = chunk.Grow(m.chunkDZ[c], n*k)
		clear(m.chunkDZ[c])
	}
	sum := m.runPrior(b, rng.Uint64(), game)

	// ∂L/∂z summed over chunks, then through the straight-through sample
	// and the temperature into ψ (bound to m.grad by m.proto).
	dz := chunk.Grow(m.latent.dz, n*k)
	m.latent.dz = dz
	clear(dz)
	for c := range chunk.Count {
		for i, v := range m.chunkDZ[c] {
			dz[i] += v
		}
	}
	dlogits := m.gumbel.Backward(dz)
	dl := chunk.Grow(m.latent.dl, k)
	m.latent.dl = dl
	clear(dl)
	for i := range n {
		for j := range k {
			dl[j] += dlogits[i*k+j] / T(m.cfg.PriorTemperature)
		}
	}
	m.proto.prior.Backward(dl)
	return sum
}

// runPrior runs the classifier's chunks: over the whole batch on one
// goroutine with ClassifierCrossPairing (rows take other samples' graphs),
// else in parallel chunks.
func (m *ModelOf[T]) runPrior(b *replay.Batch, seed uint64, game int) [4]float64 {
	if m.cfg.ClassifierCrossPairing {
		return m.runWhole(phasePrior, groupPrior, b, seed, game)
	}
	return m.run(phasePrior, groupPrior, b, seed, game)
}

// priorScratch is a worker's scratch for the prior update.
type priorScratch[T nn.Float] struct {
	z, x, dy, dg []T
	logit, dl    []T
	de, gp       []T
	perm         []int // row → the row whose graph it takes (ClassifierCrossPairing)
}

// priorChunk computes the classifier's cross-entropy of samples s0 … s1−1
// into st[0] and its correct answers into st[1], the gradient with respect
// to ω and v_ω into wk.grad and the gradient with respect to each agent's
// latent into dz (N×K), which it returns. With ClassifierCrossPairing the
// chunk must be the whole batch.
func (m *ModelOf[T]) priorChunk(wk *worker[T], s0, s1 int, st *[4]float64, dz []T) []T {
	b, game := m.job.b, m.job.game
	rs := &wk.rs
	rs.Gather(b, s0, s1, false)
	nr, e, k, v := (s1-s0)*rs.N, rs.E, m.cfg.Latents, m.cfg.ValueDim
	nm := len(m.games)
	w := v + k
	inv := 1 / float64(b.Size)
	sc := &wk.pr

	sc.z = chunk.Grow(sc.z, nr*k)
	for r := range nr {
		i := rs.Agent[r]
		copy(sc.z[r*k:(r+1)*k], m.latent.z0[i*k:(i+1)*k])
	}
	g := wk.n.rel.Forward(e, rs.Self, rs.Ents, sc.z, rs.Mask)
	gp := g
	pair := m.cfg.ClassifierCrossPairing
	if pair {
		if s0 != 0 || s1 != b.Size {
			panic("mra: the classifier's cross-sample pairing needs the whole batch")
		}
		// Q5: row q = s·N+i takes the graph of sample q mod B, agent q div B.
		n := rs.N
		sc.perm = chunk.Grow(sc.perm, nr)
		sc.gp = chunk.Grow(sc.gp, nr*e)
		for q := range nr {
			r, src := rs.At[q], rs.At[(q%b.Size)*n+q/b.Size]
			sc.perm[r] = src
			copy(sc.gp[r*e:(r+1)*e], g[src*e:(src+1)*e])
		}
		gp = sc.gp
	}
	emb := wk.n.clsAgg.Forward(e, gp, wk.n.clsValue.Forward(rs.Ents))
	sc.x = chunk.Grow(sc.x, nr*w)
	for r := range nr {
		copy(sc.x[r*w:r*w+v], emb[r*v:(r+1)*v])
		copy(sc.x[r*w+v:(r+1)*w], sc.z[r*k:(r+1)*k])
	}
	out := wk.n.cls.Forward(sc.x) // rows×M

	// Per sample: logit = Σ_i out_i over alive agents; CE and its gradient.
	sc.logit = chunk.Grow(sc.logit, nm)
	sc.dl = chunk.Grow(sc.dl, nm)
	sc.dy = chunk.Grow(sc.dy, nr*nm)
	clear(sc.dy)
	var ce, correct float64
	for s := range s1 - s0 {
		clear(sc.logit)
		for i := range rs.N {
			if r := rs.At[s*rs.N+i]; rs.Alive[r] {
				for c, o := range out[r*nm : (r+1)*nm] {
					sc.logit[c] += o
				}
			}
		}
		ce += crossEntropy(sc.logit, game, inv, sc.dl) * inv
		if nn.Argmax(sc.logit) == game {
			correct++
		}
		for i := range rs.N {
			if r := rs.At[s*rs.N+i]; rs.Alive[r] {
				copy(sc.dy[r*nm:(r+1)*nm], sc.dl)
			}
		}
	}
	dx := wk.n.cls.Backward(sc.dy) // rows×(V+K)

	// Through e = Σ_j g_j v_ω(ent_j) into v_ω and g, then φ.
	sc.de = chunk.Grow(sc.de, nr*v)
	for r := range nr {
		copy(sc.de[r*v:(r+1)*v], dx[r*w:r*w+v])
	}
	dgp, dv := wk.n.clsAgg.Backward(sc.de)
	wk.n.clsValue.Backward(dv)
	dg := dgp
	if pair {
		sc.dg = chunk.Grow(sc.dg, nr*e)
		for r, src := range sc.perm[:nr] {
			copy(sc.dg[src*e:(src+1)*e], dgp[r*e:(r+1)*e])
		}
		dg = sc.dg
	}
	_, _, dzRel := wk.n.rel.Backward(dg)

	clear(dz)
	for r := range nr {
		i := rs.Agent[r]
		d := dz[i*k : (i+1)*k]
		for j := range k {
			d[j] += dx[r*w+v+j] + dzRel[r*k+j]
		}
	}
	st[0], st[1] = ce, correct
	return dz
}
