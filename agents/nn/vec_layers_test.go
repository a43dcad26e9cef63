package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The layers built on the vector kernels at every SIMD level against the
// same layers at the Go level: entity attention (with absent entities and
// a batch item with none present), softmax, log-softmax and head mixing,
// forward and backward, both precisions. Sums of products may differ in
// their last bits (summation order, FMAs) and float32 exps by an ulp, so
// outputs are compared within 64 units of roundoff of their largest
// magnitude (sums with cancellation err relative to their terms);
// an all-absent item must give exact zeros at every level.

func TestVecLayersMatchGo(t *testing.T) {
	t.Run("float64", testVecLayersMatchGo[float64])
	t.Run("float32", testVecLayersMatchGo[float32])
}

// layerOutputs runs every layer once at the current level and returns
// their outputs and gradients, flattened.
func layerOutputs[T Float](rng *rand.Rand, n, dk, dv int) [][]T {
	const batch = 7
	q, k := randT[T](rng, batch*dk), randT[T](rng, batch*n*dk)
	v, de := randT[T](rng, batch*n*dv), randT[T](rng, batch*dv)
	dw := randT[T](rng, batch*n)
	present := make([]bool, batch*n)
	for i := range present {
		present[i] = i/n != 3 && (i%n == 0 || rng.IntN(3) > 0) // item 3: none present
	}
	ea := NewEntityAttentionOf[T](dk, dv, 0.25)
	out := [][]T{clone(ea.Forward(n, q, k, v, present)), clone(ea.Weights())}
	dq, dkeys, dvals := ea.Backward(de, dw)
	out = append(out, clone(dq), clone(dkeys), clone(dvals))

	logits := randT[T](rng, batch*n)
	for i := range logits {
		logits[i] *= 8
	}
	sm := SoftmaxOf[T]{N: n}
	ls := LogSoftmaxOf[T]{N: n}
	out = append(out, clone(sm.Forward(logits)), clone(sm.Backward(dw)))
	out = append(out, clone(ls.Forward(logits)), clone(ls.Backward(dw)))

	const heads = 3
	hm := HeadMixOf[T]{Heads: heads, Dim: dk}
	x, z := randT[T](rng, batch*n*heads*dk), randT[T](rng, batch*heads)
	z[1] = 0 // a head skipped
	out = append(out, clone(hm.Forward(n, x, z)))
	hdx, hdz := hm.Backward(randT[T](rng, batch*n*dk))
	return append(out, clone(hdx), clone(hdz))
}

func clone[T Float](s []T) []T { return append([]T(nil), s...) }

func testVecLayersMatchGo[T Float](t *testing.T) {
	old := gemmLevel
	defer func() { gemmLevel = old }()
	levels := gemmLevels()
	tol := 64 * unitRoundoff[T]()
	for _, n := range []int{1, 2, 5, 23} {
		for _, dims := range [][2]int{{16, 64}, {32, 64}, {5, 9}} {
			name := fmt.Sprintf("n=%d/dk=%d/dv=%d", n, dims[0], dims[1])
			gemmLevel = levelGo
			want := layerOutputs[T](rand.New(rand.NewPCG(7, uint64(n))), n, dims[0], dims[1])
			for _, l := range levels[1:] {
				gemmLevel = l
				got := layerOutputs[T](rand.New(rand.NewPCG(7, uint64(n))), n, dims[0], dims[1])
				for o := range want {
					var norm float64 // the output's largest magnitude
					for _, w := range want[o] {
						norm = max(norm, math.Abs(float64(w)))
					}
					for i := range want[o] {
						g, w := float64(got[o][i]), float64(want[o][i])
						if math.Abs(g-w) > tol*(1+norm) {
							t.Fatalf("%s %s output %d[%d]: got %v, want %v", name, gemmLevelName(), o, i, g, w)
						}
					}
				}
				// Item 3 has no entity present: zero output, weights and
				// gradients of its queries and keys, exactly.
				for _, s := range [][]T{got[0][3*dims[1] : 4*dims[1]], got[1][3*n : 4*n], got[2][3*dims[0] : 4*dims[0]], got[3][3*n*dims[0] : 4*n*dims[0]]} {
					for i, v := range s {
						if math.Float64bits(float64(v)) != 0 {
							t.Fatalf("%s %s: all-absent item has %v at %d", name, gemmLevelName(), v, i)
						}
					}
				}
			}
		}
	}
}
