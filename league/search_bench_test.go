package league_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/league/br"
)

// BenchmarkSearchDecision measures what one decision of the search
// response costs in resource occupation (5 actions × 8 rollouts to the
// episode's end) against uniformly random others and against an MRA
// entry's policy (whose forwards, batched over the 40 rollouts, dominate),
// at N = 3, 6 and 24. It reports ns per decision and rollout steps per
// decision; the time includes one short PPO run and the episodes around
// the decisions, which are negligible beside the search.
//
//	go test ./league -run '^$' -bench SearchDecision -benchtime 1x
func BenchmarkSearchDecision(b *testing.B) {
	run := tinyRun(b, "resource", pops(nil, "agents=3", "agents=6"), 8)
	for _, n := range []int{3, 6, 24} {
		spec := mustSpec(b, n)
		for _, who := range []string{"random", "mra"} {
			b.Run(fmt.Sprintf("N=%d/%s", n, who), func(b *testing.B) {
				var others agents.Policy = agents.NewRandom(1)
				if who == "mra" {
					var err error
					if others, err = run.Policy(spec, 1); err != nil {
						b.Fatal(err)
					}
				}
				newGame := func() (env.Game, error) { return env.Make("resource", nil, spec.Population) }
				cfg := br.Config{Episodes: 1, Batch: 1, SelectEpisodes: 2, TestEpisodes: 2, Search: true}
				var decisions, steps int64
				var elapsed time.Duration
				for range b.N {
					start := time.Now()
					res, err := br.Train(newGame, others, 0, nil, cfg, 1)
					if err != nil {
						b.Fatal(err)
					}
					elapsed += time.Since(start)
					decisions += res.SearchDecisions
					steps += res.SearchSteps
				}
				b.ReportMetric(float64(elapsed.Nanoseconds())/float64(decisions), "ns/decision")
				b.ReportMetric(float64(steps)/float64(decisions), "steps/decision")
			})
		}
	}
}

func mustSpec(b *testing.B, n int) *env.Spec {
	g, err := env.Make("resource", nil, env.Population{{Type: "agents", Count: n}})
	if err != nil {
		b.Fatal(err)
	}
	return g.Spec()
}
