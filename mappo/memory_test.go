package mappo_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
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
			algo, err := learner.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			if algo.Memory == nil {
				t.Fatal("no memory estimate registered")
			}
			items, err := algo.Memory(s, su)
			if err != nil {
				t.Fatal(err)
			}
			var est int64
			for _, it := range items {
				est += it.Bytes
			}

			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := int64(ms.HeapAlloc)
			var peak int64
			done := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				var m runtime.MemStats
				for {
					runtime.ReadMemStats(&m)
					peak = max(peak, int64(m.HeapAlloc)-base)
					select {
					case <-done:
						return
					default:
						runtime.Gosched()
					}
				}
			}()
			tr, err := learner.NewTrainer(s, su)
			if err != nil {
				t.Fatal(err)
			}
			err = tr.Run(context.Background(), func(learner.Metrics) error { return nil }, nil)
			tr.Close()
			close(done)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: estimate %d B, measured peak heap growth %d B (%.2f×)", name, est, peak, float64(est)/float64(peak))
			if peak <= 0 || est < peak/2 || est > 2*peak {
				t.Fatalf("estimate %d B is not within a factor of 2 of the measured peak %d B", est, peak)
			}
		})
	}
}
