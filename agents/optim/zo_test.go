package optim_test

import (
	"math"
	"testing"

	"github.com/mrasim/mrasim/agents/optim"
)

func newSPSA(t testing.TB, d int, cfg optim.SPSAConfig) *optim.SPSA {
	t.Helper()
	s, err := optim.NewSPSA(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSPSAProjectionIsExactOnQuadratic(t *testing.T) {
	const d = 30
	rng := newRNG(21)
	q := randQuadratic(d, 0.5, 5, rng)
	theta := randVec(d, rng)
	s := newSPSA(t, d, optim.SPSAConfig{LR: optim.Constant(0), Eps: 1e-3, Directions: 3, Seed: 5})
	if _, err := s.StepZO(theta, q.loss); err != nil {
		t.Fatal(err)
	}
	_, seed, proj := s.Last()
	g, z := make([]float64, d), make([]float64, d)
	q.grad(theta, g)
	for j, p := range proj {
		s.Perturbation(z, seed, j)
		var want float64
		for i := range z {
			want += z[i] * g[i]
		}
		if math.Abs(p-want) > 1e-8*math.Abs(want) {
			t.Errorf("direction %d: p = %.13g, zᵀ∇L = %.13g", j, p, want)
		}
	}
}

func TestSPSAUnbiasedOnLinear(t *testing.T) {
	const d, n = 10, 4000
	c := randVec(d, newRNG(22))
	linear := func(p []float64) float64 {
		var s float64
		for i := range p {
			s += c[i] * p[i]
		}
		return s
	}
	s := newSPSA(t, d, optim.SPSAConfig{LR: optim.Constant(1), Eps: 1e-3, Directions: 1, Seed: 9})
	mean := make([]float64, d)
	for range n {
		theta := make([]float64, d)
		if _, err := s.StepZO(theta, linear); err != nil {
			t.Fatal(err)
		}
		for i := range theta {
			mean[i] -= theta[i] / n // θ = −ĝ from 0 with η = 1
		}
	}
	// Var(ĝ_i) = ‖c‖² + c_i², so ‖mean − c‖ ≈ sqrt((d+1)/n)·‖c‖.
	if e, bound := dist(mean, c), 4*math.Sqrt(float64(d+1)/n)*norm(c); e > bound {
		t.Errorf("‖mean ĝ − c‖ = %g, want < %g", e, bound)
	}
}

func TestCGEBiasOnQuadratic(t *testing.T) {
	const d, mu = 15, 5e-3
	rng := newRNG(23)
	q := randQuadratic(d, 0.5, 5, rng)
	theta := randVec(d, rng)
	c, err := optim.NewCGE(d, optim.CGEConfig{LR: optim.Constant(0.1), Mu: mu})
	if err != nil {
		t.Fatal(err)
	}
	est, g := make([]float64, d), make([]float64, d)
	before := append([]float64(nil), theta...)
	if _, err := c.Estimate(est, theta, q.loss); err != nil {
		t.Fatal(err)
	}
	if !sameBits(theta, before) {
		t.Fatal("Estimate did not restore params bit for bit")
	}
	q.grad(theta, g)
	for i := range d {
		if bias, want := est[i]-g[i], mu*q.a[i*d+i]/2; math.Abs(bias-want) > 1e-10 {
			t.Errorf("coordinate %d: bias %.13g, want μA_ii/2 = %.13g", i, bias, want)
		}
	}
}

func TestSPSASeedReplay(t *testing.T) {
	const d, q, eta = 25, 3, 0.01
	rng := newRNG(24)
	quad := randQuadratic(d, 0.5, 5, rng)
	theta := randVec(d, rng)
	start := append([]float64(nil), theta...)
	s := newSPSA(t, d, optim.SPSAConfig{LR: optim.Constant(eta), Eps: 1e-3, Directions: q, Seed: 77})
	f := func(p []float64) float64 {
		if &p[0] == &theta[0] {
			t.Fatal("loss evaluated on θ itself: θ would be perturbed")
		}
		if !sameBits(theta, start) {
			t.Fatal("θ changed between the ± evaluations")
		}
		return quad.loss(p)
	}
	if _, err := s.StepZO(theta, f); err != nil {
		t.Fatal(err)
	}
	step, seed, proj := s.Last()

	// Stored-z reference: materialise every z_j and apply the same update.
	ref := append([]float64(nil), start...)
	z := make([]float64, d)
	for j, p := range proj {
		s.Perturbation(z, seed, j)
		c := eta * p / q
		for i := range ref {
			ref[i] -= c * z[i]
		}
	}
	if !sameBits(theta, ref) {
		t.Errorf("regenerated-z update differs from the stored-z update: ‖Δ‖ = %g", dist(theta, ref))
	}

	// A replica replaying the record from the same start is bit-identical.
	replica := append([]float64(nil), start...)
	other := newSPSA(t, d, optim.SPSAConfig{LR: optim.Constant(eta), Eps: 1e-3, Directions: q, Seed: 1})
	if err := other.Replay(replica, step, seed, proj); err != nil {
		t.Fatal(err)
	}
	if !sameBits(replica, theta) {
		t.Errorf("replayed replica differs: ‖Δ‖ = %g", dist(replica, theta))
	}
}

func TestZOConverges(t *testing.T) {
	const d = 20
	q := randQuadratic(d, 1, 2, newRNG(25))
	want := q.solution()
	for _, tc := range []struct {
		name  string
		opt   optim.ZeroOrder
		steps int
	}{
		{"spsa", func() optim.ZeroOrder {
			s, _ := optim.NewSPSA(d, optim.SPSAConfig{LR: optim.Constant(0.02), Eps: 1e-3, Directions: 1, Seed: 3})
			return s
		}(), 6000},
		{"cge", func() optim.ZeroOrder {
			c, _ := optim.NewCGE(d, optim.CGEConfig{LR: optim.Constant(0.4), Mu: 1e-6})
			return c
		}(), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			theta := make([]float64, d)
			for range tc.steps {
				if _, err := tc.opt.StepZO(theta, q.loss); err != nil {
					t.Fatal(err)
				}
			}
			if e := dist(theta, want); e > 1e-3 {
				t.Errorf("‖θ − θ*‖ = %g after %d steps, want < 1e-3", e, tc.steps)
			}
		})
	}
}
