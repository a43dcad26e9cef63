package mappo_test

import (
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/mappo"
)

// TestMemoryEstimateMatchesPeakHeap: the registered estimate of MAPPO and
// IPPO (their rollout, update scratch, activations and networks) is within
// a factor of 2 of the heap a small run grows by at its peak, measured by
// sampling runtime.MemStats while it trains.
func TestMemoryEstimateMatchesPeakHeap(t *testing.T) {
	for _, name := range []string{mappo.NameMAPPO, mappo.NameIPPO} {
		t.Run(name, func(t *testing.T) {
			s := mappo.Defaults(name)
			s.Epochs = 2
			su := learner.Setup{Game: particle.ResourceName, Populations: []env.Population{{{Count: 12}}},
				Seed: 1, Episodes: 64, ParallelEnvs: 32, LogEvery: 32}
			est := learnertest.Estimate(t, s, su)
			peak := learnertest.PeakHeap(t, s, su)
			t.Logf("%s: estimate %d B, measured peak heap growth %d B (%.2f×)", name, est, peak, float64(est)/float64(peak))
			if peak <= 0 || est < peak/2 || est > 2*peak {
				t.Fatalf("estimate %d B is not within a factor of 2 of the measured peak %d B", est, peak)
			}
		})
	}
}
