package league_test

import (
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"testing"

	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/br"
	"github.com/mrasim/mrasim/maddpg"
)

// TestMADDPGEntry trains a tiny MADDPG run, saves it as a checkpoint would
// and plays it in a league at a seen and an unseen population: it gets
// returns and NashConv (exact in the volunteer's dilemma, whose payoffs are
// exact, since MADDPG's agents give their action distributions), and is
// never adapted. A damaged checkpoint is refused by Check.
func TestMADDPGEntry(t *testing.T) {
	for _, g := range []struct {
		name, method string
		train, eval  []string
	}{
		{"volunteer", league.NashConvExact, []string{"players=2", "players=3"}, []string{"players=3", "players=6"}},
		{"tag", league.NashConvBR, []string{"adversaries=1,good=1", "adversaries=2,good=1"}, []string{"adversaries=2,good=1", "adversaries=2,good=2"}},
	} {
		t.Run(g.name, func(t *testing.T) {
			s := maddpg.DefaultSettings()
			cfg := &s
			cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates, cfg.BufferLength = 16, 10, 1, 1000
			setup := learner.Setup{Game: g.name, Populations: pops(t, g.train...), Seed: 1, Episodes: 16, ParallelEnvs: 2, LogEvery: 8}
			state := learnertest.MustTrain(t, cfg, setup)
			run := &league.Run{Label: "maddpg", Settings: cfg, Setup: setup, State: state}
			if err := run.Check(); err != nil {
				t.Fatal(err)
			}
			damaged := &league.Run{Label: "bad", Settings: cfg, Setup: setup, State: state[:len(state)/2]}
			if damaged.Check() == nil {
				t.Error("Check accepted a truncated checkpoint")
			}
			rep, err := league.Play([]league.Entry{run, league.Random{}}, league.Options{
				Game: g.name, Populations: pops(t, g.eval...), Episodes: 4, Seed: 2,
				AdaptSteps: 1, AdaptEpisodes: 2, BR: league.BRBudget{Config: br.Config{Episodes: 16}},
				BRConfig: func(c *br.Config) { c.SelectEpisodes, c.TestEpisodes = 8, 8 },
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Results) != 4 {
				t.Fatalf("%d results, want 4", len(rep.Results))
			}
			for _, r := range rep.Results {
				if r.Entry != "maddpg" {
					continue
				}
				if r.Algo != maddpg.Name || r.NashConvMethod != g.method || len(r.Returns) != len(r.Population) || r.Adapted != nil {
					t.Errorf("at %s: algo %q, NashConv %q (want %q), %d type returns, adaptation %v", r.Label, r.Algo, r.NashConvMethod, g.method, len(r.Returns), r.Adapted)
				}
			}
		})
	}
}
