package algobench

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/mrasim/mrasim/agents/learner"
	_ "github.com/mrasim/mrasim/env/particle"
	_ "github.com/mrasim/mrasim/maddpg"
	_ "github.com/mrasim/mrasim/mappo"
	_ "github.com/mrasim/mrasim/mra"
	"github.com/mrasim/mrasim/scenarios"
)

// arms are the benchmarked algorithms: each a shipped scenario file, with
// the --set overrides that select the algorithm where the file names
// another one.
var arms = []struct {
	algo, file string
	sets       []string
}{
	{"mra", "resource.toml", nil},
	{"single", "resource-single.toml", nil},
	{"reptile", "resource-reptile.toml", nil},
	{"maddpg", "resource-maddpg.toml", nil},
	{"mappo", "resource-mappo.toml", nil},
	{"ippo", "resource-mappo.toml", []string{"algo.name=ippo"}},
}

// scenarioDir is the repository's scenarios folder, from this package's.
const scenarioDir = "../../../../scenarios"

// trainer builds the trainer of arm's scenario trained at one population
// of n agents, with budget enough for any benchmark.
func trainer(tb testing.TB, file string, sets []string, n int) (t *learner.Trainer, parallelEnvs int) {
	tb.Helper()
	path := filepath.Join(scenarioDir, file)
	src, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	sets = append([]string{fmt.Sprintf("train.populations=[%d]", n), "train.episodes=1000000000"}, sets...)
	s, _, err := scenarios.ParseSet(path, src, sets)
	if err != nil {
		tb.Fatal(err)
	}
	setup := learner.Setup{
		Game: s.Game.Name, Params: s.Game.Params, Populations: s.Train.Populations, Seed: s.Seed,
		Episodes: s.Train.Episodes, ParallelEnvs: s.Train.ParallelEnvs, LogEvery: s.Train.LogEvery,
		Workers: runtime.GOMAXPROCS(0),
	}
	t, err = learner.NewTrainer(s.Algo, setup)
	if err != nil {
		tb.Fatal(err)
	}
	return t, setup.ParallelEnvs
}

// warmUp plays rounds until training is in its steady state: an
// off-policy learner's replay holds at least a batch (before that the
// trainer runs no update cycle, so an episode costs only acting and
// stepping), then as many rounds again as the update schedule needs to
// come back to a round boundary with a whole number of update cycles
// (every buffer, worker and scratch slice sized); an on-policy learner
// learns after every round from the first, so two rounds suffice.
func warmUp(tb testing.TB, t *learner.Trainer) {
	tb.Helper()
	_, onPolicy := t.Learner().(learner.OnPolicy)
	batch := t.Settings().Schedule().BatchSize
	for played := 0; ; played++ {
		if onPolicy && played >= 2 || !onPolicy && t.Buffer(0).Len() >= batch && t.Updates() > 0 && played >= 2 {
			return
		}
		if _, err := t.PlayRound(); err != nil {
			tb.Fatal(err)
		}
	}
}

// cpuTime returns the CPU time (user and system) this process has used:
// on a machine other jobs share, the CPU an episode takes moves less than
// its wall time.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTrainEpisode trains each algorithm at 3 and at 6 agents: one op
// is one training round (parallel_envs episodes of the population with
// their scheduled updates; Reptile's InnerRounds rounds and its
// meta-step); ns/episode is the wall time per episode in the steady state
// (see warmUp), allocs/episode and B/episode the heap allocations per
// episode, and cpu-ns/episode the process's CPU time per episode (all its
// goroutines: with 2 workers up to twice the wall time). Use -benchtime Nx with N a multiple of 5: the resource
// scenarios run an update cycle every 100 environment steps and a round
// plays 240, so the cycles per round alternate between 2 and 3 and repeat
// every 5 rounds.
func BenchmarkTrainEpisode(b *testing.B) {
	for _, arm := range arms {
		for _, n := range []int{3, 6} {
			b.Run(fmt.Sprintf("%s/n=%d", arm.algo, n), func(b *testing.B) {
				t, envs := trainer(b, arm.file, arm.sets, n)
				defer t.Close()
				warmUp(b, t)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				rounds := 0
				b.ResetTimer()
				start, cpu0 := time.Now(), cpuTime(b)
				for range b.N {
					played, err := t.PlayRound()
					if err != nil {
						b.Fatal(err)
					}
					rounds += played
				}
				elapsed, cpu := time.Since(start), cpuTime(b)-cpu0
				b.StopTimer()
				runtime.ReadMemStats(&after)
				episodes := float64(rounds * envs)
				b.ReportMetric(float64(elapsed.Nanoseconds())/episodes, "ns/episode")
				b.ReportMetric(float64(cpu.Nanoseconds())/episodes, "cpu-ns/episode")
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/episodes, "allocs/episode")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/episodes, "B/episode")
			})
		}
	}
}

// TestArmsReachSteadyState: every benchmarked scenario still builds its
// algorithm through the registry, and warmUp ends with updates run (an
// off-policy learner's replay holding a batch).
func TestArmsReachSteadyState(t *testing.T) {
	for _, arm := range arms {
		t.Run(arm.algo, func(t *testing.T) {
			tr, envs := trainer(t, arm.file, arm.sets, 3)
			defer tr.Close()
			if got := tr.Settings().Algorithm(); got != arm.algo {
				t.Errorf("%s builds algorithm %q", arm.file, got)
			}
			warmUp(t, tr)
			if tr.Updates() == 0 || envs != 12 {
				t.Errorf("after warm-up: %d updates, %d parallel envs", tr.Updates(), envs)
			}
			if _, onPolicy := tr.Learner().(learner.OnPolicy); !onPolicy && tr.Buffer(0).Len() < tr.Settings().Schedule().BatchSize {
				t.Errorf("replay holds %d transitions, below a batch", tr.Buffer(0).Len())
			}
		})
	}
}
