// Package reinforce is a learning algorithm written in its own module, to
// show how an algorithm plugs into mrasim from outside: independent
// REINFORCE (Williams 1992) with a learned baseline.
//
// Every agent acts with a linear softmax policy of its type over its
// encoded observation: its own row and the mean of the entity rows it sees
// (the same D-wide rows MRA and MAPPO get from package replay, so one set
// of parameters plays any population of the game). After each round of
// episodes of a training population, every agent's discounted return from
// each step, minus a linear baseline of its type over the same features and
// the time left, weights the gradient of the log-probability of the action
// it took; the baseline regresses onto the returns. Both take one Adam
// step per round. Agents learn independently (no critic sees the others'
// actions) and the agents of a type share their parameters.
//
// It is float64, runs on one goroutine (so a seed gives one run whatever
// the number of workers), allocates nothing per step once the first
// round has sized its buffers, and saves all it has (parameters and Adam
// moments) through the learner state, so a resumed run continues bit for
// bit.
package reinforce

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// Name is the name the algorithm registers under: the value of a
// scenario's algo.name.
const Name = "reinforce"

// Settings are the algorithm's hyper-parameters, each a key of the
// scenario's [algo] table (the JSON names).
type Settings struct {
	LR         float64 `json:"lr"`          // the policies' Adam learning rate, (0, 1]
	BaselineLR float64 `json:"baseline_lr"` // the baselines' Adam learning rate, (0, 1]
	Gamma      float64 `json:"gamma"`       // discount of the returns, (0, 1]
	Entropy    float64 `json:"entropy"`     // entropy bonus of the policy gradient, [0, 10]
}

// Defaults returns the default settings.
func Defaults() Settings {
	return Settings{LR: 0.03, BaselineLR: 0.03, Gamma: 0.95, Entropy: 0.01}
}

// keys are the [algo] keys Decode reads, besides name.
var keys = []string{"lr", "baseline_lr", "gamma", "entropy"}

// Algorithm implements learner.Settings.
func (s Settings) Algorithm() string { return Name }

// Schedule implements learner.Settings. The learner is on-policy
// (learner.OnPolicy), so the trainer keeps no replay for it: the buffer it
// still makes per population holds one transition, and no replay update
// cycle runs.
func (s Settings) Schedule() learner.Schedule {
	return learner.Schedule{BatchSize: 1, BufferLength: 1, StepsPerUpdate: 1, Latents: 1, Replay: replay.ModeObservations}
}

// Check implements learner.Settings: every value in its range (settings
// also arrive from JSON, which Decode's checks did not see).
func (s Settings) Check(learner.Setup) error {
	bad := func(key string, v any, want string) error {
		return fmt.Errorf("reinforce: %s = %v, want %s", key, v, want)
	}
	switch {
	case !(s.LR > 0 && s.LR <= 1):
		return bad("lr", s.LR, "a number in (0, 1]")
	case !(s.BaselineLR > 0 && s.BaselineLR <= 1):
		return bad("baseline_lr", s.BaselineLR, "a number in (0, 1]")
	case !(s.Gamma > 0 && s.Gamma <= 1):
		return bad("gamma", s.Gamma, "a number in (0, 1]")
	case !(s.Entropy >= 0 && s.Entropy <= 10):
		return bad("entropy", s.Entropy, "a number in [0, 10]")
	}
	return nil
}

// decode reads a scenario's [algo] table: the defaults, overridden by
// each key the table sets. Keys reports a wrong type or a value out of
// range with the key's file:line:col.
func decode(k learner.Keys, _ learner.Setup) learner.Settings {
	s := Defaults()
	k.Float("lr", &s.LR, 0, 1, true, false)
	k.Float("baseline_lr", &s.BaselineLR, 0, 1, true, false)
	k.Float("gamma", &s.Gamma, 0, 1, true, false)
	k.Float("entropy", &s.Entropy, 0, 10, false, false)
	return s
}

// decodeJSON reads settings as run.json records them; keys it does not
// find keep their defaults.
func decodeJSON(data []byte) (learner.Settings, error) {
	s := Defaults()
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("reinforce: settings: %w", err)
	}
	return s, nil
}

// Register adds the algorithm to mrasim's registry. Call it once per
// process, before the command line or a trainer looks the name up.
func Register() {
	learner.Register(learner.Algorithm{
		Name:    Name,
		Summary: "independent REINFORCE with a learned baseline: linear softmax policies per agent type (an example written in its own module)",
		New: func(s learner.Settings, b learner.Build) (learner.Learner, error) {
			return New(s.(Settings), b.Features)
		},
		Load: func(s learner.Settings, b learner.Build, state []byte) (learner.Trained, error) {
			l, err := New(s.(Settings), b.Features)
			if err != nil {
				return nil, err
			}
			if err := l.SetState(state); err != nil {
				return nil, err
			}
			return l, nil
		},
		DecodeJSON: decodeJSON,
		Keys:       keys,
		Decode:     decode,
		Memory:     memory,
	})
}

// memory implements learner.Algorithm.Memory: the parameters with their
// gradients and Adam moments, and at each training population the round's
// rollout (every step of the parallel_envs copies' episodes: features,
// action, reward, return and whether the agent played), counted twice for
// the growth of its slices. The rollout of one population at a time is
// alive, but its slices keep the largest population's size.
func memory(ls learner.Settings, setup learner.Setup) ([]learner.MemoryItem, error) {
	s, ok := ls.(Settings)
	if !ok {
		return nil, fmt.Errorf("reinforce: settings of type %T, want reinforce.Settings", ls)
	}
	var items []learner.MemoryItem
	var largest int64
	var params int64
	for _, pop := range setup.Populations {
		g, err := env.Make(setup.Game, setup.Params, pop)
		if err != nil {
			return nil, err
		}
		spec := g.Spec()
		f := replay.GameFeatures(spec)
		if params == 0 {
			l, err := New(s, f)
			if err != nil {
				return nil, err
			}
			params = int64(len(l.pol) + len(l.base))
		}
		rows := int64(max(setup.ParallelEnvs, 1)) * int64(spec.NumAgents()) * int64(max(spec.Horizon, 1))
		largest = max(largest, 2*rows*(int64(2*f.D)*8+8+8+8+1))
	}
	items = append(items, learner.MemoryItem{What: "rollout of a round (the largest population's)", Bytes: largest})
	items = append(items, learner.MemoryItem{What: "parameters, gradients and Adam moments", Bytes: params * 8 * 4})
	return items, nil
}

// finite reports whether every value of x is finite.
func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
