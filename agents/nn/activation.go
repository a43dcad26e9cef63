package nn

import (
	"math"
	"unsafe"
)

// ReLUOf is the rectified linear unit applied elementwise, y = max(x, 0),
// over element type T; ReLU is its float64 instantiation.
type ReLUOf[T Float] struct {
	y, dx []T
	out   []T // the last output: y, or the fused Linear's (see adopt)
}

// ReLU is the float64 rectified linear unit (see ReLUOf).
type ReLU = ReLUOf[float64]

// NewReLU returns a new ReLU as a Layer, for use with NewMLP.
func NewReLU() Layer { return &ReLU{} }

// NewReLUOf returns a new ReLUOf[T] as a LayerOf[T], for use with
// NewMLPOf.
func NewReLUOf[T Float]() LayerOf[T] { return &ReLUOf[T]{} }

// Forward returns max(x, 0) elementwise.
//
// Both passes work on the bits rather than branching: half the signs in a
// hidden layer are negative at random, and mispredicted branches made ReLU
// cost a third as much as the matrix products around it.
func (a *ReLUOf[T]) Forward(x []T) []T {
	a.y = grow(a.y, len(x))
	reluInto(a.y[:len(x)], x)
	a.out = a.y
	return a.y
}

// adopt records y, computed by a Linear with the ReLU fused into its
// product (mulABtReLU, bit for bit what Forward would return), as the
// last output, so that Backward masks by it.
func (a *ReLUOf[T]) adopt(y []T) []T {
	a.out = y
	return y
}

// Backward returns dy where the last output was positive and 0 elsewhere.
func (a *ReLUOf[T]) Backward(dy []T) []T {
	checkLen("ReLU output gradient", len(dy), len(a.out))
	a.dx = grow(a.dx, len(dy))
	reluMask(a.dx[:len(dy)], dy, a.out[:len(dy)])
	return a.dx
}

// reluInto sets dst[i] = max(src[i], 0) by the sign bit: every value with
// its sign bit set (negatives, −0, negative NaNs) becomes +0, everything
// else is kept. dst and src have the same length and may be the same.
// The SIMD kernels (vec.go) give the Go loop's bits.
func reluInto[T Float](dst, src []T) {
	done := simdReLU(dst[:len(src)], src)
	reluGo(dst[done:len(src)], src[done:])
}

// reluMask sets dx[i] = dy[i] where y[i] ≠ +0 and +0 elsewhere, for the
// outputs y of reluInto (+0 or positive).
func reluMask[T Float](dx, dy, y []T) {
	done := simdReLUMask(dx[:len(dy)], dy, y[:len(dy)])
	reluMaskGo(dx[done:len(dy)], dy[done:], y[done:len(dy)])
}

// bits32 and bits64 view a float slice as its bit patterns (the caller
// has checked the element size).
func bits32[T Float](s []T) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func bits64[T Float](s []T) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
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
