package matrix

import (
	"fmt"

	"github.com/mrasim/mrasim/env"
)

// Players is the name of the single agent type of every game in this
// package.
const Players = "players"

// MaxPlayers is the largest population the games accept. Observations grow
// as n², so a frame at MaxPlayers holds about a million numbers.
const MaxPlayers = 1024

// oneShot is what the four games share: n symmetric players, one
// simultaneous step, the same constant observation for every player, and a
// state made of the step count and the joint action played.
type oneShot struct {
	spec    *env.Spec
	tag     string    // state tag, "matrix/<game>/v1"
	n       int       // players
	t       int       // steps taken: 0 before the step, 1 after it
	actions []int     // the joint action played; zeros before the step
	obs     []float64 // the whole of Frame.Obs, identical at every step
	present []bool    // all true, as long as the longer of Frame.EntityMask and Frame.ActionMask
}

// newOneShot builds the shared part of a game named game at n players with
// the given action names and a self block [count, 1/n, params…], count
// being n in the count encoding of opts.
func newOneShot(game string, n int, actionNames []string, params []float64, opts []Option) (oneShot, error) {
	if n < 2 || n > MaxPlayers {
		return oneShot{}, fmt.Errorf("%s: %d players, want 2 to %d", game, n, MaxPlayers)
	}
	o, err := buildOptions(game, opts)
	if err != nil {
		return oneShot{}, err
	}
	self := append([]float64{o.count.Encode(n), 1 / float64(n)}, params...)
	spec, err := env.NewSpec(env.Population{{Type: Players, Count: n}}, []env.TypeSpec{{
		Name:        Players,
		Count:       n,
		NumActions:  len(actionNames),
		ActionNames: actionNames,
		Self:        len(self),
		Sets:        []env.SetSpec{{Name: Players, Width: 1, Count: n - 1}},
	}}, 1)
	if err != nil {
		return oneShot{}, fmt.Errorf("%s: %w", game, err)
	}
	width := len(self) + n - 1
	obs := make([]float64, 0, n*width)
	for range n {
		obs = append(obs, self...)
		for range n - 1 {
			obs = append(obs, 1)
		}
	}
	present := make([]bool, n*max(n-1, len(actionNames)))
	for i := range present {
		present[i] = true
	}
	return oneShot{spec: spec, tag: "matrix/" + game + "/v1", n: n, actions: make([]int, n), obs: obs, present: present}, nil
}

// Spec implements env.Game.
func (g *oneShot) Spec() *env.Spec { return g.spec }

// Reset implements env.Game. The games are deterministic, so the seed
// changes nothing.
func (g *oneShot) Reset(seed uint64, f *env.Frame) {
	g.t = 0
	clear(g.actions)
	clear(f.Reward)
	g.Observe(f) // writes everything else Frame.Begin would

}

// Observe implements env.Game.
func (g *oneShot) Observe(f *env.Frame) {
	copy(f.Obs, g.obs)
	copy(f.EntityMask, g.present)
	copy(f.ActionMask, g.present)
	done := g.t > 0
	for i := range f.Alive {
		f.Alive[i] = true
		f.Terminated[i] = done
		f.Truncated[i] = false
	}
	f.T = g.t
}

// play records the joint action of the game's only step. It panics if the
// episode is over or an action is out of range: both are programming errors.
func (g *oneShot) play(actions []int) {
	if g.t > 0 {
		panic("matrix: Step after the one-shot game ended; call Reset")
	}
	if len(actions) != g.n {
		panic(fmt.Sprintf("matrix: %d actions for %d players", len(actions), g.n))
	}
	na := g.spec.Types[0].NumActions
	for i, a := range actions {
		if a < 0 || a >= na {
			panic(fmt.Sprintf("matrix: player %d plays action %d, want 0 to %d", i, a, na-1))
		}
	}
	copy(g.actions, actions)
	g.t = 1
}

// AppendState implements env.Game. The state is the step count and the
// joint action played.
func (g *oneShot) AppendState(b []byte) []byte {
	w := env.NewStateWriter(b, g.tag)
	w.Int(g.n)
	w.Int(g.t)
	for _, a := range g.actions {
		w.Int(a)
	}
	return w.Finish()
}

// SetState implements env.Game.
func (g *oneShot) SetState(b []byte) error {
	r := env.NewStateReader(b, g.tag)
	n, t := r.Int(), r.Int()
	if err := r.Err(false); err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	if n != g.n {
		return fmt.Errorf("matrix: %w: state of %d players, game has %d", env.ErrState, n, g.n)
	}
	actions := make([]int, n)
	for i := range actions {
		actions[i] = r.Int()
	}
	if err := r.Err(true); err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	if t != 0 && t != 1 {
		return fmt.Errorf("matrix: %w: step count %d, want 0 or 1", env.ErrState, t)
	}
	na := g.spec.Types[0].NumActions
	for i, a := range actions {
		if a < 0 || a >= na || (t == 0 && a != 0) {
			return fmt.Errorf("matrix: %w: player %d has action %d at step %d", env.ErrState, i, a, t)
		}
	}
	g.t = t
	copy(g.actions, actions)
	return nil
}

// checkValuesArgs panics unless ActionValues got a profile of one strategy
// of length na per player, a player in range and a dst of length na.
func (g *oneShot) checkValuesArgs(profile [][]float64, i int, dst []float64) {
	na := g.spec.Types[0].NumActions
	if len(profile) != g.n || i < 0 || i >= g.n || len(dst) != na {
		panic(fmt.Sprintf("matrix: ActionValues of player %d with %d strategies and %d values, want a player below %d, %d strategies and %d values",
			i, len(profile), len(dst), g.n, g.n, na))
	}
	for j, s := range profile {
		if len(s) != na {
			panic(fmt.Sprintf("matrix: strategy of player %d has %d probabilities, want %d", j, len(s), na))
		}
	}
}

// countOthers writes to dist the distribution of K, the number of players
// other than i who play action 1 when player j plays action 0 with
// probability profile[j][0] and action 1 with probability profile[j][1]
// (profile[j] has length 2), independently:
//
//	dist[k] = P(K = k)   for k < len(dist)−1
//	dist[m] = P(K ≥ m)   for m = len(dist)−1
//
// It is the Poisson-binomial recursion over the players, truncated at m: it
// takes O(n·m) operations and allocates nothing.
func countOthers(profile [][]float64, i int, dist []float64) {
	top := len(dist) - 1
	clear(dist)
	dist[0] = 1
	seen := 0
	for j, s := range profile {
		if j == i {
			continue
		}
		q, p := s[0], s[1]
		hi := min(seen+1, top)
		if hi == top && top > 0 {
			dist[top] = dist[top]*(q+p) + dist[top-1]*p
			hi--
		}
		for k := hi; k > 0; k-- {
			dist[k] = dist[k]*q + dist[k-1]*p
		}
		if top > 0 {
			dist[0] *= q
		} else {
			dist[0] *= q + p
		}
		seen++
	}
}

// Every game is an env.Game with exact mixed payoffs.
var (
	_ interface {
		env.Game
		env.MixedPayoffs
	} = (*PublicGoods)(nil)
	_ interface {
		env.Game
		env.MixedPayoffs
	} = (*Volunteer)(nil)
	_ interface {
		env.Game
		env.MixedPayoffs
	} = (*ElFarol)(nil)
	_ interface {
		env.Game
		env.MixedPayoffs
	} = (*Minority)(nil)
)

// ReseedState implements env.StateReseeder: one-shot games draw no random
// numbers, so there is nothing to reseed.
func (g *oneShot) ReseedState(uint64) {}

// FullyObserved implements env.FullyObserved: the state before the move is
// the game itself, which every player knows.
func (g *oneShot) FullyObserved(int) bool { return true }
