package mra

import (
	"github.com/mrasim/mrasim/agents/replay"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/particle"
)

// tinyConfig is the gradient checks' network: Hidden 4, HeadDim 2,
// ValueDim 3, K 3, batch 3, K' 2.
func tinyConfig() Config {
	c := DefaultConfig()
	c.Hidden, c.HeadDim, c.ValueDim, c.Latents, c.CriticKey = 4, 2, 3, 3, 2
	c.BatchSize, c.BufferLength, c.Resamples = 3, 3, 2
	return c
}

// testModel builds a model for spec with perturbed parameters (non-zero
// biases) and targets that differ from the online networks.
func testModel(t testing.TB, cfg Config, spec *env.Spec, games int, seed uint64) (*Model, *replay.Encoding) {
	t.Helper()
	f := replay.GameFeatures(spec)
	enc, err := replay.NewEncoding(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	var descs [][]float64
	for g := range games {
		d := replay.Descriptor(spec.Population)
		d[0] += float64(g) / 10
		descs = append(descs, d)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	m, err := NewModel(cfg, f, descs, rng)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.params {
		m.params[i] += 0.2 * rng.NormFloat64()
	}
	// Positive biases keep most ReLUs of the tiny networks alive.
	for g := range numGroups {
		for _, s := range m.layout[g] {
			for i := range s.Bias(m.params) {
				s.Bias(m.params)[i] += 0.3
			}
		}
	}
	for i := range m.target {
		m.target[i] = m.params[i] + 0.2*rng.NormFloat64()
	}
	return m, enc
}

// spanOf returns group g's part of v.
func (m *ModelOf[T]) spanOf(g int, v []T) []T { return v[m.groups[g].lo:m.groups[g].hi] }
