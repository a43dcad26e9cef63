package mra

import (
	"math"

	"github.com/mrasim/mrasim/agents/nn"
)

// logSumExp returns log Σ_k exp(x_k), computed stably; −Inf for an empty x.
func logSumExp[T nn.Float](x []T) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, float64(v))
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// crossEntropy returns −log softmax(logits)[target] and writes the gradient
// softmax(logits) − onehot(target), scaled by scale, into grad.
func crossEntropy[T nn.Float](logits []T, target int, scale float64, grad []T) float64 {
	lse := logSumExp(logits)
	for k, v := range logits {
		grad[k] = T(math.Exp(float64(v)-lse) * scale)
	}
	grad[target] -= T(scale)
	return lse - float64(logits[target])
}
