package league

import (
	"math"
	"testing"

	"github.com/mrasim/mrasim/internal/stats"
)

// TestLowerBound: the gains are summed unclipped (a negative test gain
// lowers the sum: clipping it at 0 would bias the bound upward near
// equilibrium), a kept incumbent contributes exactly 0 with its
// challenger's uncertainty, and the bound is the one-sided Student-t
// bound with Welch–Satterthwaite degrees of freedom.
func TestLowerBound(t *testing.T) {
	t95 := func(df float64) float64 { return stats.TQuantile(0.95, df) }
	for _, tc := range []struct {
		name     string
		devs     []Deviation
		gain, se float64
		df       float64
	}{
		{"one type, negative gain", []Deviation{{Agents: 3, Chosen: true, Gain: -0.2, GainSE: 0.1, TestEpisodes: 101}}, -0.6, 0.3, 100},
		{"kept incumbent", []Deviation{{Agents: 2, Chosen: false, Gain: 0, GainSE: 0.5, TestEpisodes: 11}}, 0, 1, 10},
		{"two types", []Deviation{
			{Agents: 1, Chosen: true, Gain: 2, GainSE: 0.3, TestEpisodes: 31},
			{Agents: 4, Chosen: true, Gain: -0.1, GainSE: 0.1, TestEpisodes: 301}},
			1.6, 0.5, math.Pow(0.09+0.16, 2) / (0.09*0.09/30 + 0.16*0.16/300)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := lowerBound(tc.devs)
			if math.Abs(b.gain-tc.gain) > 1e-12 {
				t.Errorf("gain %v, want %v (unclipped)", b.gain, tc.gain)
			}
			want := tc.gain - t95(tc.df)*tc.se
			if math.Abs(b.bound-want) > 1e-9 {
				t.Errorf("bound %v, want %v", b.bound, want)
			}
			if !(b.ci95 > 0) || !(b.detectable > t95(tc.df)*tc.se) {
				t.Errorf("interval %v, detectable %v: want both from the test episodes' spread", b.ci95, b.detectable)
			}
		})
	}
}

// TestMeanCIStudentT: the league's return intervals are Student-t,
// t₀.₉₇₅,ₙ₋₁·sd/√n (x = 1, 2, 3, 4: sd √(5/3), t₀.₉₇₅,₃ = 3.182446305),
// like br's and the sweep's, not 1.96·sd/√n.
func TestMeanCIStudentT(t *testing.T) {
	mean, ci := meanCI([]float64{1, 2, 3, 4})
	want := 3.182446305284263 * math.Sqrt(5.0/3) / 2
	if mean != 2.5 || math.Abs(ci-want) > 1e-9 {
		t.Errorf("meanCI = %v ± %v, want 2.5 ± %v", mean, ci, want)
	}
}
