package toylearner_test

import (
	"bytes"
	"testing"

	"github.com/mrasim/mrasim/league/jobs"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/examples/customenv/line"
	"github.com/mrasim/mrasim/examples/toylearner"
	"github.com/mrasim/mrasim/league"
)

func init() {
	line.Register()
	toylearner.Register()
}

func setup(t *testing.T, episodes int) learner.Setup {
	t.Helper()
	return learner.Setup{Game: line.Name, Populations: learnertest.Pops(t, "walkers=2", "walkers=3"), Seed: 5, Episodes: episodes, ParallelEnvs: 4, LogEvery: 4}
}

// TestToyTrainsResumesAndPlays: an algorithm registered from outside the
// module's algorithm packages trains with the shared trainer, resumes from
// a checkpoint to exactly the run it would have been, and plays in the
// league, with no edit to the trainer or the league.
func TestToyTrainsResumesAndPlays(t *testing.T) {
	whole, wholeMetrics := learnertest.TrainFrom(t, toylearner.Defaults(), setup(t, 16), nil, t.TempDir())
	dir := t.TempDir()
	half, firstMetrics := learnertest.TrainFrom(t, toylearner.Defaults(), setup(t, 8), nil, dir)
	resumed, restMetrics := learnertest.TrainFrom(t, toylearner.Defaults(), setup(t, 16), half, dir)

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
