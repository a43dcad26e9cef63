package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The vector kernels (vec.go) against their Go loops at every kernel set
// this CPU has: row widths d = 1 … 2·16+1 (every tail of both precisions'
// AVX-512 and AVX2 vectors) and MRA's widths, set sizes around the
// four-vector column groups and MRA's, inputs and outputs in unaligned
// slices with guards on both sides. Weighted sums, scaled copies, ReLU,
// mask and conversion must match the Go loop bit for bit; the dot products
// within the summation bound of gemm32_test.go (tolerance).

var (
	vecWidths = append(seq(1, 33), 48, 64, 96)
	vecSets   = []int{1, 2, 3, 5, 6, 11, 47}
)

func seq(lo, hi int) []int {
	var s []int
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

func TestVecRows(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		t.Run("float64", testVecRows[float64])
		t.Run("float32", testVecRows[float32])
	})
}

func testVecRows[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	for _, n := range vecSets {
		for _, d := range vecWidths {
			name := fmt.Sprintf("n=%d/d=%d", n, d)
			y, x := guardedT[T](rng, d), guardedT[T](rng, n*d)
			c := guardedT[T](rng, n)
			// Zero weights of both signs, and non-finite values in the rows
			// they select, which must be skipped.
			if n > 2 {
				c[1], c[n-1] = 0, T(math.Copysign(0, -1))
				for i := range d {
					x[d+i], x[(n-1)*d+i] = T(math.Inf(1)), T(math.NaN())
				}
			}

			// dotRows (rows with Inf/NaN give Inf/NaN in both).
			got, want := guardedT[T](rng, n), make([]T, n)
			dotRows(got, y, x, n, d)
			dotRowsGo(want, y, x, n, d)
			checkGuards(t, name+" dot", got)
			for j := range n {
				g, w := float64(got[j]), float64(want[j])
				var scale float64
				for i := range d {
					scale += math.Abs(float64(y[i]) * float64(x[j*d+i]))
				}
				if math.IsNaN(w) || math.IsInf(w, 0) {
					if !math.IsNaN(g) && g != w {
						t.Fatalf("%s dot row %d: got %v, want %v", name, j, g, w)
					}
					continue
				}
				if diff := math.Abs(g - w); diff > 2*tolerance[T](d, scale) {
					t.Fatalf("%s dot row %d: got %v, want %v (diff %g)", name, j, g, w, diff)
				}
			}

			// axpyRows: bit for bit.
			gotA, wantA := guardedT[T](rng, d), make([]T, d)
			axpyRows(gotA, c, x, n, d)
			axpyRowsGo(wantA, c, x, n, d)
			checkGuards(t, name+" axpy", gotA)
			if !equalSlices(gotA, wantA) {
				t.Fatalf("%s axpy: got %v, want %v", name, gotA, wantA)
			}

			// axpyRowsBatch over 3 sets: weights per set or shared, rows
			// packed or with gaps; bit for bit the Go loop per set.
			for _, st := range [][2]int{{n, n * d}, {0, n*d + 3}} {
				cs, xs := st[0], st[1]
				cb, xb := guardedT[T](rng, 2*cs+n), guardedT[T](rng, 2*xs+n*d)
				copy(cb, c)
				gotB, wantB := guardedT[T](rng, 3*d), make([]T, 3*d)
				axpyRowsBatch(gotB, cb, xb, n, d, 3, cs, xs)
				for s := range 3 {
					axpyRowsGo(wantB[s*d:(s+1)*d], cb[s*cs:], xb[s*xs:], n, d)
				}
				checkGuards(t, name+" axpy batch", gotB)
				if !equalSlices(gotB, wantB) {
					t.Fatalf("%s axpy batch strides %v: got %v, want %v", name, st, gotB, wantB)
				}
			}

			// scaleRows with and without zeroed rows, y with a −0.
			y0 := append([]T(nil), y...)
			y0[0] = T(math.Copysign(0, -1))
			for _, zeroes := range []bool{false, true} {
				gotS, wantS := guardedT[T](rng, n*d), make([]T, n*d)
				scaleRows(gotS, c, y0, n, d, zeroes)
				scaleRowsGo(wantS, c, y0, n, d, zeroes)
				checkGuards(t, name+" scale", gotS)
				if !equalSlices(gotS, wantS) {
					t.Fatalf("%s scale zeroes=%v: got %v, want %v", name, zeroes, gotS, wantS)
				}
			}
		}
	}
}

// elemSizes are the lengths tried for the elementwise kernels: every tail
// of two vectors of 16 and 8 lanes and longer buffers.
var elemSizes = append(seq(0, 40), 63, 64, 65, 100, 1000, 1031)

func TestVecElementwise(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		t.Run("float64", testVecElementwise[float64])
		t.Run("float32", testVecElementwise[float32])
		t.Run("convert", testConvert)
	})
}

// specials are values whose bits the ReLU and its mask must treat by the
// sign-bit rule.
var specials = []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), -math.NaN(), 1e-310, -1e-310, 1e39, -1e39, 1e-46, -1e-46}

func testVecElementwise[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2))
	for _, n := range elemSizes {
		src := guardedT[T](rng, n)
		for i := range src {
			if rng.IntN(3) == 0 {
				src[i] = T(specials[rng.IntN(len(specials))])
			}
		}
		got, want := guardedT[T](rng, n), make([]T, n)
		reluInto(got, src)
		reluGo(want, src)
		checkGuards(t, "relu", got)
		if !equalSlices(got, want) {
			t.Fatalf("n=%d relu: got %v, want %v", n, got, want)
		}
		// In place.
		in := append([]T(nil), src...)
		reluInto(in, in)
		if !equalSlices(in, want) {
			t.Fatalf("n=%d relu in place: got %v, want %v", n, in, want)
		}

		dy := guardedT[T](rng, n)
		gotM, wantM := guardedT[T](rng, n), make([]T, n)
		reluMask(gotM, dy, src)
		reluMaskGo(wantM, dy, src)
		checkGuards(t, "mask", gotM)
		if !equalSlices(gotM, wantM) {
			t.Fatalf("n=%d mask: got %v, want %v", n, gotM, wantM)
		}
	}
}

func testConvert(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 3))
	for _, n := range elemSizes {
		src := guardedT[float64](rng, n)
		for i := range src {
			switch rng.IntN(4) {
			case 0:
				src[i] = specials[rng.IntN(len(specials))]
			case 1:
				// Halfway and near-halfway cases of the rounding.
				f := float64(float32(rng.NormFloat64()))
				src[i] = f + math.Copysign(math.Abs(f)*0x1p-24*float64(rng.IntN(3)), rng.NormFloat64())
			}
		}
		got := guardedT[float32](rng, n)
		ConvertFloat64(got, src)
		checkGuards(t, "convert", got)
		for i, v := range src {
			if w := float32(v); math.Float32bits(got[i]) != math.Float32bits(w) && !(w != w && got[i] != got[i]) {
				t.Fatalf("n=%d convert[%d] of %v: got %v, want %v", n, i, v, got[i], w)
			}
		}
	}
}

// TestExpShift32 checks the float32 exp kernels on every length up to two
// vectors and beyond: the same values at every SIMD level bit for bit,
// within 2 ulps of float32(math.Exp), the sum within its rounding bound,
// no writes outside the slice, and the edge cases.
func TestExpShift32(t *testing.T) {
	levels := gemmLevels()[1:]
	if len(levels) == 0 {
		t.Skip("no SIMD level on this CPU or build")
	}
	old := gemmLevel
	defer func() { gemmLevel = old }()
	rng := rand.New(rand.NewPCG(13, 4))
	for _, n := range elemSizes {
		x := guardedT[float32](rng, n)
		for i := range x {
			x[i] *= 10
		}
		shift := float32(rng.NormFloat64())
		var first []float32
		for _, l := range levels {
			gemmLevel = l
			got := guardedT[float32](rng, n)
			copy(got, x)
			sum := expShift(got, shift)
			checkGuards(t, "exp", got)
			if first == nil {
				first = got
			} else if !equalSlices(got, first) {
				t.Fatalf("n=%d: level %s differs from the first level", n, gemmLevelName())
			}
			var want, abs float64
			for i, v := range x {
				e := math.Exp(float64(v - shift))
				if u := ulpDiff(got[i], float32(e)); u > 2 {
					t.Fatalf("n=%d exp(%v): got %v, want %v (%d ulps)", n, v-shift, got[i], float32(e), u)
				}
				want += float64(got[i])
				abs += math.Abs(float64(got[i]))
			}
			if diff := math.Abs(float64(sum) - want); diff > tolerance[float32](n, abs) {
				t.Fatalf("n=%d sum: got %v, want %v", n, sum, want)
			}
		}
	}

	edges := []struct {
		x, want float32
	}{
		{float32(math.Inf(-1)), 0},
		{float32(math.Inf(1)), float32(math.Inf(1))},
		{0, 1},
		{float32(math.Copysign(0, -1)), 1},
		{89, float32(math.Inf(1))},
		{88.72284, float32(math.Inf(1))}, // just above ln(MaxFloat32)
		{88.7228, exp32(88.7228)},
		{-87.33654, exp32(-87.33654)}, // smallest normal result
		{-100, exp32(-100)},           // subnormal
		{-103.2789, exp32(-103.2789)}, // smallest subnormal
		{-104, 0},
		{-1000, 0},
		{float32(math.MaxFloat32), float32(math.Inf(1))},
		{-float32(math.MaxFloat32), 0},
	}
	for _, l := range levels {
		gemmLevel = l
		for _, e := range edges {
			for _, n := range []int{1, 5, 16, 17} { // tail lanes and whole vectors
				x := make([]float32, n)
				for i := range x {
					x[i] = e.x
				}
				sum := expShift(x, 0)
				for i := range x {
					if ulpDiff(x[i], e.want) > 1 {
						t.Fatalf("%s: exp(%v) = %v, want %v", gemmLevelName(), e.x, x[i], e.want)
					}
				}
				if want := float32(n) * e.want; ulpDiff(sum, want) > 2 {
					t.Fatalf("%s: sum of %d exp(%v) = %v, want %v", gemmLevelName(), n, e.x, sum, want)
				}
			}
		}
		for _, nan := range []float32{float32(math.NaN()), -float32(math.NaN())} {
			x := []float32{nan, 1, nan}
			if expShift(x, 0); x[0] == x[0] || x[2] == x[2] || x[1] != float32(math.E) {
				t.Fatalf("%s: exp of [NaN 1 NaN] = %v", gemmLevelName(), x)
			}
		}
		// A NaN shift makes every value NaN.
		x := []float32{1, 2}
		if expShift(x, float32(math.NaN())); x[0] == x[0] || x[1] == x[1] {
			t.Fatalf("%s: exp(x − NaN) = %v", gemmLevelName(), x)
		}
	}
}

// TestExpShift32Accuracy runs the float32 exp over 2²⁴ inputs spread over
// its whole finite range [−104, 89] (uniform, plus a dense sample of
// [−1, 1]) and reports the largest error in ulps of the correctly rounded
// float32(math.Exp); it fails above 2 ulps. Subnormal results are measured
// in units of the smallest subnormal.
func TestExpShift32Accuracy(t *testing.T) {
	levels := gemmLevels()[1:]
	if len(levels) == 0 {
		t.Skip("no SIMD level on this CPU or build")
	}
	if testing.Short() {
		t.Skip("2²⁴ exps")
	}
	old := gemmLevel
	defer func() { gemmLevel = old }()
	const total, chunk = 1 << 24, 1 << 12
	for _, l := range levels {
		gemmLevel = l
		rng := rand.New(rand.NewPCG(13, 5))
		x, e := make([]float32, chunk), make([]float32, chunk)
		var worst int
		var worstX float32
		for done := 0; done < total; done += chunk {
			for i := range x {
				if i%2 == 0 {
					x[i] = float32(-104 + 193*rng.Float64())
				} else {
					x[i] = float32(2*rng.Float64() - 1)
				}
			}
			copy(e, x)
			expShift(e, 0)
			for i, v := range x {
				if u := ulpDiff(e[i], float32(math.Exp(float64(v)))); u > worst {
					worst, worstX = u, v
				}
			}
		}
		t.Logf("%s: %d inputs, max error %d ulp (at x = %v)", gemmLevelName(), total, worst, worstX)
		if worst > 2 {
			t.Fatalf("%s: max error %d ulps at x = %v", gemmLevelName(), worst, worstX)
		}
	}
}

// exp32 is float32(math.Exp) of the float32 nearest x.
func exp32(x float64) float32 { return float32(math.Exp(float64(float32(x)))) }

// ulpDiff returns the distance of two float32 values in representable
// steps (huge for different signs or NaN against a number, 0 for two
// NaNs).
func ulpDiff(a, b float32) int {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.MaxInt32
	}
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if ia < 0x80000000 != (ib < 0x80000000) {
		if a == b { // ±0
			return 0
		}
		return math.MaxInt32
	}
	d := ia - ib
	if d < 0 {
		d = -d
	}
	return int(d)
}
