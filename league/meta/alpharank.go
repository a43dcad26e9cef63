package meta

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// AlphaRankConfig holds the settings of α-Rank. Start from
// DefaultAlphaRankConfig, whose values are those of OpenSpiel's
// alpharank.compute.
type AlphaRankConfig struct {
	// PopulationSize is the number m of individuals in each population, at
	// least 2. Default 50.
	PopulationSize int
	// Alpha is the ranking intensity α of the Fermi selection function,
	// finite and ≥ 0; α = 0 is neutral drift. Default 100.
	Alpha float64
	// GlobalSelection, for a single population only, makes a mutant's
	// fitness its average payoff against the rest of the population (the
	// Moran process of OpenSpiel's use_local_selection_model=False) instead
	// of its payoff against the resident strategy (the default, OpenSpiel's
	// use_local_selection_model=True).
	GlobalSelection bool
}

// DefaultAlphaRankConfig returns OpenSpiel's defaults: m = 50, α = 100, local
// selection.
func DefaultAlphaRankConfig() AlphaRankConfig {
	return AlphaRankConfig{PopulationSize: 50, Alpha: 100}
}

// AlphaRankResult is the outcome of α-Rank: the Markov chain over strategy
// profiles and its stationary distribution.
type AlphaRankResult struct {
	// Shape holds the number of strategies of each population: one entry
	// for a single-population (symmetric) game.
	Shape []int
	// Transition is the P×P row-stochastic transition matrix C over the
	// P = Π Shape profiles, in the row-major order of NormalForm (for a
	// single population the profiles are the strategies).
	Transition *mat.Dense
	// Fixation holds ρ[s, r], the probability that a single mutant playing
	// profile r takes over a population at profile s, for the neighbours r
	// of s (profiles that differ from s in one population's strategy), and
	// 0 elsewhere.
	Fixation *mat.Dense
	// Stationary is the stationary distribution π of Transition: πᵀC = πᵀ,
	// the mass α-Rank gives each profile.
	Stationary []float64
	// Marginals[k][a] is the mass of the profiles in which population k
	// plays strategy a.
	Marginals [][]float64
}

// AlphaRank runs α-Rank on one payoff table (a single population playing a
// symmetric two-player game: table[r, s] is the payoff of strategy r
// against strategy s) or on two tables (two populations: tables[k][i, j] is
// population k's payoff when population 0 plays i and population 1 plays j).
// A nil cfg means DefaultAlphaRankConfig(). For more than two populations
// use NormalForm.AlphaRank, which documents the multi-population chain.
//
// In the single-population chain, from a population playing s a mutant r ≠ s
// appears with probability η = 1/(S−1) and takes over with probability
//
//	ρ(s→r) = (1 − e^{−u}) / (1 − e^{−m·u}),   u = α·(table[r, s] − table[s, r]),
//
// (ρ = 1/m when u = 0), so C[s, r] = η·ρ(s→r) and C[s, s] = 1 − Σ_{r≠s} C[s, r].
// With cfg.GlobalSelection the fixation probability is that of the Moran
// process in which an individual's fitness is its average payoff against
// the m−1 others,
//
//	ρ(s→r) = 1 / (1 + Σ_{l=1}^{m−1} Π_{p=1}^{l} e^{−α·(f_r(p) − f_s(m−p))}),
//	f_r(p) = ((p−1)·table[r, r] + (m−p)·table[r, s]) / (m−1)   (p individuals play r),
//	f_s(q) = ((q−1)·table[s, s] + (m−q)·table[s, r]) / (m−1)   (q individuals play s),
//
// evaluated in log space so that no term overflows.
//
// AlphaRank returns an error wrapping ErrShape unless tables holds one
// square table or two tables of one shape, ErrEmpty or ErrNotFinite for
// empty tables and NaN or infinite payoffs, ErrConfig for settings out of
// range (GlobalSelection with two populations included), and ErrNotUnique
// when the chain has more than one stationary distribution (α so large that
// transitions underflow to 0 and leave several absorbing profiles).
//
// References: S. Omidshafiei et al., "α-Rank: Multi-Agent Evaluation by
// Evolution", Scientific Reports 9, 9937 (2019), arXiv 1903.01373;
// OpenSpiel, python/egt/alpharank.py.
func AlphaRank(tables []*mat.Dense, cfg *AlphaRankConfig) (*AlphaRankResult, error) {
	const fn = "meta: AlphaRank"
	c := DefaultAlphaRankConfig()
	if cfg != nil {
		c = *cfg
	}
	switch len(tables) {
	case 1:
		if err := checkAlphaRankConfig(fn, &c, 1); err != nil {
			return nil, err
		}
		return singlePopulationAlphaRank(fn, tables[0], &c)
	case 2:
		g, err := bimatrix(fn, tables[0], tables[1])
		if err != nil {
			return nil, err
		}
		return g.alphaRank(fn, cfg)
	default:
		return nil, fmt.Errorf("%s: %d payoff tables, want 1 (one population) or 2 (two populations; use NormalForm.AlphaRank for more): %w", fn, len(tables), ErrShape)
	}
}

// AlphaRank runs multi-population α-Rank on g, one population per player,
// and returns the chain over g's profiles in the order of NormalForm. A nil
// cfg means DefaultAlphaRankConfig(); cfg.GlobalSelection must be false.
//
// From profile s, one population k is picked and a mutant strategy r_k ≠ s_k
// appears in it, each of the Σ_k (S_k − 1) possible mutations with
// probability η = 1/Σ_k (S_k − 1); it takes over population k with
// probability
//
//	ρ(s→r) = (1 − e^{−u}) / (1 − e^{−m·u}),   u = α·(payoff_k(r) − payoff_k(s)),
//
// (ρ = 1/m when u = 0), where r is s with s_k replaced by r_k. So
// C[s, r] = η·ρ(s→r) for the neighbours r of s, and C[s, s] = 1 − Σ_{r≠s} C[s, r].
// The stationary distribution π of C ranks the profiles; Marginals sums it
// per population and strategy. The chain has Π S_k states, and finding π
// costs O((Π S_k)³) time and O((Π S_k)²) memory.
//
// It returns an error wrapping ErrConfig for settings out of range and
// ErrNotUnique when the chain has more than one stationary distribution.
func (g *NormalForm) AlphaRank(cfg *AlphaRankConfig) (*AlphaRankResult, error) {
	return g.alphaRank("meta: AlphaRank", cfg)
}

// alphaRank is NormalForm.AlphaRank with the caller's name in its errors.
func (g *NormalForm) alphaRank(fn string, cfg *AlphaRankConfig) (*AlphaRankResult, error) {
	c := DefaultAlphaRankConfig()
	if cfg != nil {
		c = *cfg
	}
	if err := checkAlphaRankConfig(fn, &c, len(g.shape)); err != nil {
		return nil, err
	}
	P := g.NumProfiles()
	mutations := 0
	for _, s := range g.shape {
		mutations += s - 1
	}
	trans := mat.NewDense(P, P, nil)
	fix := mat.NewDense(P, P, nil)
	eta := 1 / float64(max(mutations, 1))
	for s := range P {
		for k, stride := range g.strides {
			sk := s / stride % g.shape[k]
			for rk := range g.shape[k] {
				if rk == sk {
					continue
				}
				r := s + (rk-sk)*stride
				rho := fixation(c.Alpha*(g.payoffs[k][r]-g.payoffs[k][s]), c.PopulationSize)
				fix.Set(s, r, rho)
				trans.Set(s, r, eta*rho)
			}
		}
		setDiagonal(trans, s)
	}
	pi, err := stationary(fn, trans)
	if err != nil {
		return nil, err
	}
	marg := make([][]float64, len(g.shape))
	for k, s := range g.shape {
		marg[k] = make([]float64, s)
	}
	for s, p := range pi {
		for k, stride := range g.strides {
			marg[k][s/stride%g.shape[k]] += p
		}
	}
	return &AlphaRankResult{
		Shape:      append([]int(nil), g.shape...),
		Transition: trans,
		Fixation:   fix,
		Stationary: pi,
		Marginals:  marg,
	}, nil
}

// singlePopulationAlphaRank runs α-Rank on one population playing the
// symmetric game of the square table.
func singlePopulationAlphaRank(fn string, table *mat.Dense, c *AlphaRankConfig) (*AlphaRankResult, error) {
	S, cols, err := checkMatrix(fn+": payoff table", table)
	if err != nil {
		return nil, err
	}
	if S != cols {
		return nil, fmt.Errorf("%s: single-population payoff table is %d×%d, want square (the payoff of each strategy against each): %w", fn, S, cols, ErrShape)
	}
	trans := mat.NewDense(S, S, nil)
	fix := mat.NewDense(S, S, nil)
	m := c.PopulationSize
	for s := range S {
		for r := range S {
			if r == s {
				continue
			}
			var rho float64
			if c.GlobalSelection {
				rho = moranFixation(table, r, s, m, c.Alpha)
			} else {
				rho = fixation(c.Alpha*(table.At(r, s)-table.At(s, r)), m)
			}
			fix.Set(s, r, rho)
			trans.Set(s, r, rho/float64(S-1))
		}
		setDiagonal(trans, s)
	}
	pi, err := stationary(fn, trans)
	if err != nil {
		return nil, err
	}
	return &AlphaRankResult{
		Shape:      []int{S},
		Transition: trans,
		Fixation:   fix,
		Stationary: pi,
		Marginals:  [][]float64{append([]float64(nil), pi...)},
	}, nil
}

// checkAlphaRankConfig returns an error unless c's settings are in range for
// a game of the given number of populations.
func checkAlphaRankConfig(fn string, c *AlphaRankConfig, populations int) error {
	if c.PopulationSize < 2 {
		return fmt.Errorf("%s: PopulationSize = %d, want at least 2: %w", fn, c.PopulationSize, ErrConfig)
	}
	if !(c.Alpha >= 0) || math.IsInf(c.Alpha, 0) {
		return fmt.Errorf("%s: Alpha = %v, want a finite number ≥ 0: %w", fn, c.Alpha, ErrConfig)
	}
	if c.GlobalSelection && populations != 1 {
		return fmt.Errorf("%s: GlobalSelection is defined for one population, not %d: %w", fn, populations, ErrConfig)
	}
	return nil
}

// setDiagonal sets C[s, s] = 1 − Σ_{r≠s} C[s, r].
func setDiagonal(c *mat.Dense, s int) {
	row := c.RawRowView(s)
	sum := 0.0
	for r, v := range row {
		if r != s {
			sum += v
		}
	}
	row[s] = 1 - sum
}

// fixation returns the probability that one mutant with fitness advantage
// u/α takes over a population of m, (1 − e^{−u})/(1 − e^{−m·u}), written
// with expm1 so that it neither overflows nor loses precision: for u < 0 it
// is e^{(m−1)u}·expm1(u)/expm1(m·u). It is 1/m for |u| ≤ 1e-14 (OpenSpiel's
// threshold).
func fixation(u float64, m int) float64 {
	fm := float64(m)
	switch {
	case math.Abs(u) <= 1e-14:
		return 1 / fm
	case u > 0:
		return math.Expm1(-u) / math.Expm1(-fm*u)
	default:
		return math.Exp((fm-1)*u) * math.Expm1(u) / math.Expm1(fm*u)
	}
}

// moranFixation returns the fixation probability of one r mutant in a
// population of m playing s, when fitness is the average payoff against the
// m−1 others (see AlphaRank), as exp(−logsumexp(0, L₁, …, L_{m−1})) with
// L_l = −α·Σ_{p≤l} (f_r(p) − f_s(m−p)).
func moranFixation(table *mat.Dense, r, s, m int, alpha float64) float64 {
	rr, rs := table.At(r, r), table.At(r, s)
	ss, sr := table.At(s, s), table.At(s, r)
	den := float64(m - 1)
	logs := make([]float64, m)
	L, top := 0.0, 0.0
	for p := 1; p < m; p++ {
		q := m - p
		fr := (float64(p-1)*rr + float64(m-p)*rs) / den
		fs := (float64(q-1)*ss + float64(m-q)*sr) / den
		L -= alpha * (fr - fs)
		logs[p] = L
		top = max(top, L)
	}
	sum := 0.0
	for _, l := range logs {
		sum += math.Exp(l - top)
	}
	return math.Exp(-top - math.Log(sum))
}

// α-Rank is in the league's meta-solver table as "alpharank": the mass of
// each strategy per population, with default settings.
func init() {
	RegisterSolver(Solver{Name: "alpharank", Title: "α-Rank mass", Solve: func(tables []*mat.Dense) ([][]float64, error) {
		r, err := AlphaRank(tables, nil)
		if err != nil {
			return nil, err
		}
		return r.Marginals, nil
	}})
}
