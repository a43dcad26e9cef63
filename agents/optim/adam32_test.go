package optim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdam32MatchesFloat64 runs float32 and float64 Adam (coupled and
// decoupled decay) on the same gradients for 20 steps from the same
// parameters and checks the parameters stay within 5e-6 absolute, and
// that a float32 state round-trips exactly. Each float32 step rounds θ
// (|θ| ≲ 3 here) to ½ ulp ≤ 2⁻²⁴·3 ≈ 1.8e-7, so 20 steps drift at most
// ~3.6e-6; a wrong term would show at the step size, lr = 1e-2.
func TestAdam32MatchesFloat64(t *testing.T) {
	for _, decoupled := range []bool{false, true} {
		cfg := DefaultAdam()
		cfg.LR, cfg.WeightDecay = Constant(1e-2), 3e-4
		const d = 50
		a64, err := newAdam[float64](d, cfg, decoupled)
		if err != nil {
			t.Fatal(err)
		}
		a32, err := newAdam[float32](d, cfg, decoupled)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		p64, p32 := make([]float64, d), make([]float32, d)
		g64, g32 := make([]float64, d), make([]float32, d)
		for i := range p32 {
			p32[i] = float32(rng.NormFloat64())
			p64[i] = float64(p32[i])
		}
		var worst float64
		for range 20 {
			for i := range g32 {
				g32[i] = float32(rng.NormFloat64())
				g64[i] = float64(g32[i])
			}
			if err := a64.Step(p64, g64); err != nil {
				t.Fatal(err)
			}
			if err := a32.Step(p32, g32); err != nil {
				t.Fatal(err)
			}
			for i := range p64 {
				worst = max(worst, math.Abs(float64(p32[i])-p64[i]))
			}
		}
		if worst > 5e-6 || worst == 0 {
			t.Errorf("%s: parameters differ by %.3g after 20 steps, want (0, 5e-6]", a32.Name(), worst)
		}
		s, err := a32.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		b32, _ := newAdam[float32](d, cfg, decoupled)
		if err := b32.UnmarshalState(s); err != nil {
			t.Fatal(err)
		}
		s2, _ := b32.MarshalState()
		if string(s) != string(s2) || b32.Steps() != 20 {
			t.Errorf("%s: float32 state does not round-trip", a32.Name())
		}
		t.Logf("%s: max |θ32 − θ64| after 20 steps: %.3g", a32.Name(), worst)
	}
}
