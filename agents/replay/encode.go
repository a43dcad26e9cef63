package replay

import (
	"fmt"
	"slices"

	"github.com/mrasim/mrasim/env"
)

// Features are the widths of the uniform entity encoding of a game. They
// depend on the game (its agent types, block widths and set names), never on
// the population, so networks built for them serve every population.
//
// Every observed block becomes a feature row of width D:
//
//	self row:   [ self block, zero-padded to Pad | 0 … 0 (sets) | onehot(agent type) | 1 ]
//	entity row: [ entity block, zero-padded to Pad | onehot(set) | 0 … 0 (types)    | 0 ]
//
// so that entities of different sets (other agents, landmarks, food) share
// one attention and the networks know what each row is.
//
// The official layout (Plain, PlainFeatures) leaves the tags out: rows are
// the raw blocks, D = Pad. It is the official code's devide_obs split (a
// 22-wide self row and N−1 22-wide rows of the other agents in the resource
// game) and serves games of one type observing one set.
type Features struct {
	Plain   bool     // official layout: no set, type or flag columns, D = Pad
	Pad     int      // width blocks are padded to: the widest self or entity block
	Sets    []string // entity set names, in order of first appearance
	Types   []string // agent type names, in population order
	Actions []int    // actions of each type
	D       int      // row width: Pad + len(Sets) + len(Types) + 1
	A       int      // the largest number of actions of any type
}

// GameFeatures derives the encoding widths from a spec of the game.
func GameFeatures(spec *env.Spec) Features {
	var f Features
	for _, t := range spec.Types {
		f.Pad = max(f.Pad, t.Self)
		f.Types = append(f.Types, t.Name)
		f.Actions = append(f.Actions, t.NumActions)
		f.A = max(f.A, t.NumActions)
		for _, s := range t.Sets {
			f.Pad = max(f.Pad, s.Width)
			if !slices.Contains(f.Sets, s.Name) {
				f.Sets = append(f.Sets, s.Name)
			}
		}
	}
	f.D = f.Pad + len(f.Sets) + len(f.Types) + 1
	return f
}

// PlainFeatures derives the official layout's widths from a spec of the
// game: rows are the raw self and entity blocks, zero-padded to the widest,
// without tags (D = Pad). It returns an error unless the game has one agent
// type observing at most one entity set, the only games whose rows the
// untagged layout keeps apart.
func PlainFeatures(spec *env.Spec) (Features, error) {
	f := GameFeatures(spec)
	if len(f.Types) != 1 || len(f.Sets) > 1 {
		return Features{}, fmt.Errorf("replay: the official (untagged) row layout needs one agent type observing at most one entity set; the game has types %v and sets %v", f.Types, f.Sets)
	}
	f.Plain = true
	f.D = f.Pad
	return f, nil
}

// Compatible reports whether spec, a population of the same game, fits
// these features: the same types and actions, and blocks no wider and sets
// no other than these.
func (f Features) Compatible(spec *env.Spec) error {
	g := GameFeatures(spec)
	switch {
	case !slices.Equal(f.Types, g.Types) || !slices.Equal(f.Actions, g.Actions):
		return fmt.Errorf("replay: population %v has types %v with actions %v, the networks were built for %v with %v", spec.Population, g.Types, g.Actions, f.Types, f.Actions)
	case f.Plain && len(g.Sets) > 1:
		return fmt.Errorf("replay: population %v observes sets %v, the untagged layout keeps at most one apart", spec.Population, g.Sets)
	case g.Pad > f.Pad:
		return fmt.Errorf("replay: population %v has blocks %d wide, the networks take at most %d", spec.Population, g.Pad, f.Pad)
	}
	for _, s := range g.Sets {
		if !slices.Contains(f.Sets, s) {
			return fmt.Errorf("replay: population %v observes a set %q the networks were not built for", spec.Population, s)
		}
	}
	return nil
}

// Descriptor returns MRA's game descriptor m of a population: the count of
// each agent type divided by 10 (the official code uses n/10 for its single
// type).
func Descriptor(pop env.Population) []float64 {
	m := make([]float64, len(pop))
	for k, tc := range pop {
		m[k] = float64(tc.Count) / 10
	}
	return m
}

// slot is where one entity row of an agent comes from.
type slot struct {
	off, width int // offset and width of the block in the agent's observation
	set        int // index into Features.Sets
	mask       int // index into the agent's entity mask
}

// Encoding maps the observations of one population into the uniform
// encoding: for each agent a self row and E entity rows (E is the largest
// number of entities any agent observes; shorter lists are padded with
// masked rows).
type Encoding struct {
	Features
	Spec *env.Spec
	N    int   // agents
	E    int   // entity rows per agent
	Type []int // agent → type index

	// AgentOf[i·E+e] is the agent that entity row e of agent i shows, or
	// −1 for other entities (landmarks, food) and padding. A set named after
	// an agent type lists that type's agents in agent order, skipping the
	// observer: the convention every built-in game follows. The critic mixes
	// agents' outputs through it.
	AgentOf []int

	slots [][]slot // per agent
}

// NewEncoding builds the encoding of spec's population for features f.
func NewEncoding(f Features, spec *env.Spec) (*Encoding, error) {
	if err := f.Compatible(spec); err != nil {
		return nil, err
	}
	n := spec.NumAgents()
	if n > 0 && !anyEntity(spec) {
		// The relation net attends over entity rows: with none there is
		// nothing to attend to and no embedding to act on.
		return nil, fmt.Errorf("replay: population %v: no agent observes any entity (every entity set is empty), and MRA's relation net needs at least one; use a population in which agents see others, or give the game an entity every agent sees (a landmark)", spec.Population)
	}
	enc := &Encoding{Features: f, Spec: spec, N: n, Type: make([]int, n), slots: make([][]slot, n)}
	for i := range n {
		k := spec.AgentType(i)
		t := spec.Type(i)
		enc.Type[i] = k
		enc.E = max(enc.E, t.Entities())
		mask := 0
		for si, s := range t.Sets {
			off := t.SetOffset(si)
			for c := range s.Count {
				enc.slots[i] = append(enc.slots[i], slot{off: off + c*s.Width, width: s.Width, set: slices.Index(f.Sets, s.Name), mask: mask})
				mask++
			}
		}
	}
	enc.AgentOf = make([]int, n*enc.E)
	for i := range enc.AgentOf {
		enc.AgentOf[i] = -1
	}
	for i := range n {
		t := spec.Type(i)
		e := 0
		for _, s := range t.Sets {
			members := agentsOfType(spec, s.Name, i)
			if members != nil && len(members) == s.Count {
				for c, j := range members {
					enc.AgentOf[i*enc.E+e+c] = j
				}
			}
			e += s.Count
		}
	}
	return enc, nil
}

// anyEntity reports whether some agent of spec observes an entity.
func anyEntity(spec *env.Spec) bool {
	for _, t := range spec.Types {
		if t.Count > 0 && t.Entities() > 0 {
			return true
		}
	}
	return false
}

// agentsOfType lists the agents of the type named name, without observer,
// or returns nil when no type has that name.
func agentsOfType(spec *env.Spec, name string, observer int) []int {
	for k, t := range spec.Types {
		if t.Name != name {
			continue
		}
		out := []int{}
		first := spec.FirstAgent(k)
		for j := first; j < first+t.Count; j++ {
			if j != observer {
				out = append(out, j)
			}
		}
		return out
	}
	return nil
}

// Encode writes agent i's rows: self (length D), ents (E×D) and present
// (E; false for entities the game masks and for padding). obs is the
// agent's observation and entityMask its entity mask, as in env.Frame (or
// as stored in a replay buffer, in float32).
func Encode[T float32 | float64](enc *Encoding, i int, obs []T, entityMask []bool, self, ents []float64, present []bool) {
	f := &enc.Features
	t := enc.Spec.Type(i)
	k := enc.Type[i]
	clear(self)
	for c := range t.Self {
		self[c] = float64(obs[c])
	}
	if !f.Plain {
		self[f.Pad+len(f.Sets)+k] = 1
		self[f.D-1] = 1
	}
	clear(ents)
	clear(present)
	for e, s := range enc.slots[i] {
		row := ents[e*f.D : (e+1)*f.D]
		for c := range s.width {
			row[c] = float64(obs[s.off+c])
		}
		if !f.Plain {
			row[f.Pad+s.set] = 1
		}
		present[e] = entityMask[s.mask]
	}
}

// CountType returns the number of agents of type t.
func (enc *Encoding) CountType(t int) int {
	c := 0
	for _, k := range enc.Type {
		if k == t {
			c++
		}
	}
	return c
}
