package matrix

import (
	"fmt"

	"github.com/mrasim/mrasim/env"
)

// MinorityName is the name the minority game registers under.
const MinorityName = "minority"

func init() {
	env.Register(MinorityName, newMinority, env.Doc{
		Summary:    "minority game: an odd number of players each pick one of two sides; those on the smaller side earn 1",
		Types:      []env.TypeDoc{{Name: Players, Min: 3, Max: MaxPlayers, Doc: "symmetric players choosing side 0 or side 1"}},
		Params:     []env.Param{countEncodingParam},
		Population: "the number of players must be odd",
	})
}

func newMinority(p env.Params, pop env.Population) (env.Game, error) {
	return NewMinority(pop.Total(), WithCountEncoding(p.CountEncoding()))
}

// Minority is the minority game. Each of n players, n odd, picks side 0 or
// side 1 (the action); a player on the side fewer players picked earns 1,
// the others 0:
//
//	π_i = 1   if #{j : a_j = a_i} ≤ (n−1)/2,   else 0
//
// The pure equilibria are the splits (n−1)/2 against (n+1)/2; the symmetric
// mixed equilibrium picks each side with probability 1/2.
//
// The self block of an observation is [n/10, 1/n] (ln n first with
// env.CountLog).
type Minority struct {
	oneShot
	dist []float64 // scratch: distribution of the others on side 1
}

// NewMinority builds the minority game at n players, configured by opts. It
// returns an error unless n is odd and 3 ≤ n ≤ MaxPlayers.
func NewMinority(n int, opts ...Option) (*Minority, error) {
	if n%2 == 0 {
		return nil, fmt.Errorf("%s: %d players: n must be odd, so that one side is always the minority", MinorityName, n)
	}
	if n < 3 {
		return nil, fmt.Errorf("%s: %d players, want an odd number from 3 to %d", MinorityName, n, MaxPlayers)
	}
	base, err := newOneShot(MinorityName, n, []string{"side 0", "side 1"}, nil, opts)
	if err != nil {
		return nil, err
	}
	return &Minority{oneShot: base, dist: make([]float64, n)}, nil
}

// Step implements env.Game: every player is paid π_i and the game ends. It
// panics on an action out of range or on a second Step before Reset.
func (g *Minority) Step(actions []int, f *env.Frame) {
	g.play(actions)
	ones := 0
	for _, a := range actions {
		ones += a
	}
	winner := 1 // the side in the minority
	if ones > g.n/2 {
		winner = 0
	}
	for i, a := range actions {
		f.Reward[i] = 0
		if a == winner {
			f.Reward[i] = 1
		}
	}
	g.Observe(f)
}

// ActionValues implements env.MixedPayoffs. With m = (n−1)/2 and K the
// number of other players on side 1, a Poisson-binomial variable,
//
//	u_i(side 1) = P(K ≤ m−1)
//	u_i(side 0) = P(K ≥ m+1)
//
// It takes O(n²) operations, allocates nothing and panics if the shapes are
// wrong.
func (g *Minority) ActionValues(profile [][]float64, i int, dst []float64) {
	g.checkValuesArgs(profile, i, dst)
	countOthers(profile, i, g.dist)
	m := g.n / 2
	lower, upper := 0.0, 0.0
	for k, p := range g.dist {
		switch {
		case k < m:
			lower += p
		case k > m:
			upper += p
		}
	}
	dst[0] = upper
	dst[1] = lower
}

// MinorityEquilibrium returns the probability of picking side 1 in the
// symmetric mixed equilibrium of the minority game with n players (n odd),
// which is 1/2 at every n.
func MinorityEquilibrium(n int) float64 { return 0.5 }
