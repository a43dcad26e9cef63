package mra

import (
	"fmt"
	"math/rand/v2"

	"github.com/mrasim/mrasim/env"
)

// Agent plays a trained model at one population, as an agents.Policy: at
// the start of every episode (frame T = 0) each agent draws its latent from
// the prior p(z|m) of the population, then acts from its relation graph
// and its type's policy. Use one Agent per game copy.
type Agent struct {
	model *Model
	enc   *Encoding
	desc  []float64
	rng   *rand.Rand

	z, self, ents, graph []float64
	present              []bool
	latents              bool // z drawn for the current episode
	fixed                []float64
}

// NewAgent returns an agent playing model at spec's population, drawing from
// seed.
func NewAgent(model *Model, spec *env.Spec, seed uint64) (*Agent, error) {
	enc, err := NewEncoding(model.Features(), spec)
	if err != nil {
		return nil, err
	}
	n, k := enc.N, model.Config().Latents
	return &Agent{
		model: model, enc: enc, desc: Descriptor(spec.Population),
		rng: rand.New(rand.NewPCG(seed, 0x6d7261)),
		z:   make([]float64, n*k), self: make([]float64, n*enc.D), ents: make([]float64, n*enc.E*enc.D),
		graph: make([]float64, n*enc.E), present: make([]bool, n*enc.E),
	}, nil
}

// FixLatents makes every agent play the given latent (length K, for example
// a one-hot mode or a relaxed mixture) instead of drawing from the prior;
// nil goes back to the prior.
func (a *Agent) FixLatents(z []float64) error {
	k := a.model.Config().Latents
	if z != nil && len(z) != k {
		return fmt.Errorf("mra: latent of length %d, the model has %d modes", len(z), k)
	}
	a.fixed = append(a.fixed[:0], z...)
	if z == nil {
		a.fixed = nil
	}
	a.latents = false
	return nil
}

// Act implements agents.Policy.
func (a *Agent) Act(f *env.Frame, actions []int) {
	enc := a.enc
	n, e, d, k := enc.N, enc.E, enc.D, a.model.Config().Latents
	if f.T == 0 || !a.latents {
		if a.fixed != nil {
			for i := range n {
				copy(a.z[i*k:(i+1)*k], a.fixed)
			}
		} else {
			a.model.SampleLatents(a.desc, a.rng, a.z)
		}
		a.latents = true
	}
	for i := range n {
		Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), a.self[i*d:(i+1)*d], a.ents[i*e*d:(i+1)*e*d], a.present[i*e:(i+1)*e])
	}
	a.model.Act(enc, n, a.self, a.ents, a.present, a.z, a.rng, actions, a.graph)
}
