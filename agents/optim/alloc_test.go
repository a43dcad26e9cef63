package optim_test

import (
	"testing"

	"github.com/mrasim/mrasim/agents/optim"
)

func TestStepAllocatesNothing(t *testing.T) {
	const d = 257
	rng := newRNG(51)
	theta, g := randVec(d, rng), randVec(d, rng)
	for i := range g {
		g[i] *= 1e-3
	}
	sum := func(p []float64) float64 {
		var s float64
		for _, v := range p {
			s += v * v
		}
		return s
	}
	for _, zc := range zoo() {
		o := zc.make(t, d)
		var run func()
		switch s := o.(type) {
		case optim.ZeroOrder:
			run = func() {
				if _, err := s.StepZO(theta, sum); err != nil {
					t.Fatal(err)
				}
			}
		case optim.ClosureStepper:
			continue // AdaHessian allocates nothing either, but is not part of the contract
		default:
			run = func() {
				if err := o.Step(theta, g); err != nil {
					t.Fatal(err)
				}
			}
		}
		run() // warm up: first-step branches
		if n := testing.AllocsPerRun(50, run); n != 0 {
			t.Errorf("%s: %v allocations per step, want 0", zc.name, n)
		}
	}
	adam, _ := optim.NewAdam(d, optim.DefaultAdam())
	chain := &optim.Chain{Transforms: []optim.Transform{&optim.ClipGlobalNorm{MaxNorm: 1}}, Opt: adam}
	if n := testing.AllocsPerRun(50, func() {
		if err := chain.Step(theta, g); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("clip+adam chain: %v allocations per step, want 0", n)
	}
	mfac, _ := optim.NewMFAC(d, optim.MFACConfig{LR: optim.Constant(1e-4), Window: 8, Damping: 1e-2})
	dst := make([]float64, d)
	if n := testing.AllocsPerRun(50, func() {
		if err := mfac.Step(theta, g); err != nil {
			t.Fatal(err)
		}
		if err := mfac.Apply(dst, g); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("mfac step+apply: %v allocations, want 0", n)
	}
}
