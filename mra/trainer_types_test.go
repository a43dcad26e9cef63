package mra_test

import (
	"context"
	"errors"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"math"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/mra"
)

// TestRewardPerTypeIsLoggedAndResumed: in predator-prey the log gives each
// type's mean separately; with every agent alive every step (tag has no
// deaths) the population's mean is exactly their agent-weighted average,
// and a resume in the middle of a log interval keeps the per-type sums.
func TestRewardPerTypeIsLoggedAndResumed(t *testing.T) {
	cfg := smallConfig(mra.AlgoMRA)
	pops := []string{"adversaries=2,good=1"}
	pop, err := env.ParsePopulation(pops[0])
	if err != nil {
		t.Fatal(err)
	}
	newRun := func(episodes int) *learner.Trainer {
		// Two rounds of 2 envs per log interval, so that a run of 3 rounds
		// stops in the middle of one.
		tr, err := learner.NewTrainer(cfg, learner.Setup{Game: "tag", Populations: []env.Population{pop}, Seed: 7, Episodes: episodes, ParallelEnvs: 2, LogEvery: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tr.Close)
		return tr
	}
	whole := newRun(8)
	want := learnertest.Run(t, whole)
	for i, m := range want {
		by := m.MeanStepRewardByType["adversaries=2,good=1"]
		adv, good := by["adversaries"], by["good"]
		if len(by) != 2 {
			t.Fatalf("line %d: by type %v, want adversaries and good", i, by)
		}
		mixed := (2*adv + good) / 3
		if all := m.MeanStepReward["adversaries=2,good=1"]; math.Abs(all-mixed) > 1e-12*math.Max(1, math.Abs(all)) {
			t.Fatalf("line %d: mean %v, but (2·%v + %v)/3 = %v", i, all, adv, good, mixed)
		}
	}
	if want[len(want)-1].MeanStepRewardByType["adversaries=2,good=1"]["adversaries"] == want[len(want)-1].MeanStepRewardByType["adversaries=2,good=1"]["good"] {
		t.Fatal("the types got the same mean: the test proves nothing")
	}
	// Stop after 3 of 4 rounds, in the middle of the second interval.
	first := newRun(8)
	ctx, cancel := context.WithCancel(context.Background())
	var got []learner.Metrics
	err = first.Run(ctx, func(m learner.Metrics) error { got = append(got, m); return nil }, func() error {
		if first.Round() == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || first.Round() != 3 {
		t.Fatalf("stopped at round %d with %v", first.Round(), err)
	}
	state := learnertest.Save(t, first)
	second := newRun(8)
	if err := second.Load(state); err != nil {
		t.Fatal(err)
	}
	got = append(got, learnertest.Run(t, second)...)
	if len(got) != len(want) {
		t.Fatalf("%d and %d lines", len(got), len(want))
	}
	for i := range want {
		for typ, v := range want[i].MeanStepRewardByType["adversaries=2,good=1"] {
			if g := got[i].MeanStepRewardByType["adversaries=2,good=1"][typ]; g != v {
				t.Errorf("line %d %s: %v after a resume, %v in one go", i, typ, g, v)
			}
		}
	}
}
