package particle

import (
	"fmt"
	"math"

	"github.com/mrasim/mrasim/env"
)

// PacmanName is the name the pac-man (grassland) game registers under.
const PacmanName = "pacman"

// Pac-man constants: EPC's Grassland values as MRA's note gives them.
const (
	pacmanSize    = 0.05
	ghostSize     = 0.075
	foodSize      = 0.03 // ours: the note does not give one
	eatReward     = 2
	caughtPenalty = 5
	catchReward   = 5
	pacmanShaping = 0.1
)

func init() {
	env.Register(PacmanName, NewPacman, env.Doc{
		Summary: "pac-man / grassland (EPC): pac-men eat respawning food, ghosts catch pac-men, who die",
		Types: []env.TypeDoc{
			{Name: "pacmen", Min: 1, Max: maxAgents, Doc: "EPC's sheep: size 0.05, accel 4, max speed 3; die when caught"},
			{Name: "ghosts", Min: 1, Max: maxAgents, Doc: "EPC's wolves: size 0.075, accel 2, max speed 2"},
		},
		Params: []env.Param{
			{Name: "food", Kind: env.Int, Default: 0, Min: 0, Max: 4 * maxAgents,
				Doc: "number of food pellets; 0 means one per pac-man"},
			{Name: "sight", Kind: env.Float, Default: 0.5, Min: 0, Max: 100,
				Doc: "radius within which a pac-man sees food (observation) and is pulled towards it (shaping)"},
			{Name: "bound_penalty", Kind: env.Bool, Default: 1,
				Doc: "penalise leaving [−0.9, 0.9]² as simple_tag penalises its good agents, for both types"},
			horizonParam(25, "as in MPE"),
			countFeatureParam,
			nearestParam("pacmen, ghosts, food; dead pac-men rank after live ones"),
			countEncodingParam,
		},
	})
}

// Pacman is a pac-man world after EPC's Grassland, with the rules of MRA's
// note (mra.md §6.1): P pac-men (agents 0 … P−1) eat F food pellets
// (immovable, non-colliding landmarks) and flee G ghosts (agents P …
// P+G−1). Agents and food start uniformly in [−1, 1]².
//
// After the physics of each step:
//
//  1. every live pac-man touching a ghost is caught: −5 to it, +5 to every
//     ghost touching it; it is dead (Alive false, Terminated true) for the
//     rest of the episode, frozen out of the world and masked in every
//     observation;
//  2. every live pac-man touching food, in agent order, eats the first
//     pellet it touches: +2, and the pellet respawns at once uniformly in
//     [−1, 1]²;
//  3. shaping: a live pac-man gets −0.1 × the distance to the nearest food
//     if that is within sight; a ghost −0.1 × the distance to the nearest
//     live pac-man; with bound_penalty, every live agent also pays
//     simple_tag's bound(|x|) + bound(|y|).
//
// Once every pac-man is dead the ghosts are terminated and the episode ends.
//
// Observations of an agent (sets exclude itself):
//
//	self:           v(2), p(2)[, P/10, G/10]               (4, 6 with count_feature)
//	set "pacmen":   p_j − p(2), v_j(2)   masked when dead   (4 each)
//	set "ghosts":   p_j − p(2), v_j(2)                       (4 each)
//	set "food":     p_k − p(2)   masked (and zero) beyond sight for a pac-man   (2 each)
//
// Ghosts see all food. Masked blocks hold zeros. FlatObs is the entity
// observation, flat, with masked blocks zero. With observe_nearest = k
// each set holds only its k entities nearest to the observer, nearest
// first, dead pac-men after every live one (a set of at most k is whole,
// in index order); masks apply to the blocks chosen.
type Pacman struct {
	core
	p, g, food int
	sight      float64
	bounded    bool
	count      bool // the self block ends with P/10, G/10 (in encoding enc)
	enc        env.CountEncoding
	alive      []bool // per agent; ghosts never die
	term       []bool // per agent
	pick       picker // the entities each agent observes (observe_nearest)

	readAlive, readTerm []bool // SetState's scratch
}

// NewPacman builds the pac-man game; it is its env.Constructor.
func NewPacman(p env.Params, pop env.Population) (env.Game, error) {
	np, ng, nf := pop[0].Count, pop[1].Count, p.Int("food")
	count, enc, err := countFeature(PacmanName, p)
	if err != nil {
		return nil, err
	}
	self := 4 + 2*boolInt(count)
	if nf == 0 {
		nf = np
	}
	pick := newPicker(p.Int("observe_nearest"), max(np, ng, nf))
	sets := func(self int) []env.SetSpec {
		return []env.SetSpec{
			{Name: "pacmen", Width: 4, Count: pick.blocks(np - boolInt(self == 0))},
			{Name: "ghosts", Width: 4, Count: pick.blocks(ng - boolInt(self == 1))},
			{Name: "food", Width: 2, Count: pick.blocks(nf)},
		}
	}
	spec, err := env.NewSpec(pop, []env.TypeSpec{
		{Name: pop[0].Type, Count: np, NumActions: NumActions, ActionNames: ActionNames, Self: self, Sets: sets(0)},
		{Name: pop[1].Type, Count: ng, NumActions: NumActions, ActionNames: ActionNames, Self: self, Sets: sets(1)},
	}, p.Int("max_steps"))
	if err != nil {
		return nil, fmt.Errorf("pacman: %w", err)
	}
	w := NewWorld(np+ng, nf)
	for i := range np + ng {
		if i < np {
			w.Size[i], w.Sensitivity[i], w.MaxSpeed[i] = pacmanSize, 4, 3
		} else {
			w.Size[i], w.Sensitivity[i], w.MaxSpeed[i] = ghostSize, 2, 2
		}
	}
	for k := range nf {
		w.Size[np+ng+k], w.Collide[np+ng+k] = foodSize, false
	}
	return &Pacman{
		core: newCore(spec, w), p: np, g: ng, food: nf,
		sight: p.Float("sight"), bounded: p.Bool("bound_penalty"), count: count, enc: enc,
		alive: make([]bool, np+ng), term: make([]bool, np+ng), pick: pick,
	}, nil
}

// Reset implements env.Game.
func (g *Pacman) Reset(seed uint64, f *env.Frame) {
	g.begin(seed)
	g.scatter(0, g.p+g.g+g.food, 1)
	for i := range g.alive {
		g.alive[i], g.term[i] = true, false
	}
	g.sync()
	f.Begin()
	g.Observe(f)
}

// sync freezes dead agents out of the world.
func (g *Pacman) sync() {
	copy(g.w.Active, g.alive)
}

// Step implements env.Game.
func (g *Pacman) Step(actions []int, f *env.Frame) {
	w, np, n := g.w, g.p, g.p+g.g
	w.Step(actions)
	g.t++
	r := f.Reward
	clear(r)
	// 1. Catches, judged on the positions after the move.
	for i := range np {
		if !g.alive[i] {
			continue
		}
		caught := false
		for j := np; j < n; j++ {
			if w.Touch(i, j) {
				caught = true
				r[j] += catchReward
			}
		}
		if caught {
			r[i] -= caughtPenalty
			g.alive[i], g.term[i] = false, true
		}
	}
	// 2. Eating.
	for i := range np {
		if !g.alive[i] {
			continue
		}
		for k := range g.food {
			if e := n + k; w.Touch(i, e) {
				r[i] += eatReward
				w.Place(e, g.uniform(-1, 1), g.uniform(-1, 1), 0, 0)
				break
			}
		}
	}
	// 3. Shaping.
	live := 0
	for i := range n {
		if !g.alive[i] {
			continue
		}
		if i < np {
			live++
			if d := g.nearest(i, n, n+g.food, nil); d <= g.sight {
				r[i] -= pacmanShaping * d
			}
		} else if d := g.nearest(i, 0, np, g.alive); !math.IsInf(d, 1) {
			r[i] -= pacmanShaping * d
		}
		if g.bounded {
			r[i] -= bound(math.Abs(w.PX[i])) + bound(math.Abs(w.PY[i]))
		}
	}
	if live == 0 {
		for j := np; j < n; j++ {
			g.term[j] = true
		}
	}
	g.sync()
	g.Observe(f)
}

// nearest returns the distance from agent i to the nearest entity of lo …
// hi−1 (only live ones when alive is given), or +Inf when there is none.
func (g *Pacman) nearest(i, lo, hi int, alive []bool) float64 {
	d := math.Inf(1)
	for e := lo; e < hi; e++ {
		if alive == nil || alive[e] {
			d = min(d, g.w.Dist(i, e))
		}
	}
	return d
}

// Alive reports whether agent i is still in the game (ghosts always are).
func (g *Pacman) Alive(i int) bool { return g.alive[i] }

// Observe implements env.Game.
func (g *Pacman) Observe(f *env.Frame) {
	for i := range f.ActionMask {
		f.ActionMask[i] = true // every move is legal; a caught pac-man is out through Alive
	}
	for i := range g.p + g.g {
		g.write(f.AgentObs(i), f.AgentEntityMask(i), i)
		f.Alive[i] = g.alive[i]
		f.Terminated[i] = g.term[i]
		f.Truncated[i] = g.alive[i] && !g.term[i] && g.t >= g.spec.Horizon
	}
	f.T = g.t
}

// write writes agent i's entity observation into o and its entity mask
// into mask (nil for none).
func (g *Pacman) write(o []float64, mask []bool, i int) {
	w, np, n := g.w, g.p, g.p+g.g
	xi, yi := w.PX[i], w.PY[i]
	o[0], o[1], o[2], o[3] = w.VX[i], w.VY[i], xi, yi
	o = o[4:]
	if g.count {
		o[0], o[1] = g.enc.Encode(g.p), g.enc.Encode(g.g)
		o = o[2:]
	}
	m := 0
	set := func(ok bool) {
		if mask != nil {
			mask[m] = ok
		}
		m++
	}
	for _, r := range [2][2]int{{0, np}, {np, n}} {
		for _, j := range g.pick.pick(w, i, r[0], r[1], i, g.alive) {
			if g.alive[j] {
				o[0], o[1], o[2], o[3] = w.PX[j]-xi, w.PY[j]-yi, w.VX[j], w.VY[j]
			} else {
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
			}
			set(g.alive[j])
			o = o[4:]
		}
	}
	for _, e := range g.pick.pick(w, i, n, n+g.food, -1, nil) {
		dx, dy := w.PX[e]-xi, w.PY[e]-yi
		seen := i >= np || math.Sqrt(float64(dx*dx)+float64(dy*dy)) <= g.sight
		if !seen {
			dx, dy = 0, 0
		}
		o[0], o[1] = dx, dy
		set(seen)
		o = o[2:]
	}
}

// FlatLen implements env.FlatObserver: the entity observation's length.
func (g *Pacman) FlatLen(k int) int { return g.spec.Types[k].ObsLen() }

// FlatObs implements env.FlatObserver: the entity observation, flat.
func (g *Pacman) FlatObs(i int, dst []float64) { g.write(dst, nil, i) }

const pacmanTag = "particle/pacman/v1"

// AppendState implements env.Game.
func (g *Pacman) AppendState(b []byte) []byte {
	w := env.NewStateWriter(b, pacmanTag)
	g.appendCore(w)
	w.Bools(g.alive)
	w.Bools(g.term)
	return w.Finish()
}

// SetState implements env.Game.
func (g *Pacman) SetState(b []byte) error {
	r := env.NewStateReader(b, pacmanTag)
	s, err := g.readCore(r)
	if g.readAlive == nil {
		g.readAlive, g.readTerm = make([]bool, len(g.alive)), make([]bool, len(g.term))
	}
	alive, term := g.readAlive, g.readTerm
	if err == nil {
		r.Bools(alive)
		r.Bools(term)
		err = r.Err(true)
	}
	for j := g.p; err == nil && j < g.p+g.g; j++ {
		if !alive[j] {
			err = fmt.Errorf("%w: ghost %d dead", env.ErrState, j)
		}
	}
	if err != nil {
		return fmt.Errorf("pacman: %w", err)
	}
	g.commitCore(s)
	copy(g.alive, alive)
	copy(g.term, term)
	g.sync()
	return nil
}

// FullyObserved implements env.FullyObserved: false, because agents see
// only what lies within their sight radius, so a policy that decides from
// the exact state would use what the agent cannot know. Search best
// responses are off in this game.
func (g *Pacman) FullyObserved(int) bool { return false }
