package reinforce_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"example.com/customlearner/reinforce"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// A test binary registers the algorithm once, as the program's main does.
func init() { reinforce.Register() }

var pops = []string{"agents=3", "agents=5"}

// TestResumeIsExact: a run stopped halfway and resumed from its state
// ends with the same learner state (parameters and Adam moments, bit for
// bit) and metrics as the run played through; and the same seed gives the
// same run on three workers.
func TestResumeIsExact(t *testing.T) {
	s := reinforce.Defaults()
	whole := learnertest.NewTrainer(t, s, "resource", nil, pops, 32, 4, 1)
	wholeM := learnertest.Run(t, whole)
	workers := learnertest.NewTrainer(t, s, "resource", nil, pops, 32, 4, 3)
	learnertest.Run(t, workers)

	half := learnertest.NewTrainer(t, s, "resource", nil, pops, 16, 4, 1)
	firstM := learnertest.Run(t, half)
	resumed := learnertest.NewTrainer(t, s, "resource", nil, pops, 32, 4, 1)
	if err := resumed.Load(learnertest.Save(t, half)); err != nil {
		t.Fatal(err)
	}
	restM := learnertest.Run(t, resumed)

	a := whole.Learner().AppendState(nil)
	if !bytes.Equal(a, resumed.Learner().AppendState(nil)) {
		t.Error("the resumed run's learner differs from the uninterrupted run's")
	}
	if !bytes.Equal(a, workers.Learner().AppendState(nil)) {
		t.Error("a run of the same seed on three workers differs")
	}
	learnertest.SameMetrics(t, wholeM, append(firstM, restM...))
	if got := wholeM[len(wholeM)-1].Updates; got != 16 { // 8 rounds × 2 populations
		t.Errorf("%d updates, want 16 (one per round and population)", got)
	}
}

// TestLearnerIsDeterministicAndLearns: two runs of one seed end with the
// same state, and training moves the parameters away from the uniform
// start (a learner that never updated would pass the resume test too).
func TestLearnerIsDeterministicAndLearns(t *testing.T) {
	s := reinforce.Defaults()
	fresh := learnertest.NewTrainer(t, s, "resource", nil, pops, 8, 4, 1)
	start := fresh.Learner().AppendState(nil)
	a := learnertest.NewTrainer(t, s, "resource", nil, pops, 8, 4, 1)
	b := learnertest.NewTrainer(t, s, "resource", nil, pops, 8, 4, 1)
	learnertest.Run(t, a)
	learnertest.Run(t, b)
	if !bytes.Equal(a.Learner().AppendState(nil), b.Learner().AppendState(nil)) {
		t.Error("two runs of one seed differ")
	}
	if bytes.Equal(a.Learner().AppendState(nil), start) {
		t.Error("training left the learner as it started")
	}
}

// TestEpisodeAllocatesNothing: once the first round has sized the
// rollout, a whole round of acting, observing and learning allocates
// nothing.
func TestEpisodeAllocatesNothing(t *testing.T) {
	g := learnertest.MustGame(t, "resource", nil, "agents=4")
	spec := g.Spec()
	f := replay.GameFeatures(spec)
	enc, err := replay.NewEncoding(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	l, err := reinforce.New(reinforce.Defaults(), f)
	if err != nil {
		t.Fatal(err)
	}
	const copies = 3
	rows := copies * enc.N
	self, ents, present := make([]float64, rows*enc.D), make([]float64, rows*enc.E*enc.D), make([]bool, rows*enc.E)
	fr := env.NewFrame(spec)
	g.Reset(1, fr)
	for c := range copies {
		for i := range enc.N {
			r := c*enc.N + i
			replay.Encode(enc, i, fr.AgentObs(i), fr.AgentEntityMask(i), self[r*enc.D:(r+1)*enc.D], ents[r*enc.E*enc.D:(r+1)*enc.E*enc.D], present[r*enc.E:(r+1)*enc.E])
		}
	}
	actions, graph := make([]int, rows), make([]float64, rows*enc.E)
	reward, acted, over := make([]float64, rows), make([]bool, rows), make([]bool, copies)
	for r := range rows {
		reward[r], acted[r] = float64(r%5), true
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var st learner.Stats
	round := func() {
		l.BeginEpisodes(0, nil, rng, nil)
		for range spec.Horizon {
			l.Act(enc, rows, self, ents, present, nil, rng, actions, graph)
			l.Observe(0, reward, acted, over)
		}
		l.Learn(0, nil, rng, &st)
	}
	round() // warm: the rollout grows to the round's length
	if n := testing.AllocsPerRun(5, round); n != 0 {
		t.Errorf("%v allocations per round of %d steps", n, spec.Horizon)
	}
	if l.Err() != nil {
		t.Fatal(l.Err())
	}
}

// TestCheckRefuses lists settings Check refuses, each with the key named.
func TestCheckRefuses(t *testing.T) {
	for _, tc := range []struct {
		key string
		set func(*reinforce.Settings)
	}{
		{"lr", func(s *reinforce.Settings) { s.LR = 0 }},
		{"baseline_lr", func(s *reinforce.Settings) { s.BaselineLR = 2 }},
		{"gamma", func(s *reinforce.Settings) { s.Gamma = 0 }},
		{"entropy", func(s *reinforce.Settings) { s.Entropy = -0.1 }},
	} {
		s := reinforce.Defaults()
		if err := s.Check(learner.Setup{}); err != nil {
			t.Fatalf("defaults refused: %v", err)
		}
		tc.set(&s)
		if err := s.Check(learner.Setup{}); err == nil || !strings.Contains(err.Error(), tc.key+" = ") {
			t.Errorf("%s: Check returned %v, want an error naming %s", tc.key, err, tc.key)
		}
	}
}

// TestStateRefusesOther: a learner refuses a state of another game's
// widths, a truncated state and another algorithm's bytes, and is left
// unchanged.
func TestStateRefusesOther(t *testing.T) {
	resource := replay.GameFeatures(learnertest.ResourceSpec(t, 3))
	tag := replay.GameFeatures(learnertest.TagSpec(t))
	l := learnertest.NewTrainer(t, reinforce.Defaults(), "resource", nil, pops, 8, 4, 1)
	learnertest.Run(t, l)
	trained := l.Learner().AppendState(nil)
	a, _ := reinforce.New(reinforce.Defaults(), resource)
	if err := a.SetState(trained); err != nil {
		t.Fatalf("a state of the same game was refused: %v", err)
	}
	before := a.AppendState(nil)
	b, _ := reinforce.New(reinforce.Defaults(), tag)
	for name, bad := range map[string][]byte{
		"another game's":      b.AppendState(nil),
		"a truncated":         before[:len(before)-3],
		"another algorithm's": append([]byte("toy"), before[3:]...),
	} {
		if err := a.SetState(bad); err == nil {
			t.Errorf("%s state was accepted", name)
		}
	}
	if !bytes.Equal(a.AppendState(nil), before) {
		t.Error("a refused state changed the learner")
	}
}
