package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemmDims are the k and n sizes tried: small and odd widths around the
// register blocks (4, 8, 16) and the MRA layer widths.
var gemmDims = []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 22, 31, 32, 33, 35, 64, 69, 70, 96, 127, 128, 130}

// mraShapes are in→out of MRA's Linear layers.
var mraShapes = [][2]int{{22, 32}, {32, 96}, {32, 64}, {64, 32}, {69, 32}, {32, 16}, {32, 5}, {70, 35}}

// withLevels runs f once per kernel set available on this CPU.
func withLevels(t *testing.T, f func(t *testing.T)) {
	old := gemmLevel
	defer func() { gemmLevel = old }()
	for _, l := range gemmLevels() {
		gemmLevel = l
		t.Run(gemmLevelName(), f)
	}
}

func randSlice(rng *rand.Rand, n, extra int) []float64 {
	s := make([]float64, n+extra)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s[:n]
}

const sentinel = 12345.678

// guarded returns a slice of length n whose backing array continues with
// sentinels, to detect writes past the end.
func guarded(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n+40)
	for i := range s {
		if i < n {
			s[i] = rng.NormFloat64()
		} else {
			s[i] = sentinel
		}
	}
	return s[:n]
}

func checkGuard(t *testing.T, name string, s []float64) {
	t.Helper()
	for i, v := range s[len(s):cap(s)] {
		if v != sentinel {
			t.Fatalf("%s: element %d past the end overwritten", name, i)
		}
	}
}

// near reports whether got is within 1e-13·k relative to the magnitude
// scale (Σ|terms|) of an exactly summed value want.
func near(got, want, scale float64, k int) bool {
	return math.Abs(got-want) <= 1e-13*float64(k)*scale
}

func checkMulABt(t *testing.T, rng *rand.Rand, rows, n, k int, withBias bool) {
	t.Helper()
	a, b := randSlice(rng, rows*k, 0), randSlice(rng, n*k, 0)
	var bias []float64
	if withBias {
		bias = randSlice(rng, n, 0)
	}
	c := guarded(rng, rows*n)
	mulABt(c, a, b, bias, rows, n, k)
	checkGuard(t, "c", c)
	for r := range rows {
		for o := range n {
			var s, scale float64
			if bias != nil {
				s, scale = bias[o], math.Abs(bias[o])
			}
			for j := range k {
				s += a[r*k+j] * b[o*k+j]
				scale += math.Abs(a[r*k+j] * b[o*k+j])
			}
			if got := c[r*n+o]; !near(got, s, scale, k) {
				t.Fatalf("rows=%d n=%d k=%d bias=%v: c[%d,%d] = %v, want %v", rows, n, k, withBias, r, o, got, s)
			}
		}
	}
	// Same inputs, same bits.
	c2 := make([]float64, rows*n)
	mulABt(c2, a, b, bias, rows, n, k)
	for i := range c2 {
		if math.Float64bits(c2[i]) != math.Float64bits(c[i]) {
			t.Fatalf("rows=%d n=%d k=%d: not deterministic", rows, n, k)
		}
	}
}

func checkAddATB(t *testing.T, rng *rand.Rand, rows, in, out int) {
	t.Helper()
	const withBias = true // Linear always passes its bias gradient
	x, dy := randSlice(rng, rows*in, 0), randSlice(rng, rows*out, 0)
	dwt := guarded(rng, in*out)
	dwt0 := append([]float64(nil), dwt...)
	var db, db0 []float64
	if withBias {
		db = guarded(rng, out)
		db0 = append([]float64(nil), db...)
	}
	addATB(dwt, db, x, dy, rows, in, out)
	checkGuard(t, "dwt", dwt)
	for i := range in {
		for o := range out {
			s, scale := dwt0[i*out+o], math.Abs(dwt0[i*out+o])
			for r := range rows {
				s += x[r*in+i] * dy[r*out+o]
				scale += math.Abs(x[r*in+i] * dy[r*out+o])
			}
			if got := dwt[i*out+o]; !near(got, s, scale, rows) {
				t.Fatalf("rows=%d in=%d out=%d: dwt[%d,%d] = %v, want %v", rows, in, out, i, o, got, s)
			}
		}
	}
	if withBias {
		checkGuard(t, "db", db)
		for o := range out {
			s, scale := db0[o], math.Abs(db0[o])
			for r := range rows {
				s += dy[r*out+o]
				scale += math.Abs(dy[r*out+o])
			}
			if got := db[o]; !near(got, s, scale, rows) {
				t.Fatalf("rows=%d in=%d out=%d: db[%d] = %v, want %v", rows, in, out, o, got, s)
			}
		}
	}
}

// TestGemmKernels compares every kernel set with a plain reference loop
// over many shapes: rows 1…37 with all k, n in gemmDims, with and without
// bias (mulABt), accumulating onto non-zero dwt and db (addATB).
func TestGemmKernels(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 7))
		for rows := 1; rows <= 37; rows++ {
			for _, n := range gemmDims {
				for _, k := range gemmDims {
					if testing.Short() && (n+k+rows)%5 != 0 {
						continue
					}
					checkMulABt(t, rng, rows, n, k, (rows+n+k)%2 == 0)
					checkAddATB(t, rng, rows, k, n)
				}
			}
		}
	})
}

// TestGemmMRAShapes covers the MRA layer shapes forward (x·Wᵀ+b),
// backward (dy·W) and the weight gradient, at row counts around the block
// sizes and the cache chunk, and a k beyond the packing buffer.
func TestGemmMRAShapes(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(8, 8))
		shapes := append(mraShapes, [2]int{600, 3}, [2]int{1100, 9}, [2]int{9, 1100})
		for _, s := range shapes {
			in, out := s[0], s[1]
			for _, rows := range []int{1, 5, 8, 9, 16, 100, 191, 192, 193, 385, 1000} {
				t.Run(fmt.Sprintf("%d→%d/rows=%d", in, out, rows), func(t *testing.T) {
					checkMulABt(t, rng, rows, out, in, true)
					checkMulABt(t, rng, rows, in, out, false)
					checkAddATB(t, rng, rows, in, out)
				})
			}
		}
	})
}

// TestGemmZeroAllocs checks the products do not allocate, including the
// large packing buffer and the panel groups beyond it.
func TestGemmZeroAllocs(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 9))
		for _, s := range [][3]int{{64, 32, 96}, {300, 96, 32}, {20, 512, 70}, {3, 22, 32}} {
			rows, n, k := s[0], s[1], s[2]
			a, b, bias := randSlice(rng, rows*k, 0), randSlice(rng, n*k, 0), randSlice(rng, n, 0)
			c := make([]float64, rows*n)
			dwt := make([]float64, k*n)
			if got := testing.AllocsPerRun(10, func() {
				mulABt(c, a, b, bias, rows, n, k)
				addATB(dwt, bias, a, c, rows, k, n)
			}); got != 0 {
				t.Errorf("%v: %v allocs per call", s, got)
			}
		}
	})
}

// BenchmarkGemmKernels times the float64 products (see benchGemm).
func BenchmarkGemmKernels(b *testing.B) { benchGemm[float64](b) }
