package nn

import (
	"fmt"
	"math"
)

// Softmax normalises each row of width N of a batch into probabilities:
//
//	y[r,k] = exp(x[r,k]) / Σ_j exp(x[r,j]).
//
// In float64 exp is math.Exp; in float32 it is the vector exp of vec.go
// where the CPU has SIMD (math.Exp rounded to float32 elsewhere). Softmax
// is the float64 instantiation.
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
	softmaxRows(s.y, x, s.N, 1)
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
// The log-sum-exp is accumulated in T from exp values: math.Exp in
// float64, the vector exp of vec.go in float32 where the CPU has SIMD.
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
	// y = x − max_r, exponentiated over the whole batch at once (one
	// vector pass in float32), then per row the log-sum-exp in order.
	for r := 0; r < len(x); r += s.N {
		xr, yr := x[r:r+s.N], s.y[r:r+s.N]
		m := rowMax(xr)
		for k, v := range xr {
			yr[k] = v - m
		}
	}
	expShift(s.y, 0)
	for r := 0; r < len(x); r += s.N {
		xr, yr := x[r:r+s.N], s.y[r:r+s.N]
		var sum T
		for _, e := range yr {
			sum += e
		}
		lse := rowMax(xr) + T(math.Log(float64(sum)))
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
	copy(s.dx, s.y)
	expShift(s.dx, 0) // exp(y), over the whole batch
	for r := 0; r < len(dy); r += s.N {
		var sum T
		for _, v := range dy[r : r+s.N] {
			sum += v
		}
		for k := r; k < r+s.N; k++ {
			s.dx[k] = dy[k] - s.dx[k]*sum
		}
	}
	return s.dx
}

// softmaxRows writes softmax(x/temp) of each row of width n of x into y
// (which may be x): the shifted, scaled logits are exponentiated over the
// whole buffer at once (one vector pass in float32), then each row is
// summed in order and divided by its sum.
func softmaxRows[T Float](y, x []T, n int, temp T) {
	for r := 0; r < len(x); r += n {
		xr, yr := x[r:r+n], y[r:r+n]
		m := rowMax(xr)
		for k, v := range xr {
			yr[k] = (v - m) / temp
		}
	}
	expShift(y[:len(x)], 0)
	for r := 0; r < len(x); r += n {
		yr := y[r : r+n]
		var sum T
		for _, e := range yr {
			sum += e
		}
		for k := range yr {
			yr[k] /= sum
		}
	}
}

// rowMax returns the largest element of x (−Inf for none, NaN if any is).
func rowMax[T Float](x []T) T {
	m := T(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	return m
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

// SoftmaxInto writes softmax(l) into dst (same length) in float64,
// whatever l's element type: the exact action or latent distribution the
// algorithms sample from and report.
func SoftmaxInto[T Float](dst []float64, l []T) {
	mx := math.Inf(-1)
	for _, v := range l {
		mx = max(mx, float64(v))
	}
	var sum float64
	for j, v := range l {
		dst[j] = math.Exp(float64(v) - mx)
		sum += dst[j]
	}
	for j := range dst {
		dst[j] /= sum
	}
}
