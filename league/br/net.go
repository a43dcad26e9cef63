package br

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/env"
)

// Net is a stochastic policy network for one agent that [Train] improves.
// Its output is a vector of log-probabilities or unnormalised logits per
// input row; Train applies the frame's action mask and a log-softmax on
// top (a log-softmax of log-probabilities is the identity, so a network
// that already normalises, such as mra.ResponseNet, fits as it is).
//
// Implementations: [MLP] (from scratch), and mra.ResponseNet, a copy of a
// trained MRA entry's relation net and policy, which warm-starts the
// response from the entry's own policy.
type Net interface {
	InputLen() int   // width of one input row
	NumActions() int // the agent's number of actions
	// Begin starts an episode; a net with per-episode state (a latent
	// drawn per episode) draws it from rng.
	Begin(rng *rand.Rand)
	// Input writes the agent's input row at frame f into dst (InputLen).
	Input(f *env.Frame, dst []float64)
	// Forward returns the output (rows × NumActions) for rows inputs,
	// valid until the next Forward.
	Forward(in []float64) []float64
	// Backward accumulates into Grad the gradient for the output gradient
	// dout of the last Forward.
	Backward(dout []float64)
	Params() []float64 // the trainable parameters, updated in place
	Grad() []float64   // their gradient, same layout; Train clears it
}

// MLP is a from-scratch response: an MLP on the agent's observation
// (Frame.AgentObs) followed by its entity mask as 0/1 numbers,
//
//	x = [obs (ObsLen) | mask (Entities)] → Linear → ReLU → Linear → ReLU → Linear → logits (NumActions)
//
// with the last layer at zero, so that it starts as the uniform policy
// (over the legal actions, once Train masks them). It works at the one
// population it was built for.
type MLP struct {
	agent        int
	obsLen, ents int
	actions      int
	mlp          *nn.MLP
	params       *nn.Params
}

// NewMLP returns a uniform-at-start MLP response for agent of spec with two
// hidden layers of width hidden, He-initialised from rng.
func NewMLP(spec *env.Spec, agent, hidden int, rng *rand.Rand) *MLP {
	t := spec.Type(agent)
	r := &MLP{agent: agent, obsLen: t.ObsLen(), ents: t.Entities(), actions: t.NumActions}
	r.mlp = nn.NewMLP(nn.NewReLU, r.obsLen+r.ents, hidden, hidden, r.actions)
	r.params = nn.NewParams(r.mlp)
	nn.HeNormal(rng, r.params.Value, r.params.Layout)
	last := r.params.Layout.Layers[len(r.params.Layout.Layers)-1]
	clear(last.Weights(r.params.Value))
	clear(last.Bias(r.params.Value))
	return r
}

// InputLen implements Net.
func (r *MLP) InputLen() int { return r.obsLen + r.ents }

// NumActions implements Net.
func (r *MLP) NumActions() int { return r.actions }

// Begin implements Net: an MLP has no per-episode state.
func (r *MLP) Begin(*rand.Rand) {}

// Input implements Net. It panics if f is shaped for another population.
func (r *MLP) Input(f *env.Frame, dst []float64) {
	obs, mask := f.AgentObs(r.agent), f.AgentEntityMask(r.agent)
	if len(obs) != r.obsLen || len(mask) != r.ents {
		panic(fmt.Sprintf("br: frame gives agent %d an observation of %d and %d entities, the response was built for %d and %d", r.agent, len(obs), len(mask), r.obsLen, r.ents))
	}
	copy(dst, obs)
	for k, present := range mask {
		dst[r.obsLen+k] = 0
		if present {
			dst[r.obsLen+k] = 1
		}
	}
}

// Forward implements Net.
func (r *MLP) Forward(in []float64) []float64 { return r.mlp.Forward(in) }

// Backward implements Net.
func (r *MLP) Backward(dout []float64) { r.mlp.Backward(dout) }

// Params implements Net.
func (r *MLP) Params() []float64 { return r.params.Value }

// Grad implements Net.
func (r *MLP) Grad() []float64 { return r.params.Grad }

// maskedLogSoftmax writes into logp the log-softmax of logits over the
// actions mask allows, −Inf for the others, and reports whether any action
// is legal. The gradient of log πₐ or of the entropy with respect to a
// masked logit is 0, so masked logits are constants for the loss.
func maskedLogSoftmax(logp, logits []float64, mask []bool) bool {
	m := math.Inf(-1)
	for k, v := range logits {
		if mask[k] {
			m = max(m, v)
		}
	}
	if math.IsInf(m, -1) {
		return false
	}
	var sum float64
	for k, v := range logits {
		if mask[k] {
			sum += math.Exp(v - m)
		}
	}
	lse := m + math.Log(sum)
	for k, v := range logits {
		logp[k] = math.Inf(-1)
		if mask[k] {
			logp[k] = v - lse
		}
	}
	return true
}

// acting reports whether agent i chooses an action at frame f: it is alive
// and neither terminated nor truncated.
func acting(f *env.Frame, i int) bool {
	return f.Alive[i] && !f.Terminated[i] && !f.Truncated[i]
}

// Probs writes net's action probabilities for agent at frame f into dst
// (length NumActions), with illegal actions at exactly 0 (all 0 when none
// is legal), and returns dst. Per-episode state (a latent) is as the last
// Begin left it.
func Probs(net Net, agent int, f *env.Frame, dst []float64) []float64 {
	in := make([]float64, net.InputLen())
	net.Input(f, in)
	logp := make([]float64, net.NumActions())
	if !maskedLogSoftmax(logp, net.Forward(in), f.AgentActionMask(agent)) {
		clear(dst)
		return dst
	}
	for a, lp := range logp {
		dst[a] = math.Exp(lp)
	}
	return dst
}

// Deviation is the profile in which one agent deviates to a response while
// every agent's frozen policy still runs: Act first calls the others'
// policy for all agents (so a stateful policy sees every step and draws
// its random numbers exactly as without the deviation), then replaces the
// deviating agent's action, when it acts, by a sample from the response.
type Deviation struct {
	others agents.Policy
	net    Net
	agent  int
	greedy bool
	rng    *rand.Rand
	in     []float64
	logp   []float64
	prob   []float64
}

// NewDeviation returns the profile in which agent plays net, sampling from
// a generator seeded with seed, and every other agent plays others.
func NewDeviation(others agents.Policy, net Net, agent int, seed uint64) *Deviation {
	return &Deviation{others: others, net: net, agent: agent, rng: rand.New(rand.NewPCG(seed, 0x6272)),
		in: make([]float64, net.InputLen()), logp: make([]float64, net.NumActions()), prob: make([]float64, net.NumActions())}
}

// Greedy makes the deviating agent play the response's most probable
// legal action instead of sampling (ties: the lowest action), and returns
// d.
func (d *Deviation) Greedy() *Deviation {
	d.greedy = true
	return d
}

// Act implements agents.Policy.
func (d *Deviation) Act(f *env.Frame, actions []int) {
	if f.T == 0 {
		d.net.Begin(d.rng)
	}
	d.others.Act(f, actions)
	if acting(f, d.agent) {
		d.net.Input(f, d.in)
		if maskedLogSoftmax(d.logp, d.net.Forward(d.in), f.AgentActionMask(d.agent)) {
			if d.greedy {
				best := 0
				for k, lp := range d.logp {
					if lp > d.logp[best] {
						best = k
					}
				}
				actions[d.agent] = best
				return
			}
			for k, lp := range d.logp {
				d.prob[k] = math.Exp(lp)
			}
			actions[d.agent] = nn.Sample(d.rng, d.prob)
		}
	}
}
