package league_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"

	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/br"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/mra"
)

// TestEveryGame trains a tiny MRA run on every built-in game, saves it as a
// checkpoint would, and plays it in a league with the random player at a
// seen and an unseen population: every entry gets returns and a NashConv
// (exact or estimated), and MRA is adapted at the unseen size.
func TestEveryGame(t *testing.T) {
	games := []struct {
		name        string
		train, eval []string
	}{
		{"resource", []string{"agents=2", "agents=3"}, []string{"agents=2", "agents=4"}},
		{"spread", []string{"agents=2", "agents=3"}, []string{"agents=3", "agents=4"}},
		{"tag", []string{"adversaries=1,good=1", "adversaries=2,good=1"}, []string{"adversaries=2,good=1", "adversaries=2,good=2"}},
		{"treasure", []string{"collectors=2,deposits=1", "collectors=3,deposits=1"}, []string{"collectors=2,deposits=1", "collectors=2,deposits=2"}},
		{"pacman", []string{"pacmen=1,ghosts=1", "pacmen=2,ghosts=1"}, []string{"pacmen=2,ghosts=1", "pacmen=2,ghosts=2"}},
		{"publicgoods", []string{"players=2", "players=3"}, []string{"players=3", "players=5"}},
		{"volunteer", []string{"players=2", "players=3"}, []string{"players=3", "players=6"}},
		{"elfarol", []string{"players=3", "players=4"}, []string{"players=4", "players=6"}},
		{"minority", []string{"players=3", "players=5"}, []string{"players=5", "players=7"}},
	}
	for _, g := range games {
		t.Run(g.name, func(t *testing.T) {
			cfg := mra.DefaultConfig()
			cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates, cfg.BufferLength = 16, 10, 1, 1000
			setup := learner.Setup{Game: g.name, Populations: pops(t, g.train...), Seed: 1, Episodes: 8, ParallelEnvs: 2, LogEvery: 8}
			run := &league.Run{Label: "run", Settings: cfg, Setup: setup, State: learnertest.MustTrain(t, cfg, setup)}
			opts := league.Options{
				Game: g.name, Populations: pops(t, g.eval...), Episodes: 4, Seed: 2,
				AdaptSteps: 1, AdaptEpisodes: 2,
				BR:     league.BRBudget{Config: br.Config{Episodes: 16, SelectEpisodes: 4, TestEpisodes: 4, Batch: 8}},
				Adapt:  func(c *mra.AdaptConfig) { c.ParallelEnvs = 2 },
				Runner: jobs.Local{Workers: 1},
			}
			rep, err := league.Play([]league.Entry{run, league.Random{}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if g.name == "resource" {
				// Adaptation outcomes are shared by several jobs: the report
				// must not depend on which job computes them first.
				opts.Runner = jobs.Local{Workers: 3}
				again, err := league.Play([]league.Entry{run, league.Random{}}, opts)
				if err != nil {
					t.Fatal(err)
				}
				ja, _ := json.Marshal(rep)
				jb, _ := json.Marshal(again)
				if !bytes.Equal(ja, jb) {
					t.Error("1 and 3 workers gave different reports")
				}
				// Responses start from the entry's networks, or from a
				// uniform MLP for the random player and with FromScratch.
				opts.BR.FromScratch = true
				scratch, err := league.Play([]league.Entry{run}, opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rep.Results {
					for _, d := range r.Deviations {
						if r.Entry == "random" && d.WarmStart != "uniform" {
							t.Errorf("random at %s: warm start %q, want uniform", r.Label, d.WarmStart)
						}
					}
				}
				if d := rep.Results[0].Deviations; len(d) == 0 || d[0].WarmStart != "entry" {
					t.Errorf("run's responses %+v, want warm starts from the entry", d)
				}
				if d := scratch.Results[0].Deviations; len(d) == 0 || d[0].WarmStart != "uniform" {
					t.Errorf("run's responses with FromScratch %+v, want uniform starts", d)
				}
			}
			if len(rep.Results) != 4 {
				t.Fatalf("%d results, want 4", len(rep.Results))
			}
			for _, r := range rep.Results {
				if r.NashConvMethod == league.NashConvNone || len(r.Returns) != len(r.Population) {
					t.Errorf("%s at %s: NashConv %q, %d type returns", r.Entry, r.Label, r.NashConvMethod, len(r.Returns))
				}
				unseen := r.Label == pops(t, g.eval[1])[0].String()
				if (r.Adapted != nil) != (r.Entry == "run" && unseen) {
					t.Errorf("%s at %s: adaptation %v", r.Entry, r.Label, r.Adapted)
				}
			}
		})
	}
}
