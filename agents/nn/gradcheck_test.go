package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// Gradient checks compare analytic gradients with central finite
// differences (gonum diff/fd) element by element: an entry passes if it is
// within gradAbsTol or within gradRelTol relative to the larger magnitude.
const (
	fdStep     = 1e-6
	gradAbsTol = 1e-8
	gradRelTol = 1e-6
)

// numGrad returns the central-difference gradient of loss with respect to
// x, where loss reads x in place. x is restored before returning.
func numGrad(loss func() float64, x []float64) []float64 {
	orig := append([]float64(nil), x...)
	g := fd.Gradient(nil, func(y []float64) float64 {
		copy(x, y)
		return loss()
	}, orig, &fd.Settings{Formula: fd.Central, Step: fdStep})
	copy(x, orig)
	return g
}

// gradMismatch returns the first index at which analytic and numeric
// disagree beyond tolerance, and the relative error there, or −1.
func gradMismatch(analytic, numeric []float64) (int, float64) {
	if len(analytic) != len(numeric) {
		return 0, math.Inf(1)
	}
	for i, a := range analytic {
		n := numeric[i]
		d := math.Abs(a - n)
		if math.IsNaN(a) || math.IsNaN(n) {
			return i, math.NaN()
		}
		if d <= gradAbsTol {
			continue
		}
		if rel := d / math.Max(math.Abs(a), math.Abs(n)); rel > gradRelTol {
			return i, rel
		}
	}
	return -1, 0
}

// checkGrad fails t if analytic is not the gradient of loss with respect to
// x. analytic is copied first, since loss may overwrite layer buffers.
func checkGrad(t *testing.T, what string, loss func() float64, x, analytic []float64) {
	t.Helper()
	a := append([]float64(nil), analytic...)
	num := numGrad(loss, x)
	if i, rel := gradMismatch(a, num); i >= 0 {
		t.Errorf("%s: gradient mismatch at %d of %d: analytic %.12g, numeric %.12g (rel %.3g)",
			what, i, len(a), a[i], num[i], rel)
	}
}

func randn(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// randomMask returns a batch×n presence mask with about a quarter of the
// entities absent; if fullRow is true, the first row is entirely absent.
func randomMask(rng *rand.Rand, batch, n int, fullRow bool) []bool {
	m := make([]bool, batch*n)
	for i := range m {
		m[i] = rng.Float64() > 0.25
	}
	if fullRow {
		for j := range n {
			m[j] = false
		}
	}
	return m
}

// softmaxVec returns a random probability vector of length k per row.
func softZ(rng *rand.Rand, batch, k int) []float64 {
	z := make([]float64, batch*k)
	for b := range batch {
		var s float64
		for h := range k {
			z[b*k+h] = math.Exp(rng.NormFloat64())
			s += z[b*k+h]
		}
		for h := range k {
			z[b*k+h] /= s
		}
	}
	return z
}

func oneHotZ(rng *rand.Rand, batch, k int) []float64 {
	z := make([]float64, batch*k)
	for b := range batch {
		z[b*k+rng.IntN(k)] = 1
	}
	return z
}

// TestGradCheckCatchesErrors shows the gradient check can fail: a gradient
// off by a relative 1e-5 in one entry is reported.
func TestGradCheckCatchesErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := randn(rng, 10)
	loss := func() float64 {
		var s float64
		for i, v := range x {
			s += math.Sin(v) * float64(i+1)
		}
		return s
	}
	grad := make([]float64, len(x))
	for i, v := range x {
		grad[i] = math.Cos(v) * float64(i+1)
	}
	num := numGrad(loss, x)
	if i, rel := gradMismatch(grad, num); i >= 0 {
		t.Fatalf("correct gradient rejected at %d (rel %g)", i, rel)
	}
	for k := range grad {
		bad := append([]float64(nil), grad...)
		bad[k] *= 1 + 1e-5
		if math.Abs(bad[k]-grad[k]) <= gradAbsTol {
			continue
		}
		if i, _ := gradMismatch(bad, num); i != k {
			t.Errorf("corrupted entry %d not caught (got %d)", k, i)
		}
	}
}
