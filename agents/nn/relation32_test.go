package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRelationNet32MatchesFloat64 pins the float32 relation net (MLPs,
// head mixing, masked attention) and the float32 entity attention,
// log-softmax and Gumbel-softmax against their float64 twins on the same
// parameters and inputs (float32 values, so both see identical numbers):
// outputs and gradients within 1e-5 of the largest float64 entry. The
// error is a few float32 roundings (2⁻²⁴ ≈ 6e-8) per product of the
// small networks; 1e-5 leaves a margin of ~100 and still fails for a
// wrong formula or a lost term.
func TestRelationNet32MatchesFloat64(t *testing.T) {
	const tol = 1e-5
	rng := rand.New(rand.NewPCG(3, 4))
	const batch, n, in, hidden, heads, headDim = 5, 4, 7, 8, 3, 4
	r64 := NewRelationNet(in, hidden, heads, headDim)
	r32 := NewRelationNetOf[float32](in, hidden, heads, headDim)
	p64 := NewParams(r64)
	p32 := NewParamsOf[float32](r32)
	for i := range p64.Value {
		p32.Value[i] = float32(0.5 * rng.NormFloat64())
		p64.Value[i] = float64(p32.Value[i])
	}
	pair := func(k int) ([]float64, []float32) {
		a, b := make([]float64, k), make([]float32, k)
		for i := range a {
			b[i] = float32(rng.NormFloat64())
			a[i] = float64(b[i])
		}
		return a, b
	}
	self64, self32 := pair(batch * in)
	oth64, oth32 := pair(batch * n * in)
	z64, z32 := make([]float64, batch*heads), make([]float32, batch*heads)
	for b := range batch {
		z64[b*heads+b%heads], z32[b*heads+b%heads] = 1, 1
	}
	present := make([]bool, batch*n)
	for i := range present {
		present[i] = rng.Float64() < 0.7
	}
	check := func(name string, got []float32, want []float64) {
		t.Helper()
		var d, w float64
		for i := range want {
			d = max(d, math.Abs(float64(got[i])-want[i]))
			w = max(w, math.Abs(want[i]))
		}
		if d > tol*max(w, 1e-30) {
			t.Errorf("%s: max error %.3g, largest value %.3g: beyond %g relative", name, d, w, tol)
		}
	}
	check("graph", r32.Forward(n, self32, oth32, z32, present), r64.Forward(n, self64, oth64, z64, present))
	dg64, dg32 := pair(batch * n)
	ds64, do64, dz64 := r64.Backward(dg64)
	ds32, do32, dz32 := r32.Backward(dg32)
	check("dSelf", ds32, ds64)
	check("dOthers", do32, do64)
	check("dz", dz32, dz64)
	check("parameter gradient", p32.Grad, p64.Grad)

	ea64 := NewEntityAttention(in, 6, 0.3)
	ea32 := NewEntityAttentionOf[float32](in, 6, 0.3)
	v64, v32 := pair(batch * n * 6)
	check("entity attention", ea32.Forward(n, self32, oth32, v32, present), ea64.Forward(n, self64, oth64, v64, present))
	de64, de32 := pair(batch * 6)
	q64, k64, vv64 := ea64.Backward(de64, nil)
	q32, k32, vv32 := ea32.Backward(de32, nil)
	check("entity attention dQuery", q32, q64)
	check("entity attention dKeys", k32, k64)
	check("entity attention dValues", vv32, vv64)

	ls64, ls32 := &LogSoftmax{N: n}, &LogSoftmaxOf[float32]{N: n}
	x64, x32 := pair(batch * n)
	check("log-softmax", ls32.Forward(x32), ls64.Forward(x64))
	check("log-softmax backward", ls32.Backward(dg32), ls64.Backward(dg64))

	gs64, gs32 := &GumbelSoftmax{N: n, Temperature: 1}, &GumbelSoftmaxOf[float32]{N: n, Temperature: 1}
	noise64, noise32 := pair(batch * n)
	check("Gumbel hard sample", gs32.ForwardNoise(x32, noise32), gs64.ForwardNoise(x64, noise64))
	check("Gumbel straight-through gradient", gs32.Backward(dg32), gs64.Backward(dg64))
}
