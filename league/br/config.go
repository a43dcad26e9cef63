package br

import (
	"fmt"
	"math"
)

// Config holds the hyper-parameters of [Train]. A zero field takes the
// default given in its comment (see [DefaultConfig]); negative or otherwise
// out-of-range values are errors, except for Entropy, where a negative value
// switches the bonus off (as a negative net.Dialer.KeepAlive does).
type Config struct {
	Episodes      int     // training episodes, the budget (default 2000)
	EvalEpisodes  int     // episodes to evaluate the response and the baseline, ≥ 2 (default 1000)
	Hidden        int     // width of the two hidden layers of the response's policy MLP (default 64)
	LR            float64 // Adam learning rate (default 3e-3)
	Gamma         float64 // discount of the returns-to-go, in (0, 1] (default 1: the episodic return)
	Batch         int     // episodes per gradient step (default 8)
	Entropy       float64 // entropy bonus coefficient β (default 0.01; negative: no bonus)
	AnnealEntropy bool    // anneal β linearly to 0 over the gradient steps
	GradClip      float64 // global-norm gradient clip (default 10)
	BaselineRate  float64 // step ρ of the per-time-step running-mean baseline, in (0, 1] (default 0.2)
	ValueBaseline bool    // use a learned state-value baseline V(x, t) instead of the per-time-step running mean
}

// Defaults of the Config fields.
const (
	DefaultEpisodes     = 2000
	DefaultEvalEpisodes = 1000
	DefaultHidden       = 64
	DefaultLR           = 3e-3
	DefaultGamma        = 1.0
	DefaultBatch        = 8
	DefaultEntropy      = 0.01
	DefaultGradClip     = 10.0
	DefaultBaselineRate = 0.2
)

// DefaultConfig returns the configuration with every field at its default.
func DefaultConfig() Config {
	return Config{
		Episodes:     DefaultEpisodes,
		EvalEpisodes: DefaultEvalEpisodes,
		Hidden:       DefaultHidden,
		LR:           DefaultLR,
		Gamma:        DefaultGamma,
		Batch:        DefaultBatch,
		Entropy:      DefaultEntropy,
		GradClip:     DefaultGradClip,
		BaselineRate: DefaultBaselineRate,
	}
}

// withDefaults returns c with zero fields set to their defaults and a
// negative Entropy set to 0, or an error naming the first field out of
// range.
func (c Config) withDefaults() (Config, error) {
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
	setInt(&c.EvalEpisodes, d.EvalEpisodes)
	setInt(&c.Hidden, d.Hidden)
	setInt(&c.Batch, d.Batch)
	setFloat(&c.LR, d.LR)
	setFloat(&c.Gamma, d.Gamma)
	setFloat(&c.Entropy, d.Entropy)
	setFloat(&c.GradClip, d.GradClip)
	setFloat(&c.BaselineRate, d.BaselineRate)
	if c.Entropy < 0 {
		c.Entropy = 0
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.Episodes < 1:
		return c, fmt.Errorf("br: config: Episodes = %d, want ≥ 1 (0 for the default %d)", c.Episodes, d.Episodes)
	case c.EvalEpisodes < 2:
		return c, fmt.Errorf("br: config: EvalEpisodes = %d, want ≥ 2 (0 for the default %d): a confidence interval needs two episodes", c.EvalEpisodes, d.EvalEpisodes)
	case c.Hidden < 1:
		return c, fmt.Errorf("br: config: Hidden = %d, want ≥ 1 (0 for the default %d)", c.Hidden, d.Hidden)
	case c.Batch < 1:
		return c, fmt.Errorf("br: config: Batch = %d, want ≥ 1 (0 for the default %d)", c.Batch, d.Batch)
	case !(c.LR > 0) || !finite(c.LR):
		return c, fmt.Errorf("br: config: LR = %v, want a finite number > 0 (0 for the default %v)", c.LR, d.LR)
	case !(c.Gamma > 0 && c.Gamma <= 1):
		return c, fmt.Errorf("br: config: Gamma = %v, want a number in (0, 1] (0 for the default %v)", c.Gamma, d.Gamma)
	case !finite(c.Entropy):
		return c, fmt.Errorf("br: config: Entropy = %v, want a finite number (0 for the default %v, negative for none)", c.Entropy, d.Entropy)
	case !(c.GradClip > 0) || math.IsNaN(c.GradClip):
		return c, fmt.Errorf("br: config: GradClip = %v, want a number > 0 (0 for the default %v)", c.GradClip, d.GradClip)
	case !(c.BaselineRate > 0 && c.BaselineRate <= 1):
		return c, fmt.Errorf("br: config: BaselineRate = %v, want a number in (0, 1] (0 for the default %v)", c.BaselineRate, d.BaselineRate)
	}
	return c, nil
}
