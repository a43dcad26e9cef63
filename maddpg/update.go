package maddpg

import (
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"

	"github.com/mrasim/mrasim/agents/nn"
)

// MADDPG's updates run like MRA's (agents/chunk's machinery): the batch is
// split into chunk.Count fixed sample ranges; each chunk is computed by some
// worker with its own network instances sharing the parameters, into its
// own gradient buffer; the caller adds the chunk gradients in chunk order.
// The Gumbel noise of every (sample, agent) row is drawn on the calling
// goroutine before the chunks run, and the loss is normalised by the alive
// rows of the whole batch, so no result depends on the number of workers.
// The critic's attention over agents couples only agents of one sample,
// which a chunk holds whole.

// ddpgWorker is one goroutine's network instances and scratch.
type ddpgWorker struct {
	on, tg      *ddpgNets // online (bound to params) and targets (bound to target)
	grad, tgrad []float64
	gumbel      []nn.GumbelSoftmax // per type, temperature 1
	rs          chunk.Rows[float64]

	gn      []float64 // one type's Gumbel noise
	act     []float64 // rows×A actions fed to a critic (replayed or target)
	act2    []float64 // rows×A the agents' own actions (actor update)
	dQ      []float64 // rows
	dlogits []float64
	prob    []float64
}

func (m *MADDPG) newWorker() *ddpgWorker {
	wk := &ddpgWorker{
		grad: make([]float64, len(m.params)), tgrad: make([]float64, len(m.target)),
		on: m.newNets(), tg: m.newNets(), prob: make([]float64, m.f.A),
	}
	wk.on.bind(m, m.params, wk.grad)
	wk.tg.bind(m, m.target, wk.tgrad)
	for _, a := range m.f.Actions {
		wk.gumbel = append(wk.gumbel, nn.GumbelSoftmax{N: a, Temperature: 1})
	}
	return wk
}

// ddpgJob is the running update.
type ddpgJob struct {
	actor bool // the actor update, else the critic update
	b     *replay.Batch
	noise []float64 // B·N×A, sample-major
	inv   float64   // 1 / alive rows of the batch (0 if none)
}

// stSeam is the tests' straight-through seam (MADDPG.st).
type stSeam struct {
	record bool
	v      []float64 // B·N×A, sample-major: hard − soft
}

// runChunk runs the current job on chunk c with worker w.
func (m *MADDPG) runChunk(w, c int) {
	wk := m.chunks.Work[w]
	j := &m.job
	s0, s1 := chunk.Range(c, j.b.Size)
	g := groupCritic
	if j.actor {
		g = groupActor
	}
	sp := m.groups[g]
	m.chunkStat[c] = [3]float64{}
	if s0 == s1 {
		clear(m.chunkGrad[c][sp.lo:sp.hi])
		return
	}
	clear(wk.grad)
	if j.actor {
		m.actorChunk(wk, s0, s1, &m.chunkStat[c])
	} else {
		m.criticChunk(wk, s0, s1, &m.chunkStat[c])
	}
	copy(m.chunkGrad[c][sp.lo:sp.hi], wk.grad[sp.lo:sp.hi])
}

// run runs the critic or actor update on b with the given noise and
// reduces the chunks' gradients into m.grad (the other group's part is
// zeroed) and their statistics, in chunk order.
func (m *MADDPG) run(actor bool, b *replay.Batch, noise []float64) [3]float64 {
	n := b.Size * b.Enc.N
	alive := 0
	for _, a := range b.Alive[:n] {
		if a {
			alive++
		}
	}
	inv := 0.0
	if alive > 0 {
		inv = 1 / float64(alive)
	}
	m.y, m.q = chunk.Grow(m.y, n), chunk.Grow(m.q, n)
	if m.st != nil && m.st.record {
		m.st.v = chunk.Grow(m.st.v, n*m.f.A)
	}
	m.job = ddpgJob{actor: actor, b: b, noise: noise, inv: inv}
	m.chunks.Run()
	m.job.b, m.job.noise = nil, nil
	g := groupCritic
	if actor {
		g = groupActor
	}
	sp := m.groups[g]
	clear(m.grad)
	grad := m.grad[sp.lo:sp.hi]
	var sum [3]float64
	for c := range chunk.Count {
		for i, v := range m.chunkGrad[c][sp.lo:sp.hi] {
			grad[i] += v
		}
		for i, v := range m.chunkStat[c] {
			sum[i] += v
		}
	}
	return sum
}

// criticLoss returns L_Q on b, the target actions drawn with Gumbel noise
// noise (B·N rows of A, sample-major; a type's first A_k entries of a row
// are used), and leaves its gradient in m.grad (critic part; the rest
// zero).
func (m *MADDPG) criticLoss(b *replay.Batch, noise []float64) float64 {
	return m.run(false, b, noise)[0]
}

// actorLoss returns L_μ on b, the agents' own actions drawn with Gumbel
// noise noise (as for criticLoss), and leaves its straight-through
// gradient in m.grad (actor part; the rest zero). It sets the Q and
// Entropy statistics.
func (m *MADDPG) actorLoss(b *replay.Batch, noise []float64) float64 {
	s := m.run(true, b, noise)
	m.stats.Q, m.stats.Entropy = s[1], s[2]
	return s[0]
}

// putOneHot writes onehot(a) padded to A into dst (A wide).
func putOneHot(dst []float64, a int) {
	clear(dst)
	dst[a] = 1
}

// criticChunk computes samples s0 … s1−1's part of L_Q into st[0] and its
// gradient into wk.grad.
func (m *MADDPG) criticChunk(wk *ddpgWorker, s0, s1 int, st *[3]float64) {
	j := &m.job
	rs := &wk.rs
	rs.Gather(j.b, s0, s1, true)
	nr, e, d, A := (s1-s0)*rs.N, rs.E, rs.D, m.f.A

	// a'_j = onehot(argmax(ℓ⁻_j(o'_j) + g_j)) from the target actors.
	wk.act = chunk.Grow(wk.act, nr*A)
	for t, p := range wk.tg.actor {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		lg := p.forward(e, rs.TypeSelf(t, rs.NextSelf), rs.NextEnts[lo*e*d:hi*e*d], rs.NextMask[lo*e:hi*e])
		for r := lo; r < hi; r++ {
			l, gn := lg[(r-lo)*p.a:(r-lo+1)*p.a], j.noise[rs.Global(s0, r)*A:]
			best, arg := math.Inf(-1), 0
			for k, v := range l {
				if v += gn[k]; v > best {
					best, arg = v, k
				}
			}
			putOneHot(wk.act[r*A:(r+1)*A], arg)
		}
	}
	tc := wk.tg.critic
	xn := tc.embed(0, tc.encode(e, rs.NextSelf, rs.NextEnts, rs.NextMask), rs.NextSelf, wk.act)
	qn := tc.q(rs, xn, xn)

	// Q(o, a) with the replayed actions.
	for r := range nr {
		putOneHot(wk.act[r*A:(r+1)*A], rs.Action[r])
	}
	cr := wk.on.critic
	x := cr.embed(0, cr.encode(e, rs.Self, rs.Ents, rs.Mask), rs.Self, wk.act)
	q := cr.q(rs, x, x)
	wk.dQ = chunk.Grow(wk.dQ, nr)
	var loss float64
	for r := range nr {
		g := rs.Global(s0, r)
		y := rs.Reward[r] + m.cfg.Gamma*(1-rs.Done[r])*qn[r]
		m.y[g], m.q[g] = y, q[r]
		wk.dQ[r] = 0
		if rs.Alive[r] {
			diff := q[r] - y
			loss += diff * diff * j.inv
			wk.dQ[r] = 2 * diff * j.inv
		}
	}
	cr.backward(wk.dQ)
	st[0] = loss
}

// actorChunk computes samples s0 … s1−1's part of L_μ into st[0], of the
// mean Q into st[1] and of the mean entropy into st[2], and the
// straight-through gradient into wk.grad.
func (m *MADDPG) actorChunk(wk *ddpgWorker, s0, s1 int, st *[3]float64) {
	j := &m.job
	rs := &wk.rs
	rs.Gather(j.b, s0, s1, false)
	nr, e, d, A, inv := (s1-s0)*rs.N, rs.E, rs.D, m.f.A, j.inv

	// â_i = GumbelSoftmaxST(ℓ_i(o_i)); the others' a_j replayed.
	wk.act = chunk.Grow(wk.act, nr*A)
	wk.act2 = chunk.Grow(wk.act2, nr*A)
	clear(wk.act2)
	var reg, ent float64
	for t, p := range wk.on.actor {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		lg := p.forward(e, rs.TypeSelf(t, rs.Self), rs.Ents[lo*e*d:hi*e*d], rs.Mask[lo*e:hi*e])
		wk.gn = chunk.Grow(wk.gn, (hi-lo)*p.a)
		for r := lo; r < hi; r++ {
			g := rs.Global(s0, r)
			copy(wk.gn[(r-lo)*p.a:(r-lo+1)*p.a], j.noise[g*A:g*A+p.a])
		}
		hard := wk.gumbel[t].ForwardNoise(lg, wk.gn)
		soft := wk.gumbel[t].Soft()
		for r := lo; r < hi; r++ {
			g := rs.Global(s0, r)
			dst := wk.act2[r*A : r*A+p.a]
			h, sf := hard[(r-lo)*p.a:(r-lo+1)*p.a], soft[(r-lo)*p.a:(r-lo+1)*p.a]
			switch {
			case m.st != nil && m.st.record:
				for k := range dst {
					m.st.v[g*A+k] = h[k] - sf[k]
				}
				copy(dst, h)
			case m.st != nil:
				for k := range dst {
					dst[k] = sf[k] + m.st.v[g*A+k]
				}
			default:
				copy(dst, h)
			}
			if rs.Alive[r] {
				l := lg[(r-lo)*p.a : (r-lo+1)*p.a]
				for _, v := range l {
					reg += v * v * inv / float64(p.a)
				}
				ent += entropyOfLogits(l, wk.prob[:p.a]) * inv
			}
		}
	}
	for r := range nr {
		putOneHot(wk.act[r*A:(r+1)*A], rs.Action[r])
	}
	cr := wk.on.critic
	o := cr.encode(e, rs.Self, rs.Ents, rs.Mask)
	xkv := cr.embed(0, o, rs.Self, wk.act)
	xq := cr.embed(1, o, rs.Self, wk.act2)
	q := cr.q(rs, xq, xkv)
	wk.dQ = chunk.Grow(wk.dQ, nr)
	var meanQ float64
	for r := range nr {
		wk.dQ[r] = 0
		if rs.Alive[r] {
			meanQ += q[r] * inv
			wk.dQ[r] = -inv
		}
	}

	dxq, _ := cr.backQ(wk.dQ)
	din := cr.backEmbed(1, dxq)
	for t, p := range wk.on.actor {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		// The type's Gumbel-softmax still holds this forward's samples.
		wk.dlogits = chunk.Grow(wk.dlogits, (hi-lo)*p.a)
		for r := lo; r < hi; r++ {
			copy(wk.dlogits[(r-lo)*p.a:(r-lo+1)*p.a], cr.actionGrad(din, r)[:p.a])
		}
		dl := wk.gumbel[t].Backward(wk.dlogits)
		lg := p.logits
		for r := lo; r < hi; r++ {
			if !rs.Alive[r] {
				continue
			}
			for k := range p.a {
				i := (r-lo)*p.a + k
				dl[i] += 2 * ddpgLogitReg * lg[i] * inv / float64(p.a)
			}
		}
		p.backward(dl)
	}
	st[0], st[1], st[2] = -meanQ+ddpgLogitReg*reg, meanQ, ent
}

// entropyOfLogits returns the entropy of softmax(l), using prob as
// scratch.
func entropyOfLogits(l, prob []float64) float64 {
	nn.SoftmaxInto(prob, l)
	var h float64
	for _, p := range prob {
		if p > 0 {
			h -= p * math.Log(p)
		}
	}
	return h
}
