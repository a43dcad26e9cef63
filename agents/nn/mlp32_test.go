package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMLP32MatchesFloat64 pins a float32 MLP against the float64 one on
// the same parameters, inputs and output gradient (float32 values, so both
// see identical numbers), at every kernel set.
//
// Tolerance. With u = 2⁻²⁴ and K = Σ_layers (in + out + 4), a first-order
// rounding analysis bounds each float32 result's distance to the exact one
// by 2·u·K times the same result computed with |W|, |b|, |x|, |dy| (the
// "absolute network", run in float64; the ReLU is 1-Lipschitz and passes
// all of its positive values), and each parameter gradient, a sum over
// rows, by 2·u·(K + rows) times its absolute-network value. The float64
// network's own error is 2²⁹ times smaller. The bound for gradients
// assumes both precisions take the same ReLU branch: rows with a hidden
// pre-activation within its forward bound of 0 get dy = 0, so they add
// nothing to any gradient in either precision (at most a tenth of the rows
// may be excluded; with random data none is, in practice).
func TestMLP32MatchesFloat64(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		for _, sizes := range [][]int{{22, 32, 96}, {70, 35, 32}, {5, 17, 3, 9}} {
			for _, rows := range []int{1, 9, 1024} {
				t.Run(fmt.Sprintf("%v/rows=%d", sizes, rows), func(t *testing.T) {
					checkMLP32(t, sizes, rows)
				})
			}
		}
	})
}

func checkMLP32(t *testing.T, sizes []int, rows int) {
	const u = 0x1p-24
	rng := rand.New(rand.NewPCG(uint64(rows), uint64(len(sizes))))
	m32 := NewMLPOf(NewReLUOf[float32], sizes...)
	m64 := NewMLP(NewReLU, sizes...)
	abs := NewMLP(NewReLU, sizes...)
	n := m64.NumParams()

	// Parameters ~ N(0, 1/in) and biases ~ N(0, 0.01), rounded to float32.
	p32 := make([]float32, n)
	var off int
	for _, l := range m64.Layers {
		for i := range l.Out * l.In {
			p32[off+i] = float32(rng.NormFloat64() / math.Sqrt(float64(l.In)))
		}
		for i := range l.Out {
			p32[off+l.Out*l.In+i] = float32(0.1 * rng.NormFloat64())
		}
		off += l.NumParams()
	}
	p64, pAbs := widen(p32), absOf(widen(p32))
	g32, g64, gAbs := make([]float32, n), make([]float64, n), make([]float64, n)
	m32.SetParams(p32, g32)
	m64.SetParams(p64, g64)
	abs.SetParams(pAbs, gAbs)

	x32 := randT[float32](rng, rows*sizes[0])
	dy32 := randT[float32](rng, rows*m64.Out())
	x64, dy64 := widen(x32), widen(dy32)

	var k float64
	for _, l := range m64.Layers {
		k += float64(l.In + l.Out + 4)
	}

	// Forward: float32 through the fused MLP, float64 layer by layer to
	// keep the hidden pre-activations, and the absolute network.
	y32 := m32.Forward(x32)
	yAbs := abs.Forward(absOf(x64))
	h := x64
	var pre [][]float64
	for i, l := range m64.Layers {
		h = l.Forward(h)
		if i < len(m64.Activations) {
			pre = append(pre, append([]float64(nil), h...))
			h = m64.Activations[i].Forward(h)
		}
	}
	y64 := h
	compareWithin(t, "y", y32, y64, yAbs, 2*u*k)

	// Rows with a hidden pre-activation too close to 0 to know its sign.
	excluded := 0
	for r := range rows {
		near := false
		for i, p := range pre {
			w := len(p) / rows
			for j := r * w; j < (r+1)*w; j++ {
				if math.Abs(p[j]) <= 2*u*k*abs.Layers[i].y[j] {
					near = true
				}
			}
		}
		if near {
			excluded++
			o := m64.Out()
			clear(dy32[r*o : (r+1)*o])
			clear(dy64[r*o : (r+1)*o])
		}
	}
	if excluded > rows/10 {
		t.Fatalf("%d of %d rows have a hidden unit within rounding of 0", excluded, rows)
	}

	dx32 := m32.Backward(dy32)
	dx64 := m64.Backward(dy64)
	dxAbs := abs.Backward(absOf(dy64))
	compareWithin(t, "dx", dx32, dx64, dxAbs, 2*u*k)
	compareWithin(t, "grad", g32, g64, gAbs, 2*u*(k+float64(rows)))
}

// compareWithin fails if |got − want| > rel·scale anywhere.
func compareWithin(t *testing.T, name string, got []float32, want, scale []float64, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", name, len(got), len(want))
	}
	for i, g := range got {
		if d := math.Abs(float64(g) - want[i]); d > rel*scale[i] || math.IsNaN(d) {
			t.Fatalf("%s[%d] = %v in float32, %v in float64: differ by %.3g, bound %.3g", name, i, g, want[i], d, rel*scale[i])
		}
	}
}

func widen(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

func absOf(s []float64) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = math.Abs(v)
	}
	return d
}
