package mappo

import (
	"fmt"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// memory implements learner.Algorithm.Memory: the large allocations of a
// training run, counted from the shapes of the game's encoding at each
// population. They are the round's rollout (every step of the
// parallel_envs copies' episodes, kept until the round's update, ×2 for
// the growth of its slices), the update's per-row scratch, the
// activations of the update's passes over the whole round (one minibatch
// holds all of it by default) and the networks with their gradients and
// Adam moments, in the precision's bytes per number.
func memory(ls learner.Settings, setup learner.Setup) ([]learner.MemoryItem, error) {
	s, ok := ls.(Settings)
	if !ok {
		return nil, fmt.Errorf("mappo: settings of type %T, want mappo.Settings", ls)
	}
	var items []learner.MemoryItem
	var params int64
	h := int64(s.Hidden)
	w := int64(8) // bytes of a network number and of a stored observation number
	if s.Float32() {
		w = 4
	}
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
			s64 := s
			s64.Precision = PrecisionFloat64 // the same shapes in either precision
			l, err := New(s64, f, rand.New(rand.NewPCG(0, 0)))
			if err != nil {
				return nil, err
			}
			for _, m := range l.nets() {
				params += int64(len(m.params.Value))
			}
		}
		n, e, d := int64(enc.N), int64(enc.E), int64(enc.D)
		rows := int64(max(setup.ParallelEnvs, 1)) * n * int64(max(spec.Horizon, 1))
		label := pop.String()
		// self, entities, presence, action, log-probability, reward, played.
		items = append(items, learner.MemoryItem{What: label + ": rollout of a round", Bytes: 2 * rows * (d*w + e*d*w + e + 8 + 8 + 8 + 1)})
		// old values, advantages, returns, targets, minibatch rows and order.
		items = append(items, learner.MemoryItem{What: label + ": update scratch", Bytes: rows * (4*8 + 8 + 8)})
		// Per agent row: the entity embeddings' hidden layers and outputs
		// forward and backward with the pooling's weights, and the self
		// embedding and head layers likewise; ×2 because they are made
		// afresh by every pass and the collector lets garbage grow to the
		// live heap (GOGC 100) before it reclaims it. Measured (the test's run:
		// resource at N = 12, 32 copies, hidden 64): the heap grew by
		// 729 MiB at its peak, against 330 MiB counted with the
		// activations once and 623 MiB with them twice.
		items = append(items, learner.MemoryItem{What: label + ": update activations", Bytes: 2 * rows * (e*h*w*6 + h*w*12)})
	}
	// Values, gradients and Adam's two moments.
	items = append(items, learner.MemoryItem{What: "networks and Adam state", Bytes: params * w * 4})
	return items, nil
}
