package nn

import (
	"math"
	"math/rand/v2"
)

// GumbelSoftmax draws straight-through hard Gumbel-softmax samples from
// each row of width N of a batch of logits ℓ. With Gumbel noise
// g_k = −log(−log u_k), u_k ~ U(0, 1), and temperature τ,
//
//	soft = softmax((ℓ + g)/τ)
//	hard = onehot(argmax soft)
//
// Forward returns hard; Backward returns the gradient of the soft sample,
// so the hard one-hot sample is used forward and the relaxed sample's
// gradient backward (the straight-through estimator; MRA samples its latent
// z this way with τ = 1).
//
// The noise is drawn and exp evaluated in float64, then rounded to T.
// GumbelSoftmax is the float64 instantiation.
type GumbelSoftmaxOf[T Float] struct {
	N           int
	Temperature float64

	noise, soft, hard, dx []T
}

// GumbelSoftmax is the float64 Gumbel-softmax sampler (see
// GumbelSoftmaxOf).
type GumbelSoftmax = GumbelSoftmaxOf[float64]

// Forward draws fresh Gumbel noise from rng and returns the hard samples
// (rows×N one-hot rows). It panics if len(logits) is not a multiple of N or
// the temperature is not positive.
func (g *GumbelSoftmaxOf[T]) Forward(rng *rand.Rand, logits []T) []T {
	checkRows("GumbelSoftmax", len(logits), g.N)
	g.noise = grow(g.noise, len(logits))
	for i := range g.noise {
		u := rng.Float64()
		for u == 0 {
			u = rng.Float64()
		}
		g.noise[i] = T(-math.Log(-math.Log(u)))
	}
	return g.ForwardNoise(logits, g.noise)
}

// ForwardNoise is Forward with the Gumbel noise given explicitly (same
// shape as logits), for tests and replays.
func (g *GumbelSoftmaxOf[T]) ForwardNoise(logits, noise []T) []T {
	checkRows("GumbelSoftmax", len(logits), g.N)
	checkLen("GumbelSoftmax noise", len(noise), len(logits))
	if !(g.Temperature > 0) {
		panic("nn: GumbelSoftmax temperature must be positive")
	}
	g.soft = grow(g.soft, len(logits))
	g.hard = grow(g.hard, len(logits))
	for i, v := range logits {
		g.soft[i] = v + noise[i]
	}
	softmaxRows(g.soft, g.soft, g.N, T(g.Temperature))
	for r := 0; r < len(logits); r += g.N {
		h := g.hard[r : r+g.N]
		zero(h)
		h[Argmax(g.soft[r:r+g.N])] = 1
	}
	return g.hard
}

// Soft returns the relaxed samples of the last forward pass (rows×N).
func (g *GumbelSoftmaxOf[T]) Soft() []T { return g.soft }

// Backward returns the straight-through gradient with respect to the
// logits: dy = ∂L/∂hard is passed through the soft sample,
//
//	dℓ[r,k] = soft[r,k]·(dy[r,k] − Σ_j soft[r,j]·dy[r,j]) / τ.
func (g *GumbelSoftmaxOf[T]) Backward(dy []T) []T {
	checkLen("GumbelSoftmax output gradient", len(dy), len(g.soft))
	g.dx = grow(g.dx, len(dy))
	for r := 0; r < len(dy); r += g.N {
		softmaxBackwardRow(g.dx[r:r+g.N], g.soft[r:r+g.N], dy[r:r+g.N], T(g.Temperature))
	}
	return g.dx
}
