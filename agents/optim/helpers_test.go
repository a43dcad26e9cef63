package optim_test

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// quadratic is f(θ) = ½θᵀAθ − bᵀθ with a dense symmetric A.
type quadratic struct {
	d int
	a []float64 // row-major d×d
	b []float64
}

// randSPD returns a quadratic whose A = QᵀDQ-like SPD matrix has eigenvalues
// spread in [lo, hi] (built as MᵀM/d scaled plus lo·I).
func randQuadratic(d int, lo, hi float64, rng *rand.Rand) *quadratic {
	m := make([]float64, d*d)
	for i := range m {
		m[i] = rng.NormFloat64()
	}
	M := mat.NewDense(d, d, m)
	var S mat.SymDense
	S.SymOuterK(1, M) // M Mᵀ
	var eig mat.EigenSym
	eig.Factorize(&S, false)
	vals := eig.Values(nil)
	top := vals[len(vals)-1]
	q := &quadratic{d: d, a: make([]float64, d*d), b: make([]float64, d)}
	for i := range d {
		for j := range d {
			v := S.At(i, j) / top * (hi - lo)
			if i == j {
				v += lo
			}
			q.a[i*d+j] = v
		}
		q.b[i] = rng.NormFloat64()
	}
	return q
}

func (q *quadratic) grad(theta, g []float64) float64 {
	var f float64
	for i := range q.d {
		var s float64
		row := q.a[i*q.d : (i+1)*q.d]
		for j, t := range theta {
			s += row[j] * t
		}
		g[i] = s - q.b[i]
		f += theta[i] * (0.5*s - q.b[i])
	}
	return f
}

func (q *quadratic) loss(theta []float64) float64 {
	g := make([]float64, q.d)
	return q.grad(theta, g)
}

func (q *quadratic) hvp(_, v, dst []float64) {
	for i := range q.d {
		var s float64
		for j, x := range v {
			s += q.a[i*q.d+j] * x
		}
		dst[i] = s
	}
}

// solution returns A⁻¹b by a dense solve.
func (q *quadratic) solution() []float64 {
	A := mat.NewDense(q.d, q.d, append([]float64(nil), q.a...))
	var x mat.VecDense
	if err := x.SolveVec(A, mat.NewVecDense(q.d, append([]float64(nil), q.b...))); err != nil {
		panic(err)
	}
	return x.RawVector().Data
}

func dist(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s)
}

func norm(a []float64) float64 {
	var s float64
	for _, v := range a {
		s += v * v
	}
	return math.Sqrt(s)
}

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

func randVec(d int, rng *rand.Rand) []float64 {
	x := make([]float64, d)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}
