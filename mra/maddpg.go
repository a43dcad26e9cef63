package mra

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
)

// MADDPG's parameter groups, in the order they sit in its flat vector.
const (
	ddpgGroupCritic = iota // the centralised critic Q (q_lr)
	ddpgGroupActor         // the actors μ, one per agent type (pi_lr)
	ddpgGroups
)

var ddpgGroupNames = [ddpgGroups]string{"critic", "actor"}

// ddpgLogitReg is λ of the actor's logit regulariser λ·mean(logits²), the
// value of the MADDPG authors' code (p_reg · 1e-3), which keeps the
// deterministic policy gradient from driving the logits to infinity.
const ddpgLogitReg = 1e-3

// ddpgNets is one instance of MADDPG's networks bound to a parameter vector.
type ddpgNets struct {
	critic *ddpgCritic
	actor  []*actorNet // per agent type
}

func (m *MADDPG) newNets() *ddpgNets {
	n := &ddpgNets{critic: newDDPGCritic(m.cfg, m.f)}
	for _, a := range m.f.Actions {
		n.actor = append(n.actor, newActorNet(m.cfg, m.f.D, a))
	}
	return n
}

func (n *ddpgNets) group(g int) []nn.Module {
	if g == ddpgGroupCritic {
		return n.critic.modules()
	}
	var mods []nn.Module
	for _, a := range n.actor {
		mods = append(mods, a.modules()...)
	}
	return mods
}

// bind binds every module, and the critic's second embedding instance, to
// value and grad laid out as MADDPG.params.
func (n *ddpgNets) bind(m *MADDPG, value, grad []float64) {
	for g := range ddpgGroups {
		off := m.groups[g].lo
		for _, mod := range n.group(g) {
			k := mod.NumParams()
			mod.SetParams(value[off:off+k:off+k], grad[off:off+k:off+k])
			if mod == nn.Module(n.critic.emb[0]) {
				n.critic.emb[1].SetParams(value[off:off+k:off+k], grad[off:off+k:off+k])
			}
			off += k
		}
	}
}

// MADDPG is the paper's third baseline (mra.md §6.2): multi-agent deep
// deterministic policy gradient (Lowe et al. 2017) with relational
// (attention) representations, for discrete actions. It trains
//
//   - one decentralised actor μ per agent type on the entity encoding
//     (attention over the entities an agent observes, so it plays at every
//     population), whose action is a straight-through Gumbel-softmax sample
//     of its logits (Jang et al. 2017; the MADDPG authors' discrete
//     relaxation): one-hot forward, the relaxed sample's gradient backward;
//   - one centralised critic Q_i(o, a_1 … a_N) shared by all agents, with
//     MAAC's attention over the other agents' (observation, action)
//     embeddings (Iqbal and Sha 2019), so it too serves every population;
//   - target copies of both, updated by Polyak averaging
//     θ⁻ ← (1 − τ)·θ⁻ + τ·θ after every gradient step (τ = Config.Tau;
//     τ = 1 is a hard copy).
//
// The updates, on a replay batch (o, a, r, o', done) of one population
// (rewards normalised per agent by the replay buffer, as for MRA):
//
//	y_i   = r_i + γ·(1 − done_i)·Q⁻_i(o', a'),   a'_j = onehot(argmax(ℓ⁻_j(o'_j) + g_j)),  g Gumbel noise
//	L_Q   = Σ_{alive i,b} (Q_i(o, a) − y_i)² / #alive
//	L_μ   = −Σ_{alive i,b} Q_i(o, a_1 … â_i … a_N) / #alive + λ·mean_{alive i,b,k} ℓ_ik²
//	        â_i = GumbelSoftmaxST(ℓ_i(o_i)), the other agents' actions a_j replayed
//
// with λ = 1e-3 (the authors' code). Each gradient is clipped at global
// norm Config.GradClip (not scaled by N) before its Adam step. Acting
// samples the hard Gumbel-softmax action, which is distributed as
// softmax(ℓ) (the Gumbel-max trick): that sampling is the exploration, and
// softmax(ℓ) is the exact action distribution the league uses.
//
// The updates run on the calling goroutine, so results do not depend on any
// number of workers. A MADDPG is not safe for concurrent use; it has its
// own random stream (the updates' Gumbel noise), saved in its state.
type MADDPG struct {
	cfg Config
	f   Features

	params, grad  []float64
	target, tgrad []float64
	groups        [ddpgGroups]span
	layout        [ddpgGroups][]nn.Segment
	opt           [ddpgGroups]*optim.Adam

	online, tgt *ddpgNets
	gumbel      []nn.GumbelSoftmax // per type, temperature 1
	pcg         *rand.PCG
	rng         *rand.Rand

	rs, ars rows // the update's rows and Act's rows

	noise   []float64 // rows×A Gumbel noise of the running update
	act     []float64 // rows×A actions fed to a critic
	act2    []float64 // rows×A the agents' own relaxed actions (actor update)
	y, dQ   []float64 // rows
	dlogits []float64
	prob    []float64
	// frozen, when set (tests), replaces the actor update's hard action by
	// soft + frozen, frozen being hard − soft recorded at the parameters
	// the gradient is checked at: the surrogate whose exact gradient the
	// straight-through estimator is.
	frozen []float64

	stats DDPGStats
	err   error
}

// DDPGStats are the figures of MADDPG's latest updates.
type DDPGStats struct {
	CriticLoss float64 // L_Q
	ActorLoss  float64 // L_μ
	Q          float64 // mean Q_i(o, … â_i …) over alive rows in the actor update
	Entropy    float64 // mean entropy of softmax(ℓ) over alive rows (nats)
}

// NewMADDPG builds MADDPG's networks for a game with features f and
// initialises them from rng: Xavier-normal weights, zero biases, targets
// equal to the online networks.
func NewMADDPG(cfg Config, f Features, rng *rand.Rand) (*MADDPG, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := len(f.Types)
	if h < 1 || len(f.Actions) != h || f.D < 1 || f.A < 1 {
		return nil, fmt.Errorf("mra: features with %d types, %d action counts, row width %d: want ≥ 1 type, one action count each, width ≥ 1", h, len(f.Actions), f.D)
	}
	for k, a := range f.Actions {
		if a < 1 || a > f.A {
			return nil, fmt.Errorf("mra: type %q has %d actions, want 1 … %d", f.Types[k], a, f.A)
		}
	}
	m := &MADDPG{cfg: cfg, f: f}
	proto := m.newNets()
	off := 0
	for g := range ddpgGroups {
		n := 0
		for _, mod := range proto.group(g) {
			m.layout[g] = mod.AppendSegments(m.layout[g], off+n)
			n += mod.NumParams()
		}
		m.groups[g] = span{off, off + n}
		off += n
	}
	m.params, m.grad = make([]float64, off), make([]float64, off)
	m.target, m.tgrad = make([]float64, off), make([]float64, off)
	for g := range ddpgGroups {
		nn.XavierNormal(rng, m.params, optim.Layout{Layers: m.layout[g]})
	}
	copy(m.target, m.params)
	m.online = proto
	m.online.bind(m, m.params, m.grad)
	m.tgt = m.newNets()
	m.tgt.bind(m, m.target, m.tgrad)
	for g := range ddpgGroups {
		o, err := m.newOptimizer(g)
		if err != nil {
			return nil, err
		}
		m.opt[g] = o
	}
	for _, a := range f.Actions {
		m.gumbel = append(m.gumbel, nn.GumbelSoftmax{N: a, Temperature: 1})
	}
	m.pcg = rand.NewPCG(rng.Uint64(), rng.Uint64())
	m.rng = rand.New(m.pcg)
	m.prob = make([]float64, f.A)
	return m, nil
}

// newOptimizer returns group g's Adam: q_lr for the critic, pi_lr for the
// actors, weight decay WeightDecay.
func (m *MADDPG) newOptimizer(g int) (*optim.Adam, error) {
	lr := m.cfg.CriticLR
	if g == ddpgGroupActor {
		lr = m.cfg.PolicyLR
	}
	ac := optim.DefaultAdam()
	ac.LR = optim.Constant(lr)
	ac.WeightDecay = m.cfg.WeightDecay
	o, err := optim.NewAdam(m.groups[g].hi-m.groups[g].lo, ac)
	if err != nil {
		return nil, fmt.Errorf("mra: maddpg %s optimizer: %w", ddpgGroupNames[g], err)
	}
	return o, nil
}

// Config returns the configuration.
func (m *MADDPG) Config() Config { return m.cfg }

// Features returns the encoding widths the networks were built for.
func (m *MADDPG) Features() Features { return m.f }

// ParamCount returns the number of trainable parameters (critic and
// actors).
func (m *MADDPG) ParamCount() int { return len(m.params) }

// Stats returns the figures of the latest updates.
func (m *MADDPG) Stats() DDPGStats { return m.stats }

// Err returns the first error of an update (a non-finite gradient), nil if
// none; the failing update left its parameters unchanged.
func (m *MADDPG) Err() error { return m.err }

// Close is a no-op: MADDPG starts no goroutines. It lets the trainer treat
// every learner alike.
func (m *MADDPG) Close() {}

// checkBatch panics unless b fits the networks.
func (m *MADDPG) checkBatch(b *Batch) {
	enc := b.Enc
	switch {
	case b.Size < 1:
		panic("mra: empty batch")
	case enc.D != m.f.D || enc.A != m.f.A || len(enc.Types) != len(m.f.Types):
		panic(fmt.Sprintf("mra: batch encoded with D=%d, A=%d, %d types; the networks take D=%d, A=%d, %d types", enc.D, enc.A, len(enc.Types), m.f.D, m.f.A, len(m.f.Types)))
	case enc.E < 1:
		panic("mra: the population's agents observe no entity rows (E = 0)")
	}
}

// drawNoise fills m.noise (rows×A) with Gumbel noise −log(−log u).
func (m *MADDPG) drawNoise(rows int) []float64 {
	m.noise = growT(m.noise, rows*m.f.A)
	for i := range m.noise {
		u := m.rng.Float64()
		for u == 0 {
			u = m.rng.Float64()
		}
		m.noise[i] = -math.Log(-math.Log(u))
	}
	return m.noise
}

// UpdateCritic takes one gradient step of the critic on b (L_Q), then a
// Polyak step of the critic's target. It returns the loss (NaN, with the
// parameters unchanged and Err set, if the gradient is not finite). It
// panics if b does not fit the networks.
func (m *MADDPG) UpdateCritic(b *Batch) float64 {
	m.checkBatch(b)
	loss := m.criticLoss(b, m.drawNoise(b.Size*b.Enc.N))
	m.stats.CriticLoss = loss
	return m.finish(ddpgGroupCritic, loss)
}

// UpdateActors takes one gradient step of every type's actor on b (L_μ),
// then a Polyak step of the actors' targets. It returns the loss (NaN,
// with the parameters unchanged and Err set, if the gradient is not
// finite) and the mean entropy of the actors' softmax(ℓ). It panics if b
// does not fit the networks.
func (m *MADDPG) UpdateActors(b *Batch) (loss, entropy float64) {
	m.checkBatch(b)
	loss = m.actorLoss(b, m.drawNoise(b.Size*b.Enc.N))
	m.stats.ActorLoss = loss
	return m.finish(ddpgGroupActor, loss), m.stats.Entropy
}

// finish clips group g's gradient, takes its Adam step and its targets'
// Polyak step.
func (m *MADDPG) finish(g int, loss float64) float64 {
	sp := m.groups[g]
	grad := m.grad[sp.lo:sp.hi]
	clip := optim.ClipGlobalNorm{MaxNorm: m.cfg.GradClip}
	_, err := clip.Clip(grad)
	if err == nil {
		err = m.opt[g].Step(m.params[sp.lo:sp.hi], grad)
	}
	if err != nil {
		if m.err == nil {
			m.err = fmt.Errorf("mra: maddpg %s step: %w", ddpgGroupNames[g], err)
		}
		return math.NaN()
	}
	m.softUpdate(g)
	return loss
}

// softUpdate moves group g's targets towards the online parameters:
// θ⁻ ← (1 − τ)·θ⁻ + τ·θ (a copy when τ = 1).
func (m *MADDPG) softUpdate(g int) {
	sp, tau := m.groups[g], m.cfg.Tau
	if tau == 1 {
		copy(m.target[sp.lo:sp.hi], m.params[sp.lo:sp.hi])
		return
	}
	for i := sp.lo; i < sp.hi; i++ {
		m.target[i] = (1-tau)*m.target[i] + tau*m.params[i]
	}
}

// putOneHot writes onehot(a) padded to A into dst (A wide).
func putOneHot(dst []float64, a int) {
	clear(dst)
	dst[a] = 1
}

// criticLoss returns L_Q on b, the target actions drawn with Gumbel noise
// noise (rows×A in the rows' type-major order; a type's first A_k entries
// of a row are used), and leaves its gradient in the critic part of
// m.grad (the rest of m.grad is scratch).
func (m *MADDPG) criticLoss(b *Batch, noise []float64) float64 {
	rs := &m.rs
	rs.gather(b, 0, b.Size, true)
	nr, e, A := b.Size*rs.n, rs.e, m.f.A
	clear(m.grad)

	// a'_j = onehot(argmax(ℓ⁻_j(o'_j) + g_j)) from the target actors.
	m.act = growT(m.act, nr*A)
	for t, p := range m.tgt.actor {
		lo, hi := rs.rowsOf(t)
		if lo == hi {
			continue
		}
		lg := p.forward(e, rs.typeSelf(t, rs.nextSelf), rs.nextEnts[lo*e*rs.d:hi*e*rs.d], rs.nextMask[lo*e:hi*e])
		for r := lo; r < hi; r++ {
			l, g := lg[(r-lo)*p.a:(r-lo+1)*p.a], noise[r*A:r*A+p.a]
			best, arg := math.Inf(-1), 0
			for k := range l {
				if v := l[k] + g[k]; v > best {
					best, arg = v, k
				}
			}
			putOneHot(m.act[r*A:(r+1)*A], arg)
		}
	}
	tc := m.tgt.critic
	xn := tc.embed(0, tc.encode(e, rs.nextSelf, rs.nextEnts, rs.nextMask), rs.nextSelf, m.act)
	qn := tc.q(rs, xn, xn)
	m.y = growT(m.y, nr)
	for r := range nr {
		m.y[r] = rs.reward[r] + m.cfg.Gamma*(1-rs.done[r])*qn[r]
	}

	// Q(o, a) with the replayed actions.
	for r := range nr {
		putOneHot(m.act[r*A:(r+1)*A], rs.action[r])
	}
	cr := m.online.critic
	x := cr.embed(0, cr.encode(e, rs.self, rs.ents, rs.mask), rs.self, m.act)
	q := cr.q(rs, x, x)
	alive := 0
	for r := range nr {
		if rs.alive[r] {
			alive++
		}
	}
	m.dQ = growT(m.dQ, nr)
	clear(m.dQ)
	var loss float64
	if alive > 0 {
		inv := 1 / float64(alive)
		for r := range nr {
			if rs.alive[r] {
				d := q[r] - m.y[r]
				loss += d * d * inv
				m.dQ[r] = 2 * d * inv
			}
		}
	}
	cr.backward(m.dQ)
	return loss
}

// actorLoss returns L_μ on b, the agents' own actions drawn with Gumbel
// noise noise (as for criticLoss), and leaves its straight-through
// gradient in the actor part of m.grad (the rest is scratch). It sets the
// Q and Entropy statistics.
func (m *MADDPG) actorLoss(b *Batch, noise []float64) float64 {
	rs := &m.rs
	rs.gather(b, 0, b.Size, false)
	nr, e, A := b.Size*rs.n, rs.e, m.f.A
	clear(m.grad)
	alive := 0
	for r := range nr {
		if rs.alive[r] {
			alive++
		}
	}
	inv := 0.0
	if alive > 0 {
		inv = 1 / float64(alive)
	}

	// â_i = GumbelSoftmaxST(ℓ_i(o_i)); a_j replayed.
	m.act = growT(m.act, nr*A)
	m.act2 = growT(m.act2, nr*A)
	clear(m.act2)
	var reg, ent float64
	for t, p := range m.online.actor {
		lo, hi := rs.rowsOf(t)
		if lo == hi {
			continue
		}
		lg := p.forward(e, rs.typeSelf(t, rs.self), rs.ents[lo*e*rs.d:hi*e*rs.d], rs.mask[lo*e:hi*e])
		gn := growT(m.dlogits, (hi-lo)*p.a)
		for r := lo; r < hi; r++ {
			copy(gn[(r-lo)*p.a:(r-lo+1)*p.a], noise[r*A:r*A+p.a])
		}
		hard := m.gumbel[t].ForwardNoise(lg, gn)
		soft := m.gumbel[t].Soft()
		for r := lo; r < hi; r++ {
			dst := m.act2[r*A : r*A+p.a]
			h := hard[(r-lo)*p.a : (r-lo+1)*p.a]
			if m.frozen != nil {
				for k := range dst {
					dst[k] = soft[(r-lo)*p.a+k] + m.frozen[r*A+k]
				}
			} else {
				copy(dst, h)
			}
			if rs.alive[r] {
				l := lg[(r-lo)*p.a : (r-lo+1)*p.a]
				for _, v := range l {
					reg += v * v * inv / float64(p.a)
				}
				ent += entropyOfLogits(l, m.prob[:p.a]) * inv
			}
		}
	}
	for r := range nr {
		putOneHot(m.act[r*A:(r+1)*A], rs.action[r])
	}
	cr := m.online.critic
	o := cr.encode(e, rs.self, rs.ents, rs.mask)
	xkv := cr.embed(0, o, rs.self, m.act)
	xq := cr.embed(1, o, rs.self, m.act2)
	q := cr.q(rs, xq, xkv)
	m.dQ = growT(m.dQ, nr)
	var meanQ float64
	for r := range nr {
		m.dQ[r] = 0
		if rs.alive[r] {
			meanQ += q[r] * inv
			m.dQ[r] = -inv
		}
	}
	loss := -meanQ + ddpgLogitReg*reg

	dxq, _ := cr.backQ(m.dQ)
	din := cr.backEmbed(1, dxq)
	for t, p := range m.online.actor {
		lo, hi := rs.rowsOf(t)
		if lo == hi {
			continue
		}
		// The Gumbel-softmax of type t still holds this forward's samples.
		m.dlogits = growT(m.dlogits, (hi-lo)*p.a)
		for r := lo; r < hi; r++ {
			copy(m.dlogits[(r-lo)*p.a:(r-lo+1)*p.a], cr.actionGrad(din, r)[:p.a])
		}
		dl := m.gumbel[t].Backward(m.dlogits)
		lg := p.logits
		for r := lo; r < hi; r++ {
			if !rs.alive[r] {
				continue
			}
			for k := range p.a {
				i := (r-lo)*p.a + k
				dl[i] += 2 * ddpgLogitReg * lg[i] * inv / float64(p.a)
			}
		}
		p.backward(dl)
	}
	m.stats.Q, m.stats.Entropy = meanQ, ent
	return loss
}

// entropyOfLogits returns the entropy of softmax(l), using prob as
// scratch.
func entropyOfLogits(l, prob []float64) float64 {
	softmaxInto(prob, l)
	var h float64
	for _, p := range prob {
		if p > 0 {
			h -= p * math.Log(p)
		}
	}
	return h
}
