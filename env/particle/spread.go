package particle

import (
	"fmt"
	"math"

	"github.com/mrasim/mrasim/env"
)

// SpreadName is the name the cooperative-navigation game registers under.
const SpreadName = "spread"

func init() {
	env.Register(SpreadName, NewSpread, env.Doc{
		Summary: "cooperative navigation (MPE simple_spread): N agents cover N landmarks without colliding",
		Types:   []env.TypeDoc{{Name: "agents", Min: 1, Max: maxAgents, Doc: "navigators, size 0.15, force 5"}},
		Params: []env.Param{
			horizonParam(25, "as in MPE"),
			{Name: "shared_reward", Kind: env.Bool, Default: 1,
				Doc: "give every agent the team's summed reward, as the original environment does; false gives each its own"},
			countFeatureParam,
			nearestParam("landmarks, agents"),
			countEncodingParam,
		},
	})
}

// Spread is MPE's simple_spread (cooperative navigation) in the original
// OpenAI form: N agents of size 0.15 and N immovable, non-colliding
// landmarks, all placed uniformly in [−1, 1]². Agent i's own reward is
//
//	r_i = −Σ_l min_a ‖p_a − p_l‖ − #{a : ‖p_a − p_i‖ < 0.3}
//
// where the count includes a = i (a quirk of the original: a constant −1
// per step). With shared_reward (the default, as in the original) every
// agent receives Σ_i r_i.
//
// Observations of agent i:
//
//	self:             v_i(2), p_i(2)[, N/10]              (4, +1 with count_feature)
//	set "landmarks":  per landmark: p_l − p_i(2)          (N blocks)
//	set "agents":     per other agent: p_j − p_i(2), v_j(2)   (N−1 blocks)
//
// With observe_nearest = k each set holds only its k entities nearest to
// agent i, nearest first (a set of at most k is whole, in index order).
//
// The flat observation is the original's: v_i, p_i, landmarks relative,
// other agents relative, and 2(N−1) zeros for the silent agents' messages.
type Spread struct {
	core
	n      int
	shared bool
	count  bool // the self block ends with N/10 (in encoding enc)
	enc    env.CountEncoding
	pick   picker // the landmarks and agents each agent observes (observe_nearest)
}

// NewSpread builds the spread game; it is its env.Constructor.
func NewSpread(p env.Params, pop env.Population) (env.Game, error) {
	n := pop.Total()
	count, enc, err := countFeature(SpreadName, p)
	if err != nil {
		return nil, err
	}
	pick := newPicker(p.Int("observe_nearest"), n)
	spec, err := env.NewSpec(pop, []env.TypeSpec{{
		Name: pop[0].Type, Count: n, NumActions: NumActions, ActionNames: ActionNames,
		Self: 4 + boolInt(count),
		Sets: []env.SetSpec{{Name: "landmarks", Width: 2, Count: pick.blocks(n)}, {Name: "agents", Width: 4, Count: pick.blocks(n - 1)}},
	}}, p.Int("max_steps"))
	if err != nil {
		return nil, fmt.Errorf("spread: %w", err)
	}
	w := NewWorld(n, n)
	for i := range n {
		w.Size[i] = 0.15
		w.Collide[n+i] = false
	}
	return &Spread{core: newCore(spec, w), n: n, shared: p.Bool("shared_reward"), count: count, enc: enc, pick: pick}, nil
}

// Reset implements env.Game.
func (g *Spread) Reset(seed uint64, f *env.Frame) {
	g.begin(seed)
	g.scatter(0, 2*g.n, 1)
	f.Begin()
	g.Observe(f)
}

// Step implements env.Game.
func (g *Spread) Step(actions []int, f *env.Frame) {
	g.w.Step(actions)
	g.t++
	g.rewards(f.Reward)
	g.Observe(f)
}

func (g *Spread) rewards(r []float64) {
	w, n := g.w, g.n
	cover := 0.0
	for l := n; l < 2*n; l++ {
		best := math.Inf(1)
		for a := range n {
			best = min(best, w.Dist(a, l))
		}
		cover -= best
	}
	for i := range n {
		r[i] = cover - 1 // every agent touches itself, as in the original
	}
	for a := range n {
		for b := a + 1; b < n; b++ {
			if w.Touch(a, b) {
				r[a]--
				r[b]--
			}
		}
	}
	if g.shared {
		share(r)
	}
}

// Observe implements env.Game.
func (g *Spread) Observe(f *env.Frame) {
	w, n := g.w, g.n
	m := g.enc.Encode(n)
	px, py := w.PX, w.PY
	for i := range n {
		o := f.AgentObs(i)
		xi, yi := px[i], py[i]
		o[0], o[1], o[2], o[3] = w.VX[i], w.VY[i], xi, yi
		o = o[4:]
		if g.count {
			o[0] = m
			o = o[1:]
		}
		for _, l := range g.pick.pick(w, i, n, 2*n, -1, nil) {
			o[0], o[1] = px[l]-xi, py[l]-yi
			o = o[2:]
		}
		for _, j := range g.pick.pick(w, i, 0, n, i, nil) {
			o[0], o[1], o[2], o[3] = px[j]-xi, py[j]-yi, w.VX[j], w.VY[j]
			o = o[4:]
		}
	}
	g.flags(f, nil)
}

// FlatLen implements env.FlatObserver: 6N.
func (g *Spread) FlatLen(int) int { return 6 * g.n }

// FlatObs implements env.FlatObserver with the original scenario's layout.
func (g *Spread) FlatObs(i int, dst []float64) {
	w, n := g.w, g.n
	dst[0], dst[1], dst[2], dst[3] = w.VX[i], w.VY[i], w.PX[i], w.PY[i]
	k := 4
	for l := n; l < 2*n; l++ {
		dst[k], dst[k+1] = w.PX[l]-w.PX[i], w.PY[l]-w.PY[i]
		k += 2
	}
	for j := range n {
		if j != i {
			dst[k], dst[k+1] = w.PX[j]-w.PX[i], w.PY[j]-w.PY[i]
			k += 2
		}
	}
	clear(dst[k:])
}

const spreadTag = "particle/spread/v1"

// AppendState implements env.Game.
func (g *Spread) AppendState(b []byte) []byte {
	w := env.NewStateWriter(b, spreadTag)
	g.appendCore(w)
	return w.Finish()
}

// SetState implements env.Game.
func (g *Spread) SetState(b []byte) error {
	r := env.NewStateReader(b, spreadTag)
	s, err := g.readCore(r)
	if err == nil {
		err = r.Err(true)
	}
	if err != nil {
		return fmt.Errorf("spread: %w", err)
	}
	g.commitCore(s)
	return nil
}

// FullyObserved implements env.FullyObserved: every agent sees every
// landmark and every other agent's position and velocity, so it knows the
// exact state, unless observe_nearest cuts a set to the nearest few.
func (g *Spread) FullyObserved(int) bool { return g.pick.whole(g.n) && g.pick.whole(g.n-1) }

// spreadBehaviour is Spread's env.BehaviourStats statistic.
var spreadBehaviour = []string{"landmarks covered"}

// BehaviourNames implements env.BehaviourStats: the share of the
// landmarks some agent overlaps.
func (g *Spread) BehaviourNames() []string { return spreadBehaviour }

// Behaviour implements env.BehaviourStats for the current positions.
func (g *Spread) Behaviour(dst []float64) {
	w, n := g.w, g.n
	covered := 0
	for l := n; l < 2*n; l++ {
		for a := range n {
			if w.Touch(a, l) {
				covered++
				break
			}
		}
	}
	dst[0] = float64(covered) / float64(n)
}
