package maddpg_test

import (
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/maddpg"
)

// TestMemoryEstimateMatchesPeakHeap: MADDPG's registered estimate is
// within a factor of 2 of the heap a run grows by at its peak, measured by sampling
// runtime.MemStats while it trains, with the update's activations (a
// batch of 512 at 12 agents) and with the replay buffer the largest
// block.
func TestMemoryEstimateMatchesPeakHeap(t *testing.T) {
	for _, tc := range []struct {
		name                           string
		pops                           []string
		replay                         string
		batch, buffer, steps, episodes int
	}{
		{"activations", []string{"agents=12"}, "", 512, 1_000_000, 100, 48},
		{"replay", []string{"agents=6", "agents=12"}, "observations", 64, 4000, 1000, 480},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := maddpg.DefaultSettings()
			s.BatchSize, s.BufferLength, s.StepsPerUpdate, s.NumUpdates, s.Replay = tc.batch, tc.buffer, tc.steps, 2, tc.replay
			su := learner.Setup{Game: "resource", Populations: learnertest.Pops(t, tc.pops...), Seed: 1, Episodes: tc.episodes, ParallelEnvs: 12, LogEvery: 12}
			est := learnertest.Estimate(t, &s, su)
			peak := learnertest.PeakHeap(t, &s, su)
			t.Logf("estimate %d B, measured peak heap growth %d B (%.2f×)", est, peak, float64(est)/float64(peak))
			if peak <= 0 || est < peak/2 || est > 2*peak {
				t.Fatalf("estimate %d B is not within a factor of 2 of the measured peak %d B", est, peak)
			}
		})
	}
}
