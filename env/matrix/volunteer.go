package matrix

import (
	"fmt"
	"math"

	"github.com/mrasim/mrasim/env"
)

// VolunteerName is the name the volunteer's dilemma registers under.
const VolunteerName = "volunteer"

func init() {
	env.Register(VolunteerName, newVolunteer, env.Doc{
		Summary: "volunteer's dilemma: everyone gains b if at least one player volunteers at cost c",
		Types:   []env.TypeDoc{{Name: Players, Min: 2, Max: MaxPlayers, Doc: "symmetric players choosing to ignore or volunteer"}},
		Params: []env.Param{
			{Name: "benefit", Kind: env.Float, Default: 1, Min: 0, Max: 1e6, Doc: "benefit b every player gets when at least one volunteers, > cost"},
			{Name: "cost", Kind: env.Float, Default: 0.5, Min: 0, Max: 1e6, Doc: "cost c a volunteer pays, 0 < c < b"},
			countEncodingParam,
		},
	})
}

func newVolunteer(p env.Params, pop env.Population) (env.Game, error) {
	return NewVolunteer(pop.Total(), p.Float("benefit"), p.Float("cost"), WithCountEncoding(p.CountEncoding()))
}

// The actions of the volunteer's dilemma.
const (
	ignore    = 0
	volunteer = 1
)

// Volunteer is the volunteer's dilemma. Each of n players ignores
// (action 0) or volunteers (action 1); everyone gets b when at least one
// player volunteers, and volunteers pay c, 0 < c < b:
//
//	π_i = b·[some player volunteers] − c·[i volunteers]
//
// The pure equilibria have exactly one volunteer. The symmetric mixed
// equilibrium volunteers with probability p* = 1 − (c/b)^{1/(n−1)} (see
// VolunteerEquilibrium), under which nobody volunteers with a probability
// that rises with n.
//
// The self block of an observation is [n/10, 1/n, c/b, b] (ln n first with
// env.CountLog).
type Volunteer struct {
	oneShot
	benefit, cost float64
}

// NewVolunteer builds the volunteer's dilemma at n players with benefit b
// and cost c, configured by opts. It returns an error unless
// 2 ≤ n ≤ MaxPlayers and 0 < c < b.
func NewVolunteer(n int, b, c float64, opts ...Option) (*Volunteer, error) {
	if !(c > 0 && c < b) {
		return nil, &env.ParamError{Game: VolunteerName, Param: "cost", Msg: fmt.Sprintf("cost %v with benefit %v: want 0 < cost < benefit (otherwise nobody or everybody volunteers and there is no dilemma)", c, b)}
	}
	base, err := newOneShot(VolunteerName, n, []string{"ignore", "volunteer"}, []float64{c / b, b}, opts)
	if err != nil {
		return nil, err
	}
	return &Volunteer{oneShot: base, benefit: b, cost: c}, nil
}

// Step implements env.Game: every player is paid π_i and the game ends. It
// panics on an action out of range or on a second Step before Reset.
func (g *Volunteer) Step(actions []int, f *env.Frame) {
	g.play(actions)
	got := 0.0
	for _, a := range actions {
		if a == volunteer {
			got = g.benefit
			break
		}
	}
	for i, a := range actions {
		f.Reward[i] = got
		if a == volunteer {
			f.Reward[i] -= g.cost
		}
	}
	g.Observe(f)
}

// ActionValues implements env.MixedPayoffs:
//
//	u_i(volunteer) = b − c
//	u_i(ignore)    = b·(1 − Π_{j≠i} σ_j(ignore))
//
// It takes O(n) operations and panics if the shapes are wrong.
func (g *Volunteer) ActionValues(profile [][]float64, i int, dst []float64) {
	g.checkValuesArgs(profile, i, dst)
	none := 1.0
	for j, s := range profile {
		if j != i {
			none *= s[ignore]
		}
	}
	dst[ignore] = g.benefit * (1 - none)
	dst[volunteer] = g.benefit - g.cost
}

// VolunteerEquilibrium returns the probability of volunteering in the
// symmetric mixed equilibrium of the volunteer's dilemma with n players,
// benefit b and cost c, which makes every player indifferent:
//
//	b − c = b·(1 − (1 − p*)^{n−1})   ⇔   p* = 1 − (c/b)^{1/(n−1)}
//
// It panics unless n ≥ 2 and 0 < c < b.
func VolunteerEquilibrium(n int, b, c float64) float64 {
	checkVolunteer(n, b, c)
	return -math.Expm1(math.Log(c/b) / float64(n-1))
}

// VolunteerNobodyProbability returns the probability that nobody volunteers
// in the symmetric mixed equilibrium of the volunteer's dilemma,
//
//	(1 − p*)ⁿ = (c/b)^{n/(n−1)},
//
// which rises with n from (c/b)² at n = 2 towards c/b. It panics unless
// n ≥ 2 and 0 < c < b.
func VolunteerNobodyProbability(n int, b, c float64) float64 {
	checkVolunteer(n, b, c)
	return math.Pow(c/b, float64(n)/float64(n-1))
}

func checkVolunteer(n int, b, c float64) {
	if n < 2 || !(c > 0 && c < b) {
		panic(fmt.Sprintf("matrix: volunteer's dilemma with n = %d, b = %v, c = %v; want n ≥ 2 and 0 < c < b", n, b, c))
	}
}
