// Package stats is mrasim's one way of putting a 95% interval on a mean:
// the sample mean, the sample standard deviation (n−1 in the
// denominator), the standard error sd/√n and Student's t quantiles
// (gonum's distuv.StudentsT), so that the league, its best responses
// (league/br), the sweep and adaptation (mra) print intervals that mean
// the same thing.
//
// It imports nothing of mrasim, so any package may use it. It is not a
// general statistics library: for anything beyond a mean's interval use
// gonum's stat packages.
package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// MeanSD returns the mean of x and its sample standard deviation
// s = √(Σ(xᵢ − x̄)²/(n − 1)). With fewer than two values sd is NaN, and
// with none the mean is too.
func MeanSD(x []float64) (mean, sd float64) {
	n := float64(len(x))
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= n
	if n < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / (n - 1))
}

// MeanSE returns the mean of x and its standard error sd/√n (MeanSD):
// NaN with fewer than two values.
func MeanSE(x []float64) (mean, se float64) {
	mean, sd := MeanSD(x)
	return mean, sd / math.Sqrt(float64(len(x)))
}

// TInterval95 returns the mean of x, its sample standard deviation and the
// half-width of the two-sided 95% confidence interval of the mean from
// Student's t distribution with n−1 degrees of freedom:
//
//	x̄ ± t₀.₉₇₅,ₙ₋₁ · s/√n.
//
// The interval assumes independent draws of a normal variable; with fewer
// than two values sd and the half-width are NaN, and with none the mean is
// too.
func TInterval95(x []float64) (mean, sd, half float64) {
	mean, sd = MeanSD(x)
	if len(x) < 2 {
		return mean, sd, math.NaN()
	}
	n := float64(len(x))
	return mean, sd, TQuantile(0.975, n-1) * sd / math.Sqrt(n)
}

// TQuantile returns the p-quantile of Student's t distribution with df
// degrees of freedom (df > 0; fractional df, as from Welch–Satterthwaite,
// allowed): t₀.₉₇₅,df for a two-sided 95% interval, t₀.₉₅,df for a
// one-sided bound. NaN when df is not positive.
func TQuantile(p, df float64) float64 {
	if !(df > 0) {
		return math.NaN()
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}
