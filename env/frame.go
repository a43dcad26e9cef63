package env

import "math"

// Frame holds what a game reports about all its agents after a reset or a
// step. A frame is allocated once per game copy and overwritten in place, so
// stepping allocates nothing; copy what must outlive the next step.
//
// Per-agent slices are indexed by agent. Obs, EntityMask and ActionMask
// concatenate every agent's blocks; use the accessor methods to slice one
// agent's part.
type Frame struct {
	Spec *Spec

	Obs        []float64 // observations, agent by agent (see TypeSpec for one agent's layout)
	EntityMask []bool    // true where an entity block holds a live entity
	ActionMask []bool    // true where an action is legal
	Reward     []float64 // reward of the last step
	Alive      []bool    // false once an agent has left the episode (it stays in the buffers)
	Terminated []bool    // the agent reached a terminal state: do not bootstrap
	Truncated  []bool    // the episode was cut off (time limit): bootstrap
	T          int       // steps taken in the current episode; 0 right after Reset
}

// NewFrame allocates a frame shaped for spec.
func NewFrame(spec *Spec) *Frame {
	n := spec.NumAgents()
	return &Frame{
		Spec:       spec,
		Obs:        make([]float64, spec.obsOff[n]),
		EntityMask: make([]bool, spec.entOff[n]),
		ActionMask: make([]bool, spec.actOff[n]),
		Reward:     make([]float64, n),
		Alive:      make([]bool, n),
		Terminated: make([]bool, n),
		Truncated:  make([]bool, n),
	}
}

// AgentObs returns agent i's observation, a view into f.Obs.
func (f *Frame) AgentObs(i int) []float64 {
	return f.Obs[f.Spec.obsOff[i]:f.Spec.obsOff[i+1]:f.Spec.obsOff[i+1]]
}

// AgentEntityMask returns agent i's entity mask, a view into f.EntityMask.
func (f *Frame) AgentEntityMask(i int) []bool {
	return f.EntityMask[f.Spec.entOff[i]:f.Spec.entOff[i+1]:f.Spec.entOff[i+1]]
}

// AgentActionMask returns agent i's action mask, a view into f.ActionMask.
func (f *Frame) AgentActionMask(i int) []bool {
	return f.ActionMask[f.Spec.actOff[i]:f.Spec.actOff[i+1]:f.Spec.actOff[i+1]]
}

// Done reports whether the episode is over: every agent is terminated,
// truncated or dead.
func (f *Frame) Done() bool {
	for i := range f.Alive {
		if f.Alive[i] && !f.Terminated[i] && !f.Truncated[i] {
			return false
		}
	}
	return true
}

// Begin prepares f for a new episode: all agents alive, no rewards, no flags,
// all entities present and all actions legal, T = 0. Games call it at the
// start of Reset and then overwrite what differs.
func (f *Frame) Begin() {
	clear(f.Reward)
	clear(f.Terminated)
	clear(f.Truncated)
	for i := range f.Alive {
		f.Alive[i] = true
	}
	for i := range f.EntityMask {
		f.EntityMask[i] = true
	}
	for i := range f.ActionMask {
		f.ActionMask[i] = true
	}
	f.T = 0
}

// Advance counts one step and marks every live, unterminated agent truncated
// when the horizon is reached. Games call it at the end of Step after setting
// Terminated.
func (f *Frame) Advance() {
	f.T++
	if f.T < f.Spec.Horizon {
		return
	}
	for i := range f.Truncated {
		f.Truncated[i] = f.Alive[i] && !f.Terminated[i]
	}
}

// CopyFrom makes f an exact copy of g, which must have the same spec shape.
func (f *Frame) CopyFrom(g *Frame) {
	f.Spec = g.Spec
	copy(f.Obs, g.Obs)
	copy(f.EntityMask, g.EntityMask)
	copy(f.ActionMask, g.ActionMask)
	copy(f.Reward, g.Reward)
	copy(f.Alive, g.Alive)
	copy(f.Terminated, g.Terminated)
	copy(f.Truncated, g.Truncated)
	f.T = g.T
}

// Finite reports whether every observation and reward is a finite number.
func (f *Frame) Finite() bool {
	for _, v := range f.Obs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	for _, v := range f.Reward {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
