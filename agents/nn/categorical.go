package nn

import (
	"math"
	"math/rand/v2"
)

// Sample draws an index k with probability p[k] from the categorical
// distribution p, using one uniform variate from rng. p must be
// non-negative and sum to 1; if rounding leaves the cumulative sum short of
// the variate, the last index with positive probability is returned. It
// panics if p is empty.
func Sample[T Float](rng *rand.Rand, p []T) int {
	if len(p) == 0 {
		panic("nn: Sample from an empty distribution")
	}
	u := rng.Float64()
	var cum T
	last := 0
	for k, v := range p {
		if v > 0 {
			last = k
		}
		cum += v
		if u < float64(cum) {
			return k
		}
	}
	return last
}

// Argmax returns the index of the largest element of x, the first one on
// ties. It panics if x is empty.
func Argmax[T Float](x []T) int {
	if len(x) == 0 {
		panic("nn: Argmax of an empty slice")
	}
	best := 0
	for k, v := range x {
		if v > x[best] {
			best = k
		}
	}
	return best
}

// Entropy returns the entropy of the categorical distribution with
// log-probabilities logp,
//
//	H = −Σ_k p_k·log p_k,  p_k = exp(logp_k),
//
// with 0·log 0 taken as 0. It is accumulated in float64 for either
// element type.
func Entropy[T Float](logp []T) float64 {
	var h float64
	for _, lp := range logp {
		if p := math.Exp(float64(lp)); p > 0 {
			h -= p * float64(lp)
		}
	}
	return h
}

// EntropyGrad writes into dst the gradient of Entropy(logp) with respect to
// the logits from which logp = LogSoftmax(logits) was computed:
//
//	∂H/∂logits_k = −p_k·(logp_k + H).
//
// It panics if the lengths differ.
func EntropyGrad[T Float](dst, logp []T) {
	checkLen("EntropyGrad dst", len(dst), len(logp))
	h := Entropy(logp)
	for k, lp := range logp {
		p := math.Exp(float64(lp))
		if p > 0 {
			dst[k] = T(-p * (float64(lp) + h))
		} else {
			dst[k] = 0
		}
	}
}

// LogProbGrad writes into dst the gradient of log p_a = logp[a] with
// respect to the logits from which logp = LogSoftmax(logits) was computed:
//
//	∂log p_a/∂logits_k = [k = a] − p_k.
//
// It panics if the lengths differ or a is out of range.
func LogProbGrad[T Float](dst, logp []T, a int) {
	checkLen("LogProbGrad dst", len(dst), len(logp))
	_ = logp[a]
	for k, lp := range logp {
		dst[k] = -T(math.Exp(float64(lp)))
	}
	dst[a]++
}
