package nn

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// Kernel benchmarks: the products of a Linear layer at MRA's shapes, and
// the machine's single-core FMA peak they are measured against.

// gemmBenchRows is the row count of the product benchmarks: a batch of
// 1024 agents, each seeing 6 entities (N = 7), as in the relation net's
// query and value layers at N = 7, or the N = 6 batch of 1024·6 agents.
const gemmBenchRows = 1024 * 6

// gemmBenchShapes are in→out of the relation and critic nets' layers.
var gemmBenchShapes = [][2]int{{22, 32}, {32, 96}, {32, 64}, {64, 32}, {70, 35}}

// bestRate returns the best GFLOP/s of f (flops per call) over windows of
// at least 1 ms, as measurePeak does for the FMA loops: 50 windows, or as
// many as fit in 0.25 s but at least 5.
func bestRate(f func(), flops float64) float64 {
	n := 1
	for {
		start := time.Now()
		for range n {
			f()
		}
		if time.Since(start) > time.Millisecond {
			break
		}
		n *= 2
	}
	best := 0.0
	begin := time.Now()
	for w := 0; w < 50 && (w < 5 || time.Since(begin) < 250*time.Millisecond); w++ {
		start := time.Now()
		for range n {
			f()
		}
		best = max(best, float64(n)*flops/time.Since(start).Seconds()/1e9)
	}
	return best
}

// measurePeak returns the GFLOP/s of the register-only FMA loop of kernel
// set lvl: the best of 50 runs of about 1 ms each, so that runs shared
// with other processes (shorter than a scheduler slice, most runs are not)
// count for nothing. It returns 0 for the Go loops.
func measurePeak(lvl int, f32 bool) float64 {
	loop, perIter := peakLoop(lvl, f32)
	if loop == nil {
		return 0
	}
	n := 1000
	for {
		start := time.Now()
		loop(n)
		if time.Since(start) > time.Millisecond {
			break
		}
		n *= 2
	}
	best := 0.0
	for range 50 {
		start := time.Now()
		loop(n)
		best = max(best, float64(n)*perIter/time.Since(start).Seconds()/1e9)
	}
	return best
}

var peaks struct {
	once     sync.Once
	f32, f64 float64 // best over the kernel sets, GFLOP/s
}

// machinePeak returns this core's measured FMA peak in float32 or float64,
// the best over the kernel sets it can run.
func machinePeak(f32 bool) float64 {
	peaks.once.Do(func() {
		for _, l := range gemmLevels() {
			peaks.f32 = max(peaks.f32, measurePeak(l, true))
			peaks.f64 = max(peaks.f64, measurePeak(l, false))
		}
	})
	if f32 {
		return peaks.f32
	}
	return peaks.f64
}

// BenchmarkFMAPeak times the register-only FMA loops: the single-core
// peak of each kernel set in each precision. GFLOP/s is the average over
// the benchmark's time, which other processes on the machine share;
// best-GFLOP/s is measurePeak's best 1-ms window, the denominator of the
// kernels' %peak.
func BenchmarkFMAPeak(b *testing.B) {
	for _, l := range gemmLevels() {
		for _, f32 := range []bool{true, false} {
			loop, perIter := peakLoop(l, f32)
			if loop == nil {
				continue
			}
			name := "float64"
			if f32 {
				name = "float32"
			}
			b.Run(fmt.Sprintf("%s/%s", [...]string{"go", "avx2+fma", "avx512f"}[l], name), func(b *testing.B) {
				const iters = 10000
				for b.Loop() {
					loop(iters)
				}
				b.ReportMetric(iters*perIter*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(measurePeak(l, f32), "best-GFLOP/s")
			})
		}
	}
}

// benchGemm times each product of a Linear layer on gemmBenchRows rows at
// gemmBenchShapes, per kernel set: forward (x·Wᵀ + b), the forward fused
// with the ReLU, the input gradient (dy·W) and the weight and bias
// gradient (dyᵀ·x). GFLOP/s is the average over the benchmark's time,
// best-GFLOP/s the best 1-ms window (bestRate), and %peak the best window
// in percent of the machine's best-window FMA peak in the same precision
// (machinePeak): on a machine shared with other processes the average
// mixes in their load, the best windows much less.
func benchGemm[T Float](b *testing.B) {
	old := gemmLevel
	defer func() { gemmLevel = old }()
	const rows = gemmBenchRows
	peak := machinePeak(is32[T]())
	rng := rand.New(rand.NewPCG(10, 10))
	for _, l := range gemmLevels() {
		gemmLevel = l
		for _, s := range gemmBenchShapes {
			in, out := s[0], s[1]
			x, w, bias := randT[T](rng, rows*in), randT[T](rng, out*in), randT[T](rng, out)
			wt := make([]T, in*out)
			transpose(wt, w, out, in)
			y, dy, dx := make([]T, rows*out), randT[T](rng, rows*out), make([]T, rows*in)
			dwt, db := make([]T, in*out), make([]T, out)
			flops := 2 * float64(rows*in*out)
			for _, op := range []struct {
				name string
				f    func()
			}{
				{"fwd", func() { mulABt(y, x, w, bias, rows, out, in) }},
				{"fwdReLU", func() { mulABtReLU(y, x, w, bias, rows, out, in) }},
				{"dx", func() { mulABt(dx, dy, wt, nil, rows, in, out) }},
				{"dW", func() { addATB(dwt, db, x, dy, rows, in, out) }},
			} {
				b.Run(fmt.Sprintf("%s/%s/%d→%d", gemmLevelName(), op.name, in, out), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						op.f()
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					best := bestRate(op.f, flops)
					b.ReportMetric(best, "best-GFLOP/s")
					if peak > 0 {
						b.ReportMetric(100*best/peak, "%peak")
					}
				})
			}
		}
	}
}

// BenchmarkGemm32Kernels times the float32 products (see benchGemm).
func BenchmarkGemm32Kernels(b *testing.B) { benchGemm[float32](b) }

// BenchmarkMLPForwardReLU times the forward pass of MRA's value MLP
// (22→32→64) on 1024·6 rows with the ReLU fused into the first layer's
// product (MLP.Forward) and as a separate pass (Linear, ReLU, Linear), in
// both precisions; metrics as in benchGemm.
func BenchmarkMLPForwardReLU(b *testing.B) {
	b.Run("float64", benchMLPForward[float64])
	b.Run("float32", benchMLPForward[float32])
}

func benchMLPForward[T Float](b *testing.B) {
	const rows = gemmBenchRows
	rng := rand.New(rand.NewPCG(3, 3))
	m := NewMLPOf(NewReLUOf[T], 22, 32, 64)
	n := m.NumParams()
	params := randT[T](rng, n)
	for i := range params {
		params[i] *= 0.2
	}
	m.SetParams(params, make([]T, n))
	x := randT[T](rng, rows*22)
	relu := &ReLUOf[T]{}
	flops := 2 * float64(rows*(22*32+32*64))
	for _, op := range []struct {
		name string
		f    func()
	}{
		{"fused", func() { m.Forward(x) }},
		{"separate", func() { m.Layers[1].Forward(relu.Forward(m.Layers[0].Forward(x))) }},
	} {
		b.Run(op.name, func(b *testing.B) {
			op.f()
			b.ReportAllocs()
			for b.Loop() {
				op.f()
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(bestRate(op.f, flops), "best-GFLOP/s")
		})
	}
}

// BenchmarkGemm32Subnormal times a float32 product y = x·Wᵀ (1024 rows,
// 32 → 64) on normal and on subnormal inputs at every kernel level: with
// subnormals flushed the two take the same time (without, the subnormal
// case took 10.4 ms against 86 µs, 120×, on an AVX-512 Xeon).
func BenchmarkGemm32Subnormal(b *testing.B) {
	old := gemmLevel
	defer func() { gemmLevel = old }()
	for _, lvl := range gemmLevels() {
		gemmLevel = lvl
		for _, v := range []float32{1, 1e-40} {
			name := "normal"
			if v != 1 {
				name = "subnormal"
			}
			b.Run(fmt.Sprintf("%s/%s", gemmLevelName(), name), func(b *testing.B) {
				rows, n, k := 1024, 64, 32
				a := make([]float32, rows*k)
				w := make([]float32, n*k)
				c := make([]float32, rows*n)
				for i := range a {
					a[i] = v
				}
				for i := range w {
					w[i] = 0.5
				}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					mulABt(c, a, w, nil, rows, n, k)
				}
			})
		}
	}
}
