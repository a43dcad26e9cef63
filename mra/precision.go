package mra

import (
	"github.com/mrasim/mrasim/agents/replay"
	"math/rand/v2"
)

// The float32 training path. ModelOf is one source for both
// precisions; the trainer holds whichever Config.Precision asks for
// through trainable, and everything outside training (evaluation, the
// league, best responses, adaptation) works on float64 models: a float32
// run's networks are converted exactly by ModelOf.Float64 when they are
// loaded (LoadModel) or asked for (TrainedModel).

// trainable is what MRA's trainee asks of its model, in either precision.
type trainable interface {
	Close()
	Err() error
	AppendState(b []byte) []byte
	SetState(data []byte) error
	Params(dst []float64) []float64
	SetParams(p []float64) error
	SyncTargets()
	clearOptimizers()
	SampleLatents(desc []float64, rng *rand.Rand, z []float64)
	Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, z []float64, rng *rand.Rand, actions []int, graph []float64)
	UpdateCritic(b *replay.Batch) float64
	UpdatePolicies(b *replay.Batch) (loss, entropy float64)
	UpdateRelation(b *replay.Batch, desc []float64, rng *rand.Rand) float64
	UpdatePrior(b *replay.Batch, game int, rng *rand.Rand) float64
	Stats() UpdateStats
	Prior(desc, dst []float64)
	Float64() (*Model, error)
}

// newTrainable builds MRA's model in the precision cfg names (see NewModel).
func newTrainable(cfg Config, f replay.Features, games [][]float64, rng *rand.Rand) (trainable, error) {
	if cfg.precision() == PrecisionFloat32 {
		m, err := NewModelOf[float32](cfg, f, games, rng)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return m, nil
	}
	m, err := NewModelOf[float64](cfg, f, games, rng)
	if err != nil {
		return nil, err
	}
	return m, nil
}
