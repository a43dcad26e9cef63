package meta

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Sentinel errors. Every error returned by the package wraps one of them, so
// a caller can tell bad data from a failed computation with errors.Is.
var (
	// ErrEmpty reports a payoff table, game or list with nothing in it.
	ErrEmpty = errors.New("meta: empty input")
	// ErrShape reports tables or strategies whose sizes do not fit together.
	ErrShape = errors.New("meta: mismatched shapes")
	// ErrNotFinite reports a NaN or infinite payoff or score.
	ErrNotFinite = errors.New("meta: value not finite")
	// ErrStrategy reports a mixed strategy that is not a probability vector.
	ErrStrategy = errors.New("meta: not a probability vector")
	// ErrConfig reports a setting out of its allowed range.
	ErrConfig = errors.New("meta: invalid configuration")
	// ErrNotUnique reports a Markov chain with more than one stationary
	// distribution (more than one closed communicating class).
	ErrNotUnique = errors.New("meta: stationary distribution not unique")
	// ErrNoFiniteRatings reports a win-rate table for which no finite
	// ratings exist, because some group of players never scored against the
	// rest (or the rest never scored against it).
	ErrNoFiniteRatings = errors.New("meta: no finite ratings")
	// ErrNotConverged reports an iterative method that stopped at its
	// iteration limit before meeting its tolerance.
	ErrNotConverged = errors.New("meta: not converged")
	// ErrNumerical reports a numerical failure of an underlying solver, such
	// as the simplex method or a linear solve.
	ErrNumerical = errors.New("meta: numerical failure")
)

// strategyTol is how far from 1 the sum of a mixed strategy may be.
const strategyTol = 1e-9

// checkMatrix returns the dimensions of the payoff table a, or an error that
// names it when a is nil or empty or holds a value that is not finite.
func checkMatrix(name string, a *mat.Dense) (r, c int, err error) {
	if a == nil || a.IsEmpty() {
		return 0, 0, fmt.Errorf("%s has no entries: %w", name, ErrEmpty)
	}
	r, c = a.Dims()
	for i := range r {
		for j := range c {
			if v := a.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, 0, fmt.Errorf("%s entry (%d, %d) is %v, want a finite number: %w", name, i, j, v, ErrNotFinite)
			}
		}
	}
	return r, c, nil
}

// checkStrategy returns an error unless s is a probability vector of length
// n: finite non-negative entries summing to 1 within strategyTol.
func checkStrategy(name string, s []float64, n int) error {
	if len(s) != n {
		return fmt.Errorf("%s has %d probabilities for %d strategies: %w", name, len(s), n, ErrShape)
	}
	sum := 0.0
	for i, p := range s {
		if !(p >= 0) || math.IsInf(p, 0) {
			return fmt.Errorf("%s gives strategy %d probability %v, want a number in [0, 1]: %w", name, i, p, ErrStrategy)
		}
		sum += p
	}
	if math.Abs(sum-1) > strategyTol {
		return fmt.Errorf("%s sums to %v, want 1: %w", name, sum, ErrStrategy)
	}
	return nil
}

// uniform returns the uniform distribution over n strategies.
func uniform(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = 1 / float64(n)
	}
	return s
}

// normalize clamps the negative entries of s (round-off of a solver) to 0
// and rescales s to sum to 1.
func normalize(s []float64) {
	sum := 0.0
	for i, p := range s {
		if p < 0 {
			s[i] = 0
			continue
		}
		sum += p
	}
	for i := range s {
		s[i] /= sum
	}
}
