package mappo

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/replay"
)

// Names of the algorithms this package registers.
const (
	// NameMAPPO is multi-agent PPO with a centralised value function: each
	// agent's value sees its own features and the pooled features of every
	// agent of its game copy.
	NameMAPPO = "mappo"
	// NameIPPO is independent PPO: the same learner with per-agent values
	// on each agent's own observation.
	NameIPPO = "ippo"
)

// Settings are MAPPO's and IPPO's hyper-parameters. The defaults are the
// MAPPO paper's particle-world (MPE) settings (Yu et al. 2022, the
// reference code's launcher for simple_spread and its configuration
// defaults): learning rates 7e-4, 10 PPO epochs of one minibatch, clip
// 0.2, entropy 0.01, γ 0.99, GAE λ 0.95, hidden width 64, gradient norm
// clip 10, value normalisation on, clipped value loss on. Each is a key
// of the scenario's [algo] table (the JSON names below).
type Settings struct {
	Name        string  `json:"name"`         // NameMAPPO or NameIPPO
	Hidden      int     `json:"hidden"`       // width of every hidden layer and of the entity embeddings
	Encoder     string  `json:"encoder"`      // pooling weights of each entity set: EncoderDeepSets or EncoderAttention
	Pooling     string  `json:"pooling"`      // entity-set pooling: "mean", "sum" or "mean+logcount" (nn.PoolModes)
	LR          float64 `json:"lr"`           // the actors' Adam learning rate
	CriticLR    float64 `json:"critic_lr"`    // the value function's Adam learning rate
	Epochs      int     `json:"epochs"`       // PPO passes over each round's episodes
	Minibatches int     `json:"minibatches"`  // minibatches per pass
	Clip        float64 `json:"clip"`         // ratio clip ε
	ValueClip   float64 `json:"value_clip"`   // value clip (in normalised units with value_norm); 0: off
	Entropy     float64 `json:"entropy"`      // entropy bonus β
	Gamma       float64 `json:"gamma"`        // discount γ
	Lambda      float64 `json:"lambda"`       // GAE λ
	GradClip    float64 `json:"grad_clip"`    // global-norm gradient clip of each network
	ValueNorm   bool    `json:"value_norm"`   // learn values in units of the running mean and sd of the returns
	AdamEpsilon float64 `json:"adam_epsilon"` // Adam's ε (the reference code's 1e-5)
	// Precision is the element type the networks train in:
	// PrecisionFloat64 (also "", the default) or PrecisionFloat32. A run
	// resumes and plays only in the precision it started with.
	Precision string `json:"precision,omitempty"`
}

// Precisions of Settings.Precision.
const (
	PrecisionFloat64 = "float64"
	PrecisionFloat32 = "float32"
)

// Float32 reports whether the settings train in float32.
func (s Settings) Float32() bool { return s.Precision == PrecisionFloat32 }

// precision returns the precision the settings train in ("" is float64).
func (s Settings) precision() string {
	if s.Float32() {
		return PrecisionFloat32
	}
	return PrecisionFloat64
}

// Encoders of the entity sets (Settings.Encoder).
const (
	EncoderDeepSets  = "deepsets"  // uniform weights over a set's entities
	EncoderAttention = "attention" // softmax attention from the agent's own embedding
)

// Encoders lists the accepted Settings.Encoder values.
var Encoders = []string{EncoderDeepSets, EncoderAttention}

// Defaults returns the default settings of algorithm name.
func Defaults(name string) Settings {
	return Settings{
		Name: name, Hidden: 64, Encoder: EncoderDeepSets, Pooling: nn.PoolMeanLogCount,
		LR: 7e-4, CriticLR: 7e-4, Epochs: 10, Minibatches: 1,
		Clip: 0.2, ValueClip: 0.2, Entropy: 0.01, Gamma: 0.99, Lambda: 0.95,
		GradClip: 10, ValueNorm: true, AdamEpsilon: 1e-5,
	}
}

// keys are the [algo] keys the settings read, besides name.
var keys = []string{"hidden", "encoder", "pooling", "lr", "critic_lr", "epochs", "minibatches", "clip", "value_clip", "entropy", "gamma", "lambda", "grad_clip", "value_norm", "adam_epsilon", "precision"}

// Algorithm implements learner.Settings.
func (s Settings) Algorithm() string { return s.Name }

// Schedule implements learner.Settings. The learner is on-policy
// (learner.OnPolicy): the trainer keeps no replay for it, so the buffer
// it still builds per population is of one transition and no replay
// update cycle runs.
func (s Settings) Schedule() learner.Schedule {
	return learner.Schedule{BatchSize: 1, BufferLength: 1, StepsPerUpdate: 1, Latents: 1, Replay: replay.ModeObservations}
}

// Central reports whether the values are centralised (MAPPO) rather than
// per agent (IPPO).
func (s Settings) Central() bool { return s.Name == NameMAPPO }

// Check implements learner.Settings: every value in its range, with an
// error naming the key and what is allowed.
func (s Settings) Check(learner.Setup) error {
	bad := func(key string, v any, want string) error {
		return fmt.Errorf("mappo: %s = %v, want %s", key, v, want)
	}
	switch {
	case s.Name != NameMAPPO && s.Name != NameIPPO:
		return bad("name", s.Name, `"mappo" or "ippo"`)
	case s.Hidden < 1 || s.Hidden > 4096:
		return bad("hidden", s.Hidden, "an integer in [1, 4096]")
	case !slices.Contains(Encoders, s.Encoder):
		return bad("encoder", s.Encoder, fmt.Sprintf("one of %q", Encoders))
	case !slices.Contains(nn.PoolModes, s.Pooling):
		return bad("pooling", s.Pooling, fmt.Sprintf("one of %q", nn.PoolModes))
	case !(s.LR > 0 && s.LR <= 1):
		return bad("lr", s.LR, "a number in (0, 1]")
	case !(s.CriticLR > 0 && s.CriticLR <= 1):
		return bad("critic_lr", s.CriticLR, "a number in (0, 1]")
	case s.Epochs < 1 || s.Epochs > 1000:
		return bad("epochs", s.Epochs, "an integer in [1, 1000]")
	case s.Minibatches < 1 || s.Minibatches > 1<<20:
		return bad("minibatches", s.Minibatches, "an integer in [1, 1048576]")
	case !(s.Clip > 0 && s.Clip < 1):
		return bad("clip", s.Clip, "a number in (0, 1)")
	case !(s.ValueClip >= 0 && s.ValueClip < math.Inf(1)):
		return bad("value_clip", s.ValueClip, "a finite number ≥ 0 (0: off)")
	case !(s.Entropy >= 0 && s.Entropy <= 10):
		return bad("entropy", s.Entropy, "a number in [0, 10]")
	case !(s.Gamma > 0 && s.Gamma <= 1):
		return bad("gamma", s.Gamma, "a number in (0, 1]")
	case !(s.Lambda >= 0 && s.Lambda <= 1):
		return bad("lambda", s.Lambda, "a number in [0, 1]")
	case !(s.GradClip > 0 && s.GradClip < math.Inf(1)):
		return bad("grad_clip", s.GradClip, "a finite number > 0")
	case !(s.AdamEpsilon > 0 && s.AdamEpsilon <= 1):
		return bad("adam_epsilon", s.AdamEpsilon, "a number in (0, 1]")
	case s.Precision != "" && s.Precision != PrecisionFloat64 && s.Precision != PrecisionFloat32:
		return bad("precision", fmt.Sprintf("%q", s.Precision), `"float64" or "float32"`)
	}
	return nil
}

// decode reads a scenario's [algo] table for algorithm name.
func decode(name string) func(k learner.Keys, _ learner.Setup) learner.Settings {
	return func(k learner.Keys, _ learner.Setup) learner.Settings {
		s := Defaults(name)
		inf := math.Inf(1)
		k.Int("hidden", &s.Hidden, 1, 4096)
		k.String("encoder", &s.Encoder, Encoders...)
		k.String("pooling", &s.Pooling, nn.PoolModes...)
		k.Float("lr", &s.LR, 0, 1, true, false)
		k.Float("critic_lr", &s.CriticLR, 0, 1, true, false)
		k.Int("epochs", &s.Epochs, 1, 1000)
		k.Int("minibatches", &s.Minibatches, 1, 1<<20)
		k.Float("clip", &s.Clip, 0, 1, true, true)
		k.Float("value_clip", &s.ValueClip, 0, inf, false, true)
		k.Float("entropy", &s.Entropy, 0, 10, false, false)
		k.Float("gamma", &s.Gamma, 0, 1, true, false)
		k.Float("lambda", &s.Lambda, 0, 1, false, false)
		k.Float("grad_clip", &s.GradClip, 0, inf, true, true)
		k.Bool("value_norm", &s.ValueNorm)
		k.Float("adam_epsilon", &s.AdamEpsilon, 0, 1, true, false)
		k.String("precision", &s.Precision, PrecisionFloat64, PrecisionFloat32)
		return s
	}
}

// decodeJSON reads settings from their JSON form (run records); keys it
// does not find keep their defaults.
func decodeJSON(data []byte) (learner.Settings, error) {
	var probe struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("mappo: settings: %w", err)
	}
	s := Defaults(probe.Name)
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("mappo: settings: %w", err)
	}
	if err := s.Check(learner.Setup{}); err != nil {
		return nil, err
	}
	return s, nil
}
