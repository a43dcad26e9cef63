package maddpg

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
)

// MADDPG's parameter groups, in the order they sit in its flat vector.
const (
	groupCritic = iota // the centralised critic Q (q_lr)
	groupActor         // the actors μ, one per agent type (pi_lr)
	numGroups
)

var groupNames = [numGroups]string{"critic", "actor"}

// span is a half-open range [lo, hi) of the flat parameter vector.
type span struct{ lo, hi int }

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
	if g == groupCritic {
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
	for g := range numGroups {
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
//     θ⁻ ← (1 − τ)·θ⁻ + τ·θ after every gradient step (τ = Settings.Tau;
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
// norm Settings.GradClip (not scaled by N) before its Adam step. Acting
// samples the hard Gumbel-softmax action, which is distributed as
// softmax(ℓ) (the Gumbel-max trick): that sampling is the exploration, and
// softmax(ℓ) is the exact action distribution the league uses.
//
// The updates split their batch into fixed chunks of samples run by a
// pool of worker goroutines and reduce the chunks' gradients in chunk
// order (agents/chunk), as MRA's do, so results are identical bit for bit whatever the
// number of workers (SetWorkers). A MADDPG is not safe for concurrent use;
// it has its own random stream (the updates' Gumbel noise, drawn on the
// calling goroutine), saved in its state.
type MADDPG struct {
	cfg Settings
	f   replay.Features

	params, grad []float64
	target       []float64
	groups       [numGroups]span
	layout       [numGroups][]nn.Segment
	opt          [numGroups]*optim.Adam

	online *ddpgNets // acting's instance, bound to params and grad
	pcg    *rand.PCG
	rng    *rand.Rand
	ars    chunk.Rows[float64] // Act's rows
	prob   []float64
	noise  []float64 // B·N×A Gumbel noise of the running update, sample-major rows

	// Parallel updates.
	chunks    chunk.Driver[*ddpgWorker]
	job       ddpgJob
	chunkGrad [][]float64
	chunkStat [][3]float64
	y, q      []float64 // B·N, sample-major: the critic update's targets and Q (tests read them)

	// st, when set (tests), records the actor update's hard − soft per row
	// (record) or replays it as a constant, the action then being
	// soft + st.v: the surrogate whose exact gradient the straight-through
	// estimator is, at the parameters the values were recorded at.
	st *stSeam

	stats Stats
	err   error
}

// Stats are the figures of MADDPG's latest updates.
type Stats struct {
	CriticLoss float64 // L_Q
	ActorLoss  float64 // L_μ
	Q          float64 // mean Q_i(o, … â_i …) over alive rows in the actor update
	Entropy    float64 // mean entropy of softmax(ℓ) over alive rows (nats)
}

// NewMADDPG builds MADDPG's networks for a game with features f and
// initialises them from rng: Xavier-normal weights, zero biases, targets
// equal to the online networks.
func NewMADDPG(cfg Settings, f replay.Features, rng *rand.Rand) (*MADDPG, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := len(f.Types)
	if h < 1 || len(f.Actions) != h || f.D < 1 || f.A < 1 {
		return nil, fmt.Errorf("maddpg: features with %d types, %d action counts, row width %d: want ≥ 1 type, one action count each, width ≥ 1", h, len(f.Actions), f.D)
	}
	for k, a := range f.Actions {
		if a < 1 || a > f.A {
			return nil, fmt.Errorf("maddpg: type %q has %d actions, want 1 … %d", f.Types[k], a, f.A)
		}
	}
	m := &MADDPG{cfg: cfg, f: f}
	m.chunks = chunk.NewDriver(m.newWorker, m.runChunk)
	proto := m.newNets()
	off := 0
	for g := range numGroups {
		n := 0
		for _, mod := range proto.group(g) {
			m.layout[g] = mod.AppendSegments(m.layout[g], off+n)
			n += mod.NumParams()
		}
		m.groups[g] = span{off, off + n}
		off += n
	}
	m.params, m.grad = make([]float64, off), make([]float64, off)
	m.target = make([]float64, off)
	for g := range numGroups {
		nn.XavierNormal(rng, m.params, nn.Layout{Layers: m.layout[g]})
	}
	copy(m.target, m.params)
	m.online = proto
	m.online.bind(m, m.params, m.grad)
	for g := range numGroups {
		o, err := m.newOptimizer(g)
		if err != nil {
			return nil, err
		}
		m.opt[g] = o
	}
	m.chunkGrad = make([][]float64, chunk.Count)
	for c := range m.chunkGrad {
		m.chunkGrad[c] = make([]float64, off)
	}
	m.chunkStat = make([][3]float64, chunk.Count)
	m.pcg = rand.NewPCG(rng.Uint64(), rng.Uint64())
	m.rng = rand.New(m.pcg)
	m.prob = make([]float64, f.A)
	return m, nil
}

// newOptimizer returns group g's Adam: q_lr for the critic, pi_lr for the
// actors, weight decay WeightDecay.
func (m *MADDPG) newOptimizer(g int) (*optim.Adam, error) {
	lr := m.cfg.CriticLR
	if g == groupActor {
		lr = m.cfg.PolicyLR
	}
	ac := optim.DefaultAdam()
	ac.LR = optim.Constant(lr)
	ac.WeightDecay = m.cfg.WeightDecay
	o, err := optim.NewAdam(m.groups[g].hi-m.groups[g].lo, ac)
	if err != nil {
		return nil, fmt.Errorf("maddpg: maddpg %s optimizer: %w", groupNames[g], err)
	}
	return o, nil
}

// Settings returns the settings the networks were built with.
func (m *MADDPG) Settings() Settings { return m.cfg }

// Features returns the encoding widths the networks were built for.
func (m *MADDPG) Features() replay.Features { return m.f }

// ParamCount returns the number of trainable parameters (critic and
// actors).
func (m *MADDPG) ParamCount() int { return len(m.params) }

// Stats returns the figures of the latest updates.
func (m *MADDPG) Stats() Stats { return m.stats }

// Err returns the first error of an update (a non-finite gradient), nil if
// none; the failing update left its parameters unchanged.
func (m *MADDPG) Err() error { return m.err }

// SetWorkers sets how many goroutines run the updates' chunks (at least 1,
// at most the fixed number of chunks, 8). The default is GOMAXPROCS. The
// results do not depend on it.
func (m *MADDPG) SetWorkers(n int) { m.chunks.SetWorkers(n) }

// Close stops the worker goroutines. The learner stays usable: they are
// restarted by the next update.
func (m *MADDPG) Close() { m.chunks.Close() }

// checkBatch panics unless b fits the networks.
func (m *MADDPG) checkBatch(b *replay.Batch) {
	enc := b.Enc
	switch {
	case b.Size < 1:
		panic("maddpg: empty batch")
	case enc.D != m.f.D || enc.A != m.f.A || len(enc.Types) != len(m.f.Types):
		panic(fmt.Sprintf("maddpg: batch encoded with D=%d, A=%d, %d types; the networks take D=%d, A=%d, %d types", enc.D, enc.A, len(enc.Types), m.f.D, m.f.A, len(m.f.Types)))
	case enc.E < 1:
		panic("maddpg: the population's agents observe no entity rows (E = 0)")
	}
}

// drawNoise fills m.noise (rows×A) with Gumbel noise −log(−log u).
func (m *MADDPG) drawNoise(rows int) []float64 {
	m.noise = chunk.Grow(m.noise, rows*m.f.A)
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
func (m *MADDPG) UpdateCritic(b *replay.Batch) float64 {
	m.checkBatch(b)
	loss := m.criticLoss(b, m.drawNoise(b.Size*b.Enc.N))
	m.stats.CriticLoss = loss
	return m.finish(groupCritic, loss)
}

// UpdateActors takes one gradient step of every type's actor on b (L_μ),
// then a Polyak step of the actors' targets. It returns the loss (NaN,
// with the parameters unchanged and Err set, if the gradient is not
// finite) and the mean entropy of the actors' softmax(ℓ). It panics if b
// does not fit the networks.
func (m *MADDPG) UpdateActors(b *replay.Batch) (loss, entropy float64) {
	m.checkBatch(b)
	loss = m.actorLoss(b, m.drawNoise(b.Size*b.Enc.N))
	m.stats.ActorLoss = loss
	return m.finish(groupActor, loss), m.stats.Entropy
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
			m.err = fmt.Errorf("maddpg: maddpg %s step: %w", groupNames[g], err)
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
