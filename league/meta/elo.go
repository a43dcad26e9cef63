package meta

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// EloInitial is the rating every player starts from, and the mean rating of
// a fit.
const EloInitial = 1500

// Match is the result of one game between players A and B (indices into
// the ratings): ScoreA is A's score, 1 for a win, 1/2 for a draw and 0 for a
// loss (any value in [0, 1] is accepted, such as a win rate), and B scores
// 1 − ScoreA.
type Match struct {
	A, B   int
	ScoreA float64
}

// EloExpected returns the expected score of a player rated ra against one
// rated rb,
//
//	E = 1 / (1 + 10^{(rb − ra)/400}).
func EloExpected(ra, rb float64) float64 {
	return 1 / (1 + math.Pow(10, (rb-ra)/400))
}

// EloUpdate applies one match to ratings in place with K factor k: from
// the ratings before the match,
//
//	E_A = 1 / (1 + 10^{(R_B − R_A)/400}),
//	R_A ← R_A + k·(S_A − E_A),   R_B ← R_B − k·(S_A − E_A),
//
// so the total rating is unchanged. It returns an error wrapping ErrConfig
// unless k is finite and > 0, ErrShape if a player index is out of range or
// A = B, and ErrNotFinite or ErrConfig if the score is not in [0, 1]; the
// ratings are then left unchanged.
func EloUpdate(ratings []float64, m Match, k float64) error {
	if err := checkK(k); err != nil {
		return err
	}
	if err := checkMatch(-1, m, len(ratings)); err != nil {
		return err
	}
	eloUpdate(ratings, m, k)
	return nil
}

// eloUpdate is EloUpdate without the checks.
func eloUpdate(ratings []float64, m Match, k float64) {
	d := k * (m.ScoreA - EloExpected(ratings[m.A], ratings[m.B]))
	ratings[m.A] += d
	ratings[m.B] -= d
}

// Elo returns the ratings of players players after the matches, applied in
// order with EloUpdate from EloInitial = 1500 for everyone. The result
// depends on the order of the matches; EloFit gives order-free ratings of a
// whole table. Typical K factors are 32 (volatile, few games) down to 10
// (established players).
//
// Elo returns an error wrapping ErrEmpty if players < 1, ErrConfig unless k
// is finite and > 0, and the errors of EloUpdate (naming the match) for a
// bad match; Elo checks every match before applying any.
//
// Reference: A. E. Elo, "The Rating of Chessplayers, Past and Present",
// Arco, 1978.
func Elo(players int, matches []Match, k float64) ([]float64, error) {
	if players < 1 {
		return nil, fmt.Errorf("meta: Elo: %d players, want at least 1: %w", players, ErrEmpty)
	}
	if err := checkK(k); err != nil {
		return nil, err
	}
	for i, m := range matches {
		if err := checkMatch(i, m, players); err != nil {
			return nil, err
		}
	}
	ratings := make([]float64, players)
	for i := range ratings {
		ratings[i] = EloInitial
	}
	for _, m := range matches {
		eloUpdate(ratings, m, k)
	}
	return ratings, nil
}

// checkK returns an error unless k is a valid K factor.
func checkK(k float64) error {
	if !(k > 0) || math.IsInf(k, 0) {
		return fmt.Errorf("meta: Elo: K factor %v, want a finite number > 0: %w", k, ErrConfig)
	}
	return nil
}

// checkMatch returns an error unless m is a valid match among n players;
// i ≥ 0 is its position in a list, named in the error.
func checkMatch(i int, m Match, n int) error {
	name := "meta: Elo: match"
	if i >= 0 {
		name = fmt.Sprintf("meta: Elo: match %d", i)
	}
	if m.A < 0 || m.A >= n || m.B < 0 || m.B >= n {
		return fmt.Errorf("%s: players %d and %d, want indices in [0, %d): %w", name, m.A, m.B, n, ErrShape)
	}
	if m.A == m.B {
		return fmt.Errorf("%s: player %d against itself: %w", name, m.A, ErrShape)
	}
	if math.IsNaN(m.ScoreA) || math.IsInf(m.ScoreA, 0) {
		return fmt.Errorf("%s: score %v: %w", name, m.ScoreA, ErrNotFinite)
	}
	if m.ScoreA < 0 || m.ScoreA > 1 {
		return fmt.Errorf("%s: score %v, want in [0, 1] (1 win, 0.5 draw, 0 loss): %w", name, m.ScoreA, ErrConfig)
	}
	return nil
}

// Settings of EloFit's iteration.
const (
	eloFitTol     = 1e-9 // stop when a Newton step moves no rating by more than this (Elo points)
	eloFitMaxIter = 500  // Newton steps before giving up
)

// eloScale converts natural-log strengths θ to Elo points: R = 1500 + eloScale·θ.
var eloScale = 400 / math.Ln10

// EloFit returns the ratings that fit a whole table of results at once,
// independently of any order: scores[i, j] ∈ [0, 1] is player i's mean
// score against player j (its win rate, draws counting 1/2); the diagonal is
// ignored. The two seatings of a pair are pooled, w_ij = (scores[i, j] + 1 −
// scores[j, i])/2, so w_ij + w_ji = 1, and the ratings are those at which
// every player's expected score equals its actual score,
//
//	Σ_{j≠i} E(R_i, R_j) = Σ_{j≠i} w_ij   for every i,   E(a, b) = 1/(1 + 10^{(b−a)/400}),
//
// with mean rating EloInitial. This is the fixed point around which repeated
// Elo updates over the table hover, and the maximum-likelihood Bradley–Terry
// fit: with θ_i = (R_i − 1500)·ln10/400 and σ the logistic function, it
// maximizes the concave log-likelihood
//
//	ℓ(θ) = Σ_{i≠j} w_ij · log σ(θ_i − θ_j),
//	∇ℓ_i = Σ_{j≠i} (w_ij − σ(θ_i − θ_j)),   −∇²ℓ = L, the Laplacian with weights σ(θ_i−θ_j)·σ(θ_j−θ_i).
//
// EloFit runs Newton's method from equal ratings, solving (L + 11ᵀ)·Δ = ∇ℓ
// by Cholesky decomposition (the 11ᵀ term fixes the free shift, since
// ∇ℓ ⊥ 1) and halving each step until ℓ rises enough (Armijo backtracking),
// until no rating moves by more than 1e-9 points. It is deterministic and
// takes a few dozen O(n³) steps even for very lopsided tables.
//
// Finite ratings exist exactly when the players cannot be split into two
// groups one of which never scored against the other (Ford 1957): a player
// who won every game would have rating +∞. EloFit returns an error wrapping
// ErrNoFiniteRatings in that case, ErrEmpty for an empty table, ErrShape
// unless it is square, ErrNotFinite or ErrConfig for an entry outside
// [0, 1], and ErrNotConverged (with the last ratings) or ErrNumerical if
// Newton's method fails, which it should not on valid tables.
//
// References: E. Zermelo, "Die Berechnung der Turnier-Ergebnisse als ein
// Maximumproblem der Wahrscheinlichkeitsrechnung", Math. Z. 29, 1929;
// L. R. Ford, "Solution of a ranking problem from binary comparisons",
// Amer. Math. Monthly 64(8), 1957; D. R. Hunter, "MM algorithms for
// generalized Bradley–Terry models", Ann. Statist. 32(1), 2004.
func EloFit(scores *mat.Dense) ([]float64, error) {
	const fn = "meta: EloFit"
	n, cols, err := checkMatrix(fn+": score table", scores)
	if err != nil {
		return nil, err
	}
	if n != cols {
		return nil, fmt.Errorf("%s: score table is %d×%d, want square: %w", fn, n, cols, ErrShape)
	}
	for i := range n {
		for j := range n {
			if v := scores.At(i, j); i != j && (v < 0 || v > 1) {
				return nil, fmt.Errorf("%s: score (%d, %d) is %v, want in [0, 1]: %w", fn, i, j, v, ErrConfig)
			}
		}
	}
	if n == 1 {
		return []float64{EloInitial}, nil
	}
	w := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			if i != j {
				w.Set(i, j, (scores.At(i, j)+1-scores.At(j, i))/2)
			}
		}
	}
	if losers := neverScored(w); losers != nil {
		return nil, fmt.Errorf("%s: players %v lost every game against the others, so the ratings run off to ±∞: %w", fn, losers, ErrNoFiniteRatings)
	}
	theta := make([]float64, n)
	trial := make([]float64, n)
	grad := mat.NewVecDense(n, nil)
	step := mat.NewVecDense(n, nil)
	hess := mat.NewSymDense(n, nil)
	var chol mat.Cholesky
	ratings := func() []float64 {
		r := make([]float64, n)
		for i, t := range theta {
			r[i] = EloInitial + eloScale*t
		}
		return r
	}
	f := btLogLikelihood(w, theta)
	for range eloFitMaxIter {
		for i := range n {
			g, d := 0.0, 1.0 // d: the 11ᵀ term on the diagonal
			for j := range n {
				if j == i {
					continue
				}
				p := logistic(theta[i] - theta[j])
				g += w.At(i, j) - p
				d += p * (1 - p)
				hess.SetSym(i, j, 1-p*(1-p))
			}
			grad.SetVec(i, g)
			hess.SetSym(i, i, d)
		}
		if !chol.Factorize(hess) {
			return ratings(), fmt.Errorf("%s: Newton system not positive definite: %w", fn, ErrNumerical)
		}
		if err := chol.SolveVecTo(step, grad); err != nil {
			return ratings(), fmt.Errorf("%s: Newton step: %v: %w", fn, err, ErrNumerical)
		}
		slope := mat.Dot(grad, step)
		t := 1.0
		for {
			for i := range n {
				trial[i] = theta[i] + t*step.AtVec(i)
			}
			ft := btLogLikelihood(w, trial)
			if ft >= f+1e-4*t*slope || t < 1e-12 {
				f = ft
				break
			}
			t /= 2
		}
		moved := 0.0
		for i := range n {
			moved = max(moved, math.Abs(trial[i]-theta[i]))
		}
		copy(theta, trial)
		if eloScale*moved <= eloFitTol {
			// Centre on the mean rating (Newton steps keep Σθ = 0 only up
			// to round-off).
			mean := floats.Sum(theta) / float64(n)
			for i := range theta {
				theta[i] -= mean
			}
			return ratings(), nil
		}
	}
	return ratings(), fmt.Errorf("%s: ratings still move after %d Newton steps: %w", fn, eloFitMaxIter, ErrNotConverged)
}

// btLogLikelihood returns Σ_{i≠j} w_ij·log σ(θ_i − θ_j).
func btLogLikelihood(w *mat.Dense, theta []float64) float64 {
	l := 0.0
	for i, ti := range theta {
		for j, tj := range theta {
			if i != j {
				if wij := w.At(i, j); wij > 0 {
					l += wij * logLogistic(ti-tj)
				}
			}
		}
	}
	return l
}

// logistic returns σ(x) = 1/(1 + e^{−x}).
func logistic(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// logLogistic returns log σ(x) without overflow.
func logLogistic(x float64) float64 {
	if x >= 0 {
		return -math.Log1p(math.Exp(-x))
	}
	return x - math.Log1p(math.Exp(x))
}

// neverScored returns nil if every player of the pooled score table w is
// reachable from every other through "scored against" links (w[i, j] > 0),
// and otherwise the players of a group that scored against no one outside
// it.
func neverScored(w *mat.Dense) []int {
	n, _ := w.Dims()
	scored := func(i, j int) bool { return i != j && w.At(i, j) > 0 }
	comp := components(n, scored)
	ncomp := 0
	for _, k := range comp {
		ncomp = max(ncomp, k+1)
	}
	if ncomp == 1 {
		return nil
	}
	leaves := make([]bool, ncomp)
	for i := range n {
		for j := range n {
			if comp[i] != comp[j] && scored(i, j) {
				leaves[comp[i]] = true
			}
		}
	}
	for k := range ncomp {
		if leaves[k] {
			continue
		}
		var group []int
		for i, c := range comp {
			if c == k {
				group = append(group, i)
			}
		}
		return group
	}
	panic("meta: unreachable: a condensation without a sink")
}
