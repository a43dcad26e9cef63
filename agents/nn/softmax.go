package nn

import (
	"fmt"
	"math"
)

// Softmax normalises each row of width N of a batch into probabilities:
//
//	y[r,k] = exp(x[r,k]) / Σ_j exp(x[r,j]).
//
// exp is evaluated in float64 and rounded to T. Softmax is the float64
// instantiation.
type SoftmaxOf[T Float] struct {
	N int

	y, dx []T
}

// Softmax is the float64 softmax (see SoftmaxOf).
type Softmax = SoftmaxOf[float64]

// Forward returns the row-wise softmax of x (rows×N). It panics if len(x)
// is not a multiple of N.
func (s *SoftmaxOf[T]) Forward(x []T) []T {
	checkRows("Softmax", len(x), s.N)
	s.y = grow(s.y, len(x))
	for r := 0; r < len(x); r += s.N {
		softmaxRow(s.y[r:r+s.N], x[r:r+s.N], 1)
	}
	return s.y
}

// Backward returns ∂L/∂x from dy = ∂L/∂y:
//
//	dx[r,k] = y[r,k]·(dy[r,k] − Σ_j y[r,j]·dy[r,j]).
func (s *SoftmaxOf[T]) Backward(dy []T) []T {
	checkLen("Softmax output gradient", len(dy), len(s.y))
	s.dx = grow(s.dx, len(dy))
	for r := 0; r < len(dy); r += s.N {
		softmaxBackwardRow(s.dx[r:r+s.N], s.y[r:r+s.N], dy[r:r+s.N], 1)
	}
	return s.dx
}

// LogSoftmax computes log-probabilities from each row of width N of a
// batch of logits:
//
//	y[r,k] = x[r,k] − log Σ_j exp(x[r,j]).
//
// The log-sum-exp is accumulated in T from float64 exp values, as the
// float64 instantiation LogSoftmax does.
type LogSoftmaxOf[T Float] struct {
	N int

	y, dx []T
}

// LogSoftmax is the float64 log-softmax (see LogSoftmaxOf).
type LogSoftmax = LogSoftmaxOf[float64]

// Forward returns the row-wise log-softmax of x (rows×N). It panics if
// len(x) is not a multiple of N.
func (s *LogSoftmaxOf[T]) Forward(x []T) []T {
	checkRows("LogSoftmax", len(x), s.N)
	s.y = grow(s.y, len(x))
	for r := 0; r < len(x); r += s.N {
		xr, yr := x[r:r+s.N], s.y[r:r+s.N]
		m := T(math.Inf(-1))
		for _, v := range xr {
			m = max(m, v)
		}
		var sum T
		for _, v := range xr {
			sum += T(math.Exp(float64(v - m)))
		}
		lse := m + T(math.Log(float64(sum)))
		for k, v := range xr {
			yr[k] = v - lse
		}
	}
	return s.y
}

// Backward returns ∂L/∂x from dy = ∂L/∂y:
//
//	dx[r,k] = dy[r,k] − exp(y[r,k])·Σ_j dy[r,j].
func (s *LogSoftmaxOf[T]) Backward(dy []T) []T {
	checkLen("LogSoftmax output gradient", len(dy), len(s.y))
	s.dx = grow(s.dx, len(dy))
	for r := 0; r < len(dy); r += s.N {
		var sum T
		for _, v := range dy[r : r+s.N] {
			sum += v
		}
		for k := r; k < r+s.N; k++ {
			s.dx[k] = dy[k] - T(math.Exp(float64(s.y[k])))*sum
		}
	}
	return s.dx
}

// softmaxRow writes softmax(x/temp) into y.
func softmaxRow[T Float](y, x []T, temp T) {
	m := T(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var sum T
	for k, v := range x {
		e := T(math.Exp(float64((v - m) / temp)))
		y[k] = e
		sum += e
	}
	for k := range y {
		y[k] /= sum
	}
}

// softmaxBackwardRow writes into dx the gradient with respect to x of a
// loss through y = softmax(x/temp), given dy = ∂L/∂y.
func softmaxBackwardRow[T Float](dx, y, dy []T, temp T) {
	var dot T
	for k, v := range y {
		dot += v * dy[k]
	}
	for k, v := range y {
		dx[k] = v * (dy[k] - dot) / temp
	}
}

func checkRows(name string, n, width int) {
	if width <= 0 || n == 0 || n%width != 0 {
		panic(fmt.Sprintf("nn: %s input length %d is not a positive multiple of %d", name, n, width))
	}
}
