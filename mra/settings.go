package mra

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
)

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
		a := DefaultConfig()
		a.Algo = name
		a.decode(k)
		if a.Algo == AlgoSingle && len(setup.Populations) > 1 {
			k.Fail("", "train.populations", `algo "single" trains at one population; %d are listed`, len(setup.Populations))
		}
		a.replayKeys().CheckBatch(k)
		return &a
	}
}

// decode reads every key of the table into a.
func (a *Config) decode(k learner.Keys) {
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
func (a *Config) checkKeys(k learner.Keys) {
	if k.Has("keep_moments") && a.Algo != AlgoReptile {
		k.Fail("keep_moments", "", `keep_moments is Reptile's (its Adam moments across games); algo %q never resets its moments`, a.Algo)
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

// Resolve implements learner.Resolver for the precision: unset, a new run
// takes NewRunPrecision's, a resumed or evaluated one the precision its
// record names, float64 when it names none (a run started when float64 was
// the default) or has no record.
func (a *Config) Resolve(recorded json.RawMessage, newRun bool) {
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

// decodeSettingsJSON implements learner.Algorithm.DecodeJSON: a Config as
// run.json records it (or the league sends it), over the defaults.
func decodeSettingsJSON(data []byte) (learner.Settings, error) {
	a := DefaultConfig()
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("mra: settings: %w", err)
	}
	return &a, nil
}

// replayKeys points the replay learners' shared keys at a's fields.
func (a *Config) replayKeys() learner.ReplayKeys {
	return learner.ReplayKeys{Gamma: &a.Gamma, PolicyLR: &a.PolicyLR, CriticLR: &a.CriticLR, WeightDecay: &a.WeightDecay,
		BatchSize: &a.BatchSize, BufferLength: &a.BufferLength, StepsPerUpdate: &a.StepsPerUpdate, NumUpdates: &a.NumUpdates}
}
