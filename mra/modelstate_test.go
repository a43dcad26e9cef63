package mra_test

import (
	"bytes"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"

	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/mra"
)

// TestModelState: the networks' part of a trained run's state loads the
// same networks as the whole state, is smaller by the replay buffers, and
// a cut one is refused.
func TestModelState(t *testing.T) {
	cfg := mra.DefaultConfig()
	cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates, cfg.BufferLength = 16, 10, 1, 1000
	pops := []env.Population{{{Type: "agents", Count: 2}}, {{Type: "agents", Count: 3}}}
	setup := learner.Setup{Game: "resource", Populations: pops, Seed: 1, Episodes: 4, ParallelEnvs: 2, LogEvery: 4}
	full := learnertest.MustTrain(t, cfg, setup)
	part, err := learner.ModelState(full)
	if err != nil {
		t.Fatal(err)
	}
	if len(part) >= len(full) || !bytes.HasPrefix(full, part) {
		t.Fatalf("model state %d bytes of %d, not a shorter prefix", len(part), len(full))
	}
	a, err := mra.LoadModel(cfg, setup, full)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := mra.LoadModel(cfg, setup, part)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !bytes.Equal(a.AppendState(nil), b.AppendState(nil)) {
		t.Error("the networks loaded from the model state differ from those of the whole state")
	}
	if _, err := learner.ModelState(part[:len(part)-1]); err == nil {
		t.Error("a cut model state was accepted")
	}
	t.Logf("model state %d bytes, whole state %d bytes", len(part), len(full))
}
