package mra_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/mra"
)

// mib formats bytes in MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// TestTrainEstimateCoversARun trains a small run until its replay buffer is
// full and checks that the live heap stays under the estimate, and that the
// estimate is not wildly above it.
func TestTrainEstimateCoversARun(t *testing.T) {
	cfg := mra.DefaultConfig()
	cfg.BatchSize, cfg.BufferLength, cfg.StepsPerUpdate, cfg.NumUpdates = 128, 800, 400, 1
	t.Run("one population", func(t *testing.T) {
		checkTrainEstimate(t, cfg, learner.Setup{Game: "spread", Populations: learnertest.Pops(t, "agents=6"), Seed: 1, Episodes: 40, ParallelEnvs: 8, LogEvery: 40})
	})
	// With two populations MRA also runs its prior and classifier update
	// on whole batches (an estimate without it was 311 MiB for 342 MiB
	// live).
	cfg.BatchSize, cfg.BufferLength, cfg.StepsPerUpdate, cfg.NumUpdates = 256, 1000000, 100, 10
	t.Run("two populations", func(t *testing.T) {
		checkTrainEstimate(t, cfg, learner.Setup{Game: "resource", Populations: learnertest.Pops(t, "agents=6", "agents=12"), Seed: 1, Episodes: 24, ParallelEnvs: 12, LogEvery: 24})
	})
	// In float32 the activations are counted at half their float64 bytes.
	cfg.Precision = mra.PrecisionFloat32
	t.Run("two populations in float32", func(t *testing.T) {
		checkTrainEstimate(t, cfg, learner.Setup{Game: "resource", Populations: learnertest.Pops(t, "agents=6", "agents=12"), Seed: 1, Episodes: 24, ParallelEnvs: 12, LogEvery: 24})
	})
}

// checkTrainEstimate runs a training run and checks that its live heap
// stays under the registered estimate plus learner.MemoryOverhead, and
// that the estimate is not wildly above it.
func checkTrainEstimate(t *testing.T, cfg mra.Config, setup learner.Setup) {
	blocks := learnertest.Estimate(t, cfg, setup)
	total := blocks + learner.MemoryOverhead
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr, err := learner.NewTrainer(cfg, setup)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.Run(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("live heap after the run %s; estimate without overhead %s, with %s", mib(live), mib(blocks), mib(total))
	if live > total {
		t.Errorf("the run holds %s, more than the estimate %s", mib(live), mib(total))
	}
	if blocks > 20*live {
		t.Errorf("the estimate's blocks %s are more than 20 times the %s the run holds", mib(blocks), mib(live))
	}
	runtime.KeepAlive(tr)
}
