package engine

import (
	"github.com/mrasim/mrasim/agents"
)

// Random draws uniformly random legal actions with agents.Random, the
// policy mrasim rollout plays, so that a caller seeding it as rollout does
// replays rollout's episodes exactly.
type Random struct {
	p *agents.Random
}

// NewRandom returns a random policy seeded with seed (agents.NewRandom).
func NewRandom(seed uint64) *Random { return &Random{p: agents.NewRandom(seed)} }

// Act writes one random legal action for every live agent of every copy of
// v into v's action buffer, copy by copy in order, drawing as
// agents.Random.Act does on each copy's frame. Entries of agents out of the
// episode keep their previous value. It allocates nothing.
func (r *Random) Act(v *Vec) error {
	if err := v.ready(); err != nil {
		return err
	}
	n := v.info.Agents
	for e, f := range v.frames {
		acts := v.actions[e]
		row := v.buf.Actions[e*n : e*n+len(acts)]
		for i, a := range row {
			acts[i] = int(a)
		}
		r.p.Act(f, acts)
		for i, a := range acts {
			row[i] = int64(a)
		}
	}
	return nil
}
