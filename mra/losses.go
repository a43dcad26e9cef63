package mra

import "math"

// logSumExp returns log Σ_k exp(x_k), computed stably; −Inf for an empty x.
func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// crossEntropy returns −log softmax(logits)[target] and writes the gradient
// softmax(logits) − onehot(target), scaled by scale, into grad.
func crossEntropy(logits []float64, target int, scale float64, grad []float64) float64 {
	lse := logSumExp(logits)
	for k, v := range logits {
		grad[k] = math.Exp(v-lse) * scale
	}
	grad[target] -= scale
	return lse - logits[target]
}
