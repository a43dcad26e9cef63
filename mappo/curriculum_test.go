package mappo_test

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/mappo"
)

// curriculumSetup is a tiny doubling run: resource at 4, 2 and 3 agents
// (listed out of order: the curriculum orders them by size), 2 copies, a
// metrics line every round, W = 2.
func curriculumSetup(episodes int) learner.Setup {
	return learner.Setup{Game: particle.ResourceName, Populations: []env.Population{{{Count: 4}}, {{Count: 2}}, {{Count: 3}}},
		Seed: 5, Episodes: episodes, ParallelEnvs: 2, LogEvery: 2,
		Curriculum: learner.Curriculum{Mode: learner.CurriculumDoubling, Window: 2, Threshold: 0.01}}
}

// runCurriculum trains to the end of su's budget (from state when not
// nil) and returns the checkpoint, the metrics and the schedule.
func runCurriculum(t *testing.T, s mappo.Settings, su learner.Setup, state []byte) ([]byte, []learner.Metrics, []learner.CurriculumStep) {
	t.Helper()
	tr, err := learner.NewTrainer(s, su)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if state != nil {
		if err := tr.Load(state); err != nil {
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
	tr.Save(checkpoint.NewEncoder(&buf))
	return buf.Bytes(), ms, tr.Curriculum()
}

// TestCurriculumDoubling trains MAPPO under the doubling curriculum. The
// schedule must be exactly the one the rule gives on the returns the
// metrics show (one line per round: the newest population's
// mean_step_reward is the round's r), it must add both larger
// populations within the budget, smallest first, and each metrics line
// must list the populations that played. A run stopped in the middle of
// the curriculum and resumed from its checkpoint must end bit for bit
// as the uninterrupted run, schedule included.
func TestCurriculumDoubling(t *testing.T) {
	s := small(mappo.NameMAPPO)
	const rounds = 16
	whole, ms, got := runCurriculum(t, s, curriculumSetup(2*rounds), nil)
	if len(ms) != rounds {
		t.Fatalf("%d metrics lines, want one per round (%d)", len(ms), rounds)
	}

	// The rule, replayed on the metrics.
	order := []string{"agents=2", "agents=3", "agents=4"}
	want := []learner.CurriculumStep{{Round: 0, Population: order[0]}}
	var stage []float64
	for r, m := range ms {
		for _, l := range order {
			if _, ok := m.MeanStepReward[l]; ok != slices.ContainsFunc(want, func(s learner.CurriculumStep) bool { return s.Population == l }) {
				t.Fatalf("round %d: %s played = %v, want %v", r+1, l, ok, !ok)
			}
		}
		if len(want) < len(order) {
			stage = append(stage, m.MeanStepReward[want[len(want)-1].Population])
			if n := len(stage); n >= 4 {
				before, recent := (stage[n-4]+stage[n-3])/2, (stage[n-2]+stage[n-1])/2
				if recent-before <= 0.01*max(before, -before) {
					want = append(want, learner.CurriculumStep{Round: r + 1, Population: order[len(want)]})
					stage = stage[:0]
				}
			}
		}
		// The line lists the populations playing from the next round.
		playing := make([]string, len(want))
		for i, st := range want {
			playing[i] = st.Population
		}
		if !slices.Equal(m.Curriculum, playing) {
			t.Fatalf("round %d: metrics list %v playing, want %v", r+1, m.Curriculum, playing)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("schedule %v, the rule on the metrics gives %v", got, want)
	}
	if len(got) != 3 {
		t.Fatalf("schedule %v: the test needs every population added within %d rounds", got, rounds)
	}
	t.Logf("schedule: %v", got)

	// Resume between the two additions.
	stop := (got[1].Round + got[2].Round) / 2
	if stop <= got[1].Round {
		stop = got[1].Round + 1
	}
	half, first, _ := runCurriculum(t, s, curriculumSetup(2*stop), nil)
	resumed, rest, gotResumed := runCurriculum(t, s, curriculumSetup(2*rounds), half)
	if !reflect.DeepEqual(gotResumed, got) {
		t.Errorf("resumed at round %d: schedule %v, want %v", stop, gotResumed, got)
	}
	if !reflect.DeepEqual(append(first, rest...), ms) {
		t.Errorf("the resumed run's metrics differ from the uninterrupted run's")
	}
	a, _, err := learner.LearnerState(s, curriculumSetup(2*rounds), whole)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := learner.LearnerState(s, curriculumSetup(2*rounds), resumed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the resumed run's learner differs from the uninterrupted run's")
	}
}

// TestCurriculumResumeRefused: a checkpoint does not resume under other
// curriculum settings, and the error names the key.
func TestCurriculumResumeRefused(t *testing.T) {
	s := small(mappo.NameMAPPO)
	with, _, _ := runCurriculum(t, s, curriculumSetup(4), nil)
	none := curriculumSetup(4)
	none.Curriculum = learner.Curriculum{}
	without, _, _ := runCurriculum(t, s, none, nil)
	window := curriculumSetup(4)
	window.Curriculum.Window = 3
	for _, tc := range []struct {
		name  string
		su    learner.Setup
		state []byte
		want  string
	}{
		{"doubling into none", none, with, "with a size curriculum (train.curriculum), this scenario has none"},
		{"none into doubling", curriculumSetup(4), without, `without a size curriculum, this scenario has train.curriculum "doubling"`},
		{"another window", window, with, "train.curriculum_window 2, this scenario has 3"},
	} {
		tr, err := learner.NewTrainer(s, tc.su)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Load(tc.state); err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
		tr.Close()
	}
}
