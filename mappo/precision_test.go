package mappo_test

import (
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/mappo"
)

// TestLoadRefusesAnotherPrecision: a float64 run's checkpoint does not
// resume (nor play) under precision = "float32", nor the other way round,
// and the error names both precisions.
func TestLoadRefusesAnotherPrecision(t *testing.T) {
	precisions := []string{mappo.PrecisionFloat64, mappo.PrecisionFloat32}
	states := map[string][]byte{}
	for _, p := range precisions {
		s := small(mappo.NameMAPPO)
		s.Precision = p
		states[p], _ = learnertest.TrainFrom(t, s, setup(4), nil, t.TempDir())
	}
	for i, p := range precisions {
		other := precisions[1-i]
		s := small(mappo.NameMAPPO)
		s.Precision = p
		tr, err := learner.NewTrainer(s, setup(4))
		if err != nil {
			t.Fatal(err)
		}
		want := `trained with algo.precision = "` + other + `", the learner is "` + p + `"`
		if err := tr.Load(states[other]); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a %s trainer loading a %s checkpoint: error %v, want one containing %s", p, other, err, want)
		}
		tr.Close()
		if _, err := learner.Load(s, setup(4), states[other]); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("playing a %s checkpoint as %s: error %v, want one containing %s", other, p, err, want)
		}
	}
}
