package mra_test

import (
	"crypto/sha256"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/mra"
)

// TestLearnerStateGolden pins the bytes of the networks' part of a trained
// run's checkpoint (learner.ModelState: the run's identity and the
// learner's AppendState, which holds parameters, targets, optimizers and
// random streams) for each of this package's algorithms and precisions
// (other algorithms pin their own in their packages). The hashes
// were recorded by the code before the learner interface existed (when
// mra held the trainer), so the format is unchanged by the move; a change
// of the learner-state format must change them deliberately.
func TestLearnerStateGolden(t *testing.T) {
	for _, tc := range []struct {
		algo, precision string
		size            int
		sum             string
	}{
		{"mra", "float64", 34811, "649bf6c399b349c0c33bf91be88a7eeeeba9decb38b3b32e9e5bddc9914c4d68"},
		{"mra", "float32", 34819, "6231e6fea458e4f76ba9a9215d99daa1a7d1a21a2e2f26ddd9f43172a4a2cc7b"},
		{"single", "float64", 33926, "b7ad7df74c6101b635ec3ef5a202adfa44bc111464c59486faa9ea8379b26c08"},
		{"reptile", "float64", 33399, "f89db2eb5a016c427cff8e68683176bd5cfc567d2bdf3bc825a5ce14a78522ca"},
	} {
		t.Run(tc.algo+"/"+tc.precision, func(t *testing.T) {
			cfg := mra.DefaultConfig()
			cfg.Algo, cfg.Precision = tc.algo, tc.precision
			cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates, cfg.BufferLength = 16, 10, 1, 200
			cfg.Hidden, cfg.Latents, cfg.HeadDim, cfg.ValueDim, cfg.CriticKey = 4, 2, 2, 4, 2
			pops := []env.Population{{{Type: "agents", Count: 2}}, {{Type: "agents", Count: 3}}}
			if tc.algo == mra.AlgoSingle {
				pops = pops[:1]
			}
			setup := learner.Setup{Game: "resource", Params: map[string]any{"max_steps": 6}, Populations: pops, Seed: 4, Episodes: 8, ParallelEnvs: 2, LogEvery: 4}
			ms, err := learner.ModelState(learnertest.MustTrain(t, cfg, setup))
			if err != nil {
				t.Fatal(err)
			}
			if sum := fmt.Sprintf("%x", sha256.Sum256(ms)); len(ms) != tc.size || sum != tc.sum {
				t.Errorf("networks' state: %d bytes, SHA-256 %s; want %d bytes, %s", len(ms), sum, tc.size, tc.sum)
			}
		})
	}
}
