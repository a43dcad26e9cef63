package optim_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/mrasim/mrasim/agents/optim"
)

func newMFAC(t testing.TB, d, m int, lambda float64) *optim.MFAC {
	t.Helper()
	o, err := optim.NewMFAC(d, optim.MFACConfig{LR: optim.Constant(1), Window: m, Damping: lambda})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// denseIHVP solves (λI + GᵀG/m)x = g with gonum's Cholesky.
func denseIHVP(rows [][]float64, lambda float64, g []float64) []float64 {
	d, m := len(g), len(rows)
	F := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			var s float64
			for _, r := range rows {
				s += r[i] * r[j]
			}
			s /= float64(m)
			if i == j {
				s += lambda
			}
			F.SetSym(i, j, s)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(F) {
		panic("not SPD")
	}
	var x mat.VecDense
	if err := ch.SolveVecTo(&x, mat.NewVecDense(d, append([]float64(nil), g...))); err != nil {
		panic(err)
	}
	return x.RawVector().Data
}

func relL1(got, want []float64) float64 {
	var num, den float64
	for i := range got {
		num += math.Abs(got[i] - want[i])
		den += math.Abs(want[i])
	}
	return num / den
}

func TestMFACAgainstDenseSolve(t *testing.T) {
	const d, m = 60, 8
	// The "step" cases take the M-FAC step on the last gradient, whose IHVP
	// uses the cancellation-free row form; the dense reference itself is only
	// good to about ε_mach·κ(F) ≈ 2e-16·(1 + 7.5/λ), hence the looser bound at
	// λ = 1e-5 (measured: 7e-11 between the two).
	for _, tc := range []struct {
		name   string
		lambda float64
		step   bool // IHVP of the newest window gradient through Step
		tol    float64
	}{
		{"lambda=1e-2/apply", 1e-2, false, 1e-10},
		{"lambda=1e-2/step", 1e-2, true, 1e-10},
		{"lambda=1e-5/apply", 1e-5, false, 1e-10},
		{"lambda=1e-5/step", 1e-5, true, 5e-10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(7)
			o := newMFAC(t, d, m, tc.lambda)
			rows := make([][]float64, m)
			for j := range rows {
				rows[j] = randVec(d, rng)
				if j < m-1 || !tc.step {
					if err := o.Insert(rows[j]); err != nil {
						t.Fatal(err)
					}
				}
			}
			g := randVec(d, rng)
			got := make([]float64, d)
			if tc.step {
				g = rows[m-1]
				if err := o.Step(got, g); err != nil { // η = 1 from θ = 0: θ = −F⁻¹g
					t.Fatal(err)
				}
				for i := range got {
					got[i] = -got[i]
				}
			} else if err := o.Apply(got, g); err != nil {
				t.Fatal(err)
			}
			if e := relL1(got, denseIHVP(rows, tc.lambda, g)); e > tc.tol {
				t.Errorf("relative L1 error %.3g, want < %g", e, tc.tol)
			}
		})
	}
}

func TestMFACRingBufferOverwrite(t *testing.T) {
	const d, m = 40, 6
	rng := newRNG(3)
	grads := make([][]float64, m+3)
	for i := range grads {
		grads[i] = randVec(d, rng)
	}
	full, fresh := newMFAC(t, d, m, 1e-3), newMFAC(t, d, m, 1e-3)
	for _, g := range grads {
		if err := full.Insert(g); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range grads[3:] {
		if err := fresh.Insert(g); err != nil {
			t.Fatal(err)
		}
	}
	if full.Len() != m {
		t.Errorf("Len() = %d after %d inserts, want %d", full.Len(), m+3, m)
	}
	x := randVec(d, rng)
	a, b := make([]float64, d), make([]float64, d)
	if err := full.Apply(a, x); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Apply(b, x); err != nil {
		t.Fatal(err)
	}
	if e := dist(a, b) / norm(b); e > 1e-12 {
		t.Errorf("overwritten window differs from a fresh one holding the last m: rel %.3g", e)
	}
}

func TestMFACEmptyWindowAndFirstStep(t *testing.T) {
	const d, m, lambda, eta = 30, 16, 1e-5, 1e-3
	rng := newRNG(5)
	g := randVec(d, rng)
	o, err := optim.NewMFAC(d, optim.MFACConfig{LR: optim.Constant(eta), Window: m, Damping: lambda})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, d)
	if err := o.Apply(dst, g); err != nil {
		t.Fatal(err)
	}
	for i := range g {
		if want := g[i] / lambda; math.Abs(dst[i]-want) > 1e-12*math.Abs(want) {
			t.Fatalf("empty window: Apply[%d] = %g, want g/λ = %g", i, dst[i], want)
		}
	}
	theta := make([]float64, d) // from θ = 0 the step is read off without cancellation
	if err := o.Step(theta, g); err != nil {
		t.Fatal(err)
	}
	gg := norm(g) * norm(g)
	for i := range g {
		want := eta * g[i] / (lambda + gg/m)
		if got := -theta[i]; math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Fatalf("first step[%d] = %g, want η·g/(λ + ‖g‖²/m) = %g", i, got, want)
		}
	}
}

func TestMFACOneNewtonStep(t *testing.T) {
	const d, m = 60, 8
	for _, lambda := range []float64{1e-1, 1e-3} {
		rng := newRNG(11)
		o := newMFAC(t, d, m, lambda)
		A := make([]float64, d*d)
		for range m {
			u := randVec(d, rng)
			if err := o.Insert(u); err != nil {
				t.Fatal(err)
			}
			for i := range d {
				for j := range d {
					A[i*d+j] += u[i] * u[j] / m
				}
			}
		}
		for i := range d {
			A[i*d+i] += lambda
		}
		q := &quadratic{d: d, a: A, b: randVec(d, rng)}
		theta := randVec(d, rng)
		g, step := make([]float64, d), make([]float64, d)
		q.grad(theta, g)
		if err := o.Apply(step, g); err != nil {
			t.Fatal(err)
		}
		for i := range theta {
			theta[i] -= step[i]
		}
		want := q.solution()
		if e := dist(theta, want) / norm(want); e > 1e-9 {
			t.Errorf("λ = %g: one Newton step misses A⁻¹b by rel %.3g", lambda, e)
		}
	}
}

func TestMFACMomentumAndWeightDecay(t *testing.T) {
	// With μ and wd the step is θ − η·(1−μ)·F⁻¹(g + wd·θ) on the first step.
	const d, m, lambda, eta, mu, wd = 10, 4, 1e-2, 0.1, 0.9, 0.01
	rng := newRNG(2)
	o, err := optim.NewMFAC(d, optim.MFACConfig{LR: optim.Constant(eta), Window: m, Damping: lambda, Momentum: mu, WeightDecay: wd})
	if err != nil {
		t.Fatal(err)
	}
	theta, g := randVec(d, rng), randVec(d, rng)
	gt := make([]float64, d)
	for i := range g {
		gt[i] = g[i] + wd*theta[i]
	}
	// denseIHVP divides by the number of rows (1); M-FAC divides by m, so scale g̃ by 1/√m.
	scaled := make([]float64, d)
	for i := range gt {
		scaled[i] = gt[i] / math.Sqrt(m)
	}
	want := denseIHVP([][]float64{scaled}, lambda, gt)
	before := append([]float64(nil), theta...)
	if err := o.Step(theta, g); err != nil {
		t.Fatal(err)
	}
	for i := range theta {
		w := eta * (1 - mu) * want[i]
		if got := before[i] - theta[i]; math.Abs(got-w) > 1e-12*math.Abs(w)+1e-15 {
			t.Fatalf("step[%d] = %g, want %g", i, got, w)
		}
	}
}
