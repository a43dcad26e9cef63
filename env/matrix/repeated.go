package matrix

import (
	"fmt"

	"github.com/mrasim/mrasim/env"
)

// RepeatedVolunteerName is the name the repeated volunteer's dilemma
// registers under.
const RepeatedVolunteerName = "repeatedvolunteer"

// MaxRounds is the largest number of rounds of the repeated volunteer's
// dilemma.
const MaxRounds = 64

func init() {
	env.Register(RepeatedVolunteerName, newRepeatedVolunteer, env.Doc{
		Summary: "the volunteer's dilemma repeated for H rounds; every player sees the round and last round's number of volunteers",
		Types:   []env.TypeDoc{{Name: Players, Min: 2, Max: MaxPlayers, Doc: "symmetric players choosing to ignore or volunteer each round"}},
		Params: []env.Param{
			{Name: "benefit", Kind: env.Float, Default: 1, Min: 0, Max: 1e6, Doc: "benefit b every player gets in a round where at least one volunteers, > cost"},
			{Name: "cost", Kind: env.Float, Default: 0.5, Min: 0, Max: 1e6, Doc: "cost c a volunteer pays, 0 < c < b"},
			{Name: "rounds", Kind: env.Int, Default: 3, Min: 1, Max: MaxRounds, Doc: "rounds H of the episode"},
			countEncodingParam,
		},
	})
}

func newRepeatedVolunteer(p env.Params, pop env.Population) (env.Game, error) {
	return NewRepeatedVolunteer(pop.Total(), p.Float("benefit"), p.Float("cost"), p.Int("rounds"), WithCountEncoding(p.CountEncoding()))
}

// RepeatedVolunteer is the volunteer's dilemma played for H rounds by the
// same n players: in round t each player ignores (action 0) or volunteers
// (action 1) and is paid b·[some player volunteers] − c·[it volunteers].
// Every player observes the round and how many players volunteered in the
// previous round, so a policy can condition on last round's outcome (for
// example volunteer only after a round nobody volunteered in). The game's
// state is (t, last count), H·(n+2) states in all, which makes exact best
// responses cheap (ExactResponse).
//
// The self block of an observation is [n/10, 1/n, c/b, b, t/H, k/n, first]
// with k last round's number of volunteers (0 in the first round) and
// first = 1 in the first round (ln n first with env.CountLog); the set "players"
// has one row of width 1 (always 1) per other player.
type RepeatedVolunteer struct {
	spec          *env.Spec
	n, rounds     int
	count         float64 // the self block's first entry: n in the count encoding
	benefit, cost float64
	t, last       int // the round about to be played; last round's volunteers (−1 before the first)
	present       []bool
}

// NewRepeatedVolunteer builds the game at n players with benefit b, cost c
// and H rounds, configured by opts. It returns an error unless
// 2 ≤ n ≤ MaxPlayers, 0 < c < b and 1 ≤ H ≤ MaxRounds.
func NewRepeatedVolunteer(n int, b, c float64, rounds int, opts ...Option) (*RepeatedVolunteer, error) {
	if !(c > 0 && c < b) {
		return nil, &env.ParamError{Game: RepeatedVolunteerName, Param: "cost", Msg: fmt.Sprintf("cost %v with benefit %v: want 0 < cost < benefit", c, b)}
	}
	if rounds < 1 || rounds > MaxRounds {
		return nil, &env.ParamError{Game: RepeatedVolunteerName, Param: "rounds", Msg: fmt.Sprintf("%d rounds, want 1 to %d", rounds, MaxRounds)}
	}
	if n < 2 || n > MaxPlayers {
		return nil, fmt.Errorf("%s: %d players, want 2 to %d", RepeatedVolunteerName, n, MaxPlayers)
	}
	o, err := buildOptions(RepeatedVolunteerName, opts)
	if err != nil {
		return nil, err
	}
	spec, err := env.NewSpec(env.Population{{Type: Players, Count: n}}, []env.TypeSpec{{
		Name: Players, Count: n, NumActions: 2, ActionNames: []string{"ignore", "volunteer"},
		Self: selfWidth, Sets: []env.SetSpec{{Name: Players, Width: 1, Count: n - 1}},
	}}, rounds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", RepeatedVolunteerName, err)
	}
	present := make([]bool, n*max(n-1, 2))
	for i := range present {
		present[i] = true
	}
	return &RepeatedVolunteer{spec: spec, n: n, rounds: rounds, count: o.count.Encode(n), benefit: b, cost: c, last: -1, present: present}, nil
}

const selfWidth = 7

// Spec implements env.Game.
func (g *RepeatedVolunteer) Spec() *env.Spec { return g.spec }

// Reset implements env.Game. The game is deterministic: the seed changes
// nothing.
func (g *RepeatedVolunteer) Reset(seed uint64, f *env.Frame) {
	g.t, g.last = 0, -1
	clear(f.Reward)
	g.Observe(f)
}

// Observe implements env.Game.
func (g *RepeatedVolunteer) Observe(f *env.Frame) {
	n := g.n
	width := selfWidth + n - 1
	k, first := 0.0, 1.0
	if g.last >= 0 {
		k, first = float64(g.last), 0
	}
	for i := range n {
		row := f.Obs[i*width : (i+1)*width]
		row[0], row[1], row[2], row[3] = g.count, 1/float64(n), g.cost/g.benefit, g.benefit
		row[4], row[5], row[6] = float64(g.t)/float64(g.rounds), k/float64(n), first
		for e := selfWidth; e < width; e++ {
			row[e] = 1
		}
	}
	copy(f.EntityMask, g.present)
	copy(f.ActionMask, g.present)
	done := g.t >= g.rounds
	for i := range f.Alive {
		f.Alive[i] = true
		f.Terminated[i] = done
		f.Truncated[i] = false
	}
	f.T = g.t
}

// Step implements env.Game: one round. It panics on an action out of range
// or a Step after the last round.
func (g *RepeatedVolunteer) Step(actions []int, f *env.Frame) {
	if g.t >= g.rounds {
		panic("matrix: Step after the repeated volunteer's dilemma ended; call Reset")
	}
	if len(actions) != g.n {
		panic(fmt.Sprintf("matrix: %d actions for %d players", len(actions), g.n))
	}
	count := 0
	for i, a := range actions {
		if a != ignore && a != volunteer {
			panic(fmt.Sprintf("matrix: player %d plays action %d, want 0 or 1", i, a))
		}
		count += a
	}
	for i, a := range actions {
		f.Reward[i] = g.payoff(a, count-a)
	}
	g.t++
	g.last = count
	g.Observe(f)
}

// payoff is a player's round payoff when it plays a and k others volunteer.
func (g *RepeatedVolunteer) payoff(a, k int) float64 {
	r := 0.0
	if a+k > 0 {
		r = g.benefit
	}
	if a == volunteer {
		r -= g.cost
	}
	return r
}

// AppendState implements env.Game: the round and last round's count.
func (g *RepeatedVolunteer) AppendState(b []byte) []byte {
	w := env.NewStateWriter(b, "matrix/repeatedvolunteer/v1")
	w.Int(g.n)
	w.Int(g.t)
	w.Int(g.last)
	return w.Finish()
}

// SetState implements env.Game.
func (g *RepeatedVolunteer) SetState(b []byte) error {
	r := env.NewStateReader(b, "matrix/repeatedvolunteer/v1")
	n, t, last := r.Int(), r.Int(), r.Int()
	if err := r.Err(true); err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	if n != g.n || t < 0 || t > g.rounds || last < -1 || last > n || (t == 0) != (last == -1) {
		return fmt.Errorf("matrix: %w: state (n %d, round %d, last %d) for %d players and %d rounds", env.ErrState, n, t, last, g.n, g.rounds)
	}
	g.t, g.last = t, last
	return nil
}

// ExactResponse implements env.ExactResponder by backward induction over
// the states (t, k): with P_t,k the distribution of the number of other
// volunteers when every j ≠ i volunteers with probability p_j(t, k) (read
// from probs at a frame of that state),
//
//	V*(t, k) = max_a Σ_m P_t,k(m)·[u(a, m) + V*(t+1, a+m)]
//	V_π(t, k) = Σ_a π_i(a | t, k) Σ_m P_t,k(m)·[u(a, m) + V_π(t+1, a+m)],   V(H, ·) = 0,
//
// and returns V*(0, start) and V_π(0, start). It costs H·(n+2) frames of
// n probs calls and O(H·n³) arithmetic, and leaves the game's own state as
// it was.
func (g *RepeatedVolunteer) ExactResponse(probs func(f *env.Frame, j int, dst []float64), i int) (best, current float64) {
	n := g.n
	saveT, saveLast := g.t, g.last
	defer func() { g.t, g.last = saveT, saveLast }()
	f := env.NewFrame(g.spec)
	// States: last ∈ {−1, 0, …, n} at index last+1.
	vBest := make([]float64, n+2)
	vCur := make([]float64, n+2)
	nextBest, nextCur := make([]float64, n+2), make([]float64, n+2)
	dist := make([]float64, n)
	q := make([]float64, 2)
	for t := g.rounds - 1; t >= 0; t-- {
		for last := -1; last <= n; last++ {
			if (t == 0) != (last == -1) {
				continue // unreachable
			}
			g.t, g.last = t, last
			g.Observe(f)
			// Poisson-binomial distribution of the other volunteers.
			clear(dist)
			dist[0] = 1
			for j := range n {
				if j == i {
					continue
				}
				probs(f, j, q)
				for m := n - 1; m > 0; m-- {
					dist[m] = dist[m]*q[ignore] + dist[m-1]*q[volunteer]
				}
				dist[0] *= q[ignore]
			}
			probs(f, i, q)
			var value [2]float64
			var cur [2]float64
			for a := range 2 {
				for m, pm := range dist {
					if pm == 0 {
						continue
					}
					value[a] += pm * (g.payoff(a, m) + nextBest[a+m+1])
					cur[a] += pm * (g.payoff(a, m) + nextCur[a+m+1])
				}
			}
			vBest[last+1] = max(value[0], value[1])
			vCur[last+1] = q[ignore]*cur[0] + q[volunteer]*cur[1]
		}
		vBest, nextBest = nextBest, vBest
		vCur, nextCur = nextCur, vCur
	}
	return nextBest[0], nextCur[0]
}

// ReseedState implements env.StateReseeder: the game draws no random
// numbers, so there is nothing to reseed.
func (g *RepeatedVolunteer) ReseedState(uint64) {}

// FullyObserved implements env.FullyObserved: every player sees the
// state, the round and last round's number of volunteers.
func (g *RepeatedVolunteer) FullyObserved(int) bool { return true }
