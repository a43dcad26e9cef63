package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// The float32 products and the fused bias + ReLU, checked at every kernel
// set this CPU has against a float64 reference.
//
// Tolerance. Every output is a sum of k products (plus a bias or the old
// value) rounded in the kernel's precision in some order, with or without
// fused multiply-adds: at most 2k+2 roundings of unit u (2⁻²⁴ for float32,
// 2⁻⁵³ for float64), so
//
//	|got − exact| ≤ 2·(k+2)·u·scale,  scale = |init| + Σ_j |a_j·b_j|.
//
// The reference sums the same float32 inputs in float64 (error ≪ u32), so
// for float32 the bound applies to |got − want| as it is; for float64 the
// reference errs as much as the kernel, and the bound is doubled. An
// indexing or masking mistake gives errors of the order of scale itself.

// unitRoundoff returns u for T.
func unitRoundoff[T Float]() float64 {
	if is32[T]() {
		return 0x1p-24
	}
	return 0x1p-53
}

func tolerance[T Float](k int, scale float64) float64 {
	c := 2.0
	if !is32[T]() {
		c = 4
	}
	return c * float64(k+2) * unitRoundoff[T]() * scale
}

func randT[T Float](rng *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(rng.NormFloat64())
	}
	return s
}

const guardLen = 37 // odd, so guards end at no block boundary

// guardedT returns a random slice of length n with guardLen sentinels
// before and after it in the same backing array.
func guardedT[T Float](rng *rand.Rand, n int) []T {
	s := make([]T, n+2*guardLen)
	for i := range s {
		s[i] = T(sentinel)
	}
	s = s[guardLen : guardLen+n : guardLen+n+guardLen]
	for i := range s {
		s[i] = T(rng.NormFloat64())
	}
	return s
}

// checkGuards fails if a sentinel before or after s was overwritten.
func checkGuards[T Float](t *testing.T, name string, s []T) {
	t.Helper()
	base := unsafe.Slice((*T)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(s)), -guardLen*int(unsafe.Sizeof(T(0))))), len(s)+2*guardLen)
	for i := range guardLen {
		if base[i] != T(sentinel) {
			t.Fatalf("%s: element %d before the start overwritten", name, guardLen-i)
		}
		if v := base[guardLen+len(s)+i]; v != T(sentinel) {
			t.Fatalf("%s: element %d past the end overwritten", name, i)
		}
	}
}

func sameBits[T Float](x, y T) bool {
	if is32[T]() {
		return math.Float32bits(float32(x)) == math.Float32bits(float32(y))
	}
	return math.Float64bits(float64(x)) == math.Float64bits(float64(y))
}

func equalSlices[T Float](x, y []T) bool {
	for i := range x {
		if !sameBits(x[i], y[i]) {
			return false
		}
	}
	return true
}

// checkMulABtT checks mulABt (and mulABtReLU if relu) against the float64
// reference, the guards around c, unchanged inputs, determinism, and that
// the fused ReLU equals reluInto of the plain product bit for bit.
func checkMulABtT[T Float](t *testing.T, rng *rand.Rand, rows, n, k int, withBias, relu bool) {
	t.Helper()
	a, b := randT[T](rng, rows*k), randT[T](rng, n*k)
	a0, b0 := append([]T(nil), a...), append([]T(nil), b...)
	var bias []T
	if withBias {
		bias = randT[T](rng, n)
	}
	c := guardedT[T](rng, rows*n)
	prod := mulABt[T]
	if relu {
		prod = mulABtReLU[T]
	}
	prod(c, a, b, bias, rows, n, k)
	checkGuards(t, "c", c)
	if !equalSlices(a, a0) || !equalSlices(b, b0) {
		t.Fatalf("rows=%d n=%d k=%d: inputs changed", rows, n, k)
	}
	for r := range rows {
		for o := range n {
			var s, scale float64
			if bias != nil {
				s, scale = float64(bias[o]), math.Abs(float64(bias[o]))
			}
			for j := range k {
				p := float64(a[r*k+j]) * float64(b[o*k+j])
				s += p
				scale += math.Abs(p)
			}
			if relu {
				s = max(s, 0)
			}
			got := float64(c[r*n+o])
			if math.Abs(got-s) > tolerance[T](k, scale) || relu && got < 0 {
				t.Fatalf("rows=%d n=%d k=%d bias=%v relu=%v: c[%d,%d] = %v, want %v ± %.3g",
					rows, n, k, withBias, relu, r, o, got, s, tolerance[T](k, scale))
			}
		}
	}
	c2 := make([]T, rows*n)
	prod(c2, a, b, bias, rows, n, k)
	if !equalSlices(c2, c) {
		t.Fatalf("rows=%d n=%d k=%d: not deterministic", rows, n, k)
	}
	if relu {
		mulABt(c2, a, b, bias, rows, n, k)
		reluInto(c2, c2)
		if !equalSlices(c2, c) {
			t.Fatalf("rows=%d n=%d k=%d: fused ReLU differs from ReLU after the product", rows, n, k)
		}
	}
}

// checkAddATBT checks addATB accumulating onto random dwt and db against
// the float64 reference, and the guards around both.
func checkAddATBT[T Float](t *testing.T, rng *rand.Rand, rows, in, out int) {
	t.Helper()
	x, dy := randT[T](rng, rows*in), randT[T](rng, rows*out)
	dwt, db := guardedT[T](rng, in*out), guardedT[T](rng, out)
	dwt0, db0 := append([]T(nil), dwt...), append([]T(nil), db...)
	addATB(dwt, db, x, dy, rows, in, out)
	checkGuards(t, "dwt", dwt)
	checkGuards(t, "db", db)
	for i := range in {
		for o := range out {
			s, scale := float64(dwt0[i*out+o]), math.Abs(float64(dwt0[i*out+o]))
			for r := range rows {
				p := float64(x[r*in+i]) * float64(dy[r*out+o])
				s += p
				scale += math.Abs(p)
			}
			if got := float64(dwt[i*out+o]); math.Abs(got-s) > tolerance[T](rows, scale) {
				t.Fatalf("rows=%d in=%d out=%d: dwt[%d,%d] = %v, want %v", rows, in, out, i, o, got, s)
			}
		}
	}
	for o := range out {
		s, scale := float64(db0[o]), math.Abs(float64(db0[o]))
		for r := range rows {
			s += float64(dy[r*out+o])
			scale += math.Abs(float64(dy[r*out+o]))
		}
		if got := float64(db[o]); math.Abs(got-s) > tolerance[T](rows, scale) {
			t.Fatalf("rows=%d in=%d out=%d: db[%d] = %v, want %v", rows, in, out, o, got, s)
		}
	}
}

// gemm32Dims adds the float32 block borders (16, 32 columns) and k = 1 to
// the shapes of gemmDims.
var gemm32Dims = []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 22, 31, 32, 33, 35, 47, 48, 49, 64, 65, 69, 70, 96, 97}

// TestGemm32Kernels runs the float32 products at every kernel set over
// rows 1…37 (around the 4- and 8-row blocks) and all n, k in gemm32Dims:
// with and without bias, with and without the fused ReLU, and the
// gradient product accumulating onto non-zero dwt and db (a third of the
// combinations, a fifteenth with -short).
func TestGemm32Kernels(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 11))
		for rows := 1; rows <= 37; rows++ {
			for _, n := range gemm32Dims {
				for _, k := range gemm32Dims {
					if (n+k+rows)%3 != 0 || testing.Short() && (n+k+rows)%5 != 0 {
						continue
					}
					checkMulABtT[float32](t, rng, rows, n, k, (rows+n)%2 == 0, (rows+k)%2 == 0)
					checkAddATBT[float32](t, rng, rows, k, n)
				}
			}
		}
	})
}

// TestGemmReLUFused checks the fused bias + ReLU mode in both precisions
// at every kernel set, on the MRA shapes and odd ones.
func TestGemmReLUFused(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(12, 12))
		for _, rows := range []int{1, 7, 8, 9, 33, 200} {
			for _, s := range append(mraShapes, [2]int{1, 1}, [2]int{5, 3}, [2]int{17, 33}, [2]int{9, 100}) {
				checkMulABtT[float64](t, rng, rows, s[1], s[0], true, true)
				checkMulABtT[float32](t, rng, rows, s[1], s[0], true, true)
				checkMulABtT[float32](t, rng, rows, s[1], s[0], false, true)
			}
		}
	})
}

// TestGemmReLUSigns pins the fused ReLU's rule on special values, which
// random inputs never reach: with a = 0 each output is its bias (the
// products add +0), and it must come out as ReLU.Forward makes it: −0,
// negatives, −Inf and negative NaNs as +0, the rest unchanged.
func TestGemmReLUSigns(t *testing.T) {
	nan := math.NaN()
	negNaN := math.Copysign(nan, -1)
	special := []float64{math.Copysign(0, -1), 0, -1e-300, 1e-300, -3, 3, math.Inf(-1), math.Inf(1), nan, negNaN, -5e-324, 5e-324}
	withLevels(t, func(t *testing.T) {
		const rows, k = 9, 3
		n := len(special)
		a := make([]float64, rows*k)
		b := randT[float64](rand.New(rand.NewPCG(13, 13)), n*k)
		c := make([]float64, rows*n)
		mulABtReLU(c, a, b, special, rows, n, k)
		want := (&ReLU{}).Forward(special)
		for r := range rows {
			for o := range n {
				if !sameBits(c[r*n+o], want[o]) {
					t.Errorf("float64 bias %v: got %v (%#x), want %v", special[o], c[r*n+o], math.Float64bits(c[r*n+o]), want[o])
				}
			}
		}
		a32, b32, c32 := make([]float32, rows*k), make([]float32, n*k), make([]float32, rows*n)
		s32 := make([]float32, n)
		for i, v := range special {
			s32[i] = float32(v)
		}
		mulABtReLU(c32, a32, b32, s32, rows, n, k)
		for r := range rows {
			for o := range n {
				v := s32[o]
				if math.Float32bits(v)>>31 == 1 {
					v = 0
				}
				if !sameBits(c32[r*n+o], v) {
					t.Errorf("float32 bias %v: got %v (%#x), want %v", s32[o], c32[r*n+o], math.Float32bits(c32[r*n+o]), v)
				}
			}
		}
	})
}

// TestGemm32MRAShapes covers MRA's layer shapes in float32: forward
// (x·Wᵀ+b, plain and fused with the ReLU), backward (dy·W) and the weight
// gradient, at row counts around the blocks, the cache chunk (192) and
// batches of 1024·N.
func TestGemm32MRAShapes(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(14, 14))
		shapes := append(mraShapes, [2]int{600, 3}, [2]int{300, 40}, [2]int{9, 1100})
		for i, s := range shapes {
			in, out := s[0], s[1]
			for _, rows := range []int{1, 5, 8, 9, 16, 100, 191, 192, 193, 385, 3072} {
				if rows == 3072 && (testing.Short() || i >= len(mraShapes)) {
					continue // the batch size only at MRA's own shapes
				}
				t.Run(fmt.Sprintf("%d→%d/rows=%d", in, out, rows), func(t *testing.T) {
					checkMulABtT[float32](t, rng, rows, out, in, true, false)
					checkMulABtT[float32](t, rng, rows, out, in, true, true)
					checkMulABtT[float32](t, rng, rows, in, out, false, false)
					checkAddATBT[float32](t, rng, rows, in, out)
				})
			}
		}
	})
}

// TestGemm32ZeroAllocs checks the float32 products and the fused ReLU
// allocate nothing, with the small and large packing buffers and panel
// groups beyond them.
func TestGemm32ZeroAllocs(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(15, 15))
		for _, s := range [][3]int{{64, 32, 96}, {300, 96, 32}, {20, 512, 70}, {3, 22, 32}, {40, 600, 200}} {
			rows, n, k := s[0], s[1], s[2]
			a, b, bias := randT[float32](rng, rows*k), randT[float32](rng, n*k), randT[float32](rng, n)
			a64, b64, bias64 := randT[float64](rng, rows*k), randT[float64](rng, n*k), randT[float64](rng, n)
			c, c64 := make([]float32, rows*n), make([]float64, rows*n)
			dwt := make([]float32, k*n)
			if got := testing.AllocsPerRun(10, func() {
				mulABt(c, a, b, bias, rows, n, k)
				mulABtReLU(c, a, b, bias, rows, n, k)
				addATB(dwt, bias, a, c, rows, k, n)
				mulABtReLU(c64, a64, b64, bias64, rows, n, k)
			}); got != 0 {
				t.Errorf("%v: %v allocs per call", s, got)
			}
		}
	})
}

// TestGemm32FlushesSubnormals: the float32 SIMD products run with
// subnormals flushed to zero (MXCSR FTZ and DAZ, set and restored by each
// kernel call), so a subnormal input contributes exactly 0 — at the Go
// level it contributes its (subnormal) product — and the caller's MXCSR is
// unchanged afterwards (float64 Go arithmetic still produces subnormals).
func TestGemm32FlushesSubnormals(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		rows, n, k := 16, 40, 8
		a := make([]float32, rows*k)
		b := make([]float32, n*k)
		c := make([]float32, rows*n)
		for i := range a {
			a[i] = 1e-40 // subnormal: the smallest normal float32 is 1.18e-38
		}
		for i := range b {
			b[i] = 0.5
		}
		mulABt(c, a, b, nil, rows, n, k)
		for i, v := range c {
			if gemmLevel == levelGo {
				if v == 0 {
					t.Fatalf("Go level: c[%d] = 0, want the subnormal sum", i)
				}
			} else if v != 0 {
				t.Fatalf("c[%d] = %g, want 0 (subnormal inputs flushed)", i, v)
			}
		}
		// A subnormal result of normal inputs is flushed too.
		for i := range a {
			a[i] = 1e-20
		}
		for i := range b {
			b[i] = 1e-20
		}
		mulABt(c, a, b, nil, rows, n, k)
		for i, v := range c {
			if gemmLevel != levelGo && v != 0 {
				t.Fatalf("c[%d] = %g, want 0 (subnormal result flushed)", i, v)
			}
		}
		// The caller's floating-point environment is restored.
		x := 1e-300
		if y := x * 1e-10; y == 0 {
			t.Fatal("float64 subnormals are flushed after the kernel: MXCSR not restored")
		}
	})
}
