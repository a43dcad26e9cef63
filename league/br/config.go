package br

import (
	"fmt"
	"math"
	"slices"
)

// Optimizers Config.Optimizer accepts, from the shared core agents/optim.
const (
	OptAdam  = "adam"  // optim.Adam (β = 0.9, 0.999, ε = 1e-8): the default
	OptAdamW = "adamw" // optim.Adam with decoupled weight decay 0.01
	OptSGD   = "sgd"   // optim.SGD with heavy-ball momentum 0.9
	OptMFAC  = "mfac"  // optim.MFAC: M-FAC inverse-Fisher steps over the last 16 gradients, damping 1e-3
)

// Optimizers lists the accepted Config.Optimizer values.
var Optimizers = []string{OptAdam, OptAdamW, OptSGD, OptMFAC}

// Config holds the budget and hyper-parameters of [Train]: PPO with a
// learned value baseline (see Train). A zero field takes the default given
// in its comment (see [DefaultConfig]); out-of-range values are errors,
// except for Entropy, where a negative value switches the bonus off. Every
// field is plain data, so a Config travels as JSON.
type Config struct {
	Episodes       int     `json:"episodes"`        // training episodes, the budget (default 1000)
	SelectEpisodes int     `json:"select_episodes"` // episodes on which the response must beat the incumbent to be chosen, ≥ 2 (default 100)
	TestEpisodes   int     `json:"test_episodes"`   // held-out episodes measuring the chosen deviation's gain, ≥ 2 (default 300)
	Batch          int     `json:"batch"`           // episodes per PPO iteration (default 16)
	Epochs         int     `json:"epochs"`          // passes over each iteration's rows (default 4)
	Minibatches    int     `json:"minibatches"`     // gradient steps per pass (default 4)
	Hidden         int     `json:"hidden"`          // width of the hidden layers of the critic and of a from-scratch policy (default 64)
	LR             float64 `json:"lr"`              // learning rate of the policy's optimizer and of the critic's Adam (default 1e-3)
	Optimizer      string  `json:"optimizer"`       // the policy's optimizer, one of Optimizers (default "adam")
	Clip           float64 `json:"clip"`            // PPO ratio clip ε, in (0, 1) (default 0.2)
	Gamma          float64 `json:"gamma"`           // discount, in (0, 1] (default 1: the episodic return)
	Lambda         float64 `json:"lambda"`          // GAE λ, in [0, 1] (default 0.95; 0 is never taken as the default: use a tiny value)
	Entropy        float64 `json:"entropy"`         // entropy bonus β (default 0.01; negative: none)
	GradClip       float64 `json:"grad_clip"`       // global-norm gradient clip of both networks (default 1)
	ValueWarmup    int     `json:"value_warmup"`    // first iterations that fit only the critic, so that a warm-started policy is not moved by a blank critic (default 2; negative: none)

	// The search response (see [Train]): off unless Search is set.
	Search          bool   `json:"search"`            // also try the search response, where the game and the others' policy allow it
	SearchRollouts  int    `json:"search_rollouts"`   // rollouts M per legal action and decision (default 8)
	SearchHorizon   int    `json:"search_horizon"`    // steps per rollout before the critic bootstraps; 0 plays to the episode's end (default 0)
	SearchBase      string `json:"search_base"`       // who plays the deviating agent after the first step of a rollout: SearchBaseResponse (default) or SearchBaseIncumbent
	SearchDepth     int    `json:"search_depth"`      // nested search levels: the base of level D is the search of level D−1 (default 1; cost multiplies by the rollouts per level)
	SearchMaxAgents int    `json:"search_max_agents"` // populations of more agents skip the search, whose cost grows with N² or faster (0: no limit)
	SearchHold      int    `json:"search_hold"`       // steps each rollout holds the action it evaluates before the base policy takes over (default 1)
}

// Base policies of the search response's rollouts (Config.SearchBase).
const (
	SearchBaseResponse  = "response"  // the trained response (sampling, or greedy when greedy won its selection)
	SearchBaseIncumbent = "incumbent" // the agent's own frozen policy
)

// SearchBases lists the accepted Config.SearchBase values.
var SearchBases = []string{SearchBaseResponse, SearchBaseIncumbent}

// Defaults of the Config fields.
const (
	DefaultEpisodes       = 1000
	DefaultSelectEpisodes = 100
	DefaultTestEpisodes   = 300
	DefaultBatch          = 16
	DefaultEpochs         = 4
	DefaultMinibatches    = 4
	DefaultHidden         = 64
	DefaultLR             = 1e-3
	DefaultOptimizer      = OptAdam
	DefaultClip           = 0.2
	DefaultGamma          = 1.0
	DefaultLambda         = 0.95
	DefaultEntropy        = 0.01
	DefaultGradClip       = 1.0
	DefaultValueWarmup    = 2
	DefaultSearchRollouts = 8
	DefaultSearchBase     = SearchBaseResponse
)

// DefaultConfig returns the configuration with every field at its default.
func DefaultConfig() Config {
	return Config{
		Episodes: DefaultEpisodes, SelectEpisodes: DefaultSelectEpisodes, TestEpisodes: DefaultTestEpisodes,
		Batch: DefaultBatch, Epochs: DefaultEpochs, Minibatches: DefaultMinibatches, Hidden: DefaultHidden,
		LR: DefaultLR, Optimizer: DefaultOptimizer, Clip: DefaultClip, Gamma: DefaultGamma, Lambda: DefaultLambda,
		Entropy: DefaultEntropy, GradClip: DefaultGradClip, ValueWarmup: DefaultValueWarmup,
	}
}

// WithDefaults returns c with zero fields set to their defaults (a negative
// Entropy or ValueWarmup set to 0), or an error naming the first field out
// of range and what is allowed.
func (c Config) WithDefaults() (Config, error) {
	d := DefaultConfig()
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setFloat := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.Episodes, d.Episodes)
	setInt(&c.SelectEpisodes, d.SelectEpisodes)
	setInt(&c.TestEpisodes, d.TestEpisodes)
	setInt(&c.Batch, d.Batch)
	setInt(&c.Epochs, d.Epochs)
	setInt(&c.Minibatches, d.Minibatches)
	setInt(&c.Hidden, d.Hidden)
	setInt(&c.ValueWarmup, d.ValueWarmup)
	setFloat(&c.LR, d.LR)
	setFloat(&c.Clip, d.Clip)
	setFloat(&c.Gamma, d.Gamma)
	setFloat(&c.Lambda, d.Lambda)
	setFloat(&c.Entropy, d.Entropy)
	setFloat(&c.GradClip, d.GradClip)
	if c.Optimizer == "" {
		c.Optimizer = d.Optimizer
	}
	setInt(&c.SearchRollouts, DefaultSearchRollouts)
	setInt(&c.SearchDepth, 1)
	setInt(&c.SearchHold, 1)
	if c.SearchBase == "" {
		c.SearchBase = DefaultSearchBase
	}
	if c.Entropy < 0 {
		c.Entropy = 0
	}
	if c.ValueWarmup < 0 {
		c.ValueWarmup = 0
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.Episodes < 1:
		return c, fmt.Errorf("br: config: Episodes = %d, want ≥ 1 (0 for the default %d)", c.Episodes, d.Episodes)
	case c.SelectEpisodes < 2:
		return c, fmt.Errorf("br: config: SelectEpisodes = %d, want ≥ 2 (0 for the default %d)", c.SelectEpisodes, d.SelectEpisodes)
	case c.TestEpisodes < 2:
		return c, fmt.Errorf("br: config: TestEpisodes = %d, want ≥ 2 (0 for the default %d): a confidence interval needs two episodes", c.TestEpisodes, d.TestEpisodes)
	case c.Batch < 1:
		return c, fmt.Errorf("br: config: Batch = %d, want ≥ 1 (0 for the default %d)", c.Batch, d.Batch)
	case c.Epochs < 1:
		return c, fmt.Errorf("br: config: Epochs = %d, want ≥ 1 (0 for the default %d)", c.Epochs, d.Epochs)
	case c.Minibatches < 1:
		return c, fmt.Errorf("br: config: Minibatches = %d, want ≥ 1 (0 for the default %d)", c.Minibatches, d.Minibatches)
	case c.Hidden < 1:
		return c, fmt.Errorf("br: config: Hidden = %d, want ≥ 1 (0 for the default %d)", c.Hidden, d.Hidden)
	case !(c.LR > 0) || !finite(c.LR):
		return c, fmt.Errorf("br: config: LR = %v, want a finite number > 0 (0 for the default %v)", c.LR, d.LR)
	case !slices.Contains(Optimizers, c.Optimizer):
		return c, fmt.Errorf("br: config: Optimizer = %q, want one of %v", c.Optimizer, Optimizers)
	case !(c.Clip > 0 && c.Clip < 1):
		return c, fmt.Errorf("br: config: Clip = %v, want a number in (0, 1) (0 for the default %v)", c.Clip, d.Clip)
	case !(c.Gamma > 0 && c.Gamma <= 1):
		return c, fmt.Errorf("br: config: Gamma = %v, want a number in (0, 1] (0 for the default %v)", c.Gamma, d.Gamma)
	case !(c.Lambda > 0 && c.Lambda <= 1):
		return c, fmt.Errorf("br: config: Lambda = %v, want a number in (0, 1] (0 for the default %v)", c.Lambda, d.Lambda)
	case !finite(c.Entropy):
		return c, fmt.Errorf("br: config: Entropy = %v, want a finite number (0 for the default %v, negative for none)", c.Entropy, d.Entropy)
	case !(c.GradClip > 0) || math.IsNaN(c.GradClip):
		return c, fmt.Errorf("br: config: GradClip = %v, want a number > 0 (0 for the default %v)", c.GradClip, d.GradClip)
	case c.SearchRollouts < 1:
		return c, fmt.Errorf("br: config: SearchRollouts = %d, want ≥ 1 (0 for the default %d)", c.SearchRollouts, DefaultSearchRollouts)
	case c.SearchHold < 1:
		return c, fmt.Errorf("br: config: SearchHold = %d, want ≥ 1 (0 for the default 1)", c.SearchHold)
	case c.SearchMaxAgents < 0:
		return c, fmt.Errorf("br: config: SearchMaxAgents = %d, want ≥ 0 (0: no limit)", c.SearchMaxAgents)
	case c.SearchDepth < 1 || c.SearchDepth > 8:
		return c, fmt.Errorf("br: config: SearchDepth = %d, want 1 to 8 (0 for the default 1)", c.SearchDepth)
	case c.SearchHorizon < 0:
		return c, fmt.Errorf("br: config: SearchHorizon = %d, want ≥ 0 (0: every rollout plays to the episode's end)", c.SearchHorizon)
	case !slices.Contains(SearchBases, c.SearchBase):
		return c, fmt.Errorf("br: config: SearchBase = %q, want one of %v", c.SearchBase, SearchBases)
	case c.SearchBase == SearchBaseIncumbent && c.SearchHorizon > 0:
		return c, fmt.Errorf("br: config: SearchHorizon = %d with SearchBase %q: the critic that bootstraps a cut rollout values the trained response, not the incumbent; use horizon 0 or base %q",
			c.SearchHorizon, c.SearchBase, SearchBaseResponse)
	}
	return c, nil
}
