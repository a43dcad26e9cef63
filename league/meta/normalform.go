package meta

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// NormalForm is an N-player normal-form game (N ≥ 2): player i chooses one
// of NumStrategies(i) strategies, and every player's payoff depends on the
// whole profile of choices. It is the meta-game of a league with N seats.
//
// Payoffs are stored as one flat tensor per player in row-major order, the
// last player's strategy varying fastest: the profile (s₀, …, s_{N−1}) has
// index
//
//	k = ((s₀·S₁ + s₁)·S₂ + s₂)·… + s_{N−1},   S_i = NumStrategies(i),
//
// which is also the order of the profiles in α-Rank's Markov chain. A
// NormalForm is immutable once built and safe for concurrent use.
type NormalForm struct {
	shape   []int
	strides []int
	payoffs [][]float64
}

// NewNormalForm returns the game in which player i has shape[i] strategies
// and payoffs[i][k] is player i's payoff at the profile of index k (see
// NormalForm). The payoffs are copied.
//
// NewNormalForm returns an error wrapping ErrEmpty if there are fewer than
// two players or a player has no strategy, ErrShape if payoffs does not hold
// one tensor of Π shape entries per player, and ErrNotFinite if a payoff is
// NaN or infinite.
func NewNormalForm(shape []int, payoffs [][]float64) (*NormalForm, error) {
	const fn = "meta: NewNormalForm"
	if len(shape) < 2 {
		return nil, fmt.Errorf("%s: %d players, want at least 2: %w", fn, len(shape), ErrEmpty)
	}
	size := 1
	for i, s := range shape {
		if s < 1 {
			return nil, fmt.Errorf("%s: player %d has %d strategies, want at least 1: %w", fn, i, s, ErrEmpty)
		}
		if size > math.MaxInt32/s {
			return nil, fmt.Errorf("%s: %v strategies make more than 2³¹ profiles: %w", fn, shape, ErrShape)
		}
		size *= s
	}
	if len(payoffs) != len(shape) {
		return nil, fmt.Errorf("%s: %d payoff tensors for %d players: %w", fn, len(payoffs), len(shape), ErrShape)
	}
	g := &NormalForm{
		shape:   append([]int(nil), shape...),
		strides: make([]int, len(shape)),
		payoffs: make([][]float64, len(shape)),
	}
	stride := 1
	for i := len(shape) - 1; i >= 0; i-- {
		g.strides[i] = stride
		stride *= shape[i]
	}
	for i, p := range payoffs {
		if len(p) != size {
			return nil, fmt.Errorf("%s: player %d's payoff tensor has %d entries, want %d for shape %v: %w", fn, i, len(p), size, shape, ErrShape)
		}
		for k, v := range p {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s: player %d's payoff at profile %v is %v, want a finite number: %w", fn, i, g.Profile(k), v, ErrNotFinite)
			}
		}
		g.payoffs[i] = append([]float64(nil), p...)
	}
	return g, nil
}

// Bimatrix returns the two-player game in which the row player receives
// a[i, j] and the column player b[i, j] when they play strategies i and j.
// It returns an error wrapping ErrEmpty, ErrNotFinite or ErrShape when a or
// b is nil or empty, holds a NaN or infinity, or the two differ in shape.
func Bimatrix(a, b *mat.Dense) (*NormalForm, error) {
	return bimatrix("meta: Bimatrix", a, b)
}

// bimatrix is Bimatrix with the caller's name in its errors.
func bimatrix(fn string, a, b *mat.Dense) (*NormalForm, error) {
	m, n, err := checkMatrix(fn+": row player's payoffs", a)
	if err != nil {
		return nil, err
	}
	mb, nb, err := checkMatrix(fn+": column player's payoffs", b)
	if err != nil {
		return nil, err
	}
	if mb != m || nb != n {
		return nil, fmt.Errorf("%s: payoff tables are %d×%d and %d×%d, want equal shapes: %w", fn, m, n, mb, nb, ErrShape)
	}
	flat := func(a *mat.Dense) []float64 {
		out := make([]float64, 0, m*n)
		for i := range m {
			out = append(out, a.RawRowView(i)...)
		}
		return out
	}
	return NewNormalForm([]int{m, n}, [][]float64{flat(a), flat(b)})
}

// NumPlayers returns the number of players N.
func (g *NormalForm) NumPlayers() int { return len(g.shape) }

// NumStrategies returns the number of strategies of player i. It panics if
// i is not a player.
func (g *NormalForm) NumStrategies(i int) int { return g.shape[i] }

// NumProfiles returns the number of pure strategy profiles, Π_i S_i.
func (g *NormalForm) NumProfiles() int { return len(g.payoffs[0]) }

// Payoff returns player i's payoff at the pure profile (one strategy per
// player). It panics if i is not a player or profile is not a profile of g.
func (g *NormalForm) Payoff(i int, profile []int) float64 {
	return g.payoffs[i][g.ProfileIndex(profile)]
}

// ProfileIndex returns the index of a pure profile in the row-major order
// described at NormalForm. It panics if profile does not hold one valid
// strategy per player.
func (g *NormalForm) ProfileIndex(profile []int) int {
	if len(profile) != len(g.shape) {
		panic(fmt.Sprintf("meta: profile of %d strategies for %d players", len(profile), len(g.shape)))
	}
	k := 0
	for i, s := range profile {
		if s < 0 || s >= g.shape[i] {
			panic(fmt.Sprintf("meta: player %d has no strategy %d (it has %d)", i, s, g.shape[i]))
		}
		k += s * g.strides[i]
	}
	return k
}

// Profile returns the pure profile of index k, the inverse of ProfileIndex.
// It panics if k is not in [0, NumProfiles()).
func (g *NormalForm) Profile(k int) []int {
	if k < 0 || k >= len(g.payoffs[0]) {
		panic(fmt.Sprintf("meta: profile index %d out of [0, %d)", k, len(g.payoffs[0])))
	}
	p := make([]int, len(g.shape))
	for i := range p {
		p[i] = k / g.strides[i] % g.shape[i]
	}
	return p
}

// checkProfile returns an error unless profile holds one probability vector
// per player of g.
func (g *NormalForm) checkProfile(fn string, profile [][]float64) error {
	if len(profile) != len(g.shape) {
		return fmt.Errorf("%s: profile of %d strategies for %d players: %w", fn, len(profile), len(g.shape), ErrShape)
	}
	for i, s := range profile {
		if err := checkStrategy(fmt.Sprintf("%s: strategy of player %d", fn, i), s, g.shape[i]); err != nil {
			return err
		}
	}
	return nil
}

// NashConv returns the NashConv of the mixed profile (one probability vector
// per player) and each player's gain from deviating alone to a best
// response,
//
//	gains[i] = max_a u_i(a, σ₋ᵢ) − u_i(σ),   NashConv = Σ_i gains[i],
//
// where u_i(a, σ₋ᵢ) is player i's expected payoff from pure strategy a when
// the others play σ independently. Each gain is summed as
// Σ_a σ_i(a)·(max − u_i(a, σ₋ᵢ)), so it is never negative. The cost is
// O(N²·Π S_i). NashConv returns an error wrapping ErrShape or ErrStrategy
// unless profile holds one probability vector per player.
func (g *NormalForm) NashConv(profile [][]float64) (total float64, gains []float64, err error) {
	if err := g.checkProfile("meta: NashConv", profile); err != nil {
		return 0, nil, err
	}
	gains = make([]float64, len(g.shape))
	for i := range g.shape {
		v := make([]float64, g.shape[i])
		g.strategyValues(i, profile, v)
		gains[i] = deviationGain(profile[i], v)
		total += gains[i]
	}
	return total, gains, nil
}

// strategyValues writes to dst (of length S_i) player i's expected payoff of
// each pure strategy when every other player j plays profile[j]:
//
//	dst[a] = Σ_{s : s_i = a} payoffs_i[s] · Π_{j≠i} profile[j][s_j].
func (g *NormalForm) strategyValues(i int, profile [][]float64, dst []float64) {
	clear(dst)
	p := g.payoffs[i]
	if len(g.shape) == 2 {
		n := g.shape[1]
		if i == 0 {
			y := profile[1]
			for a := range dst {
				row := p[a*n : a*n+n]
				v := 0.0
				for b, x := range row {
					v += x * y[b]
				}
				dst[a] = v
			}
			return
		}
		x := profile[0]
		for a := range g.shape[0] {
			row := p[a*n : a*n+n]
			w := x[a]
			for b, v := range row {
				dst[b] += w * v
			}
		}
		return
	}
	digits := make([]int, len(g.shape))
	for k, v := range p {
		w := v
		for j, d := range digits {
			if j != i {
				w *= profile[j][d]
			}
		}
		dst[digits[i]] += w
		// Advance the odometer, the last player fastest.
		for j := len(digits) - 1; j >= 0; j-- {
			digits[j]++
			if digits[j] < g.shape[j] || k == len(p)-1 {
				break
			}
			digits[j] = 0
		}
	}
}
