package maddpg

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
)

// Name is the name MADDPG registers under: a scenario's algo.name.
const Name = "maddpg"

// PrecisionFloat64 is the one value of Settings.Precision: MADDPG trains
// in float64 only.
const PrecisionFloat64 = "float64"

// Settings are MADDPG's hyper-parameters: a scenario's [algo] table with
// the defaults filled in (what run.json records, under the scenario's
// keys) and the configuration NewMADDPG builds from. *Settings implements
// learner.Settings and learner.Resolver.
type Settings struct {
	Name           string  `json:"name"`             // `name`: "maddpg"
	Gamma          float64 `json:"gamma"`            // `gamma`: discount factor in (0, 1]; default 0.95
	PolicyLR       float64 `json:"pi_lr"`            // `pi_lr`: learning rate of the actors; default 3e-4
	CriticLR       float64 `json:"q_lr"`             // `q_lr`: learning rate of the critic; default 3e-4
	WeightDecay    float64 `json:"weight_decay"`     // `weight_decay`: Adam L2 weight decay; default 3e-4
	BatchSize      int     `json:"batch_size"`       // `batch_size`: transitions per gradient step; default 1024
	BufferLength   int     `json:"buffer_length"`    // `buffer_length`: replay capacity per training population; default 1000000
	StepsPerUpdate int     `json:"steps_per_update"` // `steps_per_update`: environment steps (over all copies) between update rounds; default 100
	NumUpdates     int     `json:"num_updates"`      // `num_updates`: critic+actor gradient steps per round; default 10
	GradClip       float64 `json:"grad_clip"`        // `grad_clip`: gradient-norm clip of critic and actors (not scaled by N); default 10
	Tau            float64 `json:"tau"`              // `tau`: Polyak target rate in (0, 1] (1: hard copy); default 0.01

	// Replay is what the replay buffer stores (see mrasim's scenario
	// reference): "auto", "states" or "observations"; "" means "auto" and
	// is left out of run.json.
	Replay string `json:"replay,omitempty"` // `replay`: "auto", "states" or "observations"; default "" = "auto"

	// Sharing is whether the training populations share one set of
	// networks (SharingShared, recorded as "": runs from before the key
	// existed read as shared) or each trains its own
	// (SharingPerPopulation, the MADDPG paper's protocol).
	Sharing string `json:"sharing,omitempty"` // `sharing`: "shared" or "per_population"; default "" = "shared"

	// Precision is "float64", the only element type MADDPG trains in.
	// Runs record it (Resolve fills it in); a record without it, written
	// before the key existed, reads as float64.
	Precision string `json:"precision,omitempty"` // `precision`: "float64"; default "float64"

	// Network sizes, not scenario keys: the MADDPG baseline uses MRA's
	// official widths (tests shrink them).
	Hidden    int `json:"-"` // hidden width of the actors' and critic's MLPs (32)
	ValueDim  int `json:"-"` // entity value embedding width (64)
	CriticKey int `json:"-"` // attention key/query width (16)
}

// DefaultSettings returns MADDPG's defaults: the official MRA code's
// schedule and learning rates (the baseline shares them), τ = 0.01.
func DefaultSettings() Settings {
	return Settings{
		Name:           Name,
		Gamma:          0.95,
		PolicyLR:       3e-4,
		CriticLR:       3e-4,
		WeightDecay:    3e-4,
		BatchSize:      1024,
		BufferLength:   1_000_000,
		StepsPerUpdate: 100,
		NumUpdates:     10,
		GradClip:       10,
		Tau:            0.01,
		Hidden:         32,
		ValueDim:       64,
		CriticKey:      16,
	}
}

// settingsKeys are the [algo] keys MADDPG reads besides name, in the order
// error messages list them. A scenario's other keys (MRA's latents,
// reward_scale, …) are refused with file:line:col by the scenario reader.
var settingsKeys = []string{"gamma", "pi_lr", "q_lr", "weight_decay", "batch_size", "buffer_length",
	"steps_per_update", "num_updates", "grad_clip", "tau", "replay", "precision", "sharing"}

// decodeSettings implements learner.Algorithm.Decode.
func decodeSettings(k learner.Keys, _ learner.Setup) learner.Settings {
	a := DefaultSettings()
	inf := math.Inf(1)
	a.replayKeys().Read(k)
	k.Float("grad_clip", &a.GradClip, 0, inf, true, true)
	k.Float("tau", &a.Tau, 0, 1, true, false)
	k.String("replay", &a.Replay, replay.ModeAuto, replay.ModeStates, replay.ModeObservations)
	k.String("precision", &a.Precision, PrecisionFloat64, "float32")
	k.String("sharing", &a.Sharing, SharingShared, SharingPerPopulation)
	if a.Sharing == SharingShared {
		a.Sharing = "" // the default: recorded as before the key existed
	}
	if a.Precision == "float32" {
		k.Fail("precision", "", `"float32" is not offered: algo %q runs in %q only`, Name, PrecisionFloat64)
	}
	a.replayKeys().CheckBatch(k)
	return &a
}

// decodeSettingsJSON implements learner.Algorithm.DecodeJSON: the defaults,
// overwritten by the keys data holds. Keys MADDPG does not read are
// ignored: the records of maddpg runs started when MADDPG shared MRA's
// settings type hold MRA's keys too, with MRA's defaults.
func decodeSettingsJSON(data []byte) (learner.Settings, error) {
	a := DefaultSettings()
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("maddpg: settings: %w", err)
	}
	if a.Name != Name {
		return nil, fmt.Errorf("maddpg: settings of algorithm %q, want %q", a.Name, Name)
	}
	return &a, nil
}

// Algorithm implements learner.Settings.
func (a *Settings) Algorithm() string { return Name }

// Schedule implements learner.Settings: MADDPG has no latents (K = 1).
func (a *Settings) Schedule() learner.Schedule {
	return learner.Schedule{BatchSize: a.BatchSize, BufferLength: a.BufferLength, StepsPerUpdate: a.StepsPerUpdate, Latents: 1, Replay: a.Replay, GradientSteps: a.NumUpdates}
}

// Check implements learner.Settings: Validate.
func (a *Settings) Check(learner.Setup) error { return a.Validate() }

// Resolve implements learner.Resolver: an unset precision is float64, the
// only one MADDPG has, for new runs and for records written before the
// key existed alike.
func (a *Settings) Resolve(json.RawMessage, bool) {
	if a.Precision == "" {
		a.Precision = PrecisionFloat64
	}
}

// Validate reports the first value out of its range.
func (a *Settings) Validate() error {
	switch {
	case a.Name != Name:
		return fmt.Errorf("maddpg: settings of algorithm %q, want %q", a.Name, Name)
	case !(a.Gamma > 0 && a.Gamma <= 1):
		return fmt.Errorf("maddpg: gamma %v not in (0, 1]", a.Gamma)
	case !(a.PolicyLR > 0) || !(a.CriticLR > 0) || !(a.WeightDecay >= 0):
		return fmt.Errorf("maddpg: pi_lr %v, q_lr %v, weight_decay %v: learning rates must be > 0 and weight decay ≥ 0", a.PolicyLR, a.CriticLR, a.WeightDecay)
	case a.BatchSize < 1 || a.BufferLength < a.BatchSize || a.StepsPerUpdate < 1 || a.NumUpdates < 1:
		return fmt.Errorf("maddpg: batch %d, buffer %d, steps per update %d, updates %d: want 1 ≤ batch ≤ buffer and ≥ 1 each", a.BatchSize, a.BufferLength, a.StepsPerUpdate, a.NumUpdates)
	case !(a.GradClip > 0):
		return fmt.Errorf("maddpg: grad_clip %v, want > 0", a.GradClip)
	case !(a.Tau > 0 && a.Tau <= 1):
		return fmt.Errorf("maddpg: tau %v, want a value in (0, 1]", a.Tau)
	case a.Hidden < 1 || a.ValueDim < 1 || a.CriticKey < 1:
		return fmt.Errorf("maddpg: network sizes %d, %d, %d: want ≥ 1 each", a.Hidden, a.ValueDim, a.CriticKey)
	case a.Replay != "" && a.Replay != replay.ModeAuto && a.Replay != replay.ModeStates && a.Replay != replay.ModeObservations:
		return fmt.Errorf("maddpg: replay %q, want %q, %q or %q", a.Replay, replay.ModeAuto, replay.ModeStates, replay.ModeObservations)
	case a.Sharing != "" && a.Sharing != SharingShared && a.Sharing != SharingPerPopulation:
		return fmt.Errorf("maddpg: sharing %q, want %q or %q", a.Sharing, SharingShared, SharingPerPopulation)
	case a.Precision != "" && a.Precision != PrecisionFloat64:
		return fmt.Errorf("maddpg: algo.precision = %q: MADDPG runs in %q only", a.Precision, PrecisionFloat64)
	}
	return nil
}

// replayKeys points the replay learners' shared keys at a's fields.
func (a *Settings) replayKeys() learner.ReplayKeys {
	return learner.ReplayKeys{Gamma: &a.Gamma, PolicyLR: &a.PolicyLR, CriticLR: &a.CriticLR, WeightDecay: &a.WeightDecay,
		BatchSize: &a.BatchSize, BufferLength: &a.BufferLength, StepsPerUpdate: &a.StepsPerUpdate, NumUpdates: &a.NumUpdates}
}
