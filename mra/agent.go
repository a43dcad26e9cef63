package mra

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/mrasim/mrasim/env"
)

// Agent plays a trained model at one population, as an agents.Policy: at
// the start of every episode (frame T = 0) each agent draws its latent from
// the prior p(z|m) of the population, then acts from its relation graph
// and its type's policy. FixLatents and SetLatents replace the draw by fixed
// (one-hot or soft) latents, for example those Adapt chose. Use one Agent
// per game copy.
type Agent struct {
	model *Model
	enc   *replay.Encoding
	desc  []float64
	rng   *rand.Rand

	z, self, ents, graph []float64
	present              []bool
	latents              bool        // z drawn for the current episode
	fixed                [][]float64 // per type: its fixed latent, or nil to draw from the prior; nil: all from the prior
}

// NewAgent returns an agent playing model at spec's population, drawing from
// seed.
func NewAgent(model *Model, spec *env.Spec, seed uint64) (*Agent, error) {
	enc, err := replay.NewEncoding(model.Features(), spec)
	if err != nil {
		return nil, err
	}
	n, k := enc.N, model.Config().Latents
	return &Agent{
		model: model, enc: enc, desc: replay.Descriptor(spec.Population),
		rng: rand.New(rand.NewPCG(seed, 0x6d7261)),
		z:   make([]float64, n*k), self: make([]float64, n*enc.D), ents: make([]float64, n*enc.E*enc.D),
		graph: make([]float64, n*enc.E), present: make([]bool, n*enc.E),
	}, nil
}

// FixLatents makes every agent, of every type, play the latent z instead
// of drawing from the prior: a one-hot mode or a relaxed mixture, a point
// of the simplex (length K, entries ≥ 0 summing to 1). nil goes back to the
// prior. It is SetLatents with z for every type.
func (a *Agent) FixLatents(z []float64) error {
	if z == nil {
		return a.SetLatents(nil)
	}
	per := make([][]float64, len(a.model.Features().Types))
	for t := range per {
		per[t] = z
	}
	return a.SetLatents(per)
}

// SetLatents makes the agents of type t play perType[t] (a point of the
// simplex of length K: a one-hot mode or a soft mixture of the heads)
// instead of drawing from the prior p(z|m). A nil entry leaves that type on
// the prior (drawn per agent and episode, as by default); perType nil puts
// every type back on the prior. It takes effect from the next frame and
// copies the latents. It returns an error, and changes nothing, unless
// perType is nil or has one entry per agent type and every non-nil entry is
// on the simplex.
func (a *Agent) SetLatents(perType [][]float64) error {
	h, k := len(a.model.Features().Types), a.model.Config().Latents
	if perType == nil {
		a.fixed, a.latents = nil, false
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
			return fmt.Errorf("type %q: %w", a.model.Features().Types[t], err)
		}
	}
	fixed := make([][]float64, h)
	for t, z := range perType {
		if z != nil {
			fixed[t] = append([]float64(nil), z...)
		}
	}
	a.fixed, a.latents = fixed, false
	return nil
}

// Act implements agents.Policy.
func (a *Agent) Act(f *env.Frame, actions []int) {
	enc := a.enc
	n, e, d, k := enc.N, enc.E, enc.D, a.model.Config().Latents
	if f.T == 0 || !a.latents {
		if a.fixed == nil || slices.ContainsFunc(a.fixed, func(z []float64) bool { return z == nil }) {
			a.model.SampleLatents(a.desc, a.rng, a.z)
		}
		if a.fixed != nil {
			for i := range n {
				if zt := a.fixed[enc.Type[i]]; zt != nil {
					copy(a.z[i*k:(i+1)*k], zt)
				}
			}
		}
		a.latents = true
	}
	for i := range n {
		replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), a.self[i*d:(i+1)*d], a.ents[i*e*d:(i+1)*e*d], a.present[i*e:(i+1)*e])
	}
	a.model.Act(enc, n, a.self, a.ents, a.present, a.z, a.rng, actions, a.graph)
}

// ActionProbs writes to dst (length: agent i's number of actions) the exact
// probability of each action of agent i in frame f, averaged over the
// agent's latent: for an agent on the prior
//
//	P(a) = Σ_k p(z = k | m) · π(a | o_i, g_φ(o_i, onehot(k)))
//
// and for an agent whose type plays a fixed latent z, π(a | o_i, g_φ(o_i, z)).
// It implements agents.Distribution, which lets the league compute exact
// NashConv of trained agents in games with exact payoffs.
func (a *Agent) ActionProbs(f *env.Frame, i int, dst []float64) {
	enc := a.enc
	n, e, d, k, A := enc.N, enc.E, enc.D, a.model.Config().Latents, a.model.Features().A
	for j := range n {
		replay.Encode(enc, j, f.AgentObs(j), f.AgentEntityMask(j), a.self[j*d:(j+1)*d], a.ents[j*e*d:(j+1)*e*d], a.present[j*e:(j+1)*e])
	}
	logp := make([]float64, n*A)
	z := make([]float64, n*k)
	clear(dst)
	addWeighted := func(w float64) {
		a.model.act.LogProbs(enc, n, a.self, a.ents, a.present, z, logp, a.graph)
		for c := range dst {
			dst[c] += w * math.Exp(logp[i*A+c])
		}
	}
	if a.fixed != nil {
		if zt := a.fixed[enc.Type[i]]; zt != nil {
			for j := range n {
				copy(z[j*k:(j+1)*k], zt)
			}
			addWeighted(1)
			return
		}
	}
	prior := make([]float64, k)
	a.model.Prior(a.desc, prior)
	for mode := range k {
		clear(z)
		for j := range n {
			z[j*k+mode] = 1
		}
		addWeighted(prior[mode])
	}
}
