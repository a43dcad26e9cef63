package particle

import (
	"fmt"
	"math"
	"slices"

	"github.com/mrasim/mrasim/env"
)

// Names of the hand-written policies the particle games offer
// (env.ScriptedPolicies). They decide from each agent's observation only,
// draw no random numbers and allocate nothing, and serve as references
// that show where "good" play lies beside learned policies.
const (
	ScriptStill       = "stand-still"           // resource: never move
	ScriptNearest     = "nearest-landmark"      // resource: steer to the nearest resource
	ScriptGreedyCover = "greedy-cover"          // resource: steer to the resource worth most after the agents already on it
	ScriptNearestFree = "nearest-free-landmark" // spread: steer to the nearest landmark no other agent is nearer to
	ScriptChaseFlee   = "chase-flee"            // tag: adversaries chase the nearest good agent, good agents flee the nearest adversary
	ScriptFetch       = "fetch"                 // treasure: collectors fetch the nearest treasure and bring it to the nearest deposit of its colour; deposits meet the nearest collector carrying their colour
	ScriptForageChase = "forage-chase"          // pac-man: pac-men go for the nearest food in sight, ghosts chase the nearest live pac-man
)

// scripted is a hand-written policy: decide gives agent i's action from
// the frame.
type scripted struct {
	decide func(f *env.Frame, i int) int
}

// Act writes every live agent's action.
func (s scripted) Act(f *env.Frame, actions []int) {
	for i := range actions {
		if f.Alive[i] {
			actions[i] = s.decide(f, i)
		}
	}
}

// offer returns the named policy among those given, or an error listing
// them.
func offer(game, name string, policies map[string]func(f *env.Frame, i int) int) (env.ScriptedActor, error) {
	d, ok := policies[name]
	if !ok {
		names := make([]string, 0, len(policies))
		for n := range policies {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("%s: no scripted policy %q; the game offers %v", game, name, names)
	}
	return scripted{decide: d}, nil
}

// steer returns the action that best brings an agent with velocity (vx,
// vy) to a target at offset (dx, dy). An agent left alone glides
// v·dt/(1 − (1 − damping)) = 0.4·v further, so it aims at the offset less
// that glide, along the axis where the remainder is larger (the actions
// push along one axis), and does nothing once that remainder is within
// tol.
func steer(dx, dy, vx, vy, tol float64) int {
	ex, ey := dx-0.4*vx, dy-0.4*vy
	if math.Abs(ex) < tol && math.Abs(ey) < tol {
		return 0
	}
	if math.Abs(ex) >= math.Abs(ey) {
		if ex > 0 {
			return 1
		}
		return 2
	}
	if ey > 0 {
		return 3
	}
	return 4
}

// flee steers an agent whose observation starts v(2), p(2) away from a
// pursuer at offset (dx, dy), and back towards the centre near the edge
// (|p| > 0.7), where tag's and pac-man's bound penalty starts at 0.9.
func flee(dx, dy float64, o []float64) int {
	d := math.Max(math.Hypot(dx, dy), 1e-6)
	ex, ey := -dx/d, -dy/d
	if math.Abs(o[2]) > 0.7 {
		ex -= 2 * o[2]
	}
	if math.Abs(o[3]) > 0.7 {
		ey -= 2 * o[3]
	}
	return steer(ex, ey, o[0], o[1], 0)
}

// block returns entity e of set k of agent i's observation, and whether
// it is present.
func block(spec *env.Spec, f *env.Frame, i, k, e int) ([]float64, bool) {
	t := spec.Type(i)
	w := t.Sets[k].Width
	off := t.SetOffset(k) + e*w
	first := 0
	for _, s := range t.Sets[:k] {
		first += s.Count
	}
	return f.AgentObs(i)[off : off+w], f.AgentEntityMask(i)[first+e]
}

// nearestIn returns the present entity of set k nearest to agent i (its
// block starts with the offset p_e − p_i), or −1.
func nearestIn(spec *env.Spec, f *env.Frame, i, k int, ok func(b []float64) bool) int {
	best, bestD := -1, math.Inf(1)
	for e := range spec.Type(i).Sets[k].Count {
		b, present := block(spec, f, i, k, e)
		if !present || (ok != nil && !ok(b)) {
			continue
		}
		if d := b[0]*b[0] + b[1]*b[1]; d < bestD {
			best, bestD = e, d
		}
	}
	return best
}

// Scripted implements env.ScriptedPolicies.
func (g *Resource) Scripted() []string {
	return []string{ScriptStill, ScriptNearest, ScriptGreedyCover}
}

// ScriptedPolicy implements env.ScriptedPolicies. The observation gives
// each resource's offset and size (self block) and every observed other
// agent's offset to each resource (agent blocks).
func (g *Resource) ScriptedPolicy(name string, _ uint64) (env.ScriptedActor, error) {
	l := g.l
	const agentSize = 0.05
	target := func(f *env.Frame, i int, worth func(o []float64, k int) float64) int {
		o := f.AgentObs(i)
		best, bestW, bestD := 0, math.Inf(-1), math.Inf(1)
		for k := range l {
			dx, dy := o[4+3*k], o[5+3*k]
			w, d := worth(o, k), dx*dx+dy*dy
			if w > bestW || (w == bestW && d < bestD) {
				best, bestW, bestD = k, w, d
			}
		}
		return steer(o[4+3*best], o[5+3*best], o[0], o[1], 0.5*o[6+3*best])
	}
	return offer(ResourceName, name, map[string]func(*env.Frame, int) int{
		ScriptStill: func(*env.Frame, int) int { return 0 },
		ScriptNearest: func(f *env.Frame, i int) int {
			return target(f, i, func(o []float64, k int) float64 { return -(o[4+3*k]*o[4+3*k] + o[5+3*k]*o[5+3*k]) })
		},
		// The value a resource pays per step is 10·size shared among the
		// agents on it: the agent heads for the largest share it would
		// get, counting the other agents it sees already there.
		ScriptGreedyCover: func(f *env.Frame, i int) int {
			return target(f, i, func(o []float64, k int) float64 {
				size := o[6+3*k]
				on := 0
				for e := range g.spec.Type(i).Sets[0].Count {
					b, present := block(g.spec, f, i, 0, e)
					if !present {
						continue
					}
					dx, dy := b[4+3*k], b[5+3*k]
					if math.Hypot(dx, dy) < size+agentSize {
						on++
					}
				}
				return size / float64(on+1)
			})
		},
	})
}

// Scripted implements env.ScriptedPolicies.
func (g *Spread) Scripted() []string { return []string{ScriptNearestFree} }

// ScriptedPolicy implements env.ScriptedPolicies: the agent steers to the
// nearest landmark to which no observed other agent is nearer (the
// nearest landmark when there is none).
func (g *Spread) ScriptedPolicy(name string, _ uint64) (env.ScriptedActor, error) {
	spec := g.spec
	return offer(SpreadName, name, map[string]func(*env.Frame, int) int{
		ScriptNearestFree: func(f *env.Frame, i int) int {
			o := f.AgentObs(i)
			free := func(l []float64) bool {
				mine := l[0]*l[0] + l[1]*l[1]
				for e := range spec.Type(i).Sets[1].Count {
					a, present := block(spec, f, i, 1, e)
					if !present {
						continue
					}
					dx, dy := l[0]-a[0], l[1]-a[1]
					if dx*dx+dy*dy < mine {
						return false
					}
				}
				return true
			}
			k := nearestIn(spec, f, i, 0, free)
			if k < 0 {
				k = nearestIn(spec, f, i, 0, nil)
			}
			if k < 0 {
				return 0
			}
			l, _ := block(spec, f, i, 0, k)
			return steer(l[0], l[1], o[0], o[1], 0.02)
		},
	})
}

// Scripted implements env.ScriptedPolicies.
func (t *Tag) Scripted() []string { return []string{ScriptChaseFlee} }

// ScriptedPolicy implements env.ScriptedPolicies: an adversary steers to
// where the nearest good agent will be (its offset plus its glide); a good
// agent steers away from the nearest adversary, and back towards the
// centre when it nears the edge, where the bound penalty starts.
func (t *Tag) ScriptedPolicy(name string, _ uint64) (env.ScriptedActor, error) {
	spec := t.spec
	return offer(TagName, name, map[string]func(*env.Frame, int) int{
		ScriptChaseFlee: func(f *env.Frame, i int) int {
			o := f.AgentObs(i)
			if i < t.a {
				k := nearestIn(spec, f, i, 2, nil)
				if k < 0 {
					return 0
				}
				b, _ := block(spec, f, i, 2, k)
				return steer(b[0]+0.4*b[2], b[1]+0.4*b[3], o[0], o[1], 0.01)
			}
			k := nearestIn(spec, f, i, 1, nil)
			if k < 0 {
				return steer(-o[2], -o[3], o[0], o[1], 0.05)
			}
			b, _ := block(spec, f, i, 1, k)
			return flee(b[0], b[1], o)
		},
	})
}

// Scripted implements env.ScriptedPolicies.
func (g *Treasure) Scripted() []string { return []string{ScriptFetch} }

// ScriptedPolicy implements env.ScriptedPolicies: an empty collector
// steers to the nearest treasure, a carrying one to the nearest deposit of
// its colour; a deposit steers to the nearest collector carrying its
// colour and stands still when none does.
func (g *Treasure) ScriptedPolicy(name string, _ uint64) (env.ScriptedActor, error) {
	spec := g.spec
	return offer(TreasureName, name, map[string]func(*env.Frame, int) int{
		ScriptFetch: func(f *env.Frame, i int) int {
			o := f.AgentObs(i)
			red, blue := o[4], o[5] // own colour: carried (collector) or accepted (deposit)
			same := func(c []float64) bool { return (red > 0.5 && c[0] > 0.5) || (blue > 0.5 && c[1] > 0.5) }
			var set, k int
			switch {
			case i >= g.c: // a deposit: meet a collector carrying its colour
				set = 0
				k = nearestIn(spec, f, i, set, func(b []float64) bool { return same(b[4:6]) })
			case red > 0.5 || blue > 0.5: // carrying: a deposit of the colour
				set = 1
				k = nearestIn(spec, f, i, set, func(b []float64) bool { return same(b[4:6]) })
			default:
				set = 2
				k = nearestIn(spec, f, i, set, nil)
			}
			if k < 0 {
				return 0
			}
			b, _ := block(spec, f, i, set, k)
			return steer(b[0], b[1], o[0], o[1], 0.01)
		},
	})
}

// Scripted implements env.ScriptedPolicies.
func (g *Pacman) Scripted() []string { return []string{ScriptForageChase} }

// ScriptedPolicy implements env.ScriptedPolicies: a pac-man steers to the
// nearest food in sight, or away from the nearest ghost when it sees no
// food; a ghost steers to where the nearest live pac-man will be.
func (g *Pacman) ScriptedPolicy(name string, _ uint64) (env.ScriptedActor, error) {
	spec := g.spec
	return offer(PacmanName, name, map[string]func(*env.Frame, int) int{
		ScriptForageChase: func(f *env.Frame, i int) int {
			o := f.AgentObs(i)
			if i >= g.p {
				k := nearestIn(spec, f, i, 0, nil)
				if k < 0 {
					return 0
				}
				b, _ := block(spec, f, i, 0, k)
				return steer(b[0]+0.4*b[2], b[1]+0.4*b[3], o[0], o[1], 0.01)
			}
			if k := nearestIn(spec, f, i, 2, nil); k >= 0 {
				b, _ := block(spec, f, i, 2, k)
				return steer(b[0], b[1], o[0], o[1], 0.01)
			}
			if k := nearestIn(spec, f, i, 1, nil); k >= 0 {
				b, _ := block(spec, f, i, 1, k)
				return flee(b[0], b[1], o)
			}
			return 0
		},
	})
}
