// Package line is a small population-varying game written outside mrasim's
// own packages, to show how a user plugs in a game: implement env.Game and
// register a constructor with env.Register.
//
// Walkers stand on a line of cells 0 … L−1. Each step every walker stays,
// moves left or moves right (moving off the line is masked). A walker that
// reaches the goal cell earns 1 and is done; one that steps on the pit falls
// in, earns −1 and is dead for the rest of the episode. Goal, pit and
// starting cells are drawn from the episode seed.
package line

import (
	"fmt"
	"math/rand/v2"

	"github.com/mrasim/mrasim/env"
)

// Name is the name the game registers under.
const Name = "line"

// Register adds the game to mrasim's registry.
func Register() {
	env.Register(Name, New, env.Doc{
		Summary: "walkers on a line race to a goal cell and avoid a pit",
		Types:   []env.TypeDoc{{Name: "walkers", Min: 1, Max: 256, Doc: "agents that walk the line"}},
		Params: []env.Param{
			{Name: "length", Kind: env.Int, Default: 8, Min: 3, Max: 1000, Doc: "number of cells L"},
			{Name: "horizon", Kind: env.Int, Default: 12, Min: 1, Max: 10000, Doc: "steps before the episode is truncated"},
		},
	})
}

// Game is one line game at a given number of walkers.
type Game struct {
	spec      *env.Spec
	length    int
	pos       []int
	goal, pit int
	alive     []bool
	done      []bool
	t         int
	pcg       *rand.PCG
	rng       *rand.Rand
}

const (
	stay = iota
	left
	right
)

// New builds the game; it is the env.Constructor of line.
func New(p env.Params, pop env.Population) (env.Game, error) {
	n := pop.Total()
	spec, err := env.NewSpec(pop, []env.TypeSpec{{
		Name:        pop[0].Type,
		Count:       n,
		NumActions:  3,
		ActionNames: []string{"stay", "left", "right"},
		Self:        3, // own cell, goal and pit relative to it, scaled by 1/L
		Sets:        []env.SetSpec{{Name: "walkers", Width: 1, Count: n - 1}},
		ActionMask:  true,
	}}, p.Int("horizon"))
	if err != nil {
		return nil, fmt.Errorf("line: %w", err)
	}
	pcg := rand.NewPCG(0, 0)
	return &Game{
		spec: spec, length: p.Int("length"),
		pos: make([]int, n), alive: make([]bool, n), done: make([]bool, n),
		pcg: pcg, rng: rand.New(pcg),
	}, nil
}

// Spec implements env.Game.
func (g *Game) Spec() *env.Spec { return g.spec }

// Reset implements env.Game.
func (g *Game) Reset(seed uint64, f *env.Frame) {
	g.pcg.Seed(seed, 0)
	g.goal = g.rng.IntN(g.length)
	g.pit = (g.goal + 1 + g.rng.IntN(g.length-1)) % g.length
	for i := range g.pos {
		for g.pos[i] = g.rng.IntN(g.length); g.pos[i] == g.goal || g.pos[i] == g.pit; g.pos[i] = g.rng.IntN(g.length) {
		}
		g.alive[i], g.done[i] = true, false
	}
	g.t = 0
	f.Begin()
	g.Observe(f)
}

// Step implements env.Game.
func (g *Game) Step(actions []int, f *env.Frame) {
	for i, a := range actions {
		f.Reward[i] = 0
		if !g.alive[i] || g.done[i] {
			continue
		}
		switch a {
		case left:
			g.pos[i] = max(g.pos[i]-1, 0)
		case right:
			g.pos[i] = min(g.pos[i]+1, g.length-1)
		}
		switch g.pos[i] {
		case g.goal:
			f.Reward[i], g.done[i] = 1, true
		case g.pit:
			f.Reward[i], g.done[i], g.alive[i] = -1, true, false
		}
	}
	g.t++
	g.Observe(f)
}

// Observe implements env.Game.
func (g *Game) Observe(f *env.Frame) {
	scale := 1 / float64(g.length)
	for i := range g.pos {
		o, ents, acts := f.AgentObs(i), f.AgentEntityMask(i), f.AgentActionMask(i)
		o[0] = float64(g.pos[i]) * scale
		o[1] = float64(g.goal-g.pos[i]) * scale
		o[2] = float64(g.pit-g.pos[i]) * scale
		k := 0
		for j := range g.pos {
			if j == i {
				continue
			}
			o[3+k] = float64(g.pos[j]-g.pos[i]) * scale
			ents[k] = g.alive[j] && !g.done[j]
			k++
		}
		acts[stay], acts[left], acts[right] = true, g.pos[i] > 0, g.pos[i] < g.length-1
		f.Alive[i] = g.alive[i]
		f.Terminated[i] = g.done[i]
		f.Truncated[i] = false
	}
	f.T = g.t
	if g.t >= g.spec.Horizon {
		for i := range f.Truncated {
			f.Truncated[i] = g.alive[i] && !g.done[i]
		}
	}
}

const stateTag = "line/v1"

// AppendState implements env.Game.
func (g *Game) AppendState(b []byte) []byte {
	w := env.NewStateWriter(b, stateTag)
	rs, _ := g.pcg.MarshalBinary() // never fails
	w.Bytes(rs)
	w.Int(g.t)
	w.Int(g.goal)
	w.Int(g.pit)
	w.Int(len(g.pos))
	for i := range g.pos {
		w.Int(g.pos[i])
		w.Bool(g.alive[i])
		w.Bool(g.done[i])
	}
	return w.Finish()
}

// SetState implements env.Game.
func (g *Game) SetState(b []byte) error {
	r := env.NewStateReader(b, stateTag)
	rs := r.Bytes()
	t, goal, pit, n := r.Int(), r.Int(), r.Int(), r.Int()
	if err := r.Err(false); err != nil {
		return fmt.Errorf("line: %w", err)
	}
	if n != len(g.pos) {
		return fmt.Errorf("line: %w: state of %d walkers, game has %d", env.ErrState, n, len(g.pos))
	}
	pos := make([]int, n)
	alive, done := make([]bool, n), make([]bool, n)
	for i := range pos {
		pos[i], alive[i], done[i] = r.Int(), r.Bool(), r.Bool()
	}
	if err := r.Err(true); err != nil {
		return fmt.Errorf("line: %w", err)
	}
	inLine := func(c int) bool { return c >= 0 && c < g.length }
	valid := inLine(goal) && inLine(pit) && t >= 0
	for _, c := range pos {
		valid = valid && inLine(c)
	}
	pcg := rand.NewPCG(0, 0)
	if err := pcg.UnmarshalBinary(rs); err != nil || !valid {
		return fmt.Errorf("line: %w: values out of range", env.ErrState)
	}
	*g.pcg = *pcg
	g.t, g.goal, g.pit = t, goal, pit
	copy(g.pos, pos)
	copy(g.alive, alive)
	copy(g.done, done)
	return nil
}
