package meta_test

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/mrasim/mrasim/league/meta"
)

// rho is the fixation probability (1 − e^{−u})/(1 − e^{−m·u}), written out
// directly (fine for the moderate u of these tests).
func rho(u float64, m int) float64 {
	if u == 0 {
		return 1 / float64(m)
	}
	return (1 - math.Exp(-u)) / (1 - math.Exp(-float64(m)*u))
}

// powerStationary returns the stationary distribution of c by iterating
// πᵀ ← πᵀc from uniform: an independent check of the linear solve.
func powerStationary(c *mat.Dense) []float64 {
	n, _ := c.Dims()
	pi := mat.NewVecDense(n, nil)
	for i := range n {
		pi.SetVec(i, 1/float64(n))
	}
	var next mat.VecDense
	for range 100000 {
		next.MulVec(c.T(), pi)
		pi.CopyVec(&next)
	}
	return pi.RawVector().Data
}

func TestAlphaRankRockPaperScissors(t *testing.T) {
	third := 1.0 / 3
	uniform := []float64{third, third, third}
	for _, cfg := range []*meta.AlphaRankConfig{
		nil,
		{PopulationSize: 20, Alpha: 0.1},
		{PopulationSize: 20, Alpha: 0.1, GlobalSelection: true},
	} {
		res, err := meta.AlphaRank([]*mat.Dense{rps()}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !floats.EqualApprox(res.Stationary, uniform, 1e-12) || !floats.EqualApprox(res.Marginals[0], uniform, 1e-12) {
			t.Errorf("config %+v: single-population π = %v, want uniform", cfg, res.Stationary)
		}
	}
	// Two populations: rock–paper–scissors as a zero-sum bimatrix game.
	res, err := meta.AlphaRank([]*mat.Dense{rps(), negate(rps())}, &meta.AlphaRankConfig{PopulationSize: 50, Alpha: 1})
	if err != nil {
		t.Fatal(err)
	}
	for k, marg := range res.Marginals {
		if !floats.EqualApprox(marg, uniform, 1e-12) {
			t.Errorf("two-population marginal %d = %v, want uniform", k, marg)
		}
	}
	if len(res.Stationary) != 9 || math.Abs(floats.Sum(res.Stationary)-1) > 1e-12 {
		t.Errorf("two-population π = %v, want 9 probabilities", res.Stationary)
	}
}

// TestAlphaRankDominant: in a symmetric game where strategy 2 strictly
// dominates, its mass rises with α and takes everything at OpenSpiel's
// default α = 100.
func TestAlphaRankDominant(t *testing.T) {
	table := mat.NewDense(3, 3, []float64{
		1, 0, 0,
		2, 1, -1,
		3, 2, 0.5,
	})
	prev := 0.0
	for _, alpha := range []float64{0, 0.01, 0.1, 1, 10, 100} {
		res, err := meta.AlphaRank([]*mat.Dense{table}, &meta.AlphaRankConfig{PopulationSize: 50, Alpha: alpha})
		if err != nil {
			t.Fatal(err)
		}
		mass := res.Stationary[2]
		if mass < prev {
			t.Errorf("α = %v: dominant mass %v fell from %v", alpha, mass, prev)
		}
		prev = mass
	}
	if 1-prev > 1e-12 {
		t.Errorf("α = 100: dominant mass %v, want 1", prev)
	}
	// α = 0 is neutral drift: uniform.
	res, err := meta.AlphaRank([]*mat.Dense{table}, &meta.AlphaRankConfig{PopulationSize: 50, Alpha: 0})
	if err != nil {
		t.Fatal(err)
	}
	if !floats.EqualApprox(res.Stationary, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-12) {
		t.Errorf("α = 0: π = %v, want uniform", res.Stationary)
	}
}

// TestAlphaRankTwoStrategies checks the single-population chain of two
// strategies against its closed form: C = [[1−a, a], [b, 1−b]] with
// a = ρ(0→1), b = ρ(1→0) (η = 1), so π = (b, a)/(a + b).
func TestAlphaRankTwoStrategies(t *testing.T) {
	table := mat.NewDense(2, 2, []float64{1, 3, 2, 0}) // hawk–dove-like
	const m, alpha = 10, 0.3
	res, err := meta.AlphaRank([]*mat.Dense{table}, &meta.AlphaRankConfig{PopulationSize: m, Alpha: alpha})
	if err != nil {
		t.Fatal(err)
	}
	a := rho(alpha*(table.At(1, 0)-table.At(0, 1)), m) // 1 invades 0: u = α(2 − 3)
	b := rho(alpha*(table.At(0, 1)-table.At(1, 0)), m) // 0 invades 1: u = α(3 − 2)
	want := mat.NewDense(2, 2, []float64{1 - a, a, b, 1 - b})
	if !mat.EqualApprox(res.Transition, want, 1e-15) {
		t.Errorf("C = %v, want %v", mat.Formatted(res.Transition), mat.Formatted(want))
	}
	if !floats.EqualApprox(res.Stationary, []float64{b / (a + b), a / (a + b)}, 1e-14) {
		t.Errorf("π = %v, want %v", res.Stationary, []float64{b / (a + b), a / (a + b)})
	}
}

// TestAlphaRankTwoPopulations checks a 2×2 two-population chain, the
// prisoner's dilemma (strategy 0 cooperates, 1 defects), against a
// hand-built transition matrix and a closed-form stationary distribution.
//
// Profiles in order (0,0), (0,1), (1,0), (1,1); η = 1/((2−1) + (2−1)) = 1/2.
// Each profile has two neighbours, one per population, and a move of
// population k from s to r happens with probability η·ρ(α·(payoff_k(r) − payoff_k(s))).
//
// The chain is reversible: ρ(u)/ρ(−u) = e^{(m−1)u}, and the payoff gains
// around the cycle (0,0)→(1,0)→(1,1)→(0,1)→(0,0) sum to (5−3) + (1−0) + (0−1) + (3−5) = 0,
// because the game has the potential φ = (0, 2, 2, 3) (every unilateral gain
// is a difference of φ). Detailed balance then gives π ∝ e^{(m−1)·α·φ}.
func TestAlphaRankTwoPopulations(t *testing.T) {
	row := mat.NewDense(2, 2, []float64{3, 0, 5, 1})
	col := mat.DenseCopyOf(row.T())
	const m, alpha = 5, 0.5
	res, err := meta.AlphaRank([]*mat.Dense{row, col}, &meta.AlphaRankConfig{PopulationSize: m, Alpha: alpha})
	if err != nil {
		t.Fatal(err)
	}
	r := func(gain float64) float64 { return 0.5 * rho(alpha*gain, m) }
	// Gains: from (0,0) the row player defects: 5−3; the column player: 5−3.
	// From (0,1): row defects 1−0; column returns to cooperate 3−5.
	// From (1,0): row returns 3−5; column defects 1−0.
	// From (1,1): row cooperates 0−1; column cooperates 0−1.
	c := mat.NewDense(4, 4, []float64{
		0, r(2), r(2), 0,
		r(-2), 0, 0, r(1),
		r(-2), 0, 0, r(1),
		0, r(-1), r(-1), 0,
	})
	for i := range 4 {
		c.Set(i, i, 1-floats.Sum(c.RawRowView(i)))
	}
	if !mat.EqualApprox(res.Transition, c, 1e-15) {
		t.Errorf("C =\n%v\nwant\n%v", mat.Formatted(res.Transition), mat.Formatted(c))
	}
	phi := []float64{0, 2, 2, 3}
	want := make([]float64, 4)
	for i, p := range phi {
		want[i] = math.Exp((m - 1) * alpha * p)
	}
	floats.Scale(1/floats.Sum(want), want)
	if !floats.EqualApprox(res.Stationary, want, 1e-12) {
		t.Errorf("π = %v, want %v", res.Stationary, want)
	}
	if got := powerStationary(c); !floats.EqualApprox(got, want, 1e-10) {
		t.Errorf("power iteration on the hand-built C gives %v, want %v", got, want)
	}
	// Marginals: population 0 defects at profiles (1,0) and (1,1).
	wantMarg := []float64{want[0] + want[1], want[2] + want[3]}
	for k := range 2 {
		if !floats.EqualApprox(res.Marginals[k], wantMarg, 1e-12) {
			t.Errorf("marginal %d = %v, want %v", k, res.Marginals[k], wantMarg)
		}
	}
}

// TestAlphaRankOpenSpiel reproduces OpenSpiel's alpharank_test
// test_stationary_distribution: payoffs from Han et al. (2013), m = 20,
// α = 0.1, use_local_selection_model=False.
func TestAlphaRankOpenSpiel(t *testing.T) {
	const r, tt, p, s, delta, eps = 1.0, 2.0, 0.0, -1.0, 4.0, 0.25
	table := mat.NewDense(5, 5, []float64{
		r - eps/2, r - eps, 0, s + delta - eps, r - eps,
		r, r, s, s, s,
		0, tt, p, p, p,
		tt - delta, tt, p, p, p,
		r, tt, p, p, p,
	})
	res, err := meta.AlphaRank([]*mat.Dense{table}, &meta.AlphaRankConfig{PopulationSize: 20, Alpha: 0.1, GlobalSelection: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.40966787, 0.07959841, 0.20506998, 0.08505983, 0.2206039}
	if !floats.EqualApprox(res.Stationary, want, 1e-7) {
		t.Errorf("π = %v, want OpenSpiel's %v", res.Stationary, want)
	}
}

// TestAlphaRankGlobalConstantSum checks the Moran fixation probabilities of
// a constant-sum symmetric game against OpenSpiel's closed form
// ρ = ρ(u) with u = α·m/(m−1)·(table[r, s] − c/2), c the constant sum.
func TestAlphaRankGlobalConstantSum(t *testing.T) {
	const m, alpha = 20, 0.1
	res, err := meta.AlphaRank([]*mat.Dense{rps()}, &meta.AlphaRankConfig{PopulationSize: m, Alpha: alpha, GlobalSelection: true})
	if err != nil {
		t.Fatal(err)
	}
	for s := range 3 {
		for r := range 3 {
			if r == s {
				continue
			}
			want := rho(alpha*m/(m-1)*rps().At(r, s), m)
			if got := res.Fixation.At(s, r); math.Abs(got-want) > 1e-14 {
				t.Errorf("ρ(%d→%d) = %v, want %v", s, r, got, want)
			}
		}
	}
}

// TestAlphaRankLargeAlpha: fixation probabilities stay finite at huge α.
func TestAlphaRankLargeAlpha(t *testing.T) {
	table := mat.NewDense(2, 2, []float64{0, 0, 100, 100})
	for _, global := range []bool{false, true} {
		res, err := meta.AlphaRank([]*mat.Dense{table}, &meta.AlphaRankConfig{PopulationSize: 50, Alpha: 1e6, GlobalSelection: global})
		if err != nil {
			t.Fatal(err)
		}
		if !floats.Equal(res.Stationary, []float64{0, 1}) {
			t.Errorf("global %v: π = %v, want [0 1]", global, res.Stationary)
		}
		for _, v := range res.Transition.RawMatrix().Data {
			if math.IsNaN(v) || v < 0 || v > 1 {
				t.Errorf("global %v: transition %v", global, v)
			}
		}
	}
}

func TestNormalFormAlphaRank(t *testing.T) {
	// Three populations, each with a strictly dominant "keep": all mass on
	// the profile (keep, keep, keep) at the default α.
	res, err := publicGoods3(t).AlphaRank(nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Stationary[0]-1) > 1e-12 {
		t.Errorf("public goods: π = %v, want all mass on profile 0", res.Stationary)
	}
	for k, marg := range res.Marginals {
		if math.Abs(marg[0]-1) > 1e-12 {
			t.Errorf("public goods: marginal %d = %v", k, marg)
		}
	}
	// A game with a single profile.
	one, err := meta.NewNormalForm([]int{1, 1}, [][]float64{{2}, {3}})
	if err != nil {
		t.Fatal(err)
	}
	res, err = one.AlphaRank(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !floats.Equal(res.Stationary, []float64{1}) {
		t.Errorf("single profile: π = %v", res.Stationary)
	}
}

func TestAlphaRankErrors(t *testing.T) {
	coord := mat.NewDense(2, 2, []float64{1, 0, 0, 1})
	for _, tc := range []struct {
		name   string
		tables []*mat.Dense
		cfg    *meta.AlphaRankConfig
		want   error
	}{
		{"no tables", nil, nil, meta.ErrShape},
		{"three tables", []*mat.Dense{coord, coord, coord}, nil, meta.ErrShape},
		{"not square", []*mat.Dense{mat.NewDense(2, 3, nil)}, nil, meta.ErrShape},
		{"empty", []*mat.Dense{{}}, nil, meta.ErrEmpty},
		{"NaN", []*mat.Dense{mat.NewDense(1, 1, []float64{math.NaN()})}, nil, meta.ErrNotFinite},
		{"mismatched", []*mat.Dense{coord, mat.NewDense(3, 2, nil)}, nil, meta.ErrShape},
		{"m = 1", []*mat.Dense{coord}, &meta.AlphaRankConfig{PopulationSize: 1, Alpha: 1}, meta.ErrConfig},
		{"negative α", []*mat.Dense{coord}, &meta.AlphaRankConfig{PopulationSize: 50, Alpha: -1}, meta.ErrConfig},
		{"infinite α", []*mat.Dense{coord, coord}, &meta.AlphaRankConfig{PopulationSize: 50, Alpha: math.Inf(1)}, meta.ErrConfig},
		{"global two populations", []*mat.Dense{coord, coord}, &meta.AlphaRankConfig{PopulationSize: 50, Alpha: 1, GlobalSelection: true}, meta.ErrConfig},
		// Coordination at huge α: leaving (0,0) or (1,1) underflows to 0,
		// so both are absorbing.
		{"two absorbing profiles", []*mat.Dense{coord, coord}, &meta.AlphaRankConfig{PopulationSize: 50, Alpha: 1e4}, meta.ErrNotUnique},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := meta.AlphaRank(tc.tables, tc.cfg)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestStationaryDistribution(t *testing.T) {
	// A chain with a transient state 0 that feeds the closed class {1, 2}.
	c := mat.NewDense(3, 3, []float64{
		0.5, 0.25, 0.25,
		0, 0.9, 0.1,
		0, 0.3, 0.7,
	})
	pi, err := meta.StationaryDistribution(c)
	if err != nil {
		t.Fatal(err)
	}
	// On {1, 2}: π₁·0.1 = π₂·0.3 ⇒ π = (0, 3/4, 1/4).
	if !floats.EqualApprox(pi, []float64{0, 0.75, 0.25}, 1e-15) {
		t.Errorf("π = %v, want [0 0.75 0.25]", pi)
	}
	for _, tc := range []struct {
		name string
		c    *mat.Dense
		want error
	}{
		{"empty", &mat.Dense{}, meta.ErrEmpty},
		{"not square", mat.NewDense(1, 2, []float64{0.5, 0.5}), meta.ErrShape},
		{"NaN", mat.NewDense(1, 1, []float64{math.NaN()}), meta.ErrNotFinite},
		{"row sum", mat.NewDense(2, 2, []float64{0.5, 0.6, 0, 1}), meta.ErrStrategy},
		{"negative", mat.NewDense(2, 2, []float64{1.5, -0.5, 0, 1}), meta.ErrStrategy},
		{"identity", mat.NewDense(2, 2, []float64{1, 0, 0, 1}), meta.ErrNotUnique},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := meta.StationaryDistribution(tc.c); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
