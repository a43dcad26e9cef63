package memest

import (
	"errors"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
)

// noMemory is the settings of an algorithm registered without a memory
// estimate.
type noMemory struct{}

func (noMemory) Algorithm() string { return "memest-test-no-memory" }
func (noMemory) Schedule() learner.Schedule {
	return learner.Schedule{BatchSize: 1, BufferLength: 1, Latents: 1}
}
func (noMemory) Check(learner.Setup) error { return nil }

func init() {
	refuse := errors.New("test algorithm: not built")
	learner.Register(learner.Algorithm{
		Name:       noMemory{}.Algorithm(),
		New:        func(learner.Settings, learner.Build) (learner.Learner, error) { return nil, refuse },
		Load:       func(learner.Settings, learner.Build, []byte) (learner.Trained, error) { return nil, refuse },
		DecodeJSON: func([]byte) (learner.Settings, error) { return noMemory{}, nil },
		Decode:     func(learner.Keys, learner.Setup) learner.Settings { return noMemory{} },
	})
}

// TestNoEstimateIsSaid: an algorithm registered without Memory gets an
// estimate that says so (no figure of MRA's shapes), which no limit
// refuses.
func TestNoEstimateIsSaid(t *testing.T) {
	setup := learner.Setup{Game: "resource", Populations: []env.Population{pop(t, "12")}, Episodes: 100, ParallelEnvs: 4}
	est, err := Train(noMemory{}, setup)
	if err != nil {
		t.Fatal(err)
	}
	if want := "no estimate for algorithm memest-test-no-memory"; est.None != want || est.Total != 0 || len(est.Items) != 0 {
		t.Fatalf("estimate = %+v, want None %q and no figure", est, want)
	}
	if err := Check(est, 1, "this run"); err != nil {
		t.Fatalf("Check refused a run without an estimate: %v", err)
	}
}
