package optim_test

import (
	"fmt"
	"testing"

	"github.com/mrasim/mrasim/agents/optim"
)

var benchDims = []int{1_000, 10_000, 100_000}

func benchFirstOrder(b *testing.B, newOpt func(d int) optim.Optimizer) {
	for _, d := range benchDims {
		b.Run(fmt.Sprintf("d=%d", d), func(b *testing.B) {
			rng := newRNG(61)
			theta, g := randVec(d, rng), randVec(d, rng)
			for i := range g {
				g[i] *= 1e-3
			}
			o := newOpt(d)
			b.ReportAllocs()
			b.SetBytes(int64(8 * d))
			b.ResetTimer()
			for b.Loop() {
				if err := o.Step(theta, g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSGD(b *testing.B) {
	benchFirstOrder(b, func(d int) optim.Optimizer {
		o, _ := optim.NewSGD(d, optim.SGDConfig{LR: optim.Constant(1e-3), Momentum: 0.9})
		return o
	})
}

func BenchmarkAdam(b *testing.B) {
	benchFirstOrder(b, func(d int) optim.Optimizer {
		cfg := optim.DefaultAdam()
		cfg.WeightDecay = 3e-4
		o, _ := optim.NewAdam(d, cfg)
		return o
	})
}

func BenchmarkAdamW(b *testing.B) {
	benchFirstOrder(b, func(d int) optim.Optimizer {
		cfg := optim.DefaultAdam()
		cfg.WeightDecay = 1e-2
		o, _ := optim.NewAdamW(d, cfg)
		return o
	})
}

func BenchmarkClipGlobalNorm(b *testing.B) {
	for _, d := range benchDims {
		b.Run(fmt.Sprintf("d=%d", d), func(b *testing.B) {
			g := randVec(d, newRNG(62))
			c := &optim.ClipGlobalNorm{MaxNorm: 1e9}
			b.ReportAllocs()
			b.SetBytes(int64(8 * d))
			for b.Loop() {
				if _, err := c.Clip(g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMFAC measures one steady-state step (full window). The ns/(d·m)
// metric is flat when the cost is proportional to d·m.
func BenchmarkMFAC(b *testing.B) {
	for _, d := range benchDims {
		for _, m := range []int{16, 64, 128} {
			b.Run(fmt.Sprintf("d=%d/m=%d", d, m), func(b *testing.B) {
				rng := newRNG(63)
				o, err := optim.NewMFAC(d, optim.MFACConfig{LR: optim.Constant(1e-6), Window: m, Damping: 1e-2})
				if err != nil {
					b.Fatal(err)
				}
				theta := randVec(d, rng)
				grads := [4][]float64{randVec(d, rng), randVec(d, rng), randVec(d, rng), randVec(d, rng)}
				for i := range m { // fill the window
					if err := o.Step(theta, grads[i%4]); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				i := 0
				for b.Loop() {
					if err := o.Step(theta, grads[i%4]); err != nil {
						b.Fatal(err)
					}
					i++
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i)/float64(d*m), "ns/(d·m)")
				b.ReportMetric(float64(8*m*d)/1e6, "window-MB")
			})
		}
	}
}

// separable is the closure f(θ) = ½Σ h_i θ_i² with O(d) evaluations, so the
// closure benchmarks show the optimizers' own overhead and evaluation count.
type separable struct{ h []float64 }

func (s separable) grad(theta, g []float64) float64 {
	var f float64
	for i, t := range theta {
		g[i] = s.h[i] * t
		f += 0.5 * s.h[i] * t * t
	}
	return f
}

func (s separable) loss(theta []float64) float64 {
	var f float64
	for i, t := range theta {
		f += 0.5 * s.h[i] * t * t
	}
	return f
}

// BenchmarkClosure compares whole steps (closure evaluations included) of SGD
// with one gradient, AdaHessian (central FD HVP: three gradients per refresh)
// at update_each 1 and 4, and SPSA (two loss evaluations).
func BenchmarkClosure(b *testing.B) {
	for _, d := range []int{10_000, 100_000} {
		rng := newRNG(64)
		q := separable{h: make([]float64, d)}
		for i := range q.h {
			q.h[i] = 0.5 + rng.Float64()
		}
		theta0 := randVec(d, rng)
		ada := func(each int) func(*testing.B) {
			return func(b *testing.B) {
				cfg := optim.DefaultAdaHessian()
				cfg.LR, cfg.UpdateEach = optim.Constant(1e-4), each
				o, _ := optim.NewAdaHessian(d, cfg)
				theta := append([]float64(nil), theta0...)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := o.StepClosure(theta, q.grad); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		b.Run(fmt.Sprintf("sgd/d=%d", d), func(b *testing.B) {
			o, _ := optim.NewSGD(d, optim.SGDConfig{LR: optim.Constant(1e-4)})
			theta, g := append([]float64(nil), theta0...), make([]float64, d)
			b.ReportAllocs()
			for b.Loop() {
				q.grad(theta, g)
				if err := o.Step(theta, g); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("adahessian/d=%d", d), ada(1))
		b.Run(fmt.Sprintf("adahessian-each4/d=%d", d), ada(4))
		b.Run(fmt.Sprintf("spsa/d=%d", d), func(b *testing.B) {
			o, _ := optim.NewSPSA(d, optim.SPSAConfig{LR: optim.Constant(1e-6), Eps: 1e-3, Directions: 1, Seed: 1})
			theta := append([]float64(nil), theta0...)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := o.StepZO(theta, q.loss); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
