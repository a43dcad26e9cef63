package maddpg

import (
	"fmt"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// This file is MADDPG's side of the learner interface: its registration,
// the trainee that runs its update cycles for the shared trainer, and its
// networks restored for play.

func init() {
	learner.Register(learner.Algorithm{Name: Name, Summary: "MADDPG with an attention actor and critic, shared across the training populations or one set per population (sharing)",
		New: newTrainee, Load: load, DecodeJSON: decodeSettingsJSON,
		Keys: settingsKeys, Decode: decodeSettings, Memory: memory, Cost: &cost})
}

// settingsOf returns the Settings behind s.
func settingsOf(s learner.Settings) (Settings, error) {
	if a, ok := s.(*Settings); ok {
		return *a, nil
	}
	return Settings{}, fmt.Errorf("maddpg: settings of type %T, want maddpg.Settings", s)
}

// trainee runs MADDPG for the shared trainer: an update cycle is
// NumUpdates pairs of critic and actor steps on fresh batches, each
// followed by its targets' Polyak step.
type trainee struct {
	*MADDPG
}

func newTrainee(s learner.Settings, b learner.Build) (learner.Learner, error) {
	cfg, err := settingsOf(s)
	if err != nil {
		return nil, err
	}
	if cfg.Sharing == SharingPerPopulation {
		return newPopulations(cfg, b)
	}
	m, err := NewMADDPG(cfg, b.Features, b.RNG)
	if err != nil {
		return nil, err
	}
	return trainee{m}, nil
}

// BeginEpisodes implements learner.Learner: MADDPG has no latents.
func (trainee) BeginEpisodes(int, []float64, *rand.Rand, []float64) {}

// Act implements learner.Learner (z is unused).
func (t trainee) Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, _ []float64, rng *rand.Rand, actions []int, graph []float64) {
	t.MADDPG.Act(enc, rows, self, ents, present, rng, actions, graph)
}

// Update implements learner.Learner.
func (t trainee) Update(_ int, _ []float64, buf *replay.Buffer, b *replay.Batch, rng *rand.Rand, st *learner.Stats) {
	for range t.cfg.NumUpdates {
		buf.Sample(rng, b)
		st.Critic.Add(t.UpdateCritic(b))
		loss, ent := t.UpdateActors(b)
		st.Policy.Add(loss)
		st.Entropy.Add(ent)
	}
}

// Trained returns the MADDPG networks a trainer of algorithm "maddpg"
// trains, or nil for another learner.
func Trained(l learner.Learner) *MADDPG {
	if t, ok := l.(trainee); ok {
		return t.MADDPG
	}
	return nil
}

// load implements learner.Algorithm.Load.
func load(s learner.Settings, b learner.Build, state []byte) (learner.Trained, error) {
	cfg, err := settingsOf(s)
	if err != nil {
		return nil, err
	}
	if cfg.Sharing == SharingPerPopulation {
		p, err := newPopulations(cfg, b)
		if err != nil {
			return nil, err
		}
		if err := p.SetState(state); err != nil {
			return nil, err
		}
		return p, nil
	}
	m, err := NewMADDPG(cfg, b.Features, b.RNG)
	if err != nil {
		return nil, err
	}
	if err := m.SetState(state); err != nil {
		return nil, err
	}
	return m, nil
}

// Load reads MADDPG's networks out of a trainer state written by
// learner.Trainer.Save of a maddpg run of shared networks, without
// building the games or the replay buffers, for evaluation. cfg and setup
// must be those of the run. A run of sharing = "per_population" has one
// set per population: learner.Load gives them as one player.
func Load(cfg Settings, setup learner.Setup, data []byte) (*MADDPG, error) {
	if cfg.Sharing == SharingPerPopulation {
		return nil, fmt.Errorf("maddpg: Load gives the shared networks, and this run has one set per population (sharing = %q): use learner.Load", SharingPerPopulation)
	}
	state, b, err := learner.LearnerState(&cfg, setup, data)
	if err != nil {
		return nil, err
	}
	t, err := load(&cfg, b, state)
	if err != nil {
		return nil, err
	}
	return t.(*MADDPG), nil
}

// Player implements learner.Trained: the shared actors acting for every
// agent.
func (m *MADDPG) Player(spec *env.Spec, seed uint64) (agents.Policy, error) {
	return NewAgent(m, spec, seed)
}
