package particle_test

import (
	"math"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// The scenario tests below set a state by hand, take one or a few steps and
// compare with outcomes worked out from the rules on paper. Two agents are
// made to touch by giving them velocities towards each other while they
// are still apart (gap 0.075 or more, where the soft contact force is below
// 1e-30): after damping, each moves 0.075 inwards.

const ruleTol = 1e-12

func mustMake(t *testing.T, name string, params map[string]any, pop env.Population) (env.Game, *env.Frame, *particle.World) {
	t.Helper()
	g, err := env.Make(name, params, pop)
	if err != nil {
		t.Fatal(err)
	}
	f := env.NewFrame(g.Spec())
	g.Reset(1, f)
	w := g.(worlder).World()
	for e := range w.NumEntities() {
		w.Place(e, 0.9, -0.9+0.01*float64(e), 0, 0) // park everything out of the way
	}
	return g, f, w
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > ruleTol {
		t.Errorf("%s = %.17g, want %.17g", what, got, want)
	}
}

func TestTreasurePickUp(t *testing.T) {
	g, f, w := mustMake(t, particle.TreasureName, map[string]any{"treasures": int64(1)},
		two("collectors", 1, "deposits", 2))
	tr := g.(*particle.Treasure)
	// Collector 0 at the origin, treasure (entity 3, colour 0) within reach,
	// deposits 1 (colour 0) and 2 (colour 1) far away.
	w.Place(0, 0, 0, 0, 0)
	w.Place(1, 0.5, 0.5, 0, 0)
	w.Place(2, -0.5, -0.5, 0, 0)
	w.Place(3, 0.05, 0, 0, 0)
	g.Observe(f)
	if tr.TreasureColour(0) != 0 || tr.Carrying(0) != -1 {
		t.Fatalf("start: treasure colour %d, carrying %d", tr.TreasureColour(0), tr.Carrying(0))
	}
	g.Step([]int{0, 0, 0}, f)
	if tr.Carrying(0) != 0 {
		t.Fatalf("collector carries %d after touching a colour-0 treasure, want 0", tr.Carrying(0))
	}
	if w.PX[3] == 0.05 && w.PY[3] == 0 {
		t.Error("the treasure did not respawn")
	}
	if math.Abs(w.PX[3]) > 1 || math.Abs(w.PY[3]) > 1 {
		t.Errorf("treasure respawned at (%v, %v), outside [−1, 1]²", w.PX[3], w.PY[3])
	}
	// +5 for the pick-up to everyone; the carrier and deposit 1 are pulled
	// together over √0.5; deposit 2 has no carrier of its colour.
	want := 5 - 0.1*math.Sqrt(0.5)
	near(t, "collector reward", f.Reward[0], want)
	near(t, "deposit 0 reward", f.Reward[1], want)
	near(t, "deposit 1 reward", f.Reward[2], 5)
	if o := f.AgentObs(0); o[4] != 1 || o[5] != 0 {
		t.Errorf("collector's carried colour one-hot = %v, want [1 0]", o[4:6])
	}
}

func TestTreasureDelivery(t *testing.T) {
	g, f, w := mustMake(t, particle.TreasureName, map[string]any{"treasures": int64(1)},
		two("collectors", 1, "deposits", 2))
	tr := g.(*particle.Treasure)
	tr.SetCarrying(0, 1)
	w.Place(0, 0, 0, 0, 0)
	w.Place(1, -0.1, 0, 0, 0) // colour 0: wrong colour, though touching
	w.Place(2, 0.1, 0, 0, 0)  // colour 1: delivers
	w.Place(3, 0, 0.6, 0, 0)  // the treasure
	g.Observe(f)
	g.Step([]int{0, 0, 0}, f)
	if tr.Carrying(0) != -1 {
		t.Fatalf("collector still carries %d after touching its deposit", tr.Carrying(0))
	}
	near(t, "collector reward", f.Reward[0], 5-0.1*0.6) // empty again: pulled to the treasure
	near(t, "deposit reward", f.Reward[2], 5)
}

func TestTreasureCollision(t *testing.T) {
	g, f, w := mustMake(t, particle.TreasureName, map[string]any{"treasures": int64(1)},
		two("collectors", 2, "deposits", 1))
	w.Place(0, -0.1, 0, 1, 0)
	w.Place(1, 0.1, 0, -1, 0)
	w.Place(3, 0, 0.9, 0, 0)
	g.Observe(f)
	g.Step([]int{0, 0, 0}, f)
	near(t, "collector 0 x", w.PX[0], -0.025)
	want := -5 - 0.1*math.Hypot(0.025, 0.9)
	near(t, "collector 0 reward", f.Reward[0], want)
	near(t, "collector 1 reward", f.Reward[1], want)
}

func TestPacmanCaught(t *testing.T) {
	g, f, w := mustMake(t, particle.PacmanName, map[string]any{"food": int64(1), "bound_penalty": false},
		two("pacmen", 2, "ghosts", 1))
	// Pac-man 0 runs into the ghost (entity 2); pac-man 1 is far away.
	w.Place(0, -0.1, 0, 1, 0)
	w.Place(2, 0.1, 0, -1, 0)
	w.Place(1, 0.8, -0.8, 0, 0)
	w.Place(3, 0.9, 0.9, 0, 0) // food, out of pac-man 1's sight
	g.Observe(f)
	g.Step([]int{0, 0, 0}, f)
	near(t, "caught pac-man reward", f.Reward[0], -5)
	near(t, "other pac-man reward", f.Reward[1], 0)
	near(t, "ghost reward", f.Reward[2], 5-0.1*math.Hypot(0.8-0.025, 0.8))
	if f.Alive[0] || !f.Terminated[0] {
		t.Fatalf("caught pac-man: alive %v terminated %v", f.Alive[0], f.Terminated[0])
	}
	frozenX, frozenY := w.PX[0], w.PY[0]
	for step := range 5 {
		if f.Alive[0] || !f.Terminated[0] || f.Done() {
			t.Fatalf("step %d: pac-man 0 alive %v terminated %v, done %v", f.T, f.Alive[0], f.Terminated[0], f.Done())
		}
		// The ghost's pac-men set: pac-man 0 masked, pac-man 1 present.
		if m := f.AgentEntityMask(2); m[0] || !m[1] {
			t.Errorf("step %d: ghost's pac-man mask %v, want [false true …]", f.T, m[:2])
		}
		if m := f.AgentEntityMask(1); m[0] {
			t.Errorf("step %d: pac-man 1 still sees pac-man 0", f.T)
		}
		if o := f.AgentObs(2)[4:8]; /* after the 4-wide self block */ o[0] != 0 || o[1] != 0 || o[2] != 0 || o[3] != 0 {
			t.Errorf("step %d: dead pac-man's block %v, want zeros", f.T, o)
		}
		if step > 0 && f.Reward[0] != 0 {
			t.Errorf("step %d: dead pac-man earns %v", f.T, f.Reward[0])
		}
		g.Step([]int{1, 0, 0}, f) // the dead pac-man's action is ignored
	}
	if w.PX[0] != frozenX || w.PY[0] != frozenY {
		t.Errorf("dead pac-man moved from (%v, %v) to (%v, %v)", frozenX, frozenY, w.PX[0], w.PY[0])
	}
}

func TestPacmanLastCatchEndsEpisode(t *testing.T) {
	g, f, w := mustMake(t, particle.PacmanName, map[string]any{"bound_penalty": false},
		two("pacmen", 1, "ghosts", 1))
	w.Place(0, -0.1, 0, 1, 0)
	w.Place(1, 0.1, 0, -1, 0)
	g.Observe(f)
	g.Step([]int{0, 0}, f)
	near(t, "ghost reward", f.Reward[1], 5) // no live pac-man to be pulled to
	if !f.Done() || !f.Terminated[1] {
		t.Fatalf("the last catch did not end the episode: done %v, ghost terminated %v", f.Done(), f.Terminated[1])
	}
}

func TestPacmanFoodRespawns(t *testing.T) {
	g, f, w := mustMake(t, particle.PacmanName, map[string]any{"food": int64(1), "bound_penalty": false},
		two("pacmen", 1, "ghosts", 1))
	w.Place(0, 0, 0, 0, 0)
	w.Place(1, -0.9, 0.9, 0, 0) // ghost far away
	w.Place(2, 0.05, 0, 0, 0)   // food within reach (0.05 < 0.05 + 0.03)
	g.Observe(f)
	g.Step([]int{0, 0}, f)
	fx, fy := w.PX[2], w.PY[2]
	if fx == 0.05 && fy == 0 {
		t.Fatal("eaten food did not respawn")
	}
	if math.Abs(fx) > 1 || math.Abs(fy) > 1 {
		t.Errorf("food respawned at (%v, %v), outside [−1, 1]²", fx, fy)
	}
	want := 2.0
	if d := math.Hypot(fx, fy); d <= 0.5 {
		want -= 0.1 * d
	}
	near(t, "pac-man reward", f.Reward[0], want)
	// The food block is visible exactly when the new pellet is within sight.
	seen := math.Hypot(fx, fy) <= 0.5
	if m := f.AgentEntityMask(0); m[1] != seen {
		t.Errorf("food mask %v, want %v (food at distance %v)", m[1], seen, math.Hypot(fx, fy))
	}
}

// TestResourceObservesNearest places five agents on a line and checks
// that with observe_nearest = 2 each agent's two blocks show the two
// nearest others, nearest first, the lower index first on a tie, and that
// without it every other agent is observed in index order.
func TestResourceObservesNearest(t *testing.T) {
	xs := []float64{0, 0.1, 0.3, 0.6, 1.0}
	want := [][]int{{1, 2}, {0, 2}, {1, 0}, {2, 4}, {3, 2}} // agent 2: 1 at 0.2, 0 at 0.3 (3 also at 0.3: the lower index wins)
	g, f, w := mustMake(t, "resource", map[string]any{"observe_nearest": int64(2)}, env.Population{{Count: 5}})
	if got := g.Spec().Types[0].Sets[0].Count; got != 2 {
		t.Fatalf("agents set of %d blocks, want 2", got)
	}
	for i, x := range xs {
		w.PX[i], w.PY[i] = x, 0.5
	}
	g.Observe(f)
	width := g.Spec().Types[0].Sets[0].Width
	self := g.Spec().Types[0].Self
	for i := range xs {
		o := f.AgentObs(i)
		for b, j := range want[i] {
			if dx := o[self+b*width]; math.Abs(dx-(xs[j]-xs[i])) > ruleTol {
				t.Errorf("agent %d block %d: dx %v, want agent %d's %v", i, b, dx, j, xs[j]-xs[i])
			}
		}
	}
	all, fa, wa := mustMake(t, "resource", nil, env.Population{{Count: 5}})
	for i, x := range xs {
		wa.PX[i], wa.PY[i] = x, 0.5
	}
	all.Observe(fa)
	o := fa.AgentObs(2)
	for b, j := range []int{0, 1, 3, 4} {
		if dx := o[self+b*width]; math.Abs(dx-(xs[j]-xs[2])) > ruleTol {
			t.Errorf("all agents, agent 2 block %d: dx %v, want agent %d's", b, dx, j)
		}
	}
}
