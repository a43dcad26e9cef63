package learner

import (
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
)

// Optional abilities. The league, renders and the CLI ask for them with a
// type assertion and fall back to the plain Trained or Settings when they
// are absent; an algorithm implements only what it offers.

// Modal is the optional ability of trained networks whose agents act with
// one of K latent modes (MRA): they can play any per-type distribution
// over the modes. modes[t] is agent type t's distribution (nil: the
// prior of spec's population).
type Modal interface {
	ModePlayer(spec *env.Spec, modes [][]float64, seed uint64) (agents.Policy, error)
}

// ModePriors is the optional ability of Modal networks to say how many
// latent modes they have and the prior over them at a population: the
// league then plays every mode on its own and reports how much the modes
// differ (the mode diagnostics).
type ModePriors interface {
	Modal
	Latents() int
	PopulationPrior(pop env.Population) []float64
}

// Adapter is the optional ability of Modal networks to adapt to a
// population they were not trained at: a search for the best single mode
// per type and steps score-function steps on each type's distribution over
// the modes, episodes episodes each, from newGame's games and seed. tune,
// when not nil, adjusts the algorithm's own adaptation settings (tests
// pass a function of the algorithm's settings type).
type Adapter interface {
	Modal
	Adapt(newGame func() (env.Game, error), steps, episodes int, tune any, seed uint64) (*Adapted, error)
}

// Adapted is the outcome of Adapter.Adapt.
type Adapted struct {
	BestModes []int       // per type: the chosen mode (−1 for a type without agents); nil without the search
	Modes     [][]float64 // per type: the adapted distribution over the modes; nil without steps
	Curve     []float64   // the mean return per agent at the start and after every step
}

// ModePrior is the optional ability of a learner whose agents draw a
// latent mode per episode from a prior over the K modes that depends on
// the population (MRA's p(z | m)): Prior writes it for population
// descriptor desc into dst (length Schedule().Latents). The trainer logs
// its entropy per training population, the first sign of modes that never
// switch on.
type ModePrior interface {
	Prior(desc, dst []float64)
}

// Entropy returns the entropy in nats of the distribution p (0·ln 0 = 0).
func Entropy(p []float64) float64 {
	var h float64
	for _, v := range p {
		if v > 0 {
			h -= v * math.Log(v)
		}
	}
	return h
}

// Adaptive is the optional ability of settings to say whether their
// learner is adapted at unseen populations (the league then calls
// Adapter.Adapt on its networks).
type Adaptive interface {
	Adapts() bool
}

// ResponseNet is a trainable copy of a trained learner's acting networks
// for one agent, from which the league's best response to the learner is
// warm-started. Its method set is league/br's Net: see there for the
// contract.
type ResponseNet interface {
	InputLen() int
	NumActions() int
	Begin(rng *rand.Rand)
	Input(f *env.Frame, dst []float64)
	Forward(in []float64) []float64
	Backward(dout []float64)
	Params() []float64
	Grad() []float64
}

// Responder is the optional ability of trained networks to give a
// ResponseNet for agent of spec's population; z is the latent distribution
// the agent's type plays (nil: the prior). Without it, best responses
// start from scratch.
type Responder interface {
	ResponseNet(spec *env.Spec, agent int, z []float64) (ResponseNet, error)
}

// ExportArray is one named array of an exported policy: row-major values
// of the given shape.
type ExportArray struct {
	Name  string
	Shape []int
	Data  []float64
}

// PolicyExport is what a reimplementation outside Go (the Python
// package's load_policy) needs to compute a trained policy's action
// probabilities: its sizes and format name (Meta, a JSON-ready value with
// at least "format" and "algo") and the weights of its acting networks
// (Arrays). Each algorithm documents its own layout under its format
// name.
type PolicyExport struct {
	Meta   map[string]any
	Arrays []ExportArray
}

// Exporter is the optional ability of trained networks to be exported
// for use outside Go (mrasim export). The players of an Exporter's
// Trained.Player implement agents.Distribution: the export records their
// action probabilities on frames they met, for the reimplementation to
// check itself against. ExportPolicy returns an error, naming the
// setting, when these networks use something the algorithm's published
// format cannot express, so the caller never writes a file that computes
// another policy.
type Exporter interface {
	ExportPolicy() (PolicyExport, error)
}
