package nn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/mrasim/mrasim/agents/nn"
)

// The benchmarks below time one forward and backward pass of MRA's
// relation net plus its value MLP over a batch of 1024 agents, each seeing
// n−1 others, and the same matrix products done by gonum's Dgemm.
const benchBatch = 1024

var benchAgents = []int{3, 6, 12, 24}

// linearShape is one Linear layer applied to rows rows.
type linearShape struct{ rows, in, out int }

// relationShapes lists the Linear layers of key_self (22→32→96, on each
// agent), query_others (the same, on each other agent) and the value MLP
// (22→32→64, on each other agent).
func relationShapes(n int) []linearShape {
	b, m := benchBatch, benchBatch*(n-1)
	return []linearShape{
		{b, 22, 32}, {b, 32, 96},
		{m, 22, 32}, {m, 32, 96},
		{m, 22, 32}, {m, 32, 64},
	}
}

// matmulFlops counts the floating-point operations of the matrix products
// of a forward and backward pass: per layer 2·rows·in·out each for y = xWᵀ,
// dx = dy·W and dW = dyᵀx. Bias, activation, head-mixing and attention
// work is not counted (it is O(rows·width), under 3% here).
func matmulFlops(shapes []linearShape) float64 {
	var f float64
	for _, s := range shapes {
		f += 6 * float64(s.rows*s.in*s.out)
	}
	return f
}

func reportGFLOPs(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkRelationNet(b *testing.B) {
	for _, n := range benchAgents {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			m := n - 1
			rn := nn.NewRelationNet(22, 32, 6, 16)
			value := nn.NewMLP(nn.NewReLU, 22, 32, 64)
			agg := nn.Aggregate{Dim: 64}
			p := nn.NewParams(rn, value)
			nn.XavierNormal(rng, p.Value, p.Layout)
			self := randn(rng, benchBatch*22)
			others := randn(rng, benchBatch*m*22)
			z := oneHotZ(rng, benchBatch, 6)
			de := randn(rng, benchBatch*64)
			step := func() {
				p.ZeroGrad()
				g := rn.Forward(m, self, others, z, nil)
				agg.Forward(m, g, value.Forward(others))
				dg, dv := agg.Backward(de)
				value.Backward(dv)
				rn.Backward(dg)
			}
			step() // grow the caches outside the timed loop
			b.ReportAllocs()
			for b.Loop() {
				step()
			}
			reportGFLOPs(b, matmulFlops(relationShapes(n)))
		})
	}
}

// BenchmarkDgemmSameShapes does the matrix products counted for
// BenchmarkRelationNet with gonum's blas64.Gemm, three per layer.
func BenchmarkDgemmSameShapes(b *testing.B) {
	for _, n := range benchAgents {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			type mats struct{ x, w, y, dy, dx, dw blas64.General }
			gen := func(r, c int) blas64.General {
				return blas64.General{Rows: r, Cols: c, Stride: c, Data: randn(rng, r*c)}
			}
			shapes := relationShapes(n)
			var ms []mats
			for _, s := range shapes {
				ms = append(ms, mats{
					x: gen(s.rows, s.in), w: gen(s.out, s.in), y: gen(s.rows, s.out),
					dy: gen(s.rows, s.out), dx: gen(s.rows, s.in), dw: gen(s.out, s.in),
				})
			}
			b.ReportAllocs()
			for b.Loop() {
				for _, m := range ms {
					blas64.Gemm(blas.NoTrans, blas.Trans, 1, m.x, m.w, 0, m.y)
				}
				for _, m := range ms {
					blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, m.dy, m.w, 0, m.dx)
					blas64.Gemm(blas.Trans, blas.NoTrans, 1, m.dy, m.x, 1, m.dw)
				}
			}
			reportGFLOPs(b, matmulFlops(shapes))
		})
	}
}

// BenchmarkMLPPrecision times one forward and backward pass of MRA's
// value MLP (22→32→64, ReLU) on 1024·6 rows in float64 and in float32,
// the same source instantiated twice.
func BenchmarkMLPPrecision(b *testing.B) {
	const rows = benchBatch * 6
	shapes := []linearShape{{rows, 22, 32}, {rows, 32, 64}}
	b.Run("float64", func(b *testing.B) { benchMLP[float64](b, rows, shapes) })
	b.Run("float32", func(b *testing.B) { benchMLP[float32](b, rows, shapes) })
}

func benchMLP[T nn.Float](b *testing.B, rows int, shapes []linearShape) {
	rng := rand.New(rand.NewPCG(2, 2))
	m := nn.NewMLPOf(nn.NewReLUOf[T], 22, 32, 64)
	n := m.NumParams()
	params, grads := make([]T, n), make([]T, n)
	for i := range params {
		params[i] = T(0.2 * rng.NormFloat64())
	}
	m.SetParams(params, grads)
	x, dy := make([]T, rows*22), make([]T, rows*64)
	for i := range x {
		x[i] = T(rng.NormFloat64())
	}
	for i := range dy {
		dy[i] = T(rng.NormFloat64())
	}
	step := func() {
		m.Forward(x)
		m.Backward(dy)
	}
	step()
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
	reportGFLOPs(b, matmulFlops(shapes))
}
