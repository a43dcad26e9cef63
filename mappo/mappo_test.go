package mappo_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/mappo"
)

func setup(episodes int) learner.Setup {
	return learner.Setup{Game: particle.ResourceName, Populations: []env.Population{{{Count: 3}}, {{Count: 5}}},
		Seed: 3, Episodes: episodes, ParallelEnvs: 4, LogEvery: 4}
}

func small(name string) mappo.Settings {
	s := mappo.Defaults(name)
	s.Hidden, s.Epochs, s.Minibatches = 16, 3, 2
	return s
}

// TestResumeIsExact: a run stopped halfway and resumed from its
// checkpoint ends with the same learner state and metrics as the run
// played through, for MAPPO and IPPO; and the same seed gives the same
// run at any number of workers.
func TestResumeIsExact(t *testing.T) {
	for _, tc := range []struct{ name, precision string }{
		{mappo.NameMAPPO, mappo.PrecisionFloat64}, {mappo.NameIPPO, mappo.PrecisionFloat64},
		{mappo.NameMAPPO, mappo.PrecisionFloat32}, {mappo.NameIPPO, mappo.PrecisionFloat32},
	} {
		name := tc.name
		t.Run(name+"/"+tc.precision, func(t *testing.T) {
			s := small(name)
			s.Precision = tc.precision
			whole, wholeM := learnertest.TrainFrom(t, s, setup(16), nil, t.TempDir())
			workers := setup(16)
			workers.Workers = 3 // copies stepped on three goroutines
			again, _ := learnertest.TrainFrom(t, s, workers, nil, t.TempDir())
			dir := t.TempDir()
			half, firstM := learnertest.TrainFrom(t, s, setup(8), nil, dir)
			resumed, restM := learnertest.TrainFrom(t, s, setup(16), half, dir)
			a, _, err := learner.LearnerState(s, setup(16), whole)
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := learner.LearnerState(s, setup(16), resumed)
			if err != nil {
				t.Fatal(err)
			}
			c, _, _ := learner.LearnerState(s, setup(16), again)
			if !bytes.Equal(a, b) {
				t.Error("the resumed run's learner differs from the uninterrupted run's")
			}
			if !bytes.Equal(a, c) {
				t.Error("a run of the same seed on three workers differs")
			}
			got := append(firstM, restM...)
			last, want := got[len(got)-1], wholeM[len(wholeM)-1]
			if len(got) != len(wholeM) || last.Updates != want.Updates || last.CriticLoss != want.CriticLoss || last.PolicyLoss != want.PolicyLoss {
				t.Errorf("metrics of the resumed run %+v, want %+v", got, wholeM)
			}
			if want.Updates != 8 { // 4 rounds × 2 populations, one PPO update each
				t.Errorf("%d update cycles, want 8 (one per round and population)", want.Updates)
			}
		})
	}
}

// TestActAllocatesNothing: acting on a population whose rollout storage
// is warm allocates nothing per step, and the PPO update on it nothing
// either, with either encoder, in either precision.
func TestActAllocatesNothing(t *testing.T) {
	for _, encoder := range mappo.Encoders {
		for _, precision := range []string{mappo.PrecisionFloat64, mappo.PrecisionFloat32} {
			t.Run(encoder+"/"+precision, func(t *testing.T) { actAllocs(t, encoder, precision) })
		}
	}
}

// newLearner builds a learner of s in its precision, as the registry
// does.
func newLearner(t testing.TB, s mappo.Settings, f replay.Features, rng *rand.Rand) interface {
	learner.Learner
	learner.OnPolicy
} {
	t.Helper()
	if s.Float32() {
		l, err := mappo.NewOf[float32](s, f, rng)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l, err := mappo.New(s, f, rng)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func actAllocs(t *testing.T, encoder, precision string) {
	g, err := env.Make(particle.ResourceName, nil, env.Population{{Count: 4}})
	if err != nil {
		t.Fatal(err)
	}
	spec := g.Spec()
	f := replay.GameFeatures(spec)
	enc, err := replay.NewEncoding(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	s := small(mappo.NameMAPPO)
	s.Encoder, s.Precision = encoder, precision
	l := newLearner(t, s, f, rand.New(rand.NewPCG(1, 2)))
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
	rng := rand.New(rand.NewPCG(5, 6))
	const steps = 30
	episode := func() {
		l.BeginEpisodes(0, nil, rng, nil)
		for range steps {
			l.Act(enc, rows, self, ents, present, nil, rng, actions, graph)
			l.Observe(0, reward, acted, over)
		}
	}
	episode() // warm: the rollout storage grows to the episode's length
	if n := testing.AllocsPerRun(5, episode); n != 0 {
		t.Errorf("%v allocations per episode of %d steps", n, steps)
	}
	// The update on a warm rollout allocates nothing either.
	for i := range acted {
		acted[i] = true
	}
	var st learner.Stats
	update := func() {
		episode()
		l.Learn(0, nil, rng, &st)
	}
	update()
	if n := testing.AllocsPerRun(3, update); n != 0 || l.Err() != nil || st.Critic.N == 0 {
		t.Errorf("%v allocations per episode and update (error %v, %d value steps)", n, l.Err(), st.Critic.N)
	}
}

// TestCheckRefuses lists settings Check refuses, each with the key named.
func TestCheckRefuses(t *testing.T) {
	for _, tc := range []struct {
		key string
		set func(*mappo.Settings)
	}{
		{"name", func(s *mappo.Settings) { s.Name = "ppo" }},
		{"hidden", func(s *mappo.Settings) { s.Hidden = 0 }},
		{"encoder", func(s *mappo.Settings) { s.Encoder = "transformer" }},
		{"pooling", func(s *mappo.Settings) { s.Pooling = "max" }},
		{"lr", func(s *mappo.Settings) { s.LR = 0 }},
		{"critic_lr", func(s *mappo.Settings) { s.CriticLR = 2 }},
		{"epochs", func(s *mappo.Settings) { s.Epochs = 0 }},
		{"minibatches", func(s *mappo.Settings) { s.Minibatches = 0 }},
		{"clip", func(s *mappo.Settings) { s.Clip = 1 }},
		{"value_clip", func(s *mappo.Settings) { s.ValueClip = -1 }},
		{"entropy", func(s *mappo.Settings) { s.Entropy = -0.1 }},
		{"gamma", func(s *mappo.Settings) { s.Gamma = 0 }},
		{"lambda", func(s *mappo.Settings) { s.Lambda = 1.5 }},
		{"grad_clip", func(s *mappo.Settings) { s.GradClip = 0 }},
		{"adam_epsilon", func(s *mappo.Settings) { s.AdamEpsilon = 0 }},
		{"precision", func(s *mappo.Settings) { s.Precision = "float16" }},
	} {
		s := mappo.Defaults(mappo.NameMAPPO)
		if err := s.Check(learner.Setup{}); err != nil {
			t.Fatalf("defaults refused: %v", err)
		}
		tc.set(&s)
		if err := s.Check(learner.Setup{}); err == nil || !strings.Contains(err.Error(), tc.key+" = ") {
			t.Errorf("%s: Check returned %v, want an error naming %s", tc.key, err, tc.key)
		}
	}
}

// TestStateRefusesOther: a learner refuses a state of other settings and
// is left unchanged.
func TestStateRefusesOther(t *testing.T) {
	g, _ := env.Make(particle.ResourceName, nil, env.Population{{Count: 3}})
	f := replay.GameFeatures(g.Spec())
	a, _ := mappo.New(small(mappo.NameMAPPO), f, rand.New(rand.NewPCG(1, 2)))
	bigger := small(mappo.NameMAPPO)
	bigger.Hidden = 32
	b, _ := mappo.New(bigger, f, rand.New(rand.NewPCG(1, 2)))
	before := a.AppendState(nil)
	if err := a.SetState(b.AppendState(nil)); err == nil {
		t.Error("a state of hidden 32 was accepted by a learner of hidden 16")
	}
	if err := a.SetState(before[:len(before)-3]); err == nil {
		t.Error("a truncated state was accepted")
	}
	if !bytes.Equal(a.AppendState(nil), before) {
		t.Error("a refused state changed the learner")
	}
}
