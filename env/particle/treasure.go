package particle

import (
	"fmt"
	"math"

	"github.com/mrasim/mrasim/env"
)

// TreasureName is the name the treasure-collection game registers under.
const TreasureName = "treasure"

// Treasure-collection constants (MAAC's rules as MRA describes them; the
// sizes are ours where the description is silent).
const (
	treasureColours  = 2
	collectorSize    = 0.05
	depositSize      = 0.075
	treasureSize     = 0.025
	treasureBonus    = 5   // to everyone, per pick-up and per delivery
	collisionPenalty = 5   // per other collector touching a collector
	treasureShaping  = 0.1 // per unit of distance to the current goal
)

func init() {
	env.Register(TreasureName, NewTreasure, env.Doc{
		Summary: "treasure collection (MAAC): collectors pick up treasures and bring them to deposits of the same colour",
		Types: []env.TypeDoc{
			{Name: "collectors", Min: 1, Max: maxAgents, Doc: "pick up a treasure when empty and deliver it; size 0.05, collide with each other"},
			{Name: "deposits", Min: 1, Max: maxAgents, Doc: "deposit d accepts colour d mod 2; size 0.075, do not collide"},
		},
		Params: []env.Param{
			{Name: "treasures", Kind: env.Int, Default: 0, Min: 0, Max: 4 * maxAgents,
				Doc: "number of treasures on the field; 0 means one per collector, as MAAC"},
			horizonParam(25, "as in MPE"),
			countFeatureParam,
			nearestParam("collectors, deposits, treasures; MAAC observes the 7 closest"),
			countEncodingParam,
		},
	})
}

// Treasure is cooperative treasure collection after MAAC, with the rules
// of MRA's note (mra.md §6.1). C collectors and D deposits are agents; T
// treasures, each of one of 2 colours, are immovable landmarks. Everything
// starts uniformly in [−1, 1]²; treasure k starts with colour k mod 2 and
// deposit d accepts colour d mod 2.
//
// After the physics of each step, in collector order: a collector carrying
// colour c that touches a deposit of colour c delivers it (it is empty
// again); an empty collector that touches a treasure picks up the first
// one it touches (it now carries that colour) and the treasure respawns at
// once at a uniform position with a uniform colour. A collector does at
// most one of the two per step.
//
// Rewards:
//
//	everyone:   +5 per pick-up and +5 per delivery of the step (global)
//	collector:  −5 per other collector touching it,
//	            −0.1 × distance to the nearest treasure (empty) or to the
//	            nearest deposit of its colour (carrying)
//	deposit:    −0.1 × distance to the nearest collector carrying its
//	            colour (nothing when none does)
//
// Observations of an agent (sets exclude itself):
//
//	self:               v(2), p(2), colour one-hot(2)[, C/10, D/10]   (6, 8 with count_feature)
//	set "collectors":   p_j − p(2), v_j(2), carried colour one-hot(2)   (6 each)
//	set "deposits":     p_j − p(2), v_j(2), colour one-hot(2)           (6 each)
//	set "treasures":    p_k − p(2), colour one-hot(2)                   (4 each)
//
// where a collector's colour is the one it carries (zeros when empty).
// With observe_nearest = k each set holds only its k entities nearest to
// the observer, nearest first (a set of at most k is whole, in index
// order), as MAAC's agents observe their 7 closest. The
// game has no reference implementation in Go's reach, so FlatObs is simply
// the entity observation, block after block.
type Treasure struct {
	core
	c, d, k int
	count   bool // the self block ends with C/10, D/10 (in encoding enc)
	enc     env.CountEncoding
	carry   []int  // per collector: carried colour, −1 when empty
	colour  []int  // per treasure
	pick    picker // the entities each agent observes (observe_nearest)

	readCarry, readColour []int // SetState's scratch
}

// NewTreasure builds the treasure game; it is its env.Constructor.
func NewTreasure(p env.Params, pop env.Population) (env.Game, error) {
	c, d, k := pop[0].Count, pop[1].Count, p.Int("treasures")
	count, enc, err := countFeature(TreasureName, p)
	if err != nil {
		return nil, err
	}
	if k == 0 {
		k = c
	}
	pick := newPicker(p.Int("observe_nearest"), max(c, d, k))
	sets := func(self int) []env.SetSpec {
		return []env.SetSpec{
			{Name: "collectors", Width: 6, Count: pick.blocks(c - boolInt(self == 0))},
			{Name: "deposits", Width: 6, Count: pick.blocks(d - boolInt(self == 1))},
			{Name: "treasures", Width: 4, Count: pick.blocks(k)},
		}
	}
	spec, err := env.NewSpec(pop, []env.TypeSpec{
		{Name: pop[0].Type, Count: c, NumActions: NumActions, ActionNames: ActionNames, Self: 6 + 2*boolInt(count), Sets: sets(0)},
		{Name: pop[1].Type, Count: d, NumActions: NumActions, ActionNames: ActionNames, Self: 6 + 2*boolInt(count), Sets: sets(1)},
	}, p.Int("max_steps"))
	if err != nil {
		return nil, fmt.Errorf("treasure: %w", err)
	}
	w := NewWorld(c+d, k)
	for i := range c + d + k {
		switch {
		case i < c:
			w.Size[i] = collectorSize
		case i < c+d:
			w.Size[i], w.Collide[i] = depositSize, false
		default:
			w.Size[i], w.Collide[i] = treasureSize, false
		}
	}
	return &Treasure{core: newCore(spec, w), c: c, d: d, k: k, count: count, enc: enc, carry: make([]int, c), colour: make([]int, k), pick: pick}, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Carrying returns the colour collector i carries, or −1 when it is empty.
func (g *Treasure) Carrying(i int) int { return g.carry[i] }

// SetCarrying makes collector i carry colour c (−1 for nothing), for tests
// and tools that set up a state by hand.
func (g *Treasure) SetCarrying(i, c int) { g.carry[i] = c }

// TreasureColour returns the colour of treasure k.
func (g *Treasure) TreasureColour(k int) int { return g.colour[k] }

// DepositColour returns the colour deposit d (0 … D−1) accepts.
func (g *Treasure) DepositColour(d int) int { return d % treasureColours }

// Reset implements env.Game.
func (g *Treasure) Reset(seed uint64, f *env.Frame) {
	g.begin(seed)
	g.scatter(0, g.c+g.d+g.k, 1)
	for i := range g.carry {
		g.carry[i] = -1
	}
	for k := range g.colour {
		g.colour[k] = k % treasureColours
	}
	f.Begin()
	g.Observe(f)
}

// Step implements env.Game.
func (g *Treasure) Step(actions []int, f *env.Frame) {
	w, c, d := g.w, g.c, g.d
	w.Step(actions)
	g.t++
	bonus := 0.0
	for i := range c {
		if col := g.carry[i]; col >= 0 {
			for j := col; j < d; j += treasureColours {
				if w.Touch(i, c+j) {
					g.carry[i] = -1
					bonus += treasureBonus
					break
				}
			}
			continue
		}
		for k := range g.k {
			if e := c + d + k; w.Touch(i, e) {
				g.carry[i] = g.colour[k]
				bonus += treasureBonus
				w.Place(e, g.uniform(-1, 1), g.uniform(-1, 1), 0, 0)
				g.colour[k] = g.rng.IntN(treasureColours)
				break
			}
		}
	}
	r := f.Reward
	for i := range c {
		r[i] = bonus
		for j := range c {
			if j != i && w.Touch(i, j) {
				r[i] -= collisionPenalty
			}
		}
		goal := math.Inf(1)
		if col := g.carry[i]; col >= 0 {
			for j := col; j < d; j += treasureColours {
				goal = min(goal, w.Dist(i, c+j))
			}
		} else {
			for k := range g.k {
				goal = min(goal, w.Dist(i, c+d+k))
			}
		}
		if !math.IsInf(goal, 1) {
			r[i] -= treasureShaping * goal
		}
	}
	for j := range d {
		r[c+j] = bonus
		goal := math.Inf(1)
		for i := range c {
			if g.carry[i] == g.DepositColour(j) {
				goal = min(goal, w.Dist(i, c+j))
			}
		}
		if !math.IsInf(goal, 1) {
			r[c+j] -= treasureShaping * goal
		}
	}
	g.Observe(f)
}

// colourOf returns agent i's colour: carried for a collector, accepted for
// a deposit.
func (g *Treasure) colourOf(i int) int {
	if i < g.c {
		return g.carry[i]
	}
	return g.DepositColour(i - g.c)
}

// oneHot writes the one-hot code of colour c (zeros for −1) into o[0:2].
func oneHot(o []float64, c int) {
	o[0], o[1] = 0, 0
	if c >= 0 {
		o[c] = 1
	}
}

// Observe implements env.Game.
func (g *Treasure) Observe(f *env.Frame) {
	n := g.c + g.d
	for i := range n {
		g.write(f.AgentObs(i), i)
	}
	g.flags(f, nil)
}

// write writes agent i's entity observation into o.
func (g *Treasure) write(o []float64, i int) {
	w, n := g.w, g.c+g.d
	xi, yi := w.PX[i], w.PY[i]
	o[0], o[1], o[2], o[3] = w.VX[i], w.VY[i], xi, yi
	oneHot(o[4:], g.colourOf(i))
	o = o[6:]
	if g.count {
		o[0], o[1] = g.enc.Encode(g.c), g.enc.Encode(g.d)
		o = o[2:]
	}
	for _, r := range [2][2]int{{0, g.c}, {g.c, n}} {
		for _, j := range g.pick.pick(w, i, r[0], r[1], i, nil) {
			o[0], o[1], o[2], o[3] = w.PX[j]-xi, w.PY[j]-yi, w.VX[j], w.VY[j]
			oneHot(o[4:], g.colourOf(j))
			o = o[6:]
		}
	}
	for _, e := range g.pick.pick(w, i, n, n+g.k, -1, nil) {
		o[0], o[1] = w.PX[e]-xi, w.PY[e]-yi
		oneHot(o[2:], g.colour[e-n])
		o = o[4:]
	}
}

// FlatLen implements env.FlatObserver: the entity observation's length.
func (g *Treasure) FlatLen(k int) int { return g.spec.Types[k].ObsLen() }

// FlatObs implements env.FlatObserver: the entity observation, flat.
func (g *Treasure) FlatObs(i int, dst []float64) { g.write(dst, i) }

const treasureTag = "particle/treasure/v1"

// AppendState implements env.Game.
func (g *Treasure) AppendState(b []byte) []byte {
	w := env.NewStateWriter(b, treasureTag)
	g.appendCore(w)
	appendInts(w, g.carry)
	appendInts(w, g.colour)
	return w.Finish()
}

// SetState implements env.Game.
func (g *Treasure) SetState(b []byte) error {
	r := env.NewStateReader(b, treasureTag)
	s, err := g.readCore(r)
	if g.readCarry == nil {
		g.readCarry, g.readColour = make([]int, g.c), make([]int, g.k)
	}
	carry, colour := g.readCarry, g.readColour
	if err == nil {
		err = readInts(r, carry)
	}
	if err == nil {
		err = readInts(r, colour)
	}
	if err == nil {
		err = r.Err(true)
	}
	for _, v := range carry {
		if err == nil && (v < -1 || v >= treasureColours) {
			err = fmt.Errorf("%w: carried colour %d", env.ErrState, v)
		}
	}
	for _, v := range colour {
		if err == nil && (v < 0 || v >= treasureColours) {
			err = fmt.Errorf("%w: treasure colour %d", env.ErrState, v)
		}
	}
	if err != nil {
		return fmt.Errorf("treasure: %w", err)
	}
	g.commitCore(s)
	copy(g.carry, carry)
	copy(g.colour, colour)
	return nil
}

// appendInts writes xs with its length.
func appendInts(w *env.StateWriter, xs []int) {
	w.Int(len(xs))
	for _, v := range xs {
		w.Int(v)
	}
}

// readInts reads into dst a slice written by appendInts, which must have
// exactly len(dst) values.
func readInts(r *env.StateReader, dst []int) error {
	n := r.Int()
	if err := r.Err(false); err != nil {
		return err
	}
	if n != len(dst) {
		return fmt.Errorf("%w: %d values where %d were expected", env.ErrState, n, len(dst))
	}
	for i := range dst {
		dst[i] = r.Int()
	}
	return r.Err(false)
}

// FullyObserved implements env.FullyObserved: every agent sees every
// collector (with what it carries), every deposit and every treasure
// (immovable, with its colour), so it knows the exact state apart from the
// generator of future respawns (see env.StateReseeder), unless
// observe_nearest cuts a set to the nearest few.
func (g *Treasure) FullyObserved(int) bool {
	return g.pick.whole(g.c) && g.pick.whole(g.d) && g.pick.whole(g.k)
}
