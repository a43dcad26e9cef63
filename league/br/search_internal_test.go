package br

import (
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// newResourceSearcher returns a search response for agent 0 of resource
// occupation at n agents against random others, with an MLP base, and a
// game at its first frame.
func newResourceSearcher(tb testing.TB, n int, cfg Config) (*searcher, env.Game, *env.Frame) {
	tb.Helper()
	newGame := func() (env.Game, error) { return env.Make(particle.ResourceName, nil, env.Population{{Count: n}}) }
	g, err := newGame()
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err = cfg.WithDefaults()
	if err != nil {
		tb.Fatal(err)
	}
	net := NewMLP(g.Spec(), 0, 16, rand.New(rand.NewPCG(1, 2)))
	crit, err := newCritic(net.InputLen(), 16, g.Spec().Horizon, cfg, rand.New(rand.NewPCG(1, 3)))
	if err != nil {
		tb.Fatal(err)
	}
	s, why, err := newSearcher(g, newGame, agents.NewRandom(1), 0, net, crit, cfg)
	if err != nil || s == nil {
		tb.Fatalf("no searcher: %v %s", err, why)
	}
	f := env.NewFrame(g.Spec())
	g.Reset(5, f)
	return s, g, f
}

// TestSearchDecideAllocatesNothing: once its buffers have grown, a
// decision (restoring, rolling out, the base policy's batched forwards and
// the critic's bootstrap) allocates nothing.
func TestSearchDecideAllocatesNothing(t *testing.T) {
	for _, horizon := range []int{0, 3} {
		s, g, f := newResourceSearcher(t, 4, Config{Search: true, SearchRollouts: 3, SearchHorizon: horizon})
		s.decide(g, f, 1)
		if n := testing.AllocsPerRun(20, func() { s.decide(g, f, 2) }); n != 0 {
			t.Errorf("horizon %d: %v allocations per decision, want 0", horizon, n)
		}
	}
}

// BenchmarkSearchDecide measures one decision of the search response in
// resource occupation against random others (5 actions × 8 rollouts to the
// episode's end from the first step): the game's own cost.
func BenchmarkSearchDecide(b *testing.B) {
	for _, n := range []int{3, 6, 24} {
		b.Run(env.Population{{Type: "agents", Count: n}}.String(), func(b *testing.B) {
			s, g, f := newResourceSearcher(b, n, Config{Search: true})
			s.decide(g, f, 0) // grow the buffers
			s.Steps = 0
			b.ReportAllocs()
			b.ResetTimer()
			for k := range b.N {
				s.decide(g, f, uint64(k))
			}
			b.ReportMetric(float64(s.Steps)/float64(b.N), "steps/decision")
		})
	}
}

// recorder is a resource game that records agent 0's actions in every
// step since its state was last restored.
type recorder struct {
	env.Game
	acts []int
}

func (r *recorder) Step(actions []int, f *env.Frame) {
	r.acts = append(r.acts, actions[0])
	r.Game.Step(actions, f)
}

func (r *recorder) SetState(b []byte) error {
	r.acts = r.acts[:0]
	return r.Game.SetState(b)
}

func (r *recorder) ReseedState(seed uint64)  { r.Game.(env.StateReseeder).ReseedState(seed) }
func (r *recorder) FullyObserved(i int) bool { return r.Game.(env.FullyObserved).FullyObserved(i) }

// TestSearchHold: every rollout plays the action it evaluates for its
// first search_hold steps (as long as the rollout lasts), then the base
// policy.
func TestSearchHold(t *testing.T) {
	newGame := func() (env.Game, error) {
		g, err := env.Make(particle.ResourceName, nil, env.Population{{Count: 3}})
		return &recorder{Game: g}, err
	}
	g, _ := newGame()
	cfg, _ := Config{Search: true, SearchRollouts: 2, SearchHold: 4, SearchBase: SearchBaseIncumbent}.WithDefaults()
	net := NewMLP(g.Spec(), 0, 8, rand.New(rand.NewPCG(1, 2)))
	crit, _ := newCritic(net.InputLen(), 8, g.Spec().Horizon, cfg, rand.New(rand.NewPCG(1, 3)))
	s, why, err := newSearcher(g, newGame, agents.NewRandom(1), 0, net, crit, cfg)
	if s == nil {
		t.Fatal(why, err)
	}
	f := env.NewFrame(g.Spec())
	g.Reset(5, f)
	s.decide(g, f, 1)
	for r, rg := range s.games {
		acts, a := rg.(*recorder).acts, s.legal[r/s.rollouts]
		if len(acts) != g.Spec().Horizon {
			t.Fatalf("rollout %d played %d steps, want the whole episode", r, len(acts))
		}
		for k, got := range acts[:4] {
			if got != a {
				t.Errorf("rollout %d of action %d plays %d at step %d, want the held action", r, a, got, k)
			}
		}
		held := true
		for _, got := range acts[4:] {
			held = held && got == a
		}
		if held {
			t.Errorf("rollout %d holds action %d for all %d steps: the base policy never played", r, a, len(acts))
		}
	}
}
