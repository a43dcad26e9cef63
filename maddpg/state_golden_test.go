package maddpg_test

import (
	"crypto/sha256"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/maddpg"
)

// TestLearnerStateGolden pins the bytes of the networks' part of a trained
// maddpg run's checkpoint (learner.ModelState: the run's identity and
// MADDPG's AppendState). The hash was recorded when MADDPG lived in mra
// with a hand-written framing; the state written on internal/checkpoint's
// Encoder since is the same bytes, so checkpoints written before load.
func TestLearnerStateGolden(t *testing.T) {
	const size, sum = 35208, "3d4546c1276bb1bba98dc0a256fa8446b8d597c63569806f7ada2ce3d4be3833"
	s := maddpg.DefaultSettings()
	s.BatchSize, s.StepsPerUpdate, s.NumUpdates, s.BufferLength = 16, 10, 1, 200
	s.Hidden, s.ValueDim, s.CriticKey = 4, 4, 2
	pops := []env.Population{{{Type: "agents", Count: 2}}, {{Type: "agents", Count: 3}}}
	setup := learner.Setup{Game: "resource", Params: map[string]any{"max_steps": 6}, Populations: pops, Seed: 4, Episodes: 8, ParallelEnvs: 2, LogEvery: 4}
	ms, err := learner.ModelState(learnertest.MustTrain(t, &s, setup))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(ms)); len(ms) != size || got != sum {
		t.Errorf("networks' state: %d bytes, SHA-256 %s; want %d bytes, %s", len(ms), got, size, sum)
	}
}
