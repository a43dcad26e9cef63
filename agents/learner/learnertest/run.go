package learnertest

import (
	"bytes"
	"context"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// NewTrainer returns a trainer of settings s on game (with params) at the
// populations pops ("type=count" text), for episodes episodes per
// population, envs game copies each and workers goroutines, seed 7,
// logging every round; it is closed when the test ends. With a registered
// algorithm's small settings it is the tests' tiny run.
func NewTrainer(t testing.TB, s learner.Settings, game string, params map[string]any, pops []string, episodes, envs, workers int) *learner.Trainer {
	t.Helper()
	setup := learner.Setup{Game: game, Params: params, Seed: 7, Episodes: episodes, ParallelEnvs: envs, Workers: workers, LogEvery: envs, Populations: Pops(t, pops...)}
	return Start(t, s, setup)
}

// Start returns a trainer of settings s at setup, closed when the test
// ends: NewTrainer for a test that needs a setup of its own (another
// seed, a logging interval).
func Start(t testing.TB, s learner.Settings, setup learner.Setup) *learner.Trainer {
	t.Helper()
	tr, err := learner.NewTrainer(s, setup)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

// Pops parses populations written as "type=count" text, failing t on
// error.
func Pops(t testing.TB, texts ...string) []env.Population {
	t.Helper()
	var out []env.Population
	for _, s := range texts {
		p, err := env.ParsePopulation(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TrainFrom trains settings s at setup to the end of its budget, first
// resuming from state (with its replay segments in dir) when state is not
// nil, and returns the trainer's state as a checkpoint holds it (segments
// written into dir) and the metrics it logged, wall-clock figures zeroed
// (Comparable): the tests' stop-and-resume run.
func TrainFrom(t testing.TB, s learner.Settings, setup learner.Setup, state []byte, dir string) ([]byte, []learner.Metrics) {
	t.Helper()
	tr, err := learner.NewTrainer(s, setup)
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
		ms = append(ms, m)
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tr.SaveTo(checkpoint.NewEncoder(&buf), dir); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), Comparable(ms)
}

// Run trains tr to its budget and returns the metrics it logged.
func Run(t testing.TB, tr *learner.Trainer) []learner.Metrics {
	t.Helper()
	var ms []learner.Metrics
	if err := tr.Run(context.Background(), func(m learner.Metrics) error { ms = append(ms, m); return nil }, nil); err != nil {
		t.Fatal(err)
	}
	return ms
}

// Save returns tr's state as learner.Trainer.Save writes it.
func Save(t testing.TB, tr *learner.Trainer) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := checkpoint.NewEncoder(&buf)
	tr.Save(e)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Comparable drops what depends on the wall clock.
func Comparable(ms []learner.Metrics) []learner.Metrics {
	out := append([]learner.Metrics(nil), ms...)
	for i := range out {
		out[i].WallSeconds, out[i].StepsPerSecond = 0, 0
	}
	return out
}

// SameMetrics fails t unless a and b log the same episodes, losses, steps
// and rewards (wall-clock figures aside).
func SameMetrics(t testing.TB, a, b []learner.Metrics) {
	t.Helper()
	a, b = Comparable(a), Comparable(b)
	if len(a) != len(b) {
		t.Fatalf("%d and %d metrics lines", len(a), len(b))
	}
	for i := range a {
		if a[i].Episode != b[i].Episode || a[i].CriticLoss != b[i].CriticLoss || a[i].PolicyLoss != b[i].PolicyLoss ||
			a[i].MI != b[i].MI || a[i].PriorCE != b[i].PriorCE || a[i].EnvSteps != b[i].EnvSteps {
			t.Fatalf("metrics %d differ:\n%+v\n%+v", i, a[i], b[i])
		}
		for k, v := range a[i].MeanStepReward {
			if b[i].MeanStepReward[k] != v {
				t.Fatalf("metrics %d: %s reward %v vs %v", i, k, v, b[i].MeanStepReward[k])
			}
		}
	}
}

// MustGame makes game name with params at population pop ("type=count"
// text), failing t on error.
func MustGame(t testing.TB, name string, params map[string]any, pop string) env.Game {
	t.Helper()
	p, err := env.ParsePopulation(pop)
	if err != nil {
		t.Fatal(err)
	}
	g, err := env.Make(name, params, p)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Train is the tests' tiny run: it trains settings s at setup to its
// budget and returns the trainer's state as a checkpoint holds it (for a
// league.Run, learner.ModelState or a resume). It returns errors rather
// than failing a test, for callers that train once for many tests.
func Train(s learner.Settings, setup learner.Setup) ([]byte, error) {
	tr, err := learner.NewTrainer(s, setup)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	if err := tr.Run(context.Background(), nil, nil); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	e := checkpoint.NewEncoder(&buf)
	tr.Save(e)
	return buf.Bytes(), e.Err()
}

// MustTrain is Train failing t on error.
func MustTrain(t testing.TB, s learner.Settings, setup learner.Setup) []byte {
	t.Helper()
	state, err := Train(s, setup)
	if err != nil {
		t.Fatal(err)
	}
	return state
}
