package engine

import (
	"slices"

	"github.com/mrasim/mrasim/env"
)

// Layout says where an agent's observation and entity mask sit in its row
// of the caller's buffers. Every agent has a row of the same width in every
// copy (rows of absent agents, in copies of smaller populations, hold zeros
// and false masks).
type Layout int

const (
	// Native puts the agent's own observation, as its type's spec lays it
	// out, at the start of its row, zeros after; its entity mask likewise.
	// It is PettingZoo's per-agent observation, padded.
	Native Layout = iota
	// Aligned puts every block at a place that does not depend on the
	// population: the self block at 0, then each entity set (in order of
	// first appearance over the agent types) at a fixed offset, its blocks
	// one after the other, as many slots as the largest population of any
	// copy needs, each as wide as the widest block of that set. The entity
	// mask has one flag per slot: false for slots the copy's population
	// does not fill and for entities the game masks. It is the layout for
	// batches whose copies play different populations.
	Aligned
)

// String returns "native" or "aligned".
func (l Layout) String() string {
	if l == Aligned {
		return "aligned"
	}
	return "native"
}

// span copies n consecutive values of a frame (from src) into an agent's
// row (at dst).
type span struct{ src, dst, n int }

// agentLayout is where one agent's frame values go in its rows.
type agentLayout struct {
	obs, ent []span
}

// SetSlots describes one entity set of the Aligned layout.
type SetSlots struct {
	Name   string `json:"name"`
	Width  int    `json:"width"`  // numbers per slot: the widest block of the set
	Slots  int    `json:"slots"`  // slots in every row: the most blocks any agent of any copy has
	Offset int    `json:"offset"` // where the set's first slot starts in an observation row
	Entity int    `json:"entity"` // where the set's first flag sits in an entity-mask row
}

// shape is the common row shape of a batch of specs.
type shape struct {
	agents, obs, entities, actions int
	self                           int        // Aligned: width of the self block
	sets                           []SetSlots // Aligned: the entity sets
}

// shapeOf computes the row widths that hold every agent of every spec in
// layout l.
func shapeOf(specs []*env.Spec, l Layout) shape {
	var s shape
	for _, sp := range specs {
		s.agents = max(s.agents, sp.NumAgents())
		for k := range sp.Types {
			t := &sp.Types[k]
			s.actions = max(s.actions, t.NumActions)
			s.self = max(s.self, t.Self)
			s.obs = max(s.obs, t.ObsLen())
			s.entities = max(s.entities, t.Entities())
			for _, set := range t.Sets {
				i := slices.IndexFunc(s.sets, func(x SetSlots) bool { return x.Name == set.Name })
				if i < 0 {
					s.sets = append(s.sets, SetSlots{Name: set.Name})
					i = len(s.sets) - 1
				}
				s.sets[i].Width = max(s.sets[i].Width, set.Width)
				s.sets[i].Slots = max(s.sets[i].Slots, set.Count)
			}
		}
	}
	if l == Aligned {
		s.obs, s.entities = s.self, 0
		for i := range s.sets {
			s.sets[i].Offset, s.sets[i].Entity = s.obs, s.entities
			s.obs += s.sets[i].Width * s.sets[i].Slots
			s.entities += s.sets[i].Slots
		}
	} else {
		s.self, s.sets = 0, nil
	}
	// Keep rows at least one wide so that every buffer has a valid address.
	s.obs, s.entities = max(s.obs, 1), max(s.entities, 1)
	return s
}

// layoutOf computes where each agent of spec writes in layout l of shape s.
func layoutOf(spec *env.Spec, l Layout, s shape) []agentLayout {
	out := make([]agentLayout, spec.NumAgents())
	for i := range out {
		olo, ohi := spec.ObsRange(i)
		elo, ehi := spec.EntityRange(i)
		if l == Native {
			out[i].obs = []span{{src: olo, dst: 0, n: ohi - olo}}
			out[i].ent = []span{{src: elo, dst: 0, n: ehi - elo}}
			continue
		}
		t := spec.Type(i)
		al := &out[i]
		al.obs = append(al.obs, span{src: olo, dst: 0, n: t.Self})
		ent := elo
		for k, set := range t.Sets {
			slot := s.sets[slices.IndexFunc(s.sets, func(x SetSlots) bool { return x.Name == set.Name })]
			off := olo + t.SetOffset(k)
			if set.Width == slot.Width {
				al.obs = append(al.obs, span{src: off, dst: slot.Offset, n: set.Width * set.Count})
			} else {
				for j := range set.Count {
					al.obs = append(al.obs, span{src: off + j*set.Width, dst: slot.Offset + j*slot.Width, n: set.Width})
				}
			}
			al.ent = append(al.ent, span{src: ent, dst: slot.Entity, n: set.Count})
			ent += set.Count
		}
	}
	return out
}
