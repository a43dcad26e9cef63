package toylearner_test

import (
	"bytes"
	"context"
	"github.com/mrasim/mrasim/league/jobs"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/examples/customenv/line"
	"github.com/mrasim/mrasim/examples/toylearner"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/league"
)

func init() {
	line.Register()
	toylearner.Register()
}

func setup(t *testing.T, episodes int) learner.Setup {
	t.Helper()
	var pops []env.Population
	for _, s := range []string{"walkers=2", "walkers=3"} {
		p, err := env.ParsePopulation(s)
		if err != nil {
			t.Fatal(err)
		}
		pops = append(pops, p)
	}
	return learner.Setup{Game: line.Name, Populations: pops, Seed: 5, Episodes: episodes, ParallelEnvs: 4, LogEvery: 4}
}

// train runs a trainer of settings s and setup su (resumed from state and
// dir when state is not nil) to the end of its budget and returns its
// state (segments in dir) and metrics.
func train(t *testing.T, su learner.Setup, state []byte, dir string) ([]byte, []learner.Metrics) {
	t.Helper()
	tr, err := learner.NewTrainer(toylearner.Defaults(), su)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if state != nil {
		if err := tr.LoadFrom(state, dir); err != nil {
			t.Fatal(err)
		}
	}
	var ms []learner.Metrics
	if err := tr.Run(context.Background(), func(m learner.Metrics) error {
		m.WallSeconds, m.StepsPerSecond = 0, 0
		ms = append(ms, m)
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tr.SaveTo(checkpoint.NewEncoder(&buf), dir); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), ms
}

// TestToyTrainsResumesAndPlays: an algorithm registered from outside the
// module's algorithm packages trains with the shared trainer, resumes from
// a checkpoint to exactly the run it would have been, and plays in the
// league, with no edit to the trainer or the league.
func TestToyTrainsResumesAndPlays(t *testing.T) {
	whole, wholeMetrics := train(t, setup(t, 16), nil, t.TempDir())
	dir := t.TempDir()
	half, firstMetrics := train(t, setup(t, 8), nil, dir)
	resumed, restMetrics := train(t, setup(t, 16), half, dir)

	a, _, err := learner.LearnerState(toylearner.Defaults(), setup(t, 16), whole)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := learner.LearnerState(toylearner.Defaults(), setup(t, 16), resumed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the resumed run's learner differs from the uninterrupted run's")
	}
	if got := append(firstMetrics, restMetrics...); len(got) != len(wholeMetrics) || got[len(got)-1].Updates != wholeMetrics[len(wholeMetrics)-1].Updates ||
		got[len(got)-1].CriticLoss != wholeMetrics[len(wholeMetrics)-1].CriticLoss {
		t.Errorf("metrics of the resumed run %+v, want %+v", got, wholeMetrics)
	}
	if wholeMetrics[len(wholeMetrics)-1].Updates == 0 {
		t.Fatal("no update cycle ran: the test proves nothing")
	}

	pops := setup(t, 16).Populations
	pops = append(pops, env.Population{{Type: "walkers", Count: 5}})
	run := &league.Run{Label: "toy-run", Settings: toylearner.Defaults(), Setup: setup(t, 16), State: whole}
	rep, err := league.Play([]league.Entry{run, league.Random{}}, league.Options{
		Game: line.Name, Populations: pops, Episodes: 4, Seed: 2, NashConv: league.ModeOff, Runner: jobs.Local{Workers: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rep.Results {
		if r.Algo == toylearner.Name {
			n++
			if r.Seen != (r.Population.Total() < 5) {
				t.Errorf("toy at %s: seen %v", r.Label, r.Seen)
			}
		}
	}
	if n != len(pops) {
		t.Errorf("%d results of the toy, want one per population (%d)", n, len(pops))
	}
}
