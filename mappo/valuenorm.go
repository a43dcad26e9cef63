package mappo

import (
	"math"
)

// valueNorm is the running normalisation of the value targets of the
// MAPPO reference code: debiased exponential moving averages (rate
// 1 − 1e-5 per batch) of the returns' mean and mean square, with the
// variance floored at 1e-2.
type valueNorm struct {
	mean, meanSq, debias float64
}

const (
	valueNormBeta = 0.99999
	valueNormEps  = 1e-5
)

func newValueNorm() valueNorm { return valueNorm{} }

func (v *valueNorm) update(x []float64) {
	var m, sq float64
	for _, r := range x {
		m += r
		sq += r * r
	}
	m /= float64(len(x))
	sq /= float64(len(x))
	v.mean = valueNormBeta*v.mean + (1-valueNormBeta)*m
	v.meanSq = valueNormBeta*v.meanSq + (1-valueNormBeta)*sq
	v.debias = valueNormBeta*v.debias + (1 - valueNormBeta)
}

func (v *valueNorm) stats() (mean, sd float64) {
	if v.debias == 0 {
		return 0, 1
	}
	d := max(v.debias, valueNormEps)
	mean = v.mean / d
	return mean, math.Sqrt(max(v.meanSq/d-mean*mean, 1e-2))
}

func (v *valueNorm) norm(x float64) float64 {
	m, sd := v.stats()
	return (x - m) / sd
}

func (v *valueNorm) denorm(y float64) float64 {
	m, sd := v.stats()
	return y*sd + m
}
