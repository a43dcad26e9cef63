package stats_test

import (
	"math"
	"testing"

	"github.com/mrasim/mrasim/internal/stats"
)

// TestTInterval95 checks the interval against hand computations with the
// tabulated quantiles t₀.₉₇₅,₁ = 12.7062, t₀.₉₇₅,₃ = 3.182446305 and
// t₀.₉₇₅,₉ = 2.26216.
func TestTInterval95(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name           string
		xs             []float64
		mean, sd, half float64
	}{
		{"none", nil, nan, nan, nan},
		{"one", []float64{3}, 3, nan, nan},
		{"two", []float64{1, 3}, 2, math.Sqrt2, 12.7062 * math.Sqrt2 / math.Sqrt2},
		{"four", []float64{1, 2, 3, 4}, 2.5, math.Sqrt(5.0 / 3), 3.182446305284263 * math.Sqrt(5.0/3) / 2},
		{"two halves", []float64{0, 1}, 0.5, math.Sqrt(0.5), 6.353102368087349},
		{"constant", []float64{-3, -3, -3}, -3, 0, 0},
		{"ten", []float64{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, 0.5, math.Sqrt(2.5 / 9), 2.26216 * math.Sqrt(2.5/9) / math.Sqrt(10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mean, sd, half := stats.TInterval95(tc.xs)
			if !near(mean, tc.mean, 1e-12) || !near(sd, tc.sd, 1e-12) || !near(half, tc.half, 1e-4) {
				t.Errorf("TInterval95(%v) = %v, %v, %v; want %v, %v, %v", tc.xs, mean, sd, half, tc.mean, tc.sd, tc.half)
			}
			m, se := stats.MeanSE(tc.xs)
			if !near(m, tc.mean, 1e-12) || !near(se, tc.sd/math.Sqrt(float64(len(tc.xs))), 1e-12) {
				t.Errorf("MeanSE(%v) = %v, %v", tc.xs, m, se)
			}
		})
	}
}

// TestTQuantile checks quantiles against tables, fractional degrees of
// freedom included, and NaN where df is not positive.
func TestTQuantile(t *testing.T) {
	for _, tc := range []struct {
		p, df, want float64
	}{
		{0.975, 2, 4.30265},
		{0.975, 30, 2.04227},
		{0.95, 5, 2.01505},
		{0.80, 10, 0.87906},
		{0.975, 1e9, 1.95996},
		{0.975, 0, math.NaN()},
		{0.975, math.NaN(), math.NaN()},
	} {
		if got := stats.TQuantile(tc.p, tc.df); !near(got, tc.want, 1e-4) {
			t.Errorf("TQuantile(%v, %v) = %v, want %v", tc.p, tc.df, got, tc.want)
		}
	}
}

func near(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}
