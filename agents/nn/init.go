package nn

import (
	"math"
	"math/rand/v2"
)

// The initialisers below fill the weights of every segment of l inside p
// from rng, in layout order, and set biases to zero. For a segment with
// fan-in = Cols and fan-out = Rows they draw:
//
//	XavierNormal:  W ~ N(0, 2/(fanIn+fanOut))
//	XavierUniform: W ~ U(−a, a), a = √(6/(fanIn+fanOut))
//	HeNormal:      W ~ N(0, 2/fanIn)
//	HeUniform:     W ~ U(−a, a), a = √(6/fanIn)
//
// References: Glorot & Bengio (2010), He et al. (2015). MRA's code uses
// XavierNormal with zero biases for its relation net.

// XavierNormal initialises p with Glorot normal weights and zero biases.
func XavierNormal(rng *rand.Rand, p []float64, l Layout) {
	initLayout(p, l, func(s Segment, w []float64) {
		std := math.Sqrt(2 / float64(s.Rows+s.Cols))
		for i := range w {
			w[i] = std * rng.NormFloat64()
		}
	})
}

// XavierUniform initialises p with Glorot uniform weights and zero biases.
func XavierUniform(rng *rand.Rand, p []float64, l Layout) {
	initLayout(p, l, func(s Segment, w []float64) {
		a := math.Sqrt(6 / float64(s.Rows+s.Cols))
		for i := range w {
			w[i] = a * (2*rng.Float64() - 1)
		}
	})
}

// HeNormal initialises p with He (Kaiming) normal weights and zero biases.
func HeNormal(rng *rand.Rand, p []float64, l Layout) {
	initLayout(p, l, func(s Segment, w []float64) {
		std := math.Sqrt(2 / float64(s.Cols))
		for i := range w {
			w[i] = std * rng.NormFloat64()
		}
	})
}

// HeUniform initialises p with He (Kaiming) uniform weights and zero
// biases.
func HeUniform(rng *rand.Rand, p []float64, l Layout) {
	initLayout(p, l, func(s Segment, w []float64) {
		a := math.Sqrt(6 / float64(s.Cols))
		for i := range w {
			w[i] = a * (2*rng.Float64() - 1)
		}
	})
}

func initLayout(p []float64, l Layout, fill func(Segment, []float64)) {
	if l.Len() > len(p) {
		panic("nn: layout longer than parameter vector")
	}
	for _, s := range l.Layers {
		fill(s, s.Weights(p))
		zero(s.Bias(p))
	}
}
