package learner

import (
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// MemoryOverhead is the allowance a memory estimate adds to an
// algorithm's items for the Go runtime, the networks, their optimiser
// state and bookkeeping: the small things no item counts.
const MemoryOverhead = 128 << 20

// PopulationShape is what a memory estimate needs of one population: the
// shapes of the game's encoding and of its frames and states.
type PopulationShape struct {
	Pop            env.Population
	N, E, D        int64 // agents, entity rows per agent, encoded row width
	ObsLen, EntLen int64 // all agents' observation numbers and entity-mask flags
	Horizon        int64 // the game's episode length (at least 1)
	Enc            *replay.Encoding
	StateLen       int // bytes of one game state (AppendState)
}

// ShapeOf returns the shapes of game (with params) at population pop.
func ShapeOf(game string, params map[string]any, pop env.Population) (PopulationShape, error) {
	g, err := env.Make(game, params, pop)
	if err != nil {
		return PopulationShape{}, err
	}
	spec := g.Spec()
	enc, err := replay.NewEncoding(replay.GameFeatures(spec), spec)
	if err != nil {
		return PopulationShape{}, err
	}
	n := spec.NumAgents()
	_, obs := spec.ObsRange(n - 1)
	_, ent := spec.EntityRange(n - 1)
	return PopulationShape{Pop: pop, N: int64(n), E: int64(enc.E), D: int64(enc.D), ObsLen: int64(obs), EntLen: int64(ent),
		Horizon: int64(max(spec.Horizon, 1)), Enc: enc, StateLen: replay.StateBytes(g)}, nil
}

// ReplayPerTransition returns the replay mode a run's buffer takes for
// this population and its bytes per transition at full capacity. In
// state mode the record ring holds one state per transition and one per
// episode, and grows by 1/8 once past the capacity, so up to 9/8 of that.
func (s PopulationShape) ReplayPerTransition(mode string, latents int) (string, int64) {
	mode = replay.ChooseReplay(mode, s.Enc, latents, s.StateLen)
	obs, states := replay.ReplayBytes(s.Enc, latents, s.StateLen, int(s.Horizon))
	if mode == replay.ModeStates {
		records := float64(s.StateLen) * (1 + 1/float64(s.Horizon))
		return mode, int64(states + records/8 + 1)
	}
	return mode, int64(obs + 1)
}

// FrameBytes is one env.Frame (and as much again for the game's own
// state).
func (s PopulationShape) FrameBytes() int64 {
	return 2 * (s.ObsLen*8 + s.EntLen + s.N*(8+4) + s.N*16)
}

// ActingBytes is the encoded rows of rows agents acting at once with
// latents of width k.
func (s PopulationShape) ActingBytes(rows, k int64) int64 {
	return rows * (s.D*8 + s.E*s.D*8 + s.E + 2*k*8 + 8 + s.E*8)
}

// MulBytes multiplies sizes, saturating instead of overflowing.
func MulBytes(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > (1<<62)/b {
		return 1 << 62
	}
	return a * b
}

// ReplayMemory returns the large allocations of a replay learner's
// training run of schedule sched under setup, at each training population
// in order: the replay buffer at full capacity (it grows to it during a
// run, and never holds more transitions than the run plays), the gradient
// batch, the update's activations (activationPerRow bytes for each entity
// row of a batch: the algorithm's own measured figure), the game copies
// and the acting scratch. It returns the populations' shapes too, for the
// items an algorithm adds of its own. The shared trainer makes the
// buffers, batches, copies and scratch alike for every replay learner, so
// an algorithm's Memory starts from these.
func ReplayMemory(sched Schedule, setup Setup, activationPerRow int64) ([]MemoryItem, []PopulationShape, error) {
	var items []MemoryItem
	var shapes []PopulationShape
	k := int64(sched.Latents)
	for _, pop := range setup.Populations {
		s, err := ShapeOf(setup.Game, setup.Params, pop)
		if err != nil {
			return nil, nil, err
		}
		shapes = append(shapes, s)
		label := pop.String()
		mode, perTransition := s.ReplayPerTransition(sched.Replay, int(k))
		capacity := min(int64(sched.BufferLength), int64(setup.Episodes)*s.Horizon)
		b := int64(sched.BatchSize) * s.N
		p := int64(setup.ParallelEnvs)
		items = append(items,
			MemoryItem{label + ": replay buffer (" + mode + ")", MulBytes(capacity, perTransition)},
			MemoryItem{label + ": gradient batch", MulBytes(b, 2*s.D*8+2*s.E*s.D*8+2*s.E+3*8+1+s.E*8+k*8)},
			MemoryItem{label + ": update activations", MulBytes(b*s.E, activationPerRow)},
			MemoryItem{label + ": game copies", MulBytes(p, 2*s.FrameBytes())},
			MemoryItem{label + ": acting scratch", s.ActingBytes(p*s.N, k)})
	}
	return items, shapes, nil
}
