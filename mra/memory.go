package mra

import (
	"fmt"

	"github.com/mrasim/mrasim/agents/learner"
)

// ActivationBytes is the memory of the networks' activations and gradients
// per entity row (an agent row times E) of a forward and backward pass:
// the relation net's key, query and value layers and the attention. It is
// measured, not derived: training resource at N = 12 with batch_size 1024
// (135,168 entity rows per update) peaked at 790 MB of resident memory
// where the other blocks come to 240 MB, and adaptation at N = 64 over
// 1.2 million entity rows at once grew past 5 GB; both are about 4 KiB per
// entity row.
const ActivationBytes = 4 << 10

// PriorActivationBytes is the memory per entity row of MRA's prior and
// classifier update, which runs with two or more training populations
// only: it passes the whole batch of the population being updated through
// the relation net and the classifier's value net on one network instance
// (not in chunks), so its activations add to the chunked updates' and grow
// to the largest population's B·N·E rows. Measured, not derived: resource
// at {12, 24} agents with batch_size 256 (141,312 entity rows at 24 agents)
// held 709 MiB of live heap in that update (a heap profile of the run),
// 5.1 KiB per row; rounded up to 6 KiB. A single-population run never
// makes it, which is why ActivationBytes, calibrated on one, missed it.
const PriorActivationBytes = 6 << 10

// activationScale returns the factor by which a run in precision p scales
// ActivationBytes and PriorActivationBytes, which were measured in
// float64: 1/2 in float32, whose activations and gradients are half as
// wide (the replay, the batches and the acting rows stay float64).
// Measured: a run of `single` on resource at N = 12, batch 1024, 11 update
// cycles, peaked at 737 MiB in float64 and 451 MiB in float32; with the
// other blocks the same in both, that is about 572 and 286 MiB of
// activations.
func activationScale(p string) (num, den int64) {
	if p == PrecisionFloat32 {
		return 1, 2
	}
	return 1, 1
}

// memory implements learner.Algorithm.Memory for mra, single and reptile:
// the replay learner's blocks at each population (learner.ReplayMemory)
// with ActivationBytes per entity row of a batch, and for MRA with two or
// more training populations the prior and classifier update's whole batch
// of the largest population. It is an upper-end estimate of the peak, not
// a measurement.
func memory(s learner.Settings, setup learner.Setup) ([]learner.MemoryItem, error) {
	cfg, ok := ConfigOf(s)
	if !ok {
		return nil, fmt.Errorf("mra: settings of type %T, want mra.Config", s)
	}
	num, den := activationScale(cfg.Precision)
	items, shapes, err := learner.ReplayMemory(cfg.Schedule(), setup, ActivationBytes*num/den)
	if err != nil {
		return nil, err
	}
	if cfg.Algo == AlgoMRA && len(setup.Populations) > 1 {
		var priorRows int64 // the largest population's entity rows of one batch
		for _, sh := range shapes {
			priorRows = max(priorRows, int64(cfg.BatchSize)*sh.N*sh.E)
		}
		items = append(items, learner.MemoryItem{What: "prior and classifier update (whole batch of the largest population)",
			Bytes: learner.MulBytes(priorRows, PriorActivationBytes*num/den)})
	}
	return items, nil
}
