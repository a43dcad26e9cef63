package br_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/league/br"
)

// coins is a game whose hidden randomness a search that peeks would
// exploit. Two agents play Rounds rounds of two actions; every step the game
// flips a fair coin c from its own generator, and agent 0 earns
// [a₀ = c] + [a₀ = a₁]. Nobody observes anything but the round. Agent 1's
// policy (coinGuesser) plays a bit it draws once per episode and keeps
// hidden. Agent 0 therefore cannot do better than 1 per round whatever it
// plays: its best improvement is exactly 0. A search that restored the
// state with its generator (seeing the coins to come) would earn 2 per
// round, one that copied agent 1's drawn bit 1.5.
//
// With peek set, the game does not reseed a restored state (ReseedState
// does nothing), to show that the test can catch a search that sees the
// future.
type coins struct {
	spec *env.Spec
	pcg  *rand.PCG
	rng  *rand.Rand
	t    int
	peek bool
}

const coinRounds = 4

func newCoins(peek bool) func() (env.Game, error) {
	return func() (env.Game, error) {
		spec, err := env.NewSpec(env.Population{{Type: "players", Count: 2}}, []env.TypeSpec{{Name: "players", Count: 2, NumActions: 2, Self: 1}}, coinRounds)
		if err != nil {
			return nil, err
		}
		pcg := rand.NewPCG(0, 0)
		return &coins{spec: spec, pcg: pcg, rng: rand.New(pcg), peek: peek}, nil
	}
}

func (g *coins) Spec() *env.Spec { return g.spec }

func (g *coins) Reset(seed uint64, f *env.Frame) {
	g.pcg.Seed(seed, 1)
	g.t = 0
	f.Begin()
	g.Observe(f)
}

func (g *coins) Step(actions []int, f *env.Frame) {
	c := g.rng.IntN(2)
	clear(f.Reward)
	if actions[0] == c {
		f.Reward[0]++
	}
	if actions[0] == actions[1] {
		f.Reward[0]++
	}
	g.t++
	g.Observe(f)
}

func (g *coins) Observe(f *env.Frame) {
	for i := range 2 {
		f.AgentObs(i)[0] = float64(g.t) / coinRounds
		f.Alive[i], f.Terminated[i], f.Truncated[i] = true, false, g.t >= coinRounds
	}
	for i := range f.ActionMask {
		f.ActionMask[i] = true
	}
	f.T = g.t
}

func (g *coins) AppendState(b []byte) []byte {
	w := env.NewStateWriter(b, "coins/v1")
	p, _ := g.pcg.MarshalBinary()
	w.Bytes(p)
	w.Int(g.t)
	return w.Finish()
}

func (g *coins) SetState(b []byte) error {
	r := env.NewStateReader(b, "coins/v1")
	p := r.Bytes()
	t := r.Int()
	if err := r.Err(true); err != nil {
		return err
	}
	if err := g.pcg.UnmarshalBinary(p); err != nil {
		return err
	}
	g.t = t
	return nil
}

// ReseedState implements env.StateReseeder (unless the game peeks).
func (g *coins) ReseedState(seed uint64) {
	if !g.peek {
		g.pcg.Seed(seed, 2)
	}
}

// FullyObserved implements env.FullyObserved: the state apart from the
// generator is the round, which every agent sees.
func (g *coins) FullyObserved(int) bool { return true }

// coinGuesser plays agent 1's hidden bit, drawn at the start of every
// episode, and agent 0 uniformly at random. With leak set its forks copy
// the bit it holds (a search that peeks at the others' latents).
type coinGuesser struct {
	rng  *rand.Rand
	bit  int
	leak bool
}

func (p *coinGuesser) Reseed(seed uint64) { p.rng = rand.New(rand.NewPCG(seed, 3)) }

func (p *coinGuesser) Act(f *env.Frame, actions []int) {
	if f.T == 0 {
		p.bit = p.rng.IntN(2)
	}
	actions[0], actions[1] = p.rng.IntN(2), p.bit
}

func (p *coinGuesser) Fork(copies int) agents.Copies {
	c := &guesserCopies{parent: p, pol: make([]coinGuesser, copies)}
	for k := range c.pol {
		c.pol[k].rng = rand.New(rand.NewPCG(uint64(k), 3))
	}
	return c
}

type guesserCopies struct {
	parent *coinGuesser
	pol    []coinGuesser
}

func (c *guesserCopies) Reseed(k int, seed uint64) {
	c.pol[k].rng = rand.New(rand.NewPCG(seed, 3))
	c.pol[k].bit = c.pol[k].rng.IntN(2) // a fresh hidden bit, as at T = 0
	if c.parent.leak {
		c.pol[k].bit = c.parent.bit
	}
}

func (c *guesserCopies) Act(which []int, frames []*env.Frame, actions [][]int) {
	for k, w := range which {
		p := &c.pol[w]
		actions[k][0], actions[k][1] = p.rng.IntN(2), p.bit
	}
}

// TestSearchDoesNotPeek: in the coins game no deviation gains anything
// (the exact improvement is 0). The search response, which reseeds every
// restored state and plays fresh copies of the others, must measure a
// gain no higher than 0 beyond its interval; the two controls show what
// the test would catch: a game that does not reseed its restored states
// (the search then sees the coins to come) and others whose copies leak
// their hidden bit each give the search a large, significant gain.
func TestSearchDoesNotPeek(t *testing.T) {
	cfg := br.Config{Episodes: 16, SelectEpisodes: 50, TestEpisodes: 400, Search: true, SearchRollouts: 16, SearchBase: br.SearchBaseIncumbent}
	for _, tc := range []struct {
		name        string
		peek, leak  bool
		wantCheated bool
	}{
		{"honest", false, false, false},
		{"game peeks", true, false, true},
		{"others leak", false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := br.Train(newCoins(tc.peek), &coinGuesser{leak: tc.leak}, 0, nil, cfg, 9)
			if err != nil {
				t.Fatal(err)
			}
			if res.SearchOff != "" {
				t.Fatalf("search off: %s", res.SearchOff)
			}
			// The search's own gain, measured on the selection episodes.
			s := res.SelectionSearch
			t.Logf("search gain %.3f ± %.3f on %d selection episodes; test (%s) %.3f ± %.3f", s.Gain, s.GainCI95, s.Episodes, res.Challenger, res.Test.Gain, res.Test.GainCI95)
			const exact = 0
			if tc.wantCheated {
				if !(s.Gain-s.GainCI95 > 0.5*coinRounds*0.5) {
					t.Errorf("a search that peeks gains %.3f ± %.3f, want well above 0: the control does not control", s.Gain, s.GainCI95)
				}
				return
			}
			if s.Gain-s.GainCI95 > exact || res.Gain-res.GainCI95 > exact {
				t.Errorf("search gain %.3f ± %.3f, estimate %.3f ± %.3f: above the exact best improvement %v", s.Gain, s.GainCI95, res.Gain, res.GainCI95, exact)
			}
			if math.IsNaN(res.Detectable()) {
				t.Errorf("no detectable gain reported")
			}
		})
	}
}

// TestSearchOff: the search is skipped, with the reason in the result,
// where it cannot be a policy the agent could play (a game that does not
// declare the agent sees its full state), where the others cannot fork
// copies for the rollouts, and above search_max_agents.
func TestSearchOff(t *testing.T) {
	cfg := br.Config{Episodes: 4, SelectEpisodes: 4, TestEpisodes: 4, Search: true}
	for _, tc := range []struct {
		name    string
		newGame func() (env.Game, error)
		others  agents.Policy
		max     int
		want    string
	}{
		{"not fully observed", func() (env.Game, error) {
			return env.Make("pacman", nil, env.Population{{Type: "pacmen", Count: 1}, {Type: "ghosts", Count: 1}})
		}, agents.NewRandom(1), 0, "does not observe"},
		{"others cannot fork", newCoins(false), &counting{Policy: agents.NewRandom(1)}, 0, "cannot fork"},
		{"too many agents", newCoins(false), agents.NewRandom(1), 1, "search_max_agents = 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.SearchMaxAgents = tc.max
			res, err := br.Train(tc.newGame, tc.others, 0, nil, c, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.SearchOff, tc.want) || res.SelectionSearch.Episodes != 0 || res.Challenger == br.CandidateSearch {
				t.Errorf("search off %q (selection %d episodes, challenger %s), want a reason with %q and no search played", res.SearchOff, res.SelectionSearch.Episodes, res.Challenger, tc.want)
			}
		})
	}
}
