package maddpg

import (
	"github.com/mrasim/mrasim/agents/learner"
)

// ActivationBytes is the memory of MADDPG's activations and gradients per
// entity row (an agent row times E) of a batch, in the update's forward
// and backward passes of the attention critic (online and target) and the
// actors. Measured, not derived: resource at N = 12 with batch_size 1024
// (135,168 entity rows per update) grew the heap by 496 MB at its peak
// where the other blocks come to 65 MB, and with batch_size 512 by 252 MB
// against 35 MB: about 3.2 KiB per entity row both times, rounded up to
// 4 KiB (TestMemoryEstimateMatchesPeakHeap checks it).
const ActivationBytes = 4 << 10

// memory implements learner.Algorithm.Memory: the replay learner's blocks
// at each training population (learner.ReplayMemory: replay buffer at
// capacity, gradient batch, game copies, acting scratch) with
// ActivationBytes per entity row of a batch. It is an upper-end estimate
// of the peak, not a measurement.
func memory(s learner.Settings, setup learner.Setup) ([]learner.MemoryItem, error) {
	a, err := settingsOf(s)
	if err != nil {
		return nil, err
	}
	items, _, err := learner.ReplayMemory(a.Schedule(), setup, ActivationBytes)
	return items, err
}
