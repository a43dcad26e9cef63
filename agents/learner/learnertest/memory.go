package learnertest

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
)

// Estimate returns the bytes of the memory estimate registered for the
// algorithm of settings s at setup (learner.Algorithm.Memory, without
// learner.MemoryOverhead), failing t if there is none.
func Estimate(t testing.TB, s learner.Settings, setup learner.Setup) int64 {
	t.Helper()
	algo, err := learner.Lookup(s.Algorithm())
	if err != nil {
		t.Fatal(err)
	}
	if algo.Memory == nil {
		t.Fatalf("no memory estimate registered for %s", algo.Name)
	}
	items, err := algo.Memory(s, setup)
	if err != nil {
		t.Fatal(err)
	}
	var est int64
	for _, it := range items {
		est += it.Bytes
	}
	return est
}

// PeakHeap trains settings s at setup to the end of its budget while
// sampling runtime.MemStats, and returns the most the heap grew above its
// size before the run: what a memory estimate is checked against.
func PeakHeap(t testing.TB, s learner.Settings, setup learner.Setup) int64 {
	t.Helper()
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
	tr, err := learner.NewTrainer(s, setup)
	if err != nil {
		close(done)
		wg.Wait()
		t.Fatal(err)
	}
	err = tr.Run(context.Background(), func(learner.Metrics) error { return nil }, nil)
	tr.Close()
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return peak
}
