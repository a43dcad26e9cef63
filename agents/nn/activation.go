package nn

import "math"

// ReLU is the rectified linear unit applied elementwise, y = max(x, 0).
type ReLU struct {
	y, dx []float64
	out   []float64 // the last output: y, or the fused Linear's (see adopt)
}

// NewReLU returns a new ReLU as a Layer, for use with NewMLP.
func NewReLU() Layer { return &ReLU{} }

// Forward returns max(x, 0) elementwise.
//
// Both passes work on the bits rather than branching: half the signs in a
// hidden layer are negative at random, and mispredicted branches made ReLU
// cost a third as much as the matrix products around it.
func (a *ReLU) Forward(x []float64) []float64 {
	a.y = grow(a.y, len(x))
	y := a.y[:len(x)]
	for i, v := range x {
		b := math.Float64bits(v)
		// All ones when the sign bit is set: negatives (and −0) become +0.
		neg := uint64(int64(b) >> 63)
		y[i] = math.Float64frombits(b &^ neg)
	}
	a.out = a.y
	return a.y
}

// adopt records y, computed by a Linear with the ReLU fused into its
// product (mulABtReLU, bit for bit what Forward would return), as the
// last output, so that Backward masks by it.
func (a *ReLU) adopt(y []float64) []float64 {
	a.out = y
	return y
}

// Backward returns dy where the last output was positive and 0 elsewhere.
func (a *ReLU) Backward(dy []float64) []float64 {
	checkLen("ReLU output gradient", len(dy), len(a.out))
	a.dx = grow(a.dx, len(dy))
	dx, y := a.dx[:len(dy)], a.out[:len(dy)]
	for i, g := range dy {
		b := math.Float64bits(y[i])
		// Outputs are +0 or positive: keep dy where the bits are non-zero.
		keep := -((b | -b) >> 63)
		dx[i] = math.Float64frombits(math.Float64bits(g) & keep)
	}
	return a.dx
}

// LeakyReLU is the leaky rectified linear unit applied elementwise:
//
//	y = x if x > 0, Slope·x otherwise.
type LeakyReLU struct {
	Slope float64

	x, y, dx []float64
}

// NewLeakyReLU returns a constructor of LeakyReLU layers with the given
// negative slope, for use with NewMLP.
func NewLeakyReLU(slope float64) func() Layer {
	return func() Layer { return &LeakyReLU{Slope: slope} }
}

// Forward applies the leaky ReLU to x. It keeps a reference to x.
func (a *LeakyReLU) Forward(x []float64) []float64 {
	a.x = x
	a.y = grow(a.y, len(x))
	for i, v := range x {
		if v > 0 {
			a.y[i] = v
		} else {
			a.y[i] = a.Slope * v
		}
	}
	return a.y
}

// Backward returns dy scaled by 1 where the last input was positive and by
// Slope elsewhere.
func (a *LeakyReLU) Backward(dy []float64) []float64 {
	checkLen("LeakyReLU output gradient", len(dy), len(a.x))
	a.dx = grow(a.dx, len(dy))
	for i, v := range a.x {
		if v > 0 {
			a.dx[i] = dy[i]
		} else {
			a.dx[i] = a.Slope * dy[i]
		}
	}
	return a.dx
}

// Tanh is the hyperbolic tangent applied elementwise.
type Tanh struct {
	y, dx []float64
}

// NewTanh returns a new Tanh as a Layer, for use with NewMLP.
func NewTanh() Layer { return &Tanh{} }

// Forward returns tanh(x) elementwise.
func (a *Tanh) Forward(x []float64) []float64 {
	a.y = grow(a.y, len(x))
	for i, v := range x {
		a.y[i] = math.Tanh(v)
	}
	return a.y
}

// Backward returns dy·(1 − y²) elementwise.
func (a *Tanh) Backward(dy []float64) []float64 {
	checkLen("Tanh output gradient", len(dy), len(a.y))
	a.dx = grow(a.dx, len(dy))
	for i, y := range a.y {
		a.dx[i] = dy[i] * (1 - y*y)
	}
	return a.dx
}
