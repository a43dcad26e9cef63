package mra

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
)

// Settings are a scenario's [algo] table for this package's algorithms,
// with the defaults filled in: what run.json records (under the scenario's
// keys) and what Config is made from. The defaults are the official MRA
// code's (see docs/guide/scenarios.md). *Settings implements
// learner.Settings and learner.Resolver.
type Settings struct {
	Name           string  `json:"name"`             // `name`: "mra", "single" or "reptile"; default "mra"
	Gamma          float64 `json:"gamma"`            // `gamma`: discount factor in (0, 1]; default 0.95
	PolicyLR       float64 `json:"pi_lr"`            // `pi_lr`: learning rate of policies and relation net; default 3e-4
	CriticLR       float64 `json:"q_lr"`             // `q_lr`: learning rate of critic, prior and game classifier; default 3e-4
	WeightDecay    float64 `json:"weight_decay"`     // `weight_decay`: Adam L2 weight decay; default 3e-4
	BatchSize      int     `json:"batch_size"`       // `batch_size`: transitions per gradient step; default 1024
	BufferLength   int     `json:"buffer_length"`    // `buffer_length`: replay capacity per training population; default 1000000
	StepsPerUpdate int     `json:"steps_per_update"` // `steps_per_update`: environment steps (over all copies) between update rounds; default 100
	NumUpdates     int     `json:"num_updates"`      // `num_updates`: critic+actor gradient steps per round; default 10
	RewardScale    float64 `json:"reward_scale"`     // `reward_scale`: inverse entropy temperature α⁻¹; default 30
	Latents        int     `json:"latents"`          // `latents`: number K of latent modes = attention heads; default 6
	Resamples      int     `json:"resamples"`        // `resamples`: latents K' resampled by the diversity (MI) estimator; default 5
	GradClip       float64 `json:"grad_clip"`        // `grad_clip`: gradient-norm clip per agent (clip = grad_clip·n); default 10

	// Variant sets the defaults of the quirk switches below it marks: the
	// official code's behaviour or its corrections (docs/algorithms/mra.md's
	// quirk table). A switch given explicitly overrides its variant.
	Variant string `json:"variant"` // `variant`: "official" or "corrected"; default "official"

	// Quirks of the official code (mra.md §7.8), reproduced by default.
	PriorTemperature   float64 `json:"prior_temperature"`     // `prior_temperature`: p(z|m) = softmax(ℓ/T); default 4
	Baseline           bool    `json:"baseline"`              // `baseline`: subtract MAAC's counterfactual baseline Σ_a' π(a')Q_i(a', a_−i) in the actor loss; default false
	PerAgentCriticLoss bool    `json:"per_agent_critic_loss"` // `per_agent_critic_loss`: per-agent MSE instead of MSE of sums; default false
	RecomputeNextGraph bool    `json:"recompute_next_graph"`  // `recompute_next_graph`: recompute g at o' for targets; default false
	PolicySeesSelf     bool    `json:"policy_sees_self"`      // `policy_sees_self`: policy heads take [e_i ; own self row]; default false
	CriticSeesSelf     bool    `json:"critic_sees_self"`      // `critic_sees_self`: critic MLPs take [e^c_i ; onehot(a_i) ; own self row]; default false

	// Set by the variant (official value first).
	TargetActionAtObs      bool `json:"target_action_at_obs"`     // `target_action_at_obs`: critic target action a' ~ π⁻(·|o, g) (Q1); official true, corrected false
	TerminalEntropy        bool `json:"terminal_entropy"`         // `terminal_entropy`: keep −α log π⁻ in the target at terminal o' (Q3); official true, corrected false
	ClassifierCrossPairing bool `json:"classifier_cross_pairing"` // `classifier_cross_pairing`: the classifier pairs g with another sample's values (Q5); official true, corrected false
	DoubleClipRelation     bool `json:"double_clip_relation"`     // `double_clip_relation`: clip φ's gradient twice (Q4); official true, corrected false

	// Switches of the corrected variant only (Config.MIWeight,
	// Config.RelationPooling): variant "official" refuses any value but the
	// official one. Unset they are zero and left out of run.json, so the
	// records of runs started before the keys existed still match.
	MIWeight        float64 `json:"mi_weight,omitempty"`        // `mi_weight`: w in φ's loss −w·r_MI, > 0; default 1
	RelationPooling string  `json:"relation_pooling,omitempty"` // `relation_pooling`: "softmax", "sum" or "mean+logcount"; default "softmax"

	MetaLR      float64 `json:"meta_lr"`      // `meta_lr`: Reptile's outer step size ε; default 0.1
	InnerCycles int     `json:"inner_cycles"` // `inner_cycles`: Reptile's rounds per population between meta-steps; default 1
	// KeepMoments carries Reptile's Adam moments from one game's inner loop
	// to the next (Config.KeepMoments). Off, the default, each game's
	// inner loop starts from fresh moments; left out of run.json when off,
	// so the records of runs started before the key existed still match.
	KeepMoments bool `json:"keep_moments,omitempty"` // `keep_moments`: Reptile only; default false

	// Replay is what the replay buffer stores (Config.Replay):
	// "auto" the smaller per transition for the game, "states" the game's
	// compact state, "observations" every agent's observation. Training is
	// bit-identical under each; only memory and speed differ. Unset it is
	// "" (meaning "auto") and left out of run.json, so the records of runs
	// started before the key existed still match on --resume.
	Replay string `json:"replay,omitempty"` // `replay`: "auto", "states" or "observations"; default "" = "auto"

	// Precision is the element type MRA trains in (Config.Precision):
	// "float64" or "float32" (twice the SIMD width; results agree with
	// float64 to float32 rounding, not bit for bit). A run resumes only in
	// the precision it started with; evaluation plays a float32 run's
	// networks converted exactly to float64.
	// Unset it is "": `mrasim train` then starts a new run in
	// NewRunPrecision (float32) and records
	// that in run.json; a resumed or evaluated run takes the precision its
	// record names, float64 when the record has none (runs started before
	// the key existed, or before float32 became the default). To the
	// library (Config) "" means float64.
	Precision string `json:"precision,omitempty"` // `precision`: "float64" or "float32"; default "" = see above
}

// ApplyVariant sets Variant and the switches it governs from variant v
// (Config.ApplyVariant); it returns that function's error for an
// unknown v.
func (a *Settings) ApplyVariant(v string) error {
	c := DefaultConfig()
	if err := c.ApplyVariant(v); err != nil {
		return err
	}
	a.Variant = c.Variant
	a.TargetActionAtObs, a.TerminalEntropy = c.TargetActionAtObs, c.TerminalEntropy
	a.ClassifierCrossPairing, a.DoubleClipRelation = c.ClassifierCrossPairing, c.DoubleClipRelation
	return nil
}

// DefaultSettings returns the official MRA hyper-parameters (mra.md
// §6.4), as DefaultConfig holds them: the trainer's defaults are the one
// source.
func DefaultSettings() Settings {
	c := DefaultConfig()
	return Settings{
		Name:           c.Algo,
		Gamma:          c.Gamma,
		PolicyLR:       c.PolicyLR,
		CriticLR:       c.CriticLR,
		WeightDecay:    c.WeightDecay,
		BatchSize:      c.BatchSize,
		BufferLength:   c.BufferLength,
		StepsPerUpdate: c.StepsPerUpdate,
		NumUpdates:     c.NumUpdates,
		RewardScale:    c.RewardScale,
		Latents:        c.Latents,
		Resamples:      c.Resamples,
		GradClip:       c.GradClip,

		PriorTemperature:   c.PriorTemperature,
		Baseline:           c.Baseline,
		PerAgentCriticLoss: c.PerAgentCriticLoss,
		RecomputeNextGraph: c.RecomputeNextGraph,
		PolicySeesSelf:     c.PolicySeesSelf,
		CriticSeesSelf:     c.CriticSeesSelf,
		MetaLR:             c.MetaLR,
		InnerCycles:        c.InnerCycles,

		Variant:                c.Variant,
		TargetActionAtObs:      c.TargetActionAtObs,
		TerminalEntropy:        c.TerminalEntropy,
		ClassifierCrossPairing: c.ClassifierCrossPairing,
		DoubleClipRelation:     c.DoubleClipRelation,
	}
}

// NewRunPrecision is the precision a new run of mra, single or reptile
// trains in when its scenario leaves algo.precision unset: float32, whose
// learning curves and held-out returns were measured equal to float64's
// within noise (docs/guide/training.md, "Precision") at 1.27× the speed and
// 62% of the memory. The run records the precision it resolved to, and a
// resumed or evaluated run keeps it; a run recorded without one was
// started when float64 was the default and stays in float64.
const NewRunPrecision = PrecisionFloat32

// settingsKeys are the [algo] keys this package's algorithms read besides
// name, in the order error messages list them.
var settingsKeys = []string{"gamma", "pi_lr", "q_lr", "weight_decay", "batch_size", "buffer_length",
	"steps_per_update", "num_updates", "reward_scale", "latents", "resamples", "grad_clip", "prior_temperature",
	"baseline", "per_agent_critic_loss", "recompute_next_graph", "policy_sees_self", "critic_sees_self",
	"meta_lr", "variant", "target_action_at_obs", "terminal_entropy", "classifier_cross_pairing",
	"double_clip_relation", "mi_weight", "relation_pooling", "inner_cycles", "keep_moments", "replay", "precision"}

// decodeSettings implements learner.Algorithm.Decode for the algorithm
// named name.
func decodeSettings(name string) func(k learner.Keys, setup learner.Setup) learner.Settings {
	return func(k learner.Keys, setup learner.Setup) learner.Settings {
		a := DefaultSettings()
		a.Name = name
		a.decode(k)
		if a.Name == AlgoSingle && len(setup.Populations) > 1 {
			k.Fail("", "train.populations", `algo "single" trains at one population; %d are listed`, len(setup.Populations))
		}
		a.replayKeys().CheckBatch(k)
		return &a
	}
}

// decode reads every key of the table into a.
func (a *Settings) decode(k learner.Keys) {
	// The variant first: it sets the defaults the switches below override.
	k.String("variant", &a.Variant, VariantOfficial, VariantCorrected)
	if err := a.ApplyVariant(a.Variant); err != nil {
		k.Fail("variant", "", "%v", err)
	}
	inf := math.Inf(1)
	a.replayKeys().Read(k)
	k.Float("reward_scale", &a.RewardScale, 0, inf, true, true)
	k.Int("latents", &a.Latents, 1, 64)
	k.Int("resamples", &a.Resamples, 1, 1024)
	k.Float("grad_clip", &a.GradClip, 0, inf, true, true)
	k.Float("prior_temperature", &a.PriorTemperature, 0, inf, true, true)
	k.Bool("baseline", &a.Baseline)
	k.Bool("per_agent_critic_loss", &a.PerAgentCriticLoss)
	k.Bool("recompute_next_graph", &a.RecomputeNextGraph)
	k.Bool("policy_sees_self", &a.PolicySeesSelf)
	k.Bool("critic_sees_self", &a.CriticSeesSelf)
	k.Bool("target_action_at_obs", &a.TargetActionAtObs)
	k.Bool("terminal_entropy", &a.TerminalEntropy)
	k.Bool("classifier_cross_pairing", &a.ClassifierCrossPairing)
	k.Bool("double_clip_relation", &a.DoubleClipRelation)
	k.Float("mi_weight", &a.MIWeight, 0, inf, true, true)
	k.String("relation_pooling", &a.RelationPooling, RelationPoolings...)
	k.Float("meta_lr", &a.MetaLR, 0, 1, true, false)
	k.Int("inner_cycles", &a.InnerCycles, 1, 1e6)
	k.Bool("keep_moments", &a.KeepMoments)
	k.String("replay", &a.Replay, replay.ModeAuto, replay.ModeStates, replay.ModeObservations)
	k.String("precision", &a.Precision, PrecisionFloat64, PrecisionFloat32)
	a.checkKeys(k)
}

// checkKeys rejects keys the chosen algorithm would silently ignore
// (keep_moments outside Reptile) and switches of the corrected variant
// set to a value the official code does not have under variant
// "official".
func (a *Settings) checkKeys(k learner.Keys) {
	if k.Has("keep_moments") && a.Name != AlgoReptile {
		k.Fail("keep_moments", "", `keep_moments is Reptile's (its Adam moments across games); algo %q never resets its moments`, a.Name)
	}
	if a.Variant != VariantOfficial {
		return
	}
	if k.Has("mi_weight") && a.MIWeight != 1 {
		k.Fail("mi_weight", "", `mi_weight = %v departs from the official code (weight 1): it is a switch of variant %q`, a.MIWeight, VariantCorrected)
	}
	if k.Has("relation_pooling") && a.RelationPooling != PoolingSoftmax {
		k.Fail("relation_pooling", "", `relation_pooling = %q departs from the official code (%q): it is a switch of variant %q`, a.RelationPooling, PoolingSoftmax, VariantCorrected)
	}
}

// Config returns the trainer's configuration of the settings.
func (a *Settings) Config() Config {
	cfg := DefaultConfig()
	cfg.Algo = a.Name
	cfg.Gamma, cfg.PolicyLR, cfg.CriticLR, cfg.WeightDecay = a.Gamma, a.PolicyLR, a.CriticLR, a.WeightDecay
	cfg.BatchSize, cfg.BufferLength, cfg.StepsPerUpdate, cfg.NumUpdates = a.BatchSize, a.BufferLength, a.StepsPerUpdate, a.NumUpdates
	cfg.RewardScale, cfg.Latents, cfg.Resamples, cfg.GradClip = a.RewardScale, a.Latents, a.Resamples, a.GradClip
	cfg.PriorTemperature, cfg.Baseline, cfg.PerAgentCriticLoss, cfg.RecomputeNextGraph = a.PriorTemperature, a.Baseline, a.PerAgentCriticLoss, a.RecomputeNextGraph
	cfg.PolicySeesSelf, cfg.CriticSeesSelf = a.PolicySeesSelf, a.CriticSeesSelf
	cfg.MetaLR, cfg.InnerCycles, cfg.KeepMoments = a.MetaLR, a.InnerCycles, a.KeepMoments
	cfg.Variant, cfg.TargetActionAtObs, cfg.TerminalEntropy = a.Variant, a.TargetActionAtObs, a.TerminalEntropy
	cfg.ClassifierCrossPairing, cfg.DoubleClipRelation = a.ClassifierCrossPairing, a.DoubleClipRelation
	cfg.MIWeight, cfg.RelationPooling = a.MIWeight, a.RelationPooling
	cfg.Replay = a.Replay
	cfg.Precision = a.Precision
	return cfg
}

// Algorithm implements learner.Settings.
func (a *Settings) Algorithm() string { return a.Name }

// Schedule implements learner.Settings.
func (a *Settings) Schedule() learner.Schedule { return a.Config().Schedule() }

// Check implements learner.Settings.
func (a *Settings) Check(setup learner.Setup) error { return a.Config().Check(setup) }

// Markov reports, as Config.Markov, whether the league plays the run as a
// Markov policy.
func (a *Settings) Markov() bool { return a.Config().Markov() }

// Adapts implements learner.Adaptive, as Config.Adapts.
func (a *Settings) Adapts() bool { return a.Config().Adapts() }

// Resolve implements learner.Resolver for the precision: unset, a new run
// takes NewRunPrecision's, a resumed or evaluated one the precision its
// record names, float64 when it names none (a run started when float64 was
// the default) or has no record.
func (a *Settings) Resolve(recorded json.RawMessage, newRun bool) {
	if a.Precision != "" {
		return
	}
	if newRun {
		a.Precision = NewRunPrecision
		return
	}
	var r struct{ Precision string }
	if json.Unmarshal(recorded, &r) != nil || r.Precision == "" {
		a.Precision = PrecisionFloat64
		return
	}
	a.Precision = r.Precision
}

// decodeSettingsJSON implements learner.Algorithm.DecodeJSON: Settings
// (as run.json records them), or a Config (the JSON of settings given to
// the league as a Config, which names its algorithm "Algo").
func decodeSettingsJSON(data []byte) (learner.Settings, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("mra: settings: %w", err)
	}
	if _, isConfig := probe["Algo"]; isConfig {
		var c Config
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("mra: settings: %w", err)
		}
		return c, nil
	}
	a := DefaultSettings()
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("mra: settings: %w", err)
	}
	return &a, nil
}

// replayKeys points the replay learners' shared keys at a's fields.
func (a *Settings) replayKeys() learner.ReplayKeys {
	return learner.ReplayKeys{Gamma: &a.Gamma, PolicyLR: &a.PolicyLR, CriticLR: &a.CriticLR, WeightDecay: &a.WeightDecay,
		BatchSize: &a.BatchSize, BufferLength: &a.BufferLength, StepsPerUpdate: &a.StepsPerUpdate, NumUpdates: &a.NumUpdates}
}
