package learner_test

import (
	"runtime"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/particle"
)

// TestReplayEstimateIsCalibrated fills a replay buffer of each mode to its
// capacity, wrapping it twice, and checks the heap it holds against the
// per-transition estimate: never above it, and at least 2/3 of it.
func TestReplayEstimateIsCalibrated(t *testing.T) {
	for _, c := range []struct{ game, pop, mode string }{
		{"resource", "agents=6", replay.ModeStates},
		{"resource", "agents=6", replay.ModeObservations},
		{"pacman", "pacmen=3,ghosts=2", replay.ModeStates},
	} {
		t.Run(c.game+"/"+c.mode, func(t *testing.T) {
			const capacity, latents = 4000, 6
			p := learnertest.Pops(t, c.pop)[0]
			s, err := learner.ShapeOf(c.game, nil, p)
			if err != nil {
				t.Fatal(err)
			}
			mode, per := s.ReplayPerTransition(c.mode, latents)
			if mode != c.mode {
				t.Fatalf("mode %s, want %s", mode, c.mode)
			}
			g, _ := env.Make(c.game, nil, p)
			probe, _ := env.Make(c.game, nil, p)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var buf *replay.Buffer
			if mode == replay.ModeStates {
				if buf, err = replay.NewStateBuffer(s.Enc, capacity, latents, []env.Game{probe}, 1); err != nil {
					t.Fatal(err)
				}
				defer buf.Close()
			} else {
				buf = replay.NewBuffer(s.Enc, capacity, latents)
			}
			n := int(s.N)
			prev, next := env.NewFrame(g.Spec()), env.NewFrame(g.Spec())
			actions, graph, z := make([]int, n), make([]float64, n*int(s.E)), make([]float64, n*latents)
			g.Reset(1, next)
			for step := range 3 * capacity {
				if next.Done() {
					g.Reset(uint64(step), next)
				}
				prev.CopyFrom(next)
				for i := range actions {
					actions[i] = (step + i) % g.Spec().Type(i).NumActions
				}
				buf.BeginStep(0, g, prev)
				g.Step(actions, next)
				buf.Record(0, g, prev, actions, next, graph, z)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			want := int64(capacity) * per
			t.Logf("%s %s: holds %d bytes per transition, estimate %d", c.pop, mode, held/capacity, per)
			if held > want || 3*held < 2*want {
				t.Errorf("buffer holds %d B, the estimate is %d B", held, want)
			}
			runtime.KeepAlive(buf)
		})
	}
}
