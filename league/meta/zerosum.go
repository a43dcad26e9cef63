package meta

import (
	"fmt"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// simplexTol is the reduced-cost tolerance handed to lp.Simplex. The LPs
// solved here have entries in [1, 2], so it is an absolute tolerance.
const simplexTol = 1e-12

// ZeroSumNash returns a Nash equilibrium (row, col) and the value of the
// two-player zero-sum game in which the row player receives a[i, j] and the
// column player −a[i, j] when they play strategies i and j; a need not be
// square. The equilibrium satisfies
//
//	min_j (rowᵀa)_j = value = max_i (a·col)_i   (up to round-off),
//
// so neither player gains by deviating. value is rowᵀ·a·col.
//
// Each player's strategy comes from one linear program, solved with gonum's
// lp.Simplex from a feasible slack basis. The payoffs are first mapped onto
// [1, 2] by b = 1 + (a − min a)/(max a − min a), which keeps the strategies
// and makes the value of b positive. Then the column player's strategy solves
//
//	maximize 1ᵀz  subject to  b·z ≤ 1,  z ≥ 0,
//
// put in standard form with slack variables t ≥ 0 as [b I]·[z; t] = 1, and
// col = z/1ᵀz, since the value of b is 1/1ᵀz. The row player's strategy is
// the column player's strategy of the game −aᵀ, in which the players swap
// seats. A constant a gives uniform strategies. When a game has several
// equilibria, ZeroSumNash returns one of them (a vertex of the polytope of
// equilibrium strategies).
//
// ZeroSumNash returns an error wrapping ErrEmpty if a is nil or empty,
// ErrNotFinite if a holds a NaN or infinity, and ErrNumerical if the simplex
// method fails (it should not on finite data).
//
// Reference: G. B. Dantzig, "A proof of the equivalence of the programming
// problem and the game problem", in Activity Analysis of Production and
// Allocation, Wiley, 1951.
func ZeroSumNash(a *mat.Dense) (row, col []float64, value float64, err error) {
	m, n, err := checkMatrix("meta: ZeroSumNash: payoff matrix", a)
	if err != nil {
		return nil, nil, 0, err
	}
	lo, hi := mat.Min(a), mat.Max(a)
	if lo == hi {
		return uniform(m), uniform(n), lo, nil
	}
	col, err = minimizerStrategy(m, n, func(i, j int) float64 { return 1 + (a.At(i, j)-lo)/(hi-lo) })
	if err != nil {
		return nil, nil, 0, fmt.Errorf("meta: ZeroSumNash: column player's program: %w", err)
	}
	// In −aᵀ the old row player minimizes; −aᵀ runs over [−hi, −lo].
	row, err = minimizerStrategy(n, m, func(j, i int) float64 { return 1 + (-a.At(i, j)+hi)/(hi-lo) })
	if err != nil {
		return nil, nil, 0, fmt.Errorf("meta: ZeroSumNash: row player's program: %w", err)
	}
	value = mat.Inner(mat.NewVecDense(m, row), a, mat.NewVecDense(n, col))
	return row, col, value, nil
}

// minimizerStrategy returns an optimal strategy of the column (minimizing)
// player of the m×n game whose payoff to the row player is b(i, j) ≥ 1.
func minimizerStrategy(m, n int, b func(i, j int) float64) ([]float64, error) {
	// Variables x = [z (n); t (m)]; constraints [b I]·x = 1; minimize −1ᵀz.
	A := mat.NewDense(m, n+m, nil)
	for i := range m {
		for j := range n {
			A.Set(i, j, b(i, j))
		}
		A.Set(i, n+i, 1)
	}
	c := make([]float64, n+m)
	for j := range n {
		c[j] = -1
	}
	ones := make([]float64, m)
	basis := make([]int, m)
	for i := range m {
		ones[i] = 1
		basis[i] = n + i
	}
	_, x, err := lp.Simplex(c, A, ones, simplexTol, basis)
	if err != nil {
		return nil, fmt.Errorf("simplex: %v: %w", err, ErrNumerical)
	}
	z := x[:n:n]
	if !(floats.Sum(z) > 0) {
		return nil, fmt.Errorf("simplex returned a zero solution: %w", ErrNumerical)
	}
	normalize(z)
	return z, nil
}

// Exploitability returns the exploitability of the profile (row, col) in the
// two-player zero-sum game with payoff matrix a to the row player, in
// OpenSpiel's convention: half the NashConv,
//
//	Exploitability = ( max_i (a·col)_i − min_j (rowᵀa)_j ) / 2 = NashConv(a, −a, row, col) / 2,
//
// which is 0 exactly at a Nash equilibrium. It returns the errors of NashConv.
func Exploitability(a *mat.Dense, row, col []float64) (float64, error) {
	total, _, err := nashConv("meta: Exploitability", a, nil, row, col)
	return total / 2, err
}

// NashConv returns the NashConv of the mixed profile (row, col) in the
// bimatrix game in which the row player receives a[i, j] and the column
// player b[i, j], and each player's gain from deviating alone to a best
// response:
//
//	gains[0] = max_i (a·col)_i − rowᵀ·a·col,
//	gains[1] = max_j (rowᵀb)_j − rowᵀ·b·col,
//	total    = gains[0] + gains[1].
//
// The profile is a Nash equilibrium exactly when total is 0. Each gain is
// summed as Σ_i row_i·(max − (a·col)_i), a sum of non-negative terms, so it
// is never negative, even in floating point. For a zero-sum game pass b = −a
// (or use Exploitability).
//
// NashConv returns an error wrapping ErrEmpty, ErrNotFinite or ErrShape when
// a or b is empty, holds a NaN or infinity, or their shapes differ, and
// ErrShape or ErrStrategy when row or col is not a probability vector over
// the strategies of its player.
func NashConv(a, b *mat.Dense, row, col []float64) (total float64, gains [2]float64, err error) {
	if b == nil {
		_, _, err := checkMatrix("meta: NashConv: column player's payoffs", b)
		return 0, gains, err
	}
	return nashConv("meta: NashConv", a, b, row, col)
}

// nashConv is NashConv with b = −a when b is nil.
func nashConv(fn string, a, b *mat.Dense, row, col []float64) (total float64, gains [2]float64, err error) {
	m, n, err := checkMatrix(fn+": row player's payoffs", a)
	if err != nil {
		return 0, gains, err
	}
	if b != nil {
		mb, nb, err := checkMatrix(fn+": column player's payoffs", b)
		if err != nil {
			return 0, gains, err
		}
		if mb != m || nb != n {
			return 0, gains, fmt.Errorf("%s: payoff tables are %d×%d and %d×%d, want equal shapes: %w", fn, m, n, mb, nb, ErrShape)
		}
	}
	if err := checkStrategy(fn+": row strategy", row, m); err != nil {
		return 0, gains, err
	}
	if err := checkStrategy(fn+": column strategy", col, n); err != nil {
		return 0, gains, err
	}
	// Values of the row player's pure strategies against col, and of the
	// column player's against row.
	rowValues := make([]float64, m)
	colValues := make([]float64, n)
	for i := range m {
		for j := range n {
			rowValues[i] += a.At(i, j) * col[j]
			if b == nil {
				colValues[j] -= a.At(i, j) * row[i]
			} else {
				colValues[j] += b.At(i, j) * row[i]
			}
		}
	}
	gains[0] = deviationGain(row, rowValues)
	gains[1] = deviationGain(col, colValues)
	return gains[0] + gains[1], gains, nil
}

// deviationGain returns what a player who plays strategy s, whose pure
// strategies are worth values, gains by switching to a best response:
// Σ_a s_a·(max values − values_a) ≥ 0.
func deviationGain(s, values []float64) float64 {
	best := floats.Max(values)
	g := 0.0
	for a, p := range s {
		g += p * (best - values[a])
	}
	return g
}
