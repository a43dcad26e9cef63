package particle_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// nearestCases lists, per game, a population whose every entity set is
// larger than the k the tests cut it to (so every set is cut).
var nearestCases = []struct {
	game string
	pop  env.Population
	k    int
}{
	{particle.ResourceName, one(9), 3},
	{particle.SpreadName, one(9), 3},
	{particle.TagName, two("adversaries", 7, "good", 5), 2},
	{particle.TreasureName, two("collectors", 8, "deposits", 5), 3},
	{particle.PacmanName, two("pacmen", 9, "ghosts", 5), 3},
}

// nearestViewer is what the tests need of a particle game.
type nearestViewer interface {
	env.Game
	particle.Viewer
	World() *particle.World
}

func makeNearest(t *testing.T, game string, k int, pop env.Population) nearestViewer {
	t.Helper()
	var params map[string]any
	if k >= 0 {
		params = map[string]any{"observe_nearest": int64(k)}
	}
	g, err := env.Make(game, params, pop)
	if err != nil {
		t.Fatal(err)
	}
	return g.(nearestViewer)
}

// play resets g with seed and steps it with random actions from rng,
// calling visit after the reset and after every step.
func play(g env.Game, seed uint64, rng *rand.Rand, visit func(f *env.Frame)) {
	s := g.Spec()
	f := env.NewFrame(s)
	g.Reset(seed, f)
	visit(f)
	actions := make([]int, s.NumAgents())
	for !f.Done() {
		for i := range actions {
			actions[i] = rng.IntN(particle.NumActions)
		}
		g.Step(actions, f)
		visit(f)
	}
}

// TestObserveNearestWholeSetsUnchanged checks that an observe_nearest k no
// set exceeds changes nothing: same spec, and over whole episodes the same
// observations, masks, rewards and flags bit for bit as without it, and
// the same Observed blocks.
func TestObserveNearestWholeSetsUnchanged(t *testing.T) {
	for _, c := range nearestCases {
		t.Run(c.game, func(t *testing.T) {
			for _, k := range []int{c.pop.Total(), 256} {
				all, cut := makeNearest(t, c.game, -1, c.pop), makeNearest(t, c.game, k, c.pop)
				if a, b := all.Spec().Types, cut.Spec().Types; !slices.EqualFunc(a, b, func(x, y env.TypeSpec) bool {
					return x.Self == y.Self && slices.Equal(x.Sets, y.Sets)
				}) {
					t.Fatalf("k = %d: spec %+v, want %+v", k, b, a)
				}
				var frames []*env.Frame
				play(all, 7, rand.New(rand.NewPCG(1, 2)), func(f *env.Frame) {
					g := env.NewFrame(all.Spec())
					g.CopyFrom(f)
					frames = append(frames, g)
				})
				step := 0
				play(cut, 7, rand.New(rand.NewPCG(1, 2)), func(f *env.Frame) {
					want := frames[step]
					if !slices.Equal(f.Obs, want.Obs) || !slices.Equal(f.EntityMask, want.EntityMask) ||
						!slices.Equal(f.Reward, want.Reward) || !slices.Equal(f.Alive, want.Alive) || !slices.Equal(f.Truncated, want.Truncated) {
						t.Fatalf("k = %d, step %d: frame differs from the full observation", k, step)
					}
					step++
				})
				for i := range all.Spec().NumAgents() {
					if a, b := all.Observed(i, nil), cut.Observed(i, nil); !slices.Equal(a, b) {
						t.Errorf("k = %d, agent %d: Observed %v, want %v", k, i, b, a)
					}
				}
			}
		})
	}
}

// TestObserveNearestBruteForce checks, at every step of random episodes
// and on a lattice of exact ties, that each set's blocks are whole, in
// index order, when it holds at most k entities, and otherwise exactly
// the k entities nearest to the observer, nearest first, the lower index
// first on a tie, dead pac-men last: the reference sorts the set of the
// full observation (Observed without observe_nearest, in index order) by
// squared distance with a stable sort. Each block must show its entity
// (offset p_e − p_i bit for bit, or zeros where masked). A restored state
// (AppendState, SetState into a fresh game) gives the same frame.
func TestObserveNearestBruteForce(t *testing.T) {
	for _, c := range nearestCases {
		t.Run(c.game, func(t *testing.T) {
			all, cut := makeNearest(t, c.game, -1, c.pop), makeNearest(t, c.game, c.k, c.pop)
			fresh := makeNearest(t, c.game, c.k, c.pop)
			restored := env.NewFrame(cut.Spec())
			n := cut.Spec().NumAgents()
			dead := 0
			check := func(f *env.Frame, where string) {
				if err := all.SetState(cut.AppendState(nil)); err != nil {
					t.Fatal(err)
				}
				w := cut.World()
				for i := range n {
					if !f.Alive[i] {
						dead++
					}
					full, got := all.Observed(i, nil), cut.Observed(i, nil)
					st, ct := all.Spec().Type(i), cut.Spec().Type(i)
					var want []int
					for s, set := range st.Sets {
						members := slices.Clone(full[:set.Count])
						full = full[set.Count:]
						key := func(e int) float64 {
							if e < n && !f.Alive[e] {
								return math.Inf(1)
							}
							dx, dy := w.PX[e]-w.PX[i], w.PY[e]-w.PY[i]
							return dx*dx + dy*dy
						}
						if ct.Sets[s].Count == set.Count {
							want = append(want, members...) // whole: index order
							continue
						}
						slices.SortStableFunc(members, func(a, b int) int {
							ka, kb := key(a), key(b)
							switch {
							case ka < kb:
								return -1
							case ka > kb:
								return 1
							}
							return 0
						})
						if set.Count > c.k && ct.Sets[s].Count != c.k {
							t.Fatalf("%s: set %q of %d blocks, want %d", where, set.Name, ct.Sets[s].Count, c.k)
						}
						want = append(want, members[:ct.Sets[s].Count]...)
					}
					if !slices.Equal(got, want) {
						t.Fatalf("%s, agent %d: blocks show %v, want %v", where, i, got, want)
					}
					o, m := f.AgentObs(i)[ct.Self:], f.AgentEntityMask(i)
					b := 0
					for _, set := range ct.Sets {
						for range set.Count {
							e := got[b]
							wx, wy := w.PX[e]-w.PX[i], w.PY[e]-w.PY[i]
							if !m[b] {
								wx, wy = 0, 0
							}
							if o[0] != wx || o[1] != wy {
								t.Fatalf("%s, agent %d block %d (%s, entity %d): offset (%v, %v), want (%v, %v)", where, i, b, set.Name, e, o[0], o[1], wx, wy)
							}
							o = o[set.Width:]
							b++
						}
					}
				}
				if err := fresh.SetState(cut.AppendState(nil)); err != nil {
					t.Fatal(err)
				}
				fresh.Observe(restored)
				if !slices.Equal(restored.Obs, f.Obs) || !slices.Equal(restored.EntityMask, f.EntityMask) {
					t.Fatalf("%s: restored state observes differently", where)
				}
			}
			for ep := range 4 {
				step := 0
				play(cut, uint64(ep), rand.New(rand.NewPCG(uint64(ep), 9)), func(f *env.Frame) {
					check(f, fmt.Sprintf("episode %d step %d", ep, step))
					step++
				})
			}
			// A lattice of exact ties: every coordinate a multiple of 1/4.
			f := env.NewFrame(cut.Spec())
			cut.Reset(3, f)
			w := cut.World()
			for e := range w.NumEntities() {
				w.PX[e], w.PY[e] = float64(e%4)/4-0.5, float64(e/4%4)/4-0.5
			}
			cut.Observe(f)
			check(f, "lattice")
			if c.game == particle.PacmanName && dead == 0 {
				t.Error("no pac-man died: the dead-last rule was not exercised")
			}
		})
	}
}

// TestObserveNearestRejects checks that every particle game rejects an
// observe_nearest outside [0, 256] or not whole, naming the key, the
// value and the allowed range.
func TestObserveNearestRejects(t *testing.T) {
	for _, c := range nearestCases {
		for _, bad := range []any{int64(-1), int64(257), 2.5} {
			_, err := env.Make(c.game, map[string]any{"observe_nearest": bad}, c.pop)
			var pe *env.ParamError
			if !errors.As(err, &pe) {
				t.Errorf("%s, observe_nearest = %v: error %v, want a *env.ParamError", c.game, bad, err)
				continue
			}
			msg := err.Error()
			for _, want := range []string{"observe_nearest", "[0, 256]", fmt.Sprint(bad)} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s, observe_nearest = %v: error %q does not say %q", c.game, bad, msg, want)
				}
			}
		}
	}
}

// TestObserveNearestAllocatesNothing steps every game with a cut set and
// checks that stepping and observing allocate nothing.
func TestObserveNearestAllocatesNothing(t *testing.T) {
	for _, c := range nearestCases {
		g := makeNearest(t, c.game, c.k, c.pop)
		f := env.NewFrame(g.Spec())
		g.Reset(1, f)
		actions := make([]int, g.Spec().NumAgents())
		if a := testing.AllocsPerRun(50, func() {
			if f.Done() {
				g.Reset(1, f)
			}
			g.Step(actions, f)
		}); a != 0 {
			t.Errorf("%s: %v allocations per step, want 0", c.game, a)
		}
	}
}
