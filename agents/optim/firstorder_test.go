package optim_test

import (
	"math"
	"testing"

	"github.com/mrasim/mrasim/agents/optim"
)

func TestSGDQuadratic(t *testing.T) {
	q := randQuadratic(20, 1, 10, newRNG(1)) // λ_max = 10 + 1 ≤ 11
	want := q.solution()
	for _, tc := range []struct {
		name  string
		cfg   optim.SGDConfig
		steps int
		tol   float64
	}{
		{"plain", optim.SGDConfig{LR: optim.Constant(0.15)}, 2000, 1e-8},
		{"heavy-ball", optim.SGDConfig{LR: optim.Constant(0.05), Momentum: 0.5}, 2000, 1e-8},
		{"nesterov", optim.SGDConfig{LR: optim.Constant(0.05), Momentum: 0.5, Nesterov: true}, 2000, 1e-8},
		{"step-decay", optim.SGDConfig{LR: optim.StepDecay{Base: 0.15, Gamma: 0.5, Milestones: []int{1500}}}, 3000, 1e-8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := optim.NewSGD(q.d, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			theta, g := make([]float64, q.d), make([]float64, q.d)
			for range tc.steps {
				q.grad(theta, g)
				if err := s.Step(theta, g); err != nil {
					t.Fatal(err)
				}
			}
			if e := dist(theta, want); e > tc.tol {
				t.Errorf("‖θ − A⁻¹b‖ = %g after %d steps, want < %g", e, tc.steps, tc.tol)
			}
		})
	}
}

func TestSGDMomentumByHand(t *testing.T) {
	// f = ½θ², θ0 = 1, η = 0.1, μ = 0.9, wd = 0.5 (L2: g̃ = θ + 0.5θ).
	for _, tc := range []struct {
		nesterov bool
		want     float64
	}{
		// step 1: g̃ = 1.5, b = 1.5, θ = 1 − 0.15 = 0.85
		// step 2: g̃ = 1.275, b = 0.9·1.5 + 1.275 = 2.625, θ = 0.85 − 0.2625 = 0.5875
		{false, 0.5875},
		// step 1: g̃ = 1.5, b = 1.5, d = 1.5 + 1.35 = 2.85, θ = 0.715
		// step 2: g̃ = 1.0725, b = 1.35 + 1.0725 = 2.4225, d = 1.0725 + 2.18025 = 3.25275, θ = 0.389725
		{true, 0.389725},
	} {
		s, err := optim.NewSGD(1, optim.SGDConfig{LR: optim.Constant(0.1), Momentum: 0.9, Nesterov: tc.nesterov, WeightDecay: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		theta := []float64{1}
		for range 2 {
			if err := s.Step(theta, []float64{theta[0]}); err != nil {
				t.Fatal(err)
			}
		}
		if math.Abs(theta[0]-tc.want) > 1e-15 {
			t.Errorf("nesterov=%v: θ2 = %.17g, want %.17g", tc.nesterov, theta[0], tc.want)
		}
	}
}

func TestAdamFirstStepByHand(t *testing.T) {
	// f = (θ−3)², θ0 = 0, so g = −6. With β = (0.9, 0.999), ε = 1e-8, η = 0.1:
	// m = −0.6, v = 0.036, m̂ = −6, √v̂ = 6, θ1 = 0.1·6/(6 + 1e-8).
	const hand = 0.09999999983333333361 // 0.6/6.00000001
	for _, tc := range []struct {
		name string
		ctor func(int, optim.AdamConfig) (*optim.Adam, error)
		wd   float64
		want float64
	}{
		{"adam", optim.NewAdam, 0, hand},
		{"adamw", optim.NewAdamW, 0, hand},
		// AdamW at θ0 = 0 decays nothing: same as above.
		{"adamw-wd", optim.NewAdamW, 0.1, hand},
		// Adam's L2 term at θ0 = 0 adds nothing either.
		{"adam-wd", optim.NewAdam, 0.1, hand},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := optim.DefaultAdam()
			cfg.LR, cfg.WeightDecay = optim.Constant(0.1), tc.wd
			a, err := tc.ctor(1, cfg)
			if err != nil {
				t.Fatal(err)
			}
			theta := []float64{0}
			if err := a.Step(theta, []float64{2 * (theta[0] - 3)}); err != nil {
				t.Fatal(err)
			}
			if math.Abs(theta[0]-tc.want) > 1e-15 {
				t.Errorf("θ1 = %.17g, want %.17g", theta[0], tc.want)
			}
		})
	}
}

func TestAdamWeightDecayForms(t *testing.T) {
	// One step from θ0 = 1 with g = 0, η = 0.1, wd = 0.5, ε = 1e-8.
	// AdamW: θ1 = 1·(1 − 0.05) − 0 = 0.95 exactly.
	// Adam (L2): g̃ = 0.5, m̂ = 0.5, √v̂ = 0.5, θ1 = 1 − 0.1·0.5/(0.5 + 1e-8).
	for _, tc := range []struct {
		ctor func(int, optim.AdamConfig) (*optim.Adam, error)
		name string
		want float64
	}{
		{optim.NewAdamW, "adamw", 0.95},
		{optim.NewAdam, "adam", 1 - 0.05/(0.5+1e-8)},
	} {
		cfg := optim.DefaultAdam()
		cfg.LR, cfg.WeightDecay = optim.Constant(0.1), 0.5
		a, err := tc.ctor(1, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if a.Name() != tc.name {
			t.Errorf("Name() = %q, want %q", a.Name(), tc.name)
		}
		theta := []float64{1}
		if err := a.Step(theta, []float64{0}); err != nil {
			t.Fatal(err)
		}
		if math.Abs(theta[0]-tc.want) > 1e-15 {
			t.Errorf("%s: θ1 = %.17g, want %.17g", tc.name, theta[0], tc.want)
		}
	}
}

func TestAdamConverges(t *testing.T) {
	cfg := optim.DefaultAdam()
	cfg.LR = optim.Cosine{Base: 0.1, Min: 1e-4, Steps: 3000}
	a, err := optim.NewAdam(1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	theta := []float64{0}
	for range 3000 {
		if err := a.Step(theta, []float64{2 * (theta[0] - 3)}); err != nil {
			t.Fatal(err)
		}
	}
	if math.Abs(theta[0]-3) > 1e-6 {
		t.Errorf("θ = %.12g after 3000 steps, want 3 ± 1e-6", theta[0])
	}
}

func TestSchedules(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    optim.Schedule
		step int
		want float64
	}{
		{"constant", optim.Constant(0.3), 99, 0.3},
		{"step-before", optim.StepDecay{Base: 1, Gamma: 0.1, Milestones: []int{10, 20}}, 9, 1},
		{"step-first", optim.StepDecay{Base: 1, Gamma: 0.1, Milestones: []int{10, 20}}, 10, 0.1},
		{"step-both", optim.StepDecay{Base: 1, Gamma: 0.1, Milestones: []int{10, 20}}, 25, 0.1 * 0.1},
		{"cosine-start", optim.Cosine{Base: 1, Min: 0.1, Steps: 100}, 0, 1},
		{"cosine-half", optim.Cosine{Base: 1, Min: 0.1, Steps: 100}, 50, 0.55},
		{"cosine-end", optim.Cosine{Base: 1, Min: 0.1, Steps: 100}, 150, 0.1},
		{"warmup-first", optim.Warmup{Steps: 4, Then: optim.Constant(2)}, 0, 0.5},
		{"warmup-last", optim.Warmup{Steps: 4, Then: optim.Constant(2)}, 3, 2},
		{"warmup-then-cosine", optim.Warmup{Steps: 10, Then: optim.Cosine{Base: 1, Steps: 100}}, 60, 0.5},
	} {
		if got := tc.s.At(tc.step); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s: At(%d) = %.17g, want %.17g", tc.name, tc.step, got, tc.want)
		}
	}
}

func TestClipGlobalNorm(t *testing.T) {
	for _, tc := range []struct {
		name     string
		max      float64
		grad     []float64
		wantNorm float64
		want     []float64
	}{
		{"clipped", 1, []float64{3, 4}, 5, []float64{3 / (5 + 1e-6), 4 / (5 + 1e-6)}},
		{"untouched", 10, []float64{3, 4}, 5, []float64{3, 4}},
		{"zero", 1, []float64{0, 0}, 0, []float64{0, 0}},
		{"huge", 1, []float64{1e200, 1e200}, math.Sqrt2 * 1e200, []float64{1 / math.Sqrt2, 1 / math.Sqrt2}},
	} {
		c := &optim.ClipGlobalNorm{MaxNorm: tc.max}
		n, err := c.Clip(tc.grad)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(n-tc.wantNorm) > 1e-15*tc.wantNorm {
			t.Errorf("%s: pre-clip norm %g, want %g", tc.name, n, tc.wantNorm)
		}
		if dist(tc.grad, tc.want) > 1e-15 {
			t.Errorf("%s: clipped grad %v, want %v", tc.name, tc.grad, tc.want)
		}
	}
}

func TestChainClipsBeforeStep(t *testing.T) {
	sgd, _ := optim.NewSGD(2, optim.SGDConfig{LR: optim.Constant(1)})
	c := &optim.Chain{Transforms: []optim.Transform{&optim.ClipGlobalNorm{MaxNorm: 1}}, Opt: sgd}
	if got, want := c.Name(), "chain(clip,sgd)"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	theta := []float64{0, 0}
	if err := c.Step(theta, []float64{30, 40}); err != nil {
		t.Fatal(err)
	}
	if n := norm(theta); math.Abs(n-1) > 1e-6 {
		t.Errorf("step length %g, want 1 after clipping", n)
	}
}
