package br

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/env"
)

// Response is a trained response: a policy network for one agent of a game
// built at one population. Its input is the agent's observation
// (Frame.AgentObs) followed by its entity mask as 0/1 numbers; its output is
// a distribution over the agent's actions, with illegal actions (by the
// frame's action mask) at probability exactly 0:
//
//	x = [obs (ObsLen) | mask (Entities)] → Linear → ReLU → Linear → ReLU → Linear → logits (NumActions)
//	π(a|x) = exp(logitₐ) / Σ_{b legal} exp(logit_b)  for legal a, 0 otherwise
//
// A Response is not safe for concurrent use: its methods share scratch
// buffers.
type Response struct {
	agent          int
	obsLen, ents   int
	actions        int
	mlp            *nn.MLP
	params         *nn.Params
	in, logp, prob []float64 // one-row scratch
}

// newResponse builds an untrained response for agent of spec with two
// hidden layers of width hidden, He-initialised from rng, with the output
// layer's weights scaled by 0.01 so that the first policy is nearly
// uniform.
func newResponse(spec *env.Spec, agent, hidden int, rng *rand.Rand) *Response {
	t := spec.Type(agent)
	r := &Response{agent: agent, obsLen: t.ObsLen(), ents: t.Entities(), actions: t.NumActions}
	r.mlp = nn.NewMLP(nn.NewReLU, r.obsLen+r.ents, hidden, hidden, r.actions)
	r.params = nn.NewParams(r.mlp)
	nn.HeNormal(rng, r.params.Value, r.params.Layout)
	last := r.params.Layout.Layers[len(r.params.Layout.Layers)-1]
	for i, w := range last.Weights(r.params.Value) {
		last.Weights(r.params.Value)[i] = 0.01 * w
	}
	r.in = make([]float64, r.inputs())
	r.logp = make([]float64, r.actions)
	r.prob = make([]float64, r.actions)
	return r
}

// Agent returns the agent the response plays.
func (r *Response) Agent() int { return r.agent }

// NumActions returns the number of actions of the agent.
func (r *Response) NumActions() int { return r.actions }

// Params returns the network's flat parameter vector (the layout of
// agents/nn: the three Linear layers in order, weights row-major, bias
// last). It is the response's own storage: do not modify it.
func (r *Response) Params() []float64 { return r.params.Value }

// inputs returns the width of the network's input.
func (r *Response) inputs() int { return r.obsLen + r.ents }

// writeInput writes the agent's network input at frame f into dst.
func (r *Response) writeInput(dst []float64, f *env.Frame) {
	obs, mask := f.AgentObs(r.agent), f.AgentEntityMask(r.agent)
	if len(obs) != r.obsLen || len(mask) != r.ents {
		panic(fmt.Sprintf("br: frame gives agent %d an observation of %d and %d entities, the response was trained on %d and %d", r.agent, len(obs), len(mask), r.obsLen, r.ents))
	}
	copy(dst, obs)
	for k, present := range mask {
		dst[r.obsLen+k] = 0
		if present {
			dst[r.obsLen+k] = 1
		}
	}
}

// Probs writes the response's action probabilities at frame f into dst
// (length NumActions) and returns dst. Illegal actions get 0; when the mask
// allows no action, every entry is 0. It panics if dst has the wrong length
// or f is shaped for another game.
func (r *Response) Probs(f *env.Frame, dst []float64) []float64 {
	if len(dst) != r.actions {
		panic(fmt.Sprintf("br: Probs into %d entries for %d actions", len(dst), r.actions))
	}
	r.writeInput(r.in, f)
	if !maskedLogSoftmax(r.logp, r.mlp.Forward(r.in), f.AgentActionMask(r.agent)) {
		clear(dst)
		return dst
	}
	for a, lp := range r.logp {
		dst[a] = math.Exp(lp)
	}
	return dst
}

// sample draws the agent's action at frame f from rng, writing the
// network input into in. It returns ok = false, and action 0, when the mask
// allows no action.
func (r *Response) sample(rng *rand.Rand, f *env.Frame, in []float64) (a int, ok bool) {
	r.writeInput(in, f)
	if !maskedLogSoftmax(r.logp, r.mlp.Forward(in), f.AgentActionMask(r.agent)) {
		return 0, false
	}
	for k, lp := range r.logp {
		r.prob[k] = math.Exp(lp)
	}
	return nn.Sample(rng, r.prob), true
}

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

// Deviation is the profile in which one agent deviates to a trained
// response while every agent's frozen policy still runs: Act first calls
// the others' policy for all agents (so a stateful policy sees every step),
// then replaces the response's agent's action, when it acts, by a sample
// from the response.
type Deviation struct {
	others agents.Policy
	resp   *Response
	rng    *rand.Rand
	in     []float64
}

// Policy returns the deviation in which r's agent plays r, sampling from a
// generator seeded with seed, and every other agent plays others.
func (r *Response) Policy(others agents.Policy, seed uint64) *Deviation {
	return &Deviation{others: others, resp: r, rng: rand.New(rand.NewPCG(seed, 0x6272)), in: make([]float64, r.inputs())}
}

// Act implements agents.Policy.
func (d *Deviation) Act(f *env.Frame, actions []int) {
	d.others.Act(f, actions)
	if acting(f, d.resp.agent) {
		if a, ok := d.resp.sample(d.rng, f, d.in); ok {
			actions[d.resp.agent] = a
		}
	}
}
