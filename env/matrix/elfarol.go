package matrix

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"

	"github.com/mrasim/mrasim/env"
)

// ElFarolName is the name the El Farol bar game registers under.
const ElFarolName = "elfarol"

func init() {
	env.Register(ElFarolName, newElFarol, env.Doc{
		Summary: "El Farol bar: attending pays good if at most C players attend and bad otherwise; staying home pays 0",
		Types:   []env.TypeDoc{{Name: Players, Min: 2, Max: MaxPlayers, Doc: "symmetric players choosing to stay home or attend"}},
		Params: []env.Param{
			{Name: "capacity", Kind: env.Int, Default: 0, Min: 0, Max: MaxPlayers, Doc: "capacity C of the bar, in [1, n−1]; 0 means round(fraction·n)"},
			{Name: "fraction", Kind: env.Float, Default: 0.6, Min: 0, Max: 1, Doc: "capacity as a fraction of the players, used when capacity is 0"},
			{Name: "good", Kind: env.Float, Default: 1, Min: 0, Max: 1e6, Doc: "payoff g > 0 of attending a bar that is not crowded (attendance ≤ C)"},
			{Name: "bad", Kind: env.Float, Default: -1, Min: -1e6, Max: 0, Doc: "payoff b < 0 of attending a crowded bar (attendance > C)"},
			countEncodingParam,
		},
		Population: "the capacity C (given, or round(fraction·n)) must be in [1, n−1]",
	})
}

func newElFarol(p env.Params, pop env.Population) (env.Game, error) {
	n := pop.Total()
	c := p.Int("capacity")
	if c == 0 {
		c = ElFarolCapacity(n, p.Float("fraction"))
	}
	return NewElFarol(n, c, p.Float("good"), p.Float("bad"), WithCountEncoding(p.CountEncoding()))
}

// The actions of the El Farol bar game.
const (
	stayHome = 0
	attend   = 1
)

// ElFarol is the El Farol bar problem as a one-shot threshold congestion
// game. Each of n players stays home (action 0) or attends (action 1); with
// A the attendance, counting oneself,
//
//	π_i = 0   if i stays home
//	π_i = g   if i attends and A ≤ C
//	π_i = b   if i attends and A > C        (g > 0 > b, 1 ≤ C ≤ n−1)
//
// The pure equilibria are the binom(n, C) profiles in which exactly C
// players attend. The symmetric mixed equilibrium attends with the
// probability p* that ElFarolEquilibrium computes.
//
// The self block of an observation is [n/10, 1/n, C/n, g, b] (ln n first
// with env.CountLog).
type ElFarol struct {
	oneShot
	capacity  int
	good, bad float64
	dist      []float64 // scratch: distribution of the other attendees, truncated at C
}

// ElFarolCapacity returns the capacity round(fraction·n) that the
// registered game uses when its capacity parameter is 0.
func ElFarolCapacity(n int, fraction float64) int {
	return int(math.Round(fraction * float64(n)))
}

// NewElFarol builds the El Farol bar game at n players with capacity c,
// payoff g for attending an uncrowded bar and b for a crowded one,
// configured by opts. It returns an error unless 2 ≤ n ≤ MaxPlayers,
// 1 ≤ c ≤ n−1 and g > 0 > b.
func NewElFarol(n, c int, g, b float64, opts ...Option) (*ElFarol, error) {
	switch {
	case c < 1 || c > n-1:
		return nil, fmt.Errorf("%s: capacity %d with %d players, want 1 to n−1 = %d (otherwise attending is always crowded or never); set capacity or fraction", ElFarolName, c, n, n-1)
	case !(g > 0):
		return nil, &env.ParamError{Game: ElFarolName, Param: "good", Msg: fmt.Sprintf("%v: want a payoff > 0", g)}
	case !(b < 0):
		return nil, &env.ParamError{Game: ElFarolName, Param: "bad", Msg: fmt.Sprintf("%v: want a payoff < 0", b)}
	}
	base, err := newOneShot(ElFarolName, n, []string{"stay home", "attend"}, []float64{float64(c) / float64(n), g, b}, opts)
	if err != nil {
		return nil, err
	}
	return &ElFarol{oneShot: base, capacity: c, good: g, bad: b, dist: make([]float64, c+1)}, nil
}

// Capacity returns the capacity C of the bar.
func (g *ElFarol) Capacity() int { return g.capacity }

// Step implements env.Game: every player is paid π_i and the game ends. It
// panics on an action out of range or on a second Step before Reset.
func (g *ElFarol) Step(actions []int, f *env.Frame) {
	g.play(actions)
	attendance := 0
	for _, a := range actions {
		attendance += a
	}
	pay := g.good
	if attendance > g.capacity {
		pay = g.bad
	}
	for i, a := range actions {
		f.Reward[i] = 0
		if a == attend {
			f.Reward[i] = pay
		}
	}
	g.Observe(f)
}

// ActionValues implements env.MixedPayoffs. With K the number of other
// players who attend, a Poisson-binomial variable,
//
//	u_i(stay home) = 0
//	u_i(attend)    = g·P(K ≤ C−1) + b·P(K ≥ C)
//
// It takes O(n·C) operations, allocates nothing and panics if the shapes
// are wrong.
func (g *ElFarol) ActionValues(profile [][]float64, i int, dst []float64) {
	g.checkValuesArgs(profile, i, dst)
	countOthers(profile, i, g.dist)
	c := g.capacity
	fits := 0.0
	for _, p := range g.dist[:c] {
		fits += p
	}
	dst[stayHome] = 0
	dst[attend] = g.good*fits + g.bad*g.dist[c]
}

// ElFarolEquilibrium returns the attendance probability p* of the symmetric
// mixed equilibrium of the El Farol game with n players, capacity C and
// payoffs g > 0 > b: the p that makes attending worth as much as staying
// home,
//
//	g·F(C−1; n−1, p) + b·(1 − F(C−1; n−1, p)) = 0   ⇔   F(C−1; n−1, p) = −b/(g−b)
//
// where F(k; m, p) = P(Bin(m, p) ≤ k) = I_{1−p}(m−k, k+1) is the binomial
// distribution function. F falls strictly from 1 to 0 as p goes from 0 to 1,
// so the root is unique; it is found by bisection to the resolution of
// float64 (an interval narrower than 1e-15). It panics unless 2 ≤ n,
// 1 ≤ C ≤ n−1 and g > 0 > b.
func ElFarolEquilibrium(n, C int, g, b float64) float64 {
	if n < 2 || C < 1 || C > n-1 || !(g > 0) || !(b < 0) {
		panic(fmt.Sprintf("matrix: El Farol with n = %d, C = %d, g = %v, b = %v; want 1 ≤ C ≤ n−1 and g > 0 > b", n, C, g, b))
	}
	target := -b / (g - b)
	cdf := func(p float64) float64 { return mathext.RegIncBeta(float64(n-C), float64(C), 1-p) }
	lo, hi := 0.0, 1.0
	for hi-lo > 1e-15 {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if cdf(mid) > target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2
}
