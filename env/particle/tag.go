package particle

import (
	"fmt"
	"math"

	"github.com/mrasim/mrasim/env"
)

// TagName is the name the predator-prey game registers under.
const TagName = "tag"

func init() {
	env.Register(TagName, NewTag, env.Doc{
		Summary: "predator-prey (MPE simple_tag): slower adversaries chase faster good agents among obstacles",
		Types: []env.TypeDoc{
			{Name: "adversaries", Min: 1, Max: maxAgents, Doc: "predators: size 0.075, accel 3, max speed 1"},
			{Name: "good", Min: 1, Max: maxAgents, Doc: "prey: size 0.05, accel 4, max speed 1.3"},
		},
		Params: []env.Param{
			{Name: "obstacles", Kind: env.Int, Default: 2, Min: 0, Max: 32,
				Doc: "number of immovable obstacles of size 0.2, placed in [−0.9, 0.9]²"},
			horizonParam(25, "as in MPE"),
			countFeatureParam,
			nearestParam("obstacles, adversaries, good"),
			countEncodingParam,
		},
	})
}

// Tag is MPE's simple_tag in the original OpenAI form (no shaping): A
// adversaries (agents 0 … A−1) chase G good agents (agents A … A+G−1)
// among O immovable, colliding obstacles. Agents start uniformly in
// [−1, 1]², obstacles in [−0.9, 0.9]².
//
// Rewards: every adversary gets +10 for every colliding (good, adversary)
// pair of the whole team; a good agent gets −10 per adversary colliding
// with it, minus Σ over both axes of bound(|p|), where bound(x) is 0 below
// 0.9, 10(x − 0.9) below 1 and min(e^{2x−2}, 10) beyond.
//
// Observations of an agent (counts exclude itself):
//
//	self:               v(2), p(2)[, A/10, G/10]               (4, 6 with count_feature)
//	set "obstacles":    per obstacle: p_o − p(2)               (O blocks)
//	set "adversaries":  per adversary: p_j − p(2), v_j(2)      (A−1 or A blocks)
//	set "good":         per good agent: p_j − p(2), v_j(2)     (G or G−1 blocks)
//
// With observe_nearest = k each set holds only its k entities nearest to
// the observer, nearest first (a set of at most k is whole, in index
// order).
//
// The flat observation is the original's: v, p, obstacles relative, every
// other agent relative (in agent order), then the velocities of the other
// good agents.
type Tag struct {
	core
	a, g, o int
	count   bool // the self block ends with A/10, G/10 (in encoding enc)
	enc     env.CountEncoding
	pick    picker // the entities each agent observes (observe_nearest)
}

// NewTag builds the tag game; it is its env.Constructor.
func NewTag(p env.Params, pop env.Population) (env.Game, error) {
	a, g, o := pop[0].Count, pop[1].Count, p.Int("obstacles")
	count, enc, err := countFeature(TagName, p)
	if err != nil {
		return nil, err
	}
	self := 4 + 2*boolInt(count)
	pick := newPicker(p.Int("observe_nearest"), max(a, g, o))
	b := pick.blocks
	spec, err := env.NewSpec(pop, []env.TypeSpec{
		{Name: pop[0].Type, Count: a, NumActions: NumActions, ActionNames: ActionNames, Self: self,
			Sets: []env.SetSpec{{Name: "obstacles", Width: 2, Count: b(o)}, {Name: "adversaries", Width: 4, Count: b(a - 1)}, {Name: "good", Width: 4, Count: b(g)}}},
		{Name: pop[1].Type, Count: g, NumActions: NumActions, ActionNames: ActionNames, Self: self,
			Sets: []env.SetSpec{{Name: "obstacles", Width: 2, Count: b(o)}, {Name: "adversaries", Width: 4, Count: b(a)}, {Name: "good", Width: 4, Count: b(g - 1)}}},
	}, p.Int("max_steps"))
	if err != nil {
		return nil, fmt.Errorf("tag: %w", err)
	}
	w := NewWorld(a+g, o)
	for i := range a + g {
		if i < a {
			w.Size[i], w.Sensitivity[i], w.MaxSpeed[i] = 0.075, 3, 1
		} else {
			w.Size[i], w.Sensitivity[i], w.MaxSpeed[i] = 0.05, 4, 1.3
		}
	}
	for k := range o {
		w.Size[a+g+k] = 0.2
	}
	return &Tag{core: newCore(spec, w), a: a, g: g, o: o, count: count, enc: enc, pick: pick}, nil
}

// Reset implements env.Game.
func (t *Tag) Reset(seed uint64, f *env.Frame) {
	t.begin(seed)
	n := t.a + t.g
	t.scatter(0, n, 1)
	t.scatter(n, n+t.o, 0.9)
	f.Begin()
	t.Observe(f)
}

// Step implements env.Game.
func (t *Tag) Step(actions []int, f *env.Frame) {
	t.w.Step(actions)
	t.t++
	t.rewards(f.Reward)
	t.Observe(f)
}

func (t *Tag) rewards(r []float64) {
	w, a, n := t.w, t.a, t.a+t.g
	catches := 0.0
	for g := a; g < n; g++ {
		r[g] = 0
		for adv := range a {
			if w.Touch(g, adv) {
				catches += 10
			}
			if w.Touch(adv, g) {
				r[g] -= 10
			}
		}
		r[g] -= bound(math.Abs(w.PX[g]))
		r[g] -= bound(math.Abs(w.PY[g]))
	}
	for adv := range a {
		r[adv] = catches
	}
}

// bound is simple_tag's penalty for leaving the screen along one axis.
func bound(x float64) float64 {
	switch {
	case x < 0.9:
		return 0
	case x < 1:
		return (x - 0.9) * 10
	}
	return min(math.Exp(float64(2*x)-2), 10)
}

// Observe implements env.Game.
func (t *Tag) Observe(f *env.Frame) {
	w, n := t.w, t.a+t.g
	ma, mg := t.enc.Encode(t.a), t.enc.Encode(t.g)
	for i := range n {
		o := f.AgentObs(i)
		xi, yi := w.PX[i], w.PY[i]
		o[0], o[1], o[2], o[3] = w.VX[i], w.VY[i], xi, yi
		o = o[4:]
		if t.count {
			o[0], o[1] = ma, mg
			o = o[2:]
		}
		for _, k := range t.pick.pick(w, i, n, n+t.o, -1, nil) {
			o[0], o[1] = w.PX[k]-xi, w.PY[k]-yi
			o = o[2:]
		}
		// Adversaries then good agents: without observe_nearest, exactly
		// agent order.
		for _, r := range [2][2]int{{0, t.a}, {t.a, n}} {
			for _, j := range t.pick.pick(w, i, r[0], r[1], i, nil) {
				o[0], o[1], o[2], o[3] = w.PX[j]-xi, w.PY[j]-yi, w.VX[j], w.VY[j]
				o = o[4:]
			}
		}
	}
	t.flags(f, nil)
}

// FlatLen implements env.FlatObserver: 4 + 2O + 2(A+G−1) + 2·(good agents
// other than oneself).
func (t *Tag) FlatLen(k int) int {
	n := t.a + t.g
	good := t.g
	if k == 1 {
		good--
	}
	return 4 + 2*t.o + 2*(n-1) + 2*good
}

// FlatObs implements env.FlatObserver with the original scenario's layout.
func (t *Tag) FlatObs(i int, dst []float64) {
	w, n := t.w, t.a+t.g
	xi, yi := w.PX[i], w.PY[i]
	dst[0], dst[1], dst[2], dst[3] = w.VX[i], w.VY[i], xi, yi
	k := 4
	for e := n; e < n+t.o; e++ {
		dst[k], dst[k+1] = w.PX[e]-xi, w.PY[e]-yi
		k += 2
	}
	for j := range n {
		if j != i {
			dst[k], dst[k+1] = w.PX[j]-xi, w.PY[j]-yi
			k += 2
		}
	}
	for j := t.a; j < n; j++ {
		if j != i {
			dst[k], dst[k+1] = w.VX[j], w.VY[j]
			k += 2
		}
	}
}

const tagTag = "particle/tag/v1"

// AppendState implements env.Game.
func (t *Tag) AppendState(b []byte) []byte {
	w := env.NewStateWriter(b, tagTag)
	t.appendCore(w)
	return w.Finish()
}

// SetState implements env.Game.
func (t *Tag) SetState(b []byte) error {
	r := env.NewStateReader(b, tagTag)
	s, err := t.readCore(r)
	if err == nil {
		err = r.Err(true)
	}
	if err != nil {
		return fmt.Errorf("tag: %w", err)
	}
	t.commitCore(s)
	return nil
}

// FullyObserved implements env.FullyObserved: every agent sees every
// obstacle (immovable) and every other agent's position and velocity, so
// it knows the exact state, unless observe_nearest cuts a set to the
// nearest few.
func (t *Tag) FullyObserved(int) bool {
	return t.pick.whole(t.o) && t.pick.whole(t.a) && t.pick.whole(t.g)
}
