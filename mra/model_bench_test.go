package mra

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents/nn"
)

// cycleFlops counts the matrix-multiply FLOPs of one official update cycle
// (10 × (critic + policy update), 1 relation update, 1 prior update) for
// batch size bs, n agents of one type with e entity rows each, row width d
// and max actions a. A Linear layer in→out on r rows costs 2·r·in·out
// forward and 4·r·in·out backward (input and weight gradients); biases,
// activations, attention, head mixing, aggregation, softmax and Adam are
// not counted.
func cycleFlops(c Config, bs, n, e, d, a, games int) float64 {
	r, re := float64(bs*n), float64(bs*n*e)
	mlp := func(rows float64, sizes ...int) float64 { // forward FLOPs
		var f float64
		for i := 0; i+1 < len(sizes); i++ {
			f += 2 * rows * float64(sizes[i]*sizes[i+1])
		}
		return f
	}
	h, v, ck, k, hd := c.Hidden, c.ValueDim, c.CriticKey, c.Latents, c.HeadDim
	critic := mlp(r, d, ck, 2*ck) + mlp(re, d, ck, 2*ck) + mlp(re, d, h, v) +
		2*mlp(r, v+a, h, ck) + mlp(r, 2*ck, a)
	policy := mlp(re, d, h, v) + mlp(r, v, h, a)
	relation := mlp(r, d, h, k*hd) + mlp(re, d, h, k*hd)
	nl := float64(1 + c.Resamples)

	criticUpdate := policy + critic + 3*critic // π⁻ and Q⁻ forward; Q forward+backward
	policyUpdate := 3*policy + critic          // π forward+backward; Q forward
	relationUpdate := 3*relation + policy +    // φ forward+backward; π forward for a*
		mlp(re, d, h, v) + 3*nl*mlp(r, v, h, a) // π⁻ values once; heads per latent, fwd+bwd
	priorUpdate := 3*relation + mlp(re, d, h, v) + 3*mlp(r, v+k, classifierHidden, games)
	if c.RecomputeNextGraph {
		criticUpdate += relation // g' = g_φ(o', z), forward
	}
	return float64(c.NumUpdates)*(criticUpdate+policyUpdate) + relationUpdate + priorUpdate
}

// BenchmarkUpdateCycle times one official update cycle on MRA's resource
// occupation game (6 resources): 10 × (UpdateCritic + UpdatePolicies),
// UpdateRelation, SyncTargets, UpdatePrior, batch 1024, default networks,
// 4 training games, in float64 and float32 (Config.Precision) on the same
// parameters. GFLOP/s counts the matmuls of cycleFlops.
func BenchmarkUpdateCycle(b *testing.B) {
	for _, n := range []int{3, 6} {
		for _, precision := range []string{PrecisionFloat64, PrecisionFloat32} {
			b.Run(fmt.Sprintf("n=%d/%s", n, precision), func(b *testing.B) {
				cfg := DefaultConfig()
				m64, m32, enc := pairModels(b, cfg, learnertest.ResourceSpec(b, n), 4, 1)
				batch := learnertest.RandomBatch(rand.New(rand.NewPCG(2, 2)), enc, cfg.BatchSize, cfg.Latents)
				for i := range batch.Mask {
					batch.Mask[i], batch.NextMask[i] = true, true
				}
				for r := range batch.Alive {
					batch.Alive[r] = true
				}
				if precision == PrecisionFloat32 {
					m64.Close()
					benchCycle(b, m32, batch, enc, n)
				} else {
					m32.Close()
					benchCycle(b, m64, batch, enc, n)
				}
			})
		}
	}
}

// benchCycle times update cycles of m on batch.
func benchCycle[T nn.Float](b *testing.B, m *ModelOf[T], batch *replay.Batch, enc *replay.Encoding, n int) {
	cfg := m.cfg
	rng := rand.New(rand.NewPCG(3, 3))
	run := func() {
		for range cfg.NumUpdates {
			m.UpdateCritic(batch)
			m.UpdatePolicies(batch)
		}
		m.UpdateRelation(batch, m.games[0], rng)
		m.SyncTargets()
		m.UpdatePrior(batch, 0, rng)
	}
	run()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		run()
	}
	b.StopTimer()
	if m.Err() != nil {
		b.Fatal(m.Err())
	}
	fl := cycleFlops(cfg, cfg.BatchSize, n, enc.E, enc.D, enc.A, 4)
	b.ReportMetric(fl/1e9, "GFLOP/cycle")
	b.ReportMetric(fl*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	m.Close()
}
