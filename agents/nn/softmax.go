package nn

import (
	"fmt"
	"math"
)

// Softmax normalises each row of width N of a batch into probabilities:
//
//	y[r,k] = exp(x[r,k]) / Σ_j exp(x[r,j]).
type Softmax struct {
	N int

	y, dx []float64
}

// Forward returns the row-wise softmax of x (rows×N). It panics if len(x)
// is not a multiple of N.
func (s *Softmax) Forward(x []float64) []float64 {
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
func (s *Softmax) Backward(dy []float64) []float64 {
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
type LogSoftmax struct {
	N int

	y, dx []float64
}

// Forward returns the row-wise log-softmax of x (rows×N). It panics if
// len(x) is not a multiple of N.
func (s *LogSoftmax) Forward(x []float64) []float64 {
	checkRows("LogSoftmax", len(x), s.N)
	s.y = grow(s.y, len(x))
	for r := 0; r < len(x); r += s.N {
		xr, yr := x[r:r+s.N], s.y[r:r+s.N]
		m := math.Inf(-1)
		for _, v := range xr {
			m = max(m, v)
		}
		var sum float64
		for _, v := range xr {
			sum += math.Exp(v - m)
		}
		lse := m + math.Log(sum)
		for k, v := range xr {
			yr[k] = v - lse
		}
	}
	return s.y
}

// Backward returns ∂L/∂x from dy = ∂L/∂y:
//
//	dx[r,k] = dy[r,k] − exp(y[r,k])·Σ_j dy[r,j].
func (s *LogSoftmax) Backward(dy []float64) []float64 {
	checkLen("LogSoftmax output gradient", len(dy), len(s.y))
	s.dx = grow(s.dx, len(dy))
	for r := 0; r < len(dy); r += s.N {
		var sum float64
		for _, v := range dy[r : r+s.N] {
			sum += v
		}
		for k := r; k < r+s.N; k++ {
			s.dx[k] = dy[k] - math.Exp(s.y[k])*sum
		}
	}
	return s.dx
}

// softmaxRow writes softmax(x/temp) into y.
func softmaxRow(y, x []float64, temp float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	for k, v := range x {
		e := math.Exp((v - m) / temp)
		y[k] = e
		sum += e
	}
	for k := range y {
		y[k] /= sum
	}
}

// softmaxBackwardRow writes into dx the gradient with respect to x of a
// loss through y = softmax(x/temp), given dy = ∂L/∂y.
func softmaxBackwardRow(dx, y, dy []float64, temp float64) {
	var dot float64
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
