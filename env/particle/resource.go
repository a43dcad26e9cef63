package particle

import (
	"fmt"

	"github.com/mrasim/mrasim/env"
)

// ResourceName is the name the resource-occupation game registers under.
const ResourceName = "resource"

func init() {
	env.Register(ResourceName, NewResource, env.Doc{
		Summary: "resource occupation (MRA): agents share out the value of the resources they sit on",
		Types:   []env.TypeDoc{{Name: "agents", Min: 1, Max: maxAgents, Doc: "occupiers, size 0.05, force 5"}},
		Params: []env.Param{
			{Name: "resources", Kind: env.Int, Default: 6, Min: 1, Max: 12,
				Doc: "number L of resources; resource l has size 0.05·(l+1)"},
			horizonParam(20, "MRA plays 20; the reference trajectories run 25"),
			{Name: "shared_reward", Kind: env.Bool, Default: 0,
				Doc: "give every agent the team's summed reward instead of its own (MRA's code gives its own)"},
			countFeatureParam,
			nearestParam("agents"),
			countEncodingParam,
		},
	})
}

// Resource is MRA's resource-occupation game: N agents and L immovable,
// non-colliding resources of sizes 0.05·(l+1), all placed uniformly in
// [−1, 1]². Each step an agent earns, for every resource it overlaps,
// 10·size_l divided by the number of agents overlapping it.
//
// Observations of agent i (L resources, N agents):
//
//	self:          v_i(2), p_i(2), per resource l: p_l − p_i(2), size_l(1)[, N/10]   (4+3L = 22, +1)
//	set "agents":  per other agent j: p_j − p_i(2), v_j(2), per resource: p_l − p_j(2), size_l(1)   (4+3L = 22 each)
//
// The self block and each agent block are MRA's entity split (devide_obs);
// the trailing N/10, MRA's game descriptor m, is there only with the
// count_feature parameter (not in the official code). The flat observation
// (FlatObs) is the original scenario's vector: v_i, p_i, the agent blocks,
// then the resource blocks of agent i.
type Resource struct {
	core
	n, l   int
	shared bool
	pick   picker // the other agents each agent observes (observe_nearest)
	count  bool   // the self block ends with N/10 (in encoding enc)
	enc    env.CountEncoding
	occ    []bool    // occ[l*n+i]: agent i overlaps resource l
	rel    []float64 // rel[j*3L:]: p_l − p_j and size_l for every resource, scratch
	labels []string  // the resources' values as Scene labels, made on its first call
}

// NewResource builds the resource game; it is its env.Constructor.
func NewResource(p env.Params, pop env.Population) (env.Game, error) {
	n, l := pop.Total(), p.Int("resources")
	count, enc, err := countFeature(ResourceName, p)
	if err != nil {
		return nil, err
	}
	pick := newPicker(p.Int("observe_nearest"), n)
	spec, err := env.NewSpec(pop, []env.TypeSpec{{
		Name: pop[0].Type, Count: n, NumActions: NumActions, ActionNames: ActionNames,
		Self: 4 + 3*l + boolInt(count),
		Sets: []env.SetSpec{{Name: "agents", Width: 4 + 3*l, Count: pick.blocks(max(n-1, 0))}},
	}}, p.Int("max_steps"))
	if err != nil {
		return nil, fmt.Errorf("resource: %w", err)
	}
	w := NewWorld(n, l)
	for k := range l {
		w.Size[n+k] = 0.05 * float64(k+1)
		w.Collide[n+k] = false
	}
	return &Resource{core: newCore(spec, w), n: n, l: l, pick: pick,
		shared: p.Bool("shared_reward"), count: count, enc: enc, occ: make([]bool, n*l), rel: make([]float64, n*3*l)}, nil
}

// Reset implements env.Game.
func (g *Resource) Reset(seed uint64, f *env.Frame) {
	g.begin(seed)
	g.scatter(0, g.n+g.l, 1)
	f.Begin()
	g.Observe(f)
}

// Step implements env.Game.
func (g *Resource) Step(actions []int, f *env.Frame) {
	g.w.Step(actions)
	g.t++
	g.rewards(f.Reward)
	g.Observe(f)
}

func (g *Resource) rewards(r []float64) {
	w, n := g.w, g.n
	for k := range g.l {
		for i := range n {
			g.occ[k*n+i] = w.Touch(n+k, i)
		}
	}
	clear(r)
	for k := range g.l {
		occ := g.occ[k*n : (k+1)*n]
		count := 0
		for _, o := range occ {
			if o {
				count++
			}
		}
		if count == 0 {
			continue
		}
		v := w.Size[n+k] / float64(count) * 10
		for i, o := range occ {
			if o {
				r[i] += v
			}
		}
	}
	if g.shared {
		share(r)
	}
}

// Observe implements env.Game.
func (g *Resource) Observe(f *env.Frame) {
	w, n, width := g.w, g.n, 3*g.l
	// Every observer sees the same resource block of agent j: build it once.
	for j := range n {
		g.landmarks(g.rel[j*width:(j+1)*width], j)
	}
	m := g.enc.Encode(n)
	for i := range n {
		o := f.AgentObs(i)
		o[0], o[1], o[2], o[3] = w.VX[i], w.VY[i], w.PX[i], w.PY[i]
		copy(o[4:4+width], g.rel[i*width:])
		o = o[4+width:]
		if g.count {
			o[0] = m
			o = o[1:]
		}
		for _, j := range g.observed(i) {
			o[0], o[1], o[2], o[3] = w.PX[j]-w.PX[i], w.PY[j]-w.PY[i], w.VX[j], w.VY[j]
			copy(o[4:4+width], g.rel[j*width:])
			o = o[4+width:]
		}
	}
	g.flags(f, nil)
}

// observed returns the agents agent i observes, in block order: all others
// in index order, or with observe_nearest the k nearest, nearest first.
func (g *Resource) observed(i int) []int { return g.pick.pick(g.w, i, 0, g.n, i, nil) }

// landmarks writes p_l − p_j and size_l for every resource into o and
// returns the count of numbers written.
func (g *Resource) landmarks(o []float64, j int) int {
	w, n := g.w, g.n
	o = o[:3*g.l]
	for k := range g.l {
		e := n + k
		o[3*k], o[3*k+1], o[3*k+2] = w.PX[e]-w.PX[j], w.PY[e]-w.PY[j], w.Size[e]
	}
	return 3 * g.l
}

// FlatLen implements env.FlatObserver: 4 + (N−1)(4+3L) + 3L.
func (g *Resource) FlatLen(int) int { return 4 + (g.n-1)*(4+3*g.l) + 3*g.l }

// FlatObs implements env.FlatObserver with the original scenario's layout.
func (g *Resource) FlatObs(i int, dst []float64) {
	w, n := g.w, g.n
	dst[0], dst[1], dst[2], dst[3] = w.VX[i], w.VY[i], w.PX[i], w.PY[i]
	o := dst[4:]
	for j := range n {
		if j == i {
			continue
		}
		o[0], o[1], o[2], o[3] = w.PX[j]-w.PX[i], w.PY[j]-w.PY[i], w.VX[j], w.VY[j]
		o = o[4+g.landmarks(o[4:], j):]
	}
	g.landmarks(o, i)
}

const resourceTag = "particle/resource/v1"

// AppendState implements env.Game.
func (g *Resource) AppendState(b []byte) []byte {
	w := env.NewStateWriter(b, resourceTag)
	g.appendCore(w)
	return w.Finish()
}

// SetState implements env.Game.
func (g *Resource) SetState(b []byte) error {
	r := env.NewStateReader(b, resourceTag)
	s, err := g.readCore(r)
	if err == nil {
		err = r.Err(true)
	}
	if err != nil {
		return fmt.Errorf("resource: %w", err)
	}
	g.commitCore(s)
	return nil
}

// FullyObserved implements env.FullyObserved: every agent sees its own
// and every other agent's position and velocity and every resource (the
// resources never move), so it knows the exact state, unless
// observe_nearest cuts the other agents to the nearest few.
func (g *Resource) FullyObserved(int) bool { return g.pick.whole(g.n - 1) }

// BehaviourNames implements env.BehaviourStats: the share of the agents
// overlapping each resource, smallest resource first, and the share on
// none.
func (g *Resource) BehaviourNames() []string {
	names := make([]string, g.l+1)
	for k := range g.l {
		names[k] = fmt.Sprintf("on resource %d (size %.2f)", k+1, 0.05*float64(k+1))
	}
	names[g.l] = "on none"
	return names
}

// Behaviour implements env.BehaviourStats for the current positions.
func (g *Resource) Behaviour(dst []float64) {
	w, n := g.w, g.n
	clear(dst[:g.l+1])
	for i := range n {
		on := false
		for k := range g.l {
			if w.Touch(n+k, i) {
				dst[k]++
				on = true
			}
		}
		if !on {
			dst[g.l]++
		}
	}
	for k := range dst[:g.l+1] {
		dst[k] /= float64(n)
	}
}
