package maddpg

import (
	"fmt"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// activationBytes is the memory of MADDPG's update activations and
// gradients per entity row of a batch (B·N·E rows): every chunk's
// critic, with its two embedding instances and the attention over the
// other agents' (observation, action) rows, and the actors, forward and
// backward, for the online and target networks. Measured, not derived:
// resource at N = 12 alone (E = 11), batch_size 1024 (135,168 entity rows
// per update), 120 episodes, peaked at 505 MiB resident (479 MiB of heap
// by the collector's trace); with 3 KiB per row the estimate is 588 MiB
// (the command's 128 MiB allowance included), with 2 KiB it would be
// 456 MiB, below the measurement.
const activationBytes = 3 << 10

// memory implements learner.Algorithm.Memory: the large allocations of a
// training run, from the shapes of the game's encoding at each training
// population. They are each population's replay buffer at the capacity
// the run reaches, its gradient batch and its update's activations, and
// the networks: values, gradients, targets, Adam's two moments and the
// chunks' gradients, once with sharing = "shared" and once per training
// population with "per_population". The activations are counted at every
// population: a per-population learner keeps each set's workers, while
// the shared one reuses the largest population's, so for it the sum is an
// upper end.
func memory(ls learner.Settings, setup learner.Setup) ([]learner.MemoryItem, error) {
	cfg, err := settingsOf(ls)
	if err != nil {
		return nil, err
	}
	var items []learner.MemoryItem
	var params int64
	for _, pop := range setup.Populations {
		g, err := env.Make(setup.Game, setup.Params, pop)
		if err != nil {
			return nil, err
		}
		spec := g.Spec()
		f := replay.GameFeatures(spec)
		enc, err := replay.NewEncoding(f, spec)
		if err != nil {
			return nil, err
		}
		if params == 0 {
			m, err := NewMADDPG(cfg, f, rand.New(rand.NewPCG(0, 0)))
			if err != nil {
				return nil, err
			}
			params = int64(m.ParamCount())
		}
		label := pop.String()
		horizon := max(spec.Horizon, 1)
		stateLen := replay.StateBytes(g)
		mode := replay.ChooseReplay(cfg.Replay, enc, 1, stateLen)
		obs, states := replay.ReplayBytes(enc, 1, stateLen, horizon)
		perTransition := obs + 1
		if mode == replay.ModeStates {
			// One state per transition and one per episode, the ring
			// growing by 1/8 past its capacity.
			perTransition = states + float64(stateLen)*(1+1/float64(horizon))/8 + 1
		}
		capacity := min(int64(cfg.BufferLength), int64(setup.Episodes)*int64(horizon))
		items = append(items, learner.MemoryItem{What: fmt.Sprintf("%s: replay buffer (%s)", label, mode), Bytes: int64(float64(capacity) * perTransition)})
		n, e, d := int64(enc.N), int64(enc.E), int64(enc.D)
		b := int64(cfg.BatchSize) * n
		items = append(items, learner.MemoryItem{What: label + ": gradient batch", Bytes: b * (2*d*8 + 2*e*d*8 + 2*e + 3*8 + 1 + e*8 + 8)})
		items = append(items, learner.MemoryItem{What: label + ": update activations", Bytes: b * e * activationBytes})
	}
	sets := int64(1)
	what := "networks (shared by the populations)"
	if cfg.Sharing == SharingPerPopulation {
		sets = int64(len(setup.Populations))
		what = fmt.Sprintf("networks (%d sets, one per population)", sets)
	}
	items = append(items, learner.MemoryItem{What: what + ": values, gradients, targets, Adam moments and chunk gradients", Bytes: sets * params * 8 * (5 + chunk.Count)})
	return items, nil
}
