package envtest_test

import (
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/envtest"
	"github.com/mrasim/mrasim/examples/customenv/line"
)

// allocating is the line game with one heap allocation per Step: the kind
// of slip the check must catch (an average over Reset and Step calls,
// rounded down, let it pass).
type allocating struct {
	env.Game
}

var sink []float64

func init() { line.Register() }

func (a allocating) Step(actions []int, f *env.Frame) {
	sink = make([]float64, 4)
	a.Game.Step(actions, f)
}

func newLine(t *testing.T) env.Game {
	t.Helper()
	g, err := env.Make(line.Name, nil, env.Population{{Type: "walkers", Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestEpisodeAllocsCountsEveryAllocation(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	// Least of three: the count is process-wide and a runtime goroutine can
	// add a stray allocation under load (see checkAllocs).
	n, steps := envtest.EpisodeAllocs(newLine(t), 20)
	for i := 0; i < 2 && n != 0; i++ {
		n, steps = envtest.EpisodeAllocs(newLine(t), 20)
	}
	if n != 0 || steps == 0 {
		t.Errorf("line: %d allocations over %d steps in each of three measurements, want 0", n, steps)
	}
	n, steps = envtest.EpisodeAllocs(allocating{newLine(t)}, 20)
	if steps == 0 || n != uint64(steps) {
		t.Errorf("one make per Step: %d allocations over %d steps, want exactly %d", n, steps, steps)
	}
}
