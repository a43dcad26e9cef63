package meta

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// PRDConfig holds the settings of projected replicator dynamics. The zero
// value is not useful; start from DefaultPRDConfig, whose values are
// OpenSpiel's defaults (prd_iterations, prd_dt, prd_gamma).
type PRDConfig struct {
	// Iterations is the number of update steps, at least 1. Default 1e5.
	Iterations int
	// Dt is the step size dt of each update, finite and > 0. Default 1e-3.
	Dt float64
	// Gamma is the minimum probability γ of every strategy after each
	// projection, in [0, 1/S] for a player with S strategies. Default 1e-6.
	Gamma float64
	// Initial is the starting profile, one probability vector per player;
	// nil starts every player at the uniform strategy.
	Initial [][]float64
	// AverageLast is how many of the last iterates are averaged into the
	// result, in [0, Iterations]; 0 averages the whole trajectory (the
	// default) and 1 returns the last iterate.
	AverageLast int
	// ClipProjection replaces the exact Euclidean projection onto Δ_γ by
	// OpenSpiel's approximation: raise every probability below γ to γ, then
	// divide by the sum. Set it to reproduce OpenSpiel's numbers.
	ClipProjection bool
}

// DefaultPRDConfig returns OpenSpiel's defaults: 1e5 iterations, dt = 1e-3,
// γ = 1e-6, a uniform start, and the average of the whole trajectory.
func DefaultPRDConfig() PRDConfig {
	return PRDConfig{Iterations: 100_000, Dt: 1e-3, Gamma: 1e-6}
}

// ProjectedReplicatorDynamics runs projected replicator dynamics on the
// two-player game whose payoff matrices are payoffs[0] (to the row player)
// and payoffs[1] (to the column player), and returns the averaged profile
// [row strategy, column strategy]. A nil cfg means DefaultPRDConfig(). It is
// Bimatrix followed by NormalForm.ProjectedReplicatorDynamics, whose
// documentation gives the update; for three or more players build the game
// with NewNormalForm.
//
// It returns an error wrapping ErrShape unless payoffs holds exactly two
// matrices, the errors of Bimatrix for bad tables, and ErrConfig or
// ErrStrategy for settings out of range.
func ProjectedReplicatorDynamics(payoffs []*mat.Dense, cfg *PRDConfig) ([][]float64, error) {
	const fn = "meta: ProjectedReplicatorDynamics"
	if len(payoffs) != 2 {
		return nil, fmt.Errorf("%s: %d payoff matrices, want 2 (one per player; use NewNormalForm for more players): %w", fn, len(payoffs), ErrShape)
	}
	g, err := bimatrix(fn, payoffs[0], payoffs[1])
	if err != nil {
		return nil, err
	}
	return g.ProjectedReplicatorDynamics(cfg)
}

// ProjectedReplicatorDynamics runs projected replicator dynamics (PRD), the
// meta-solver of PSRO, on g and returns the average of the trajectory, one
// probability vector per player. A nil cfg means DefaultPRDConfig(). Each
// step updates every player at once from the previous profile x:
//
//	u_i  = (u_i(a, x₋ᵢ))_a                          values of i's pure strategies
//	x_i ← Proj_{Δ,γ}( x_i + dt · x_i ∘ (u_i − x_iᵀu_i) )
//	Proj_{Δ,γ}(y) = argmin { ‖z − y‖₂ : z_a ≥ γ for all a, Σ_a z_a = 1 }
//
// The projection keeps every strategy alive with probability at least γ, so
// the dynamics can leave the faces of the simplex that plain replicator
// dynamics never leaves. It is computed exactly by sorting (Held, Wolfe and
// Crowder 1974; Duchi et al. 2008): z = γ + max(y − γ − θ, 0) with θ chosen
// so that z sums to 1. The result averages the last cfg.AverageLast iterates
// (all of them by default), since the iterates themselves may cycle (as in
// rock–paper–scissors) while their average approaches an equilibrium. One
// step costs O(N·Π S_i) (O(S₀S₁) for two players).
//
// OpenSpiel's projected_replicator_dynamics.py uses the same update and
// defaults but approximates the projection by clipping at γ and
// renormalizing; cfg.ClipProjection selects that approximation.
//
// It returns an error wrapping ErrConfig or ErrStrategy when a setting is out
// of range, and ErrNumerical if the iterates stop being finite (payoffs so
// large that dt·u overflows).
//
// Reference: M. Lanctot et al., "A Unified Game-Theoretic Approach to
// Multiagent Reinforcement Learning", NeurIPS 2017, arXiv 1711.00832, §3.1.
func (g *NormalForm) ProjectedReplicatorDynamics(cfg *PRDConfig) ([][]float64, error) {
	const fn = "meta: ProjectedReplicatorDynamics"
	c := DefaultPRDConfig()
	if cfg != nil {
		c = *cfg
	}
	if err := g.checkPRDConfig(fn, &c); err != nil {
		return nil, err
	}
	n := len(g.shape)
	x := make([][]float64, n)
	values := make([][]float64, n)
	avg := make([][]float64, n)
	most := 0
	for i, s := range g.shape {
		if c.Initial != nil {
			x[i] = append([]float64(nil), c.Initial[i]...)
		} else {
			x[i] = uniform(s)
		}
		values[i] = make([]float64, s)
		avg[i] = make([]float64, s)
		most = max(most, s)
	}
	scratch := make([]float64, most)
	window := c.AverageLast
	if window == 0 {
		window = c.Iterations
	}
	for it := range c.Iterations {
		for i := range n {
			g.strategyValues(i, x, values[i])
		}
		for i := range n {
			xi, ui := x[i], values[i]
			mean := 0.0
			for a, p := range xi {
				mean += p * ui[a]
			}
			for a, p := range xi {
				xi[a] = p + c.Dt*p*(ui[a]-mean)
			}
			if c.ClipProjection {
				clipProject(xi, c.Gamma)
			} else {
				projectSimplex(xi, c.Gamma, scratch[:len(xi)])
			}
		}
		if it >= c.Iterations-window {
			for i := range n {
				for a, p := range x[i] {
					avg[i][a] += p
				}
			}
		}
	}
	// Dividing by the sum of the accumulated iterates rather than by the
	// window length is the same in exact arithmetic and removes the rounding
	// drift of summing up to 1e5 vectors.
	for i := range n {
		sum := floats.Sum(avg[i])
		if math.IsNaN(sum) || math.IsInf(sum, 0) {
			return nil, fmt.Errorf("%s: iterates are not finite (payoffs too large for dt = %v): %w", fn, c.Dt, ErrNumerical)
		}
		floats.Scale(1/sum, avg[i])
	}
	return avg, nil
}

// checkPRDConfig returns an error unless c's settings are in range for g.
func (g *NormalForm) checkPRDConfig(fn string, c *PRDConfig) error {
	if c.Iterations < 1 {
		return fmt.Errorf("%s: Iterations = %d, want at least 1: %w", fn, c.Iterations, ErrConfig)
	}
	if !(c.Dt > 0) || math.IsInf(c.Dt, 0) {
		return fmt.Errorf("%s: Dt = %v, want a finite number > 0: %w", fn, c.Dt, ErrConfig)
	}
	for i, s := range g.shape {
		if !(c.Gamma >= 0) || c.Gamma*float64(s) > 1 {
			return fmt.Errorf("%s: Gamma = %v, want in [0, 1/%d] (player %d has %d strategies): %w", fn, c.Gamma, s, i, s, ErrConfig)
		}
	}
	if c.AverageLast < 0 || c.AverageLast > c.Iterations {
		return fmt.Errorf("%s: AverageLast = %d, want in [0, Iterations = %d]: %w", fn, c.AverageLast, c.Iterations, ErrConfig)
	}
	if c.Initial != nil {
		if err := g.checkProfile(fn+": Initial", c.Initial); err != nil {
			return err
		}
	}
	return nil
}

// projectSimplex replaces y by its Euclidean projection onto
// Δ_γ = {z : z ≥ γ, Σz = 1}; scratch has the length of y. With v = y − γ and
// r = 1 − len(y)·γ ≥ 0 this is the projection of v onto {v ≥ 0, Σv = r}:
// sort v decreasingly into u, take the largest ρ with
// u_ρ − (Σ_{k≤ρ} u_k − r)/ρ > 0, and set θ = (Σ_{k≤ρ} u_k − r)/ρ and
// z = γ + max(v − θ, 0).
func projectSimplex(y []float64, gamma float64, scratch []float64) {
	r := 1 - float64(len(y))*gamma
	if r <= 0 {
		for a := range y {
			y[a] = gamma
		}
		return
	}
	copy(scratch, y)
	slices.Sort(scratch)
	cum, theta := 0.0, 0.0
	for j := len(scratch) - 1; j >= 0; j-- {
		u := scratch[j] - gamma
		cum += u
		rank := float64(len(scratch) - j)
		if t := (cum - r) / rank; u-t > 0 {
			theta = t
		} else {
			break
		}
	}
	for a, v := range y {
		y[a] = gamma + max(v-gamma-theta, 0)
	}
}

// clipProject is OpenSpiel's approximate projection onto Δ_γ: raise every
// entry below γ to γ, then divide by the sum.
func clipProject(y []float64, gamma float64) {
	sum := 0.0
	for a, v := range y {
		if v < gamma {
			y[a] = gamma
		}
		sum += y[a]
	}
	for a := range y {
		y[a] /= sum
	}
}

// Projected replicator dynamics is in the league's meta-solver table as
// "prd": the averaged profile, with OpenSpiel's default settings.
func init() {
	RegisterSolver(Solver{Name: "prd", Title: "projected replicator dynamics", Solve: func(tables []*mat.Dense) ([][]float64, error) {
		return ProjectedReplicatorDynamics(tables, nil)
	}})
}
