package engine_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/mrasim/mrasim/bindings/engine"
	"github.com/mrasim/mrasim/env"
)

// BenchmarkVec measures the engine as the Python vector API drives it:
// B = 1,024 copies over GOMAXPROCS workers with automatic resets, actions
// read from and observations written to caller-owned buffers. One op is
// one env-step of one copy, as in env/particle's BenchmarkBatch.
func BenchmarkVec(b *testing.B) {
	const copies = 1024
	for _, c := range []struct{ game, pop string }{{"spread", "agents=3"}, {"resource", "agents=3"}, {"resource", "agents=24"}} {
		b.Run(fmt.Sprintf("%s/%s", c.game, c.pop), func(b *testing.B) {
			v, bufs := newBound(b, engine.Config{Game: c.game, Populations: pops(c.pop), Copies: copies, AutoReset: true})
			if err := v.Reset(1); err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range bufs.Actions {
				bufs.Actions[i] = int64(rng.IntN(5))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for k := 0; k < b.N; k += copies {
				if err := v.Step(); err != nil {
					b.Fatal(err)
				}
			}
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(b.N)/s, "env-steps/s")
			}
		})
	}
}

// BenchmarkEnvBatch is BenchmarkVec's baseline: env.Batch at the same
// B = 1,024 copies over GOMAXPROCS workers, writing nowhere but its own
// frames. The gap between the two is the engine's cost (checking actions,
// writing the caller's buffers, resetting in the same step); the gap
// between this and env/particle's BenchmarkBatch (12 copies) is what 1,024
// copies' worlds cost in memory traffic.
func BenchmarkEnvBatch(b *testing.B) {
	const copies = 1024
	for _, c := range []struct{ game, pop string }{{"spread", "agents=3"}, {"resource", "agents=3"}, {"resource", "agents=24"}} {
		b.Run(fmt.Sprintf("%s/%s", c.game, c.pop), func(b *testing.B) {
			games := make([]env.Game, copies)
			for e := range games {
				g, err := env.Make(c.game, nil, pops(c.pop)[0])
				if err != nil {
					b.Fatal(err)
				}
				games[e] = g
			}
			batch, err := env.NewBatch(games, runtime.GOMAXPROCS(0))
			if err != nil {
				b.Fatal(err)
			}
			defer batch.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			for e := range copies {
				for i := range batch.Actions(e) {
					batch.Actions(e)[i] = rng.IntN(5)
				}
			}
			batch.Reset(1)
			b.ReportAllocs()
			b.ResetTimer()
			for k := 0; k < b.N; k += copies {
				batch.Step()
			}
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(b.N)/s, "env-steps/s")
			}
		})
	}
}
