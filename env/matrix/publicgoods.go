package matrix

import (
	"fmt"

	"github.com/mrasim/mrasim/env"
)

// PublicGoodsName is the name the linear public goods game registers under.
const PublicGoodsName = "publicgoods"

func init() {
	env.Register(PublicGoodsName, newPublicGoods, env.Doc{
		Summary: "linear public goods: each player keeps or contributes its endowment; the pot is multiplied by r and shared by all",
		Types:   []env.TypeDoc{{Name: Players, Min: 2, Max: MaxPlayers, Doc: "symmetric players choosing how much to contribute"}},
		Params: []env.Param{
			{Name: "endowment", Kind: env.Float, Default: 1, Min: 0, Max: 1e6, Doc: "endowment e of every player, > 0"},
			{Name: "multiplier", Kind: env.Float, Default: 1.6, Min: 0, Max: 1e6, Doc: "multiplier r of the pot, > 0; contributing nothing is dominant when r < n, everything when r > n"},
			{Name: "levels", Kind: env.Int, Default: 2, Min: 2, Max: 1001, Doc: "number of contribution levels; level k contributes e·k/(levels−1)"},
			countEncodingParam,
		},
	})
}

func newPublicGoods(p env.Params, pop env.Population) (env.Game, error) {
	return NewPublicGoods(pop.Total(), p.Float("endowment"), p.Float("multiplier"), p.Int("levels"), WithCountEncoding(p.CountEncoding()))
}

// PublicGoods is the linear public goods game. Each of n players holds an
// endowment e and contributes c_i, one of levels evenly spaced amounts
// (action k contributes e·k/(levels−1)); the contributions are multiplied by
// r and shared equally:
//
//	π_i = e − c_i + (r/n)·Σ_j c_j
//
// When r < n contributing nothing is strictly dominant, so the unique Nash
// equilibrium is that nobody contributes, although everybody contributing
// is better for all when r > 1; when r > n contributing everything is
// dominant.
//
// The self block of an observation is [n/10, 1/n, r/n, e] (ln n first with
// env.CountLog).
type PublicGoods struct {
	oneShot
	endowment, multiplier float64
	contrib               []float64 // contribution of each level
}

// NewPublicGoods builds the game at n players with endowment e, multiplier
// r and the given number of contribution levels, configured by opts. It
// returns an error unless 2 ≤ n ≤ MaxPlayers, e > 0, r > 0 and levels ≥ 2.
func NewPublicGoods(n int, e, r float64, levels int, opts ...Option) (*PublicGoods, error) {
	switch {
	case !(e > 0):
		return nil, &env.ParamError{Game: PublicGoodsName, Param: "endowment", Msg: fmt.Sprintf("%v: want > 0", e)}
	case !(r > 0):
		return nil, &env.ParamError{Game: PublicGoodsName, Param: "multiplier", Msg: fmt.Sprintf("%v: want > 0", r)}
	case levels < 2:
		return nil, &env.ParamError{Game: PublicGoodsName, Param: "levels", Msg: fmt.Sprintf("%d: want ≥ 2", levels)}
	}
	names := make([]string, levels)
	contrib := make([]float64, levels)
	for k := range levels {
		contrib[k] = e * float64(k) / float64(levels-1)
		switch k {
		case 0:
			names[k] = "keep"
		case levels - 1:
			names[k] = "contribute all"
		default:
			names[k] = fmt.Sprintf("contribute %d/%d", k, levels-1)
		}
	}
	base, err := newOneShot(PublicGoodsName, n, names, []float64{r / float64(n), e}, opts)
	if err != nil {
		return nil, err
	}
	return &PublicGoods{oneShot: base, endowment: e, multiplier: r, contrib: contrib}, nil
}

// Step implements env.Game: every player is paid π_i and the game ends. It
// panics on an action out of range or on a second Step before Reset.
func (g *PublicGoods) Step(actions []int, f *env.Frame) {
	g.play(actions)
	sum := 0.0
	for _, a := range actions {
		sum += g.contrib[a]
	}
	share := g.multiplier / float64(g.n) * sum
	for i, a := range actions {
		f.Reward[i] = g.endowment - g.contrib[a] + share
	}
	g.Observe(f)
}

// ActionValues implements env.MixedPayoffs by linearity of expectation:
//
//	u_i(k) = e − c_k + (r/n)·(c_k + Σ_{j≠i} Σ_l σ_j(l)·c_l)
//
// It takes O(n·levels) operations and panics if the shapes are wrong.
func (g *PublicGoods) ActionValues(profile [][]float64, i int, dst []float64) {
	g.checkValuesArgs(profile, i, dst)
	others := 0.0
	for j, s := range profile {
		if j == i {
			continue
		}
		for l, p := range s {
			others += p * g.contrib[l]
		}
	}
	rn := g.multiplier / float64(g.n)
	for k, c := range g.contrib {
		dst[k] = g.endowment - c + rn*(c+others)
	}
}

// PublicGoodsEquilibrium returns the contribution level every player plays
// in the dominant-strategy equilibrium of the public goods game with n
// players, multiplier r and the given number of levels: 0 (contribute
// nothing) when r < n and levels−1 (contribute everything) when r > n. When
// r = n every profile is an equilibrium and it returns 0.
func PublicGoodsEquilibrium(n int, r float64, levels int) int {
	if r > float64(n) {
		return levels - 1
	}
	return 0
}
