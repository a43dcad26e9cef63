package particle_test

import (
	"math"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// TestObservedMatchesObservation checks Viewer.Observed against what the
// observations say: every entity block of every built-in game starts with
// the position of the entity it shows relative to the observer, so block b
// of agent i must hold Scene.Entities[Observed(i)[b]] − Scene.Entities[i]
// (or be masked). It also checks that the scene's agents carry their type,
// the spec's alive flags and a colour of Colours().
func TestObservedMatchesObservation(t *testing.T) {
	for _, c := range conformance {
		for _, pop := range c.pops {
			t.Run(c.game+"/"+pop.String(), func(t *testing.T) {
				g, err := env.Make(c.game, c.params, pop)
				if err != nil {
					t.Fatal(err)
				}
				v := g.(particle.Viewer)
				spec := g.Spec()
				f := env.NewFrame(spec)
				g.Reset(7, f)
				actions := make([]int, spec.NumAgents())
				var s particle.Scene
				var obs []int
				for step := range 6 {
					v.Scene(&s)
					checkScene(t, spec, f, &s)
					for i := range spec.NumAgents() {
						obs = v.Observed(i, obs[:0])
						typ := spec.Type(i)
						if len(obs) != typ.Entities() {
							t.Fatalf("agent %d observes %d blocks, Observed gives %d", i, typ.Entities(), len(obs))
						}
						o, mask := f.AgentObs(i), f.AgentEntityMask(i)
						b := 0
						for si, set := range typ.Sets {
							off := typ.SetOffset(si)
							for k := range set.Count {
								e := obs[b]
								if mask[b] {
									dx, dy := s.Entities[e].X-s.Entities[i].X, s.Entities[e].Y-s.Entities[i].Y
									got := o[off+k*set.Width:]
									if math.Abs(got[0]-dx) > 1e-12 || math.Abs(got[1]-dy) > 1e-12 {
										t.Fatalf("step %d agent %d block %d (%s %d) shows (%g, %g), entity %d is at (%g, %g) relative", step, i, b, set.Name, k, got[0], got[1], e, dx, dy)
									}
								}
								b++
							}
						}
					}
					for i := range actions {
						actions[i] = (i + step) % particle.NumActions
					}
					g.Step(actions, f)
				}
			})
		}
	}
}

func checkScene(t *testing.T, spec *env.Spec, f *env.Frame, s *particle.Scene) {
	t.Helper()
	if len(s.TypeColours) != len(spec.Types) {
		t.Fatalf("%d type colours for %d types", len(s.TypeColours), len(spec.Types))
	}
	palette := particle.Colours()
	for e, ent := range s.Entities {
		want := -1
		if e < spec.NumAgents() {
			want = spec.AgentType(e)
			if ent.Alive != f.Alive[e] {
				t.Fatalf("entity %d alive %v, frame says %v", e, ent.Alive, f.Alive[e])
			}
		}
		if ent.Type != want {
			t.Fatalf("entity %d has type %d, want %d", e, ent.Type, want)
		}
		if !slices.Contains(palette, ent.Colour) {
			t.Fatalf("entity %d has colour %v, not one of Colours()", e, ent.Colour)
		}
		if ent.Size <= 0 {
			t.Fatalf("entity %d has size %g", e, ent.Size)
		}
	}
}

// TestTreasureSceneColours checks that a collector shows the colour it
// carries and a deposit a shade of the colour it accepts.
func TestTreasureSceneColours(t *testing.T) {
	g, err := env.Make(particle.TreasureName, nil, two("collectors", 2, "deposits", 2))
	if err != nil {
		t.Fatal(err)
	}
	tr := g.(*particle.Treasure)
	tr.Reset(1, env.NewFrame(g.Spec()))
	var s particle.Scene
	tr.Scene(&s)
	empty := s.Entities[0].Colour
	tr.SetCarrying(0, 1)
	tr.Scene(&s)
	if s.Entities[0].Colour == empty {
		t.Errorf("a collector carrying colour 1 looks like an empty one (%v)", empty)
	}
	if s.Entities[1].Colour != empty {
		t.Errorf("the empty collector 1 has colour %v, want %v", s.Entities[1].Colour, empty)
	}
	if s.Entities[2].Colour == s.Entities[3].Colour {
		t.Errorf("deposits accepting colours 0 and 1 look alike (%v)", s.Entities[2].Colour)
	}
}
