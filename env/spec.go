package env

import "fmt"

// SetSpec describes one set of entity blocks in an observation: Count blocks
// of Width numbers each. Width is fixed for a game whatever the population;
// Count may grow with it.
type SetSpec struct {
	Name  string // what the entities are, e.g. "agents" or "landmarks"
	Width int    // numbers per entity block
	Count int    // entity blocks in the set at this population
}

// TypeSpec describes the observation and action space shared by all agents of
// one type.
//
// An agent's observation is laid out as
//
//	[ self (Self numbers) | set 0: Count₀ × Width₀ | set 1: Count₁ × Width₁ | … ]
//
// and its entity mask holds one flag per entity block, set by set.
type TypeSpec struct {
	Name        string
	Count       int      // agents of this type
	NumActions  int      // discrete actions 0 … NumActions−1
	ActionNames []string // optional, len NumActions when given
	Self        int      // width of the self block
	Sets        []SetSpec
	ActionMask  bool // whether the game fills action masks (otherwise all actions are legal)
}

// ObsLen returns the length of one agent's observation: the self block plus
// every entity block of every set.
func (t *TypeSpec) ObsLen() int {
	n := t.Self
	for _, s := range t.Sets {
		n += s.Width * s.Count
	}
	return n
}

// Entities returns the number of entity blocks over all sets, which is the
// length of one agent's entity mask.
func (t *TypeSpec) Entities() int {
	n := 0
	for _, s := range t.Sets {
		n += s.Count
	}
	return n
}

// SetOffset returns where set k starts inside an agent's observation.
func (t *TypeSpec) SetOffset(k int) int {
	off := t.Self
	for _, s := range t.Sets[:k] {
		off += s.Width * s.Count
	}
	return off
}

// Spec describes a game built at one population: its agent types, their
// observation and action layouts, and the episode horizon.
type Spec struct {
	Population Population
	Types      []TypeSpec // one per population entry, same order
	Horizon    int        // steps after which an episode is truncated

	agentType []int // agent → type index
	obsOff    []int // agent → offset into Frame.Obs (len agents+1)
	entOff    []int // agent → offset into Frame.EntityMask (len agents+1)
	actOff    []int // agent → offset into Frame.ActionMask (len agents+1)
}

// NewSpec checks a spec's types against its population and precomputes the
// per-agent offsets that frames use. It returns an error when the types do
// not match the population one for one or a width, count or horizon is not
// positive.
func NewSpec(pop Population, types []TypeSpec, horizon int) (*Spec, error) {
	if len(types) != len(pop) {
		return nil, fmt.Errorf("env: spec has %d types for a population of %d types", len(types), len(pop))
	}
	if horizon < 1 {
		return nil, fmt.Errorf("env: horizon %d, want ≥ 1", horizon)
	}
	s := &Spec{Population: append(Population(nil), pop...), Types: make([]TypeSpec, len(types)), Horizon: horizon}
	for k, t := range types {
		switch {
		case t.Name != pop[k].Type:
			return nil, fmt.Errorf("env: spec type %d is %q, population says %q", k, t.Name, pop[k].Type)
		case t.Count != pop[k].Count:
			return nil, fmt.Errorf("env: spec type %q has %d agents, population says %d", t.Name, t.Count, pop[k].Count)
		case t.NumActions < 1:
			return nil, fmt.Errorf("env: type %q has %d actions, want ≥ 1", t.Name, t.NumActions)
		case t.ActionNames != nil && len(t.ActionNames) != t.NumActions:
			return nil, fmt.Errorf("env: type %q names %d actions of %d", t.Name, len(t.ActionNames), t.NumActions)
		case t.Self < 0:
			return nil, fmt.Errorf("env: type %q has self width %d", t.Name, t.Self)
		}
		for _, set := range t.Sets {
			if set.Width < 1 || set.Count < 0 {
				return nil, fmt.Errorf("env: type %q set %q has width %d and count %d, want width ≥ 1 and count ≥ 0", t.Name, set.Name, set.Width, set.Count)
			}
		}
		t.Sets = append([]SetSpec(nil), t.Sets...)
		t.ActionNames = append([]string(nil), t.ActionNames...)
		s.Types[k] = t
	}
	n := pop.Total()
	s.agentType = make([]int, n)
	s.obsOff = make([]int, n+1)
	s.entOff = make([]int, n+1)
	s.actOff = make([]int, n+1)
	i := 0
	for k := range s.Types {
		t := &s.Types[k]
		for range t.Count {
			s.agentType[i] = k
			s.obsOff[i+1] = s.obsOff[i] + t.ObsLen()
			s.entOff[i+1] = s.entOff[i] + t.Entities()
			s.actOff[i+1] = s.actOff[i] + t.NumActions
			i++
		}
	}
	return s, nil
}

// NumAgents returns the number of agents of all types.
func (s *Spec) NumAgents() int { return len(s.agentType) }

// AgentType returns the index into Types of agent i's type.
func (s *Spec) AgentType(i int) int { return s.agentType[i] }

// Type returns the spec of agent i's type.
func (s *Spec) Type(i int) *TypeSpec { return &s.Types[s.agentType[i]] }

// ObsRange returns where agent i's observation lies in Frame.Obs:
// Obs[lo:hi].
func (s *Spec) ObsRange(i int) (lo, hi int) { return s.obsOff[i], s.obsOff[i+1] }

// EntityRange returns where agent i's entity mask lies in
// Frame.EntityMask: EntityMask[lo:hi].
func (s *Spec) EntityRange(i int) (lo, hi int) { return s.entOff[i], s.entOff[i+1] }

// FirstAgent returns the index of the first agent of type k; the agents of
// type k are FirstAgent(k) … FirstAgent(k)+Types[k].Count−1.
func (s *Spec) FirstAgent(k int) int {
	i := 0
	for _, t := range s.Types[:k] {
		i += t.Count
	}
	return i
}
