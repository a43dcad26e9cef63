package particle_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// benchGames lists the games and populations the benchmarks sweep, to show
// how the cost of a step grows with the number of agents.
var benchGames = []struct {
	game string
	pops []env.Population
}{
	{particle.ResourceName, []env.Population{one(3), one(6), one(12), one(24)}},
	{particle.SpreadName, []env.Population{one(3), one(10), one(30)}},
	{particle.TagName, []env.Population{two("adversaries", 3, "good", 1)}},
	{particle.TreasureName, []env.Population{two("collectors", 6, "deposits", 2)}},
	{particle.PacmanName, []env.Population{two("pacmen", 3, "ghosts", 2)}},
}

// actionTable returns rows of uniformly random actions for n agents.
func actionTable(n int) [][]int {
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([][]int, 256)
	for r := range rows {
		rows[r] = make([]int, n)
		for i := range rows[r] {
			rows[r][i] = rng.IntN(particle.NumActions)
		}
	}
	return rows
}

func report(b *testing.B, agents int) {
	perOp := b.Elapsed().Seconds() / float64(b.N)
	if perOp > 0 {
		b.ReportMetric(1/perOp, "env-steps/s")
		b.ReportMetric(float64(agents)/perOp, "agent-steps/s")
	}
}

// BenchmarkStep measures one copy on one goroutine: one op is one
// env-step, physics, rewards and entity observations included, with a reset
// every horizon steps (included).
func BenchmarkStep(b *testing.B) {
	for _, bg := range benchGames {
		for _, pop := range bg.pops {
			n := pop.Total()
			b.Run(fmt.Sprintf("%s/n=%d", bg.game, n), func(b *testing.B) {
				g, err := env.Make(bg.game, nil, pop)
				if err != nil {
					b.Fatal(err)
				}
				f := env.NewFrame(g.Spec())
				acts := actionTable(n)
				g.Reset(1, f)
				b.ReportAllocs()
				b.ResetTimer()
				for k := 0; k < b.N; k++ {
					if f.Done() {
						g.Reset(uint64(k), f)
						continue
					}
					g.Step(acts[k&255], f)
				}
				report(b, n)
			})
		}
	}
}

// BenchmarkBatch measures env.Batch with 12 copies over GOMAXPROCS
// workers: one op is one env-step of one copy.
func BenchmarkBatch(b *testing.B) {
	const copies = 12
	for _, bg := range benchGames {
		for _, pop := range bg.pops {
			n := pop.Total()
			b.Run(fmt.Sprintf("%s/n=%d", bg.game, n), func(b *testing.B) {
				games := make([]env.Game, copies)
				for e := range games {
					g, err := env.Make(bg.game, nil, pop)
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
				acts := actionTable(n)
				batch.Reset(1)
				b.ReportAllocs()
				b.ResetTimer()
				for k := 0; k < b.N; k += copies {
					for e := range copies {
						copy(batch.Actions(e), acts[(k/copies+e)&255])
					}
					batch.Step()
				}
				report(b, n)
			})
		}
	}
}
