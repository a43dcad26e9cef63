package mra

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/chunk"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
)

// The prior p_ψ(z | m) over the K latent modes of a game with descriptor m
// (per-type counts / 10, see Descriptor):
//
//	ℓ = Linear(3, K)(ReLU(Linear(H, 3)(m)))
//	p(z | m) = softmax(ℓ / PriorTemperature)        (official temperature 4)
//
// Latents are drawn independently per agent with straight-through hard
// Gumbel-softmax at temperature 1 on the logits ℓ / PriorTemperature, which
// samples z exactly from p(z | m).

// priorLogits returns ℓ(m) / PriorTemperature (K) through the main
// goroutine's prior network, whose cache serves a following backward.
func (m *ModelOf[T]) priorLogits(desc []float64) []T {
	if len(desc) != len(m.f.Types) {
		panic(fmt.Sprintf("mra: descriptor of length %d, want one entry per type (%d)", len(desc), len(m.f.Types)))
	}
	m.desc = chunk.Grow(m.desc, len(desc))
	chunk.Convert(m.desc, desc)
	l := m.proto.prior.Forward(m.desc)
	m.scratch = chunk.Grow(m.scratch, len(l))
	temp := T(m.cfg.PriorTemperature)
	for k, v := range l {
		m.scratch[k] = v / temp
	}
	return m.scratch
}

// Prior writes p(z | m) for descriptor desc into dst (length K). It panics
// if a length is wrong.
func (m *ModelOf[T]) Prior(desc, dst []float64) {
	if len(dst) != m.cfg.Latents {
		panic(fmt.Sprintf("mra: Prior into %d entries, want K = %d", len(dst), m.cfg.Latents))
	}
	nn.SoftmaxInto(dst, m.priorLogits(desc))
}

// SampleLatents fills z (N×K, one row per agent) with one-hot latents drawn
// independently from p(z | m) for descriptor desc, by hard Gumbel-softmax
// (K uniforms from rng per row, in row order). The official code draws one
// latent per agent per episode, shared by the episode's parallel copies.
// It panics if len(z) is not a positive multiple of K.
func (m *ModelOf[T]) SampleLatents(desc []float64, rng *rand.Rand, z []float64) {
	k := m.cfg.Latents
	if len(z) == 0 || len(z)%k != 0 {
		panic(fmt.Sprintf("mra: SampleLatents into %d entries, not a positive multiple of K = %d", len(z), k))
	}
	chunk.Widen(z, m.sampleLatents(desc, rng, len(z)/k))
}

// sampleLatents draws n latents from p(z | desc) through m.gumbel and
// returns the hard samples (n×K, owned by m.gumbel); m.gumbel.Backward
// gives the straight-through gradient with respect to the repeated logits.
func (m *ModelOf[T]) sampleLatents(desc []float64, rng *rand.Rand, n int) []T {
	l := m.priorLogits(desc)
	k := len(l)
	m.latent.logits = chunk.Grow(m.latent.logits, n*k)
	for i := range n {
		copy(m.latent.logits[i*k:(i+1)*k], l)
	}
	if noise := m.inj.gumbel(n * k); noise != nil {
		m.latent.noise = chunk.Grow(m.latent.noise, len(noise))
		chunk.Convert(m.latent.noise, noise)
		return m.gumbel.ForwardNoise(m.latent.logits, m.latent.noise)
	}
	return m.gumbel.Forward(rng, m.latent.logits)
}

// latentScratch holds the main goroutine's latents for the relation and
// prior updates.
type latentScratch[T nn.Float] struct {
	logits []T // n×K repeated prior logits
	noise  []T // n×K recorded Gumbel noise (testing seam)
	z0     []T // N×K: the latents z_i of the update
	zk     []T // K'×N×K: the resampled latents z_{k,i}
	dz     []T // N×K: ∂L/∂z summed over the batch
	dl     []T // K: ∂L/∂ℓ
}
