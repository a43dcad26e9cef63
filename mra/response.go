package mra

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/env"
)

// This file holds what the league needs to judge a trained model: a Player
// that acts with latents drawn from any per-type distribution over the
// modes (the prior, a chosen mode, adapted mode probabilities) or fixed per
// type, and a ResponseNet, a trainable copy of the acting networks for one
// deviating agent, which league/br warm-starts a best response from.

// Player plays a trained model at one population, as an agents.Policy: at
// the start of every episode each agent draws a one-hot latent from its
// type's distribution over the K modes, then acts from its relation graph
// and its type's policy. Latents stay one-hot when acting, as in training
// (the relation net and the policies only ever saw one-hot z), unless
// SetLatents fixes a type's latent, for example to the soft latents Adapt
// chose. Use one Player per game copy.
type Player struct {
	model *Model
	enc   *replay.Encoding
	modes [][]float64 // per type: the distribution the agents' latents are drawn from
	fixed [][]float64 // per type: its fixed latent, or nil to draw from modes; nil: every type draws
	rng   *rand.Rand

	z, self, ents, graph []float64
	present              []bool
	drawn                bool

	zAll, logp []float64 // ActionProbs' buffers: every agent on one latent, and the log-probabilities
}

// NewPlayer returns a player of model at spec's population, drawing from
// seed. modes[t] is type t's distribution over the K modes (a point of the
// simplex; a one-hot vector plays that mode); a nil modes, or a nil entry,
// means the prior p(z|m) of spec's population. It returns an error for a
// population the model does not fit or a modes entry off the simplex.
func NewPlayer(model *Model, spec *env.Spec, modes [][]float64, seed uint64) (*Player, error) {
	enc, err := replay.NewEncoding(model.Features(), spec)
	if err != nil {
		return nil, err
	}
	h, k := len(model.Features().Types), model.Config().Latents
	if modes != nil && len(modes) != h {
		return nil, fmt.Errorf("mra: %d per-type mode distributions, the model has %d agent types", len(modes), h)
	}
	prior := make([]float64, k)
	model.Prior(replay.Descriptor(spec.Population), prior)
	p := &Player{model: model, enc: enc, modes: make([][]float64, h), rng: rand.New(rand.NewPCG(seed, 0x706c6179))}
	for t := range h {
		p.modes[t] = prior
		if modes != nil && modes[t] != nil {
			if err := checkSimplex(modes[t], k); err != nil {
				return nil, fmt.Errorf("type %q: %w", model.Features().Types[t], err)
			}
			p.modes[t] = append([]float64(nil), modes[t]...)
		}
	}
	n := enc.N
	p.z, p.self, p.ents = make([]float64, n*k), make([]float64, n*enc.D), make([]float64, n*enc.E*enc.D)
	p.graph, p.present = make([]float64, n*enc.E), make([]bool, n*enc.E)
	p.zAll, p.logp = make([]float64, n*k), make([]float64, n*model.Features().A)
	return p, nil
}

// Modes returns type t's distribution over the modes. Do not modify it.
func (p *Player) Modes(t int) []float64 { return p.modes[t] }

// SetLatents makes the agents of type t play perType[t] as their latent
// instead of drawing one from the type's modes: a point of the simplex of
// length K, a one-hot mode or a soft mixture of the heads (what Adapt's
// first-order procedure returns). A nil entry leaves that type drawing from
// its modes; perType nil puts every type back on its modes. It takes
// effect at the next Act, which sets every agent's latent afresh as at an
// episode's start (mid-episode too), and copies the latents. It returns an error, and changes nothing, unless
// perType is nil or has one entry per agent type and every non-nil entry is
// on the simplex.
func (p *Player) SetLatents(perType [][]float64) error {
	h, k := len(p.model.Features().Types), p.model.Config().Latents
	if perType == nil {
		p.fixed, p.drawn = nil, false
		return nil
	}
	if len(perType) != h {
		return fmt.Errorf("mra: %d per-type latents, the model has %d agent types", len(perType), h)
	}
	for t, z := range perType {
		if z == nil {
			continue
		}
		if err := checkSimplex(z, k); err != nil {
			return fmt.Errorf("type %q: %w", p.model.Features().Types[t], err)
		}
	}
	fixed := make([][]float64, h)
	for t, z := range perType {
		if z != nil {
			fixed[t] = append([]float64(nil), z...)
		}
	}
	p.fixed, p.drawn = fixed, false
	return nil
}

// fixedLatent returns type t's fixed latent, or nil when it draws.
func fixedLatent(fixed [][]float64, t int) []float64 {
	if fixed == nil {
		return nil
	}
	return fixed[t]
}

// Reseed implements br.Reseeder: it restarts the player's random numbers
// from seed and draws fresh latents at the next frame.
func (p *Player) Reseed(seed uint64) {
	p.rng = rand.New(rand.NewPCG(seed, 0x706c6179))
	p.drawn = false
}

// Markov reports whether the player's action distribution depends on the
// current frame only: true when every type present plays a fixed latent or
// a single mode (or K = 1), false when a latent drawn per episode
// correlates an agent's actions across steps.
func (p *Player) Markov() bool {
	for t, m := range p.modes {
		if p.enc.CountType(t) > 0 && fixedLatent(p.fixed, t) == nil && drawMode(nil, m) < 0 {
			return false
		}
	}
	return true
}

// drawMode returns the mode of a degenerate distribution without drawing,
// or, when m has several modes of positive mass, a draw from rng (−1 when
// rng is nil).
func drawMode(rng *rand.Rand, m []float64) int {
	single, count := 0, 0
	for j, v := range m {
		if v > 0 {
			single, count = j, count+1
		}
	}
	if count <= 1 {
		return single
	}
	if rng == nil {
		return -1
	}
	return nn.Sample(rng, m)
}

// drawLatents fills z (one row of K per agent, types[i] agent i's type)
// with a new episode's latents: in agent order, the type's fixed latent
// when it has one, else a one-hot mode drawn from the type's modes with
// rng (no draw for a fixed type or a degenerate distribution).
func drawLatents(z []float64, types []int, modes, fixed [][]float64, rng *rand.Rand) {
	k := len(z) / len(types)
	clear(z)
	for i, t := range types {
		if zt := fixedLatent(fixed, t); zt != nil {
			copy(z[i*k:(i+1)*k], zt)
		} else {
			z[i*k+drawMode(rng, modes[t])] = 1
		}
	}
}

// Act implements agents.Policy.
func (p *Player) Act(f *env.Frame, actions []int) {
	enc := p.enc
	n, e, d := enc.N, enc.E, enc.D
	if f.T == 0 || !p.drawn {
		drawLatents(p.z, enc.Type, p.modes, p.fixed, p.rng)
		p.drawn = true
	}
	for i := range n {
		replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), p.self[i*d:(i+1)*d], p.ents[i*e*d:(i+1)*e*d], p.present[i*e:(i+1)*e])
	}
	p.model.Act(enc, n, p.self, p.ents, p.present, p.z, p.rng, actions, p.graph)
}

// ActionProbs implements agents.Distribution: agent i's action
// probabilities in frame f averaged over its latent. For an agent of type
// t drawing from its modes
//
//	P(a) = Σ_k modes_t(k) · π(a | o_i, g_φ(o_i, onehot(k))),
//
// and for an agent whose type plays the fixed latent z_t (SetLatents),
// π(a | o_i, g_φ(o_i, z_t)) alone.
func (p *Player) ActionProbs(f *env.Frame, i int, dst []float64) {
	enc := p.enc
	n, e, d, k := enc.N, enc.E, enc.D, p.model.Config().Latents
	for j := range n {
		replay.Encode(enc, j, f.AgentObs(j), f.AgentEntityMask(j), p.self[j*d:(j+1)*d], p.ents[j*e*d:(j+1)*e*d], p.present[j*e:(j+1)*e])
	}
	z := p.zAll
	clear(dst)
	if zt := fixedLatent(p.fixed, enc.Type[i]); zt != nil {
		for j := range n {
			copy(z[j*k:(j+1)*k], zt)
		}
		p.addProbs(i, 1, dst)
		return
	}
	for mode, w := range p.modes[enc.Type[i]] {
		if w == 0 {
			continue
		}
		clear(z)
		for j := range n {
			z[j*k+mode] = 1
		}
		p.addProbs(i, w, dst)
	}
}

// addProbs adds to dst w times agent i's action probabilities with every
// agent on the latents in zAll, from the rows ActionProbs encoded.
func (p *Player) addProbs(i int, w float64, dst []float64) {
	A := p.model.Features().A
	p.model.act.LogProbs(p.enc, p.enc.N, p.self, p.ents, p.present, p.zAll, p.logp, p.graph)
	for c := range dst {
		dst[c] += w * math.Exp(p.logp[i*A+c])
	}
}

// ResponseNet is a trainable copy of a model's acting networks — the
// relation net φ and the policies θ — for one agent of a population. Its
// input is the agent's encoded rows and its one-hot latent,
//
//	x = [self (D) | entity rows (E×D) | present (E, 0/1) | z (K)],
//
// so it sees exactly what the model's policy sees, is invariant to the
// order of the agent's entities and works at any population the model
// fits. At the start of every episode (Begin) it draws the agent's latent
// from the mode distribution it was built with; at the start of training
// it therefore plays exactly the model's policy. league/br trains it as a
// best response warm-started from the entry's own policy. The copy is
// private: training it changes nothing in the model.
//
// A ResponseNet is not safe for concurrent use.
type ResponseNet struct {
	actor  *Actor
	enc    *replay.Encoding // the population's encoding
	one    *replay.Encoding // the agent alone: N = 1, for rows of this agent only
	agent  int
	typ    int
	modes  []float64
	z      []float64 // the current episode's latent
	params []float64 // policies θ | relation φ, a sub-slice of the actor's vector
	grad   []float64

	self, ents, zin, logp, graph []float64
	present                      []bool
}

// NewResponseNet returns a trainable copy of model's acting networks for
// agent of spec's population, drawing its latent from modes (a point of
// the simplex of length K; nil: the prior p(z|m) of the population).
func NewResponseNet(model *Model, spec *env.Spec, agent int, modes []float64) (*ResponseNet, error) {
	enc, err := replay.NewEncoding(model.Features(), spec)
	if err != nil {
		return nil, err
	}
	if agent < 0 || agent >= enc.N {
		return nil, fmt.Errorf("mra: response for agent %d of %d", agent, enc.N)
	}
	k := model.Config().Latents
	if modes == nil {
		modes = make([]float64, k)
		model.Prior(replay.Descriptor(spec.Population), modes)
	} else if err := checkSimplex(modes, k); err != nil {
		return nil, err
	}
	value := append([]float64(nil), model.params...)
	grad := make([]float64, len(value))
	actor := &Actor{m: model, n: model.newBoundNets(value, grad), grad: grad, prob: make([]float64, model.f.A)}
	one := *enc
	one.N, one.Type = 1, []int{enc.Type[agent]}
	lo, hi := model.groups[groupPolicy].lo, model.groups[groupRelation].hi
	return &ResponseNet{
		actor: actor, enc: enc, one: &one, agent: agent, typ: enc.Type[agent],
		modes: append([]float64(nil), modes...), z: make([]float64, k),
		params: value[lo:hi:hi], grad: grad[lo:hi:hi],
	}, nil
}

// InputLen returns the width of the network input.
func (r *ResponseNet) InputLen() int {
	return r.enc.D + r.enc.E*r.enc.D + r.enc.E + len(r.z)
}

// NumActions returns the agent's number of actions.
func (r *ResponseNet) NumActions() int { return r.actor.m.f.Actions[r.typ] }

// Params returns the trainable parameters (the policies then φ, in the
// model's layout). The optimizer updates them in place.
func (r *ResponseNet) Params() []float64 { return r.params }

// Grad returns the gradient accumulated by Backward, same layout as Params.
func (r *ResponseNet) Grad() []float64 { return r.grad }

// Begin starts an episode: the agent's latent is drawn from the mode
// distribution with rng.
func (r *ResponseNet) Begin(rng *rand.Rand) {
	clear(r.z)
	r.z[drawMode(rng, r.modes)] = 1
}

// Input writes the agent's network input at frame f into dst (InputLen).
func (r *ResponseNet) Input(f *env.Frame, dst []float64) {
	enc, i := r.enc, r.agent
	d, e := enc.D, enc.E
	self, ents, present := dst[:d], dst[d:d+e*d], dst[d+e*d:d+e*d+e]
	r.present = chunk.Grow(r.present, e)
	replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), self, ents, r.present)
	for c, ok := range r.present {
		present[c] = 0
		if ok {
			present[c] = 1
		}
	}
	copy(dst[d+e*d+e:], r.z)
}

// Forward returns log π (rows × NumActions) for rows inputs laid out as
// Input writes them; the result is valid until the next Forward.
func (r *ResponseNet) Forward(in []float64) []float64 {
	enc := r.enc
	d, e, k, w := enc.D, enc.E, len(r.z), r.InputLen()
	rows := len(in) / w
	if rows < 1 || len(in) != rows*w {
		panic(fmt.Sprintf("mra: ResponseNet.Forward on %d values, want a positive multiple of %d", len(in), w))
	}
	r.self, r.ents = chunk.Grow(r.self, rows*d), chunk.Grow(r.ents, rows*e*d)
	r.present, r.graph = chunk.Grow(r.present, rows*e), chunk.Grow(r.graph, rows*e)
	r.zin = chunk.Grow(r.zin, rows*k)
	z := r.zin
	for row := range rows {
		x := in[row*w : (row+1)*w]
		copy(r.self[row*d:], x[:d])
		copy(r.ents[row*e*d:], x[d:d+e*d])
		for c := range e {
			r.present[row*e+c] = x[d+e*d+c] > 0.5
		}
		copy(z[row*k:], x[d+e*d+e:])
	}
	a := r.actor.m.f.A
	r.logp = chunk.Grow(r.logp, rows*a)
	r.actor.LogProbs(r.one, rows, r.self, r.ents, r.present, z, r.logp, r.graph)
	na := r.NumActions()
	if na == a {
		return r.logp
	}
	out := make([]float64, rows*na)
	for row := range rows {
		copy(out[row*na:], r.logp[row*a:row*a+na])
	}
	return out
}

// Backward accumulates into Grad the gradient of a loss whose gradient with
// respect to the last Forward's output is dout (rows × NumActions): through
// the agent's type's policy (head, aggregation, value net) and the relation
// net.
func (r *ResponseNet) Backward(dout []float64) {
	p := r.actor.n.policy[r.typ]
	de := p.embedGrad(p.head.Backward(p.logp.Backward(dout)))
	dg, dv := p.agg.backward(de)
	p.value.Backward(dv)
	r.actor.n.rel.Backward(dg)
}
