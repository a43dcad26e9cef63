package mra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
	"github.com/mrasim/mrasim/mra"
)

// smallConfig keeps the official schedule but shrinks batches so tests run
// in seconds.
func smallConfig(algo string) mra.Config {
	cfg := mra.DefaultConfig()
	cfg.Algo = algo
	cfg.BatchSize = 64
	cfg.StepsPerUpdate = 40
	cfg.NumUpdates = 2
	cfg.BufferLength = 5000
	return cfg
}

// precisions are the values of Config.Precision the trainer tests run
// under.
var precisions = []string{mra.PrecisionFloat64, mra.PrecisionFloat32}

// TestResumeIsExact is the promise of checkpoints: 2k episodes in one go
// and k + save + load into a new trainer + k end with identical networks,
// optimizers and metrics, in either precision.
func TestResumeIsExact(t *testing.T) {
	for _, p := range precisions {
		t.Run(p, func(t *testing.T) { testResumeIsExact(t, p) })
	}
}

func testResumeIsExact(t *testing.T, precision string) {
	pops := []string{"agents=2", "agents=3"}
	cfg := smallConfig(mra.AlgoMRA)
	cfg.Precision = precision
	whole := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 32, 4, 2)
	wantMetrics := learnertest.Run(t, whole)

	first := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 16, 4, 2)
	gotMetrics := learnertest.Run(t, first)
	state := learnertest.Save(t, first)

	second := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 32, 4, 1)
	if err := second.Load(state); err != nil {
		t.Fatal(err)
	}
	if second.Episode() != 16 {
		t.Fatalf("resumed at episode %d, want 16", second.Episode())
	}
	gotMetrics = append(gotMetrics, learnertest.Run(t, second)...)
	if mra.TrainedModel(whole.Learner()).ParamCount() == 0 || !bytes.Equal(mra.TrainedModel(whole.Learner()).AppendState(nil), mra.TrainedModel(second.Learner()).AppendState(nil)) {
		t.Fatal("networks after 16 + resume + 16 episodes differ from 32 episodes in one go")
	}
	learnertest.SameMetrics(t, wantMetrics, gotMetrics)
	if wantMetrics[len(wantMetrics)-1].Updates == 0 {
		t.Fatal("the run never updated: the test proves nothing")
	}
}

func TestWorkersDoNotChangeResults(t *testing.T) {
	for _, p := range precisions {
		t.Run(p, func(t *testing.T) {
			cfg := smallConfig(mra.AlgoMRA)
			cfg.Precision = p
			a := learnertest.NewTrainer(t, cfg, "tag", nil, []string{"adversaries=2,good=1", "adversaries=3,good=1"}, 12, 3, 1)
			b := learnertest.NewTrainer(t, cfg, "tag", nil, []string{"adversaries=2,good=1", "adversaries=3,good=1"}, 12, 3, 3)
			ma, mb := learnertest.Run(t, a), learnertest.Run(t, b)
			if !bytes.Equal(mra.TrainedModel(a.Learner()).AppendState(nil), mra.TrainedModel(b.Learner()).AppendState(nil)) {
				t.Fatal("1 and 3 workers trained different networks")
			}
			learnertest.SameMetrics(t, ma, mb)
		})
	}
}

// TestLoadRefusesAnotherPrecision: a float64 run's state does not resume
// under algo.precision = "float32", nor the other way round.
func TestLoadRefusesAnotherPrecision(t *testing.T) {
	pops := []string{"agents=2", "agents=3"}
	states := map[string][]byte{}
	for _, p := range precisions {
		cfg := smallConfig(mra.AlgoMRA)
		cfg.Precision = p
		tr := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 4, 4, 1)
		learnertest.Run(t, tr)
		states[p] = learnertest.Save(t, tr)
	}
	for i, p := range precisions {
		other := precisions[1-i]
		cfg := smallConfig(mra.AlgoMRA)
		cfg.Precision = p
		tr := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 4, 4, 1)
		err := tr.Load(states[other])
		want := `trained with algo.precision = "` + other + `", the model is "` + p + `"`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s trainer loading a %s state: error %v, want one containing %s", p, other, err, want)
		}
	}
}

func TestLoadRefusesAnotherRun(t *testing.T) {
	cfg := smallConfig(mra.AlgoMRA)
	a := learnertest.NewTrainer(t, cfg, "resource", nil, []string{"agents=2", "agents=3"}, 4, 4, 1)
	learnertest.Run(t, a)
	state := learnertest.Save(t, a)
	for _, tc := range []struct {
		name string
		tr   *learner.Trainer
		want string
	}{
		{"populations", learnertest.NewTrainer(t, cfg, "resource", nil, []string{"agents=2", "agents=4"}, 4, 4, 1), "training populations"},
		{"envs", learnertest.NewTrainer(t, cfg, "resource", nil, []string{"agents=2", "agents=3"}, 4, 2, 1), "parallel_envs"},
	} {
		err := tc.tr.Load(state)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%s: Load error %v, want one naming %s", tc.name, err, tc.want)
		}
	}
	b := learnertest.NewTrainer(t, cfg, "resource", nil, []string{"agents=2", "agents=3"}, 4, 4, 1)
	if err := b.Load(state[:len(state)/2]); err == nil {
		t.Error("Load accepted a truncated state")
	}
}

func TestRunStopsAtARoundWhenCancelled(t *testing.T) {
	tr := learnertest.NewTrainer(t, smallConfig(mra.AlgoMRA), "resource", nil, []string{"agents=2", "agents=3"}, 40, 4, 1)
	ctx, cancel := context.WithCancel(context.Background())
	err := tr.Run(ctx, nil, func() error {
		if tr.Round() == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || tr.Round() != 3 {
		t.Fatalf("Run returned %v at round %d, want context.Canceled at round 3", err, tr.Round())
	}
}

// TestLearnsPublicGoods trains on the public goods game at n = 3 and 4 with
// r = 1.6 < n, where keeping the endowment strictly dominates: the unique
// equilibrium is full defection. With per-agent critic targets the learnt
// policy must keep with high probability, at both sizes and at the unseen
// n = 5, and its exact NashConv must be near the equilibrium's 0 (random
// play: n·e·(1 − r/n)/2). It learns so in either precision.
func TestLearnsPublicGoods(t *testing.T) {
	for _, p := range precisions {
		t.Run(p, func(t *testing.T) { testLearnsPublicGoods(t, p) })
	}
}

func testLearnsPublicGoods(t *testing.T, precision string) {
	cfg := smallConfig(mra.AlgoMRA)
	cfg.Precision = precision
	cfg.PerAgentCriticLoss = true
	cfg.StepsPerUpdate = 8
	cfg.NumUpdates = 4
	cfg.PolicyLR, cfg.CriticLR = 3e-3, 3e-3
	tr := learnertest.NewTrainer(t, cfg, "publicgoods", nil, []string{"players=3", "players=4"}, 600, 8, 2)
	learnertest.Run(t, tr)
	for _, n := range []int{3, 4, 5} {
		g, err := env.Make("publicgoods", nil, env.Population{{Count: n}})
		if err != nil {
			t.Fatal(err)
		}
		a, err := mra.NewPlayer(mra.TrainedModel(tr.Learner()), g.Spec(), nil, 1)
		if err != nil {
			t.Fatal(err)
		}
		keep, plays := 0, 0
		agents.Play(g, a, 3, 400, func(_ int, _ *env.Frame, actions []int) error {
			for _, act := range actions {
				if act == 0 {
					keep++
				}
				plays++
			}
			return nil
		})
		p := float64(keep) / float64(plays)
		profile := matrix.SymmetricProfile(n, []float64{p, 1 - p})
		nashConv, _ := matrix.NashConv(g.(env.MixedPayoffs), g.Spec(), profile)
		t.Logf("n=%d: P(keep) = %.4f, NashConv = %.4f", n, p, nashConv)
		if p < 0.9 || nashConv > 0.1*float64(n)*(1-1.6/float64(n)) {
			t.Errorf("n=%d: P(keep) = %.4f and NashConv %.4f; want ≥ 0.9 and within a tenth of random play's", n, p, nashConv)
		}
	}
}

// TestOfficialCriticLossLearnsTheTeamOptimum pins the measured effect of
// the official critic loss, the MSE of Σ_i Q_i against Σ_i y_i: only the
// team's sum of values is fitted, so the agents learn what is best for the
// team — in public goods with r > 1, everyone contributing — rather than
// the Nash equilibrium of full defection that per-agent targets find.
func TestOfficialCriticLossLearnsTheTeamOptimum(t *testing.T) {
	cfg := smallConfig(mra.AlgoMRA)
	cfg.StepsPerUpdate = 8
	cfg.NumUpdates = 4
	cfg.PolicyLR, cfg.CriticLR = 3e-3, 3e-3
	tr := learnertest.NewTrainer(t, cfg, "publicgoods", nil, []string{"players=3", "players=4"}, 600, 8, 2)
	learnertest.Run(t, tr)
	g, _ := env.Make("publicgoods", nil, env.Population{{Count: 3}})
	a, _ := mra.NewPlayer(mra.TrainedModel(tr.Learner()), g.Spec(), nil, 1)
	contribute, plays := 0, 0
	agents.Play(g, a, 3, 400, func(_ int, _ *env.Frame, actions []int) error {
		for _, act := range actions {
			if act == 1 {
				contribute++
			}
			plays++
		}
		return nil
	})
	p := float64(contribute) / float64(plays)
	t.Logf("official critic loss: P(contribute) = %.4f", p)
	if p < 0.9 {
		t.Errorf("P(contribute) = %.4f, want ≥ 0.9 with the team-level critic loss", p)
	}
}

// TestBeatsRandomOnResource trains on resource occupation with 3 agents for
// a small budget (420 episodes, batches of 256, learning rates 1e-3) and
// checks that the trained agents, sampling their actions, earn clearly more
// per step than uniformly random agents on the same 48 episodes (random
// play earns about 0.44 per agent and step).
func TestBeatsRandomOnResource(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for about 20 s")
	}
	cfg := mra.DefaultConfig()
	cfg.Algo = mra.AlgoSingle
	cfg.BatchSize = 256
	cfg.PolicyLR, cfg.CriticLR = 1e-3, 1e-3
	tr := learnertest.NewTrainer(t, cfg, "resource", nil, []string{"agents=3"}, 420, 12, 2)
	learnertest.Run(t, tr)
	g := learnertest.MustGame(t, "resource", nil, "agents=3")
	perStep := func(p agents.Policy) float64 {
		returns, lengths, err := agents.Play(g, p, 99, 48, nil)
		if err != nil {
			t.Fatal(err)
		}
		var total float64
		steps := 0
		for k, r := range returns {
			for _, v := range r {
				total += v
			}
			steps += lengths[k] * len(r)
		}
		return total / float64(steps)
	}
	trainedPlayer, err := mra.NewPlayer(mra.TrainedModel(tr.Learner()), g.Spec(), nil, 5)
	if err != nil {
		t.Fatal(err)
	}
	trained, random := perStep(trainedPlayer), perStep(agents.NewRandom(5))
	t.Logf("mean reward per agent and step: trained %.4f, random %.4f", trained, random)
	if trained < random+0.08 {
		t.Errorf("trained agents earn %.4f per step, random ones %.4f: want a margin of 0.08", trained, random)
	}
}

// TestTrainsEveryGame runs a few update cycles of every algorithm on every
// built-in game, with two populations (one for single), and checks that the
// updates ran and produced finite losses.
func TestTrainsEveryGame(t *testing.T) {
	games := []struct {
		name string
		pops []string
	}{
		{"resource", []string{"agents=2", "agents=4"}},
		{"spread", []string{"agents=2", "agents=3"}},
		{"tag", []string{"adversaries=2,good=1", "adversaries=3,good=2"}},
		{"treasure", []string{"collectors=2,deposits=2", "collectors=3,deposits=2"}},
		{"pacman", []string{"pacmen=2,ghosts=2", "pacmen=3,ghosts=1"}},
		{"publicgoods", []string{"players=2", "players=4"}},
		{"volunteer", []string{"players=2", "players=3"}},
		{"elfarol", []string{"players=3", "players=5"}},
		{"minority", []string{"players=3", "players=5"}},
	}
	for _, g := range games {
		for _, algo := range []string{mra.AlgoMRA, mra.AlgoSingle, mra.AlgoReptile} {
			t.Run(g.name+"/"+algo, func(t *testing.T) {
				cfg := smallConfig(algo)
				cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates = 16, 10, 1
				pops := g.pops
				if algo == mra.AlgoSingle {
					pops = pops[:1]
				}
				episodes := 16
				if strings.HasPrefix(pops[0], "players") {
					episodes = 64 // one step each
				}
				tr := learnertest.NewTrainer(t, cfg, g.name, nil, pops, episodes, 4, 2)
				ms := learnertest.Run(t, tr)
				last := ms[len(ms)-1]
				if last.Updates == 0 {
					t.Fatal("no update cycle ran")
				}
				for _, v := range []float64{last.CriticLoss, last.PolicyLoss, last.Entropy, last.MI, last.PriorCE} {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("non-finite statistics %+v", last)
					}
				}
				if len(last.MeanStepReward) != len(pops) {
					t.Errorf("rewards of %d populations, want %d", len(last.MeanStepReward), len(pops))
				}
			})
		}
	}
}

func TestLoadModelReadsTheTrainedNetworks(t *testing.T) {
	for _, p := range precisions {
		t.Run(p, func(t *testing.T) { testLoadModelReadsTheTrainedNetworks(t, p) })
	}
}

// testLoadModelReadsTheTrainedNetworks: a float32 run's networks load as
// the float64 conversion Trainer.Model returns.
func testLoadModelReadsTheTrainedNetworks(t *testing.T, precision string) {
	cfg := smallConfig(mra.AlgoMRA)
	cfg.Precision = precision
	setupPops := []string{"agents=2", "agents=3"}
	tr := learnertest.NewTrainer(t, cfg, "resource", nil, setupPops, 24, 4, 1)
	learnertest.Run(t, tr)
	state := learnertest.Save(t, tr)
	setup := learner.Setup{Game: "resource", Seed: 7, Episodes: 24, ParallelEnvs: 4}
	for _, s := range setupPops {
		p, _ := env.ParsePopulation(s)
		setup.Populations = append(setup.Populations, p)
	}
	m, err := mra.LoadModel(cfg, setup, state)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !bytes.Equal(m.AppendState(nil), mra.TrainedModel(tr.Learner()).AppendState(nil)) {
		t.Error("LoadModel's networks differ from the trainer's")
	}
	if _, err := mra.LoadModel(cfg, setup, state[:40]); err == nil {
		t.Error("LoadModel accepted a truncated state")
	}
}

// TestResumeMidIntervalIsExact: a run interrupted in the middle of a log
// interval, saved and resumed logs the same metrics as one trained straight
// through, the mode diagnostics included (the open interval's classifier
// accuracy is part of the state).
func TestResumeMidIntervalIsExact(t *testing.T) {
	cfg := smallConfig(mra.AlgoMRA)
	cfg.BatchSize, cfg.StepsPerUpdate = 16, 10
	// A log interval of 4 rounds of 2 episodes.
	newLogged := func() *learner.Trainer {
		setup := learner.Setup{Game: "resource", Seed: 7, Episodes: 24, ParallelEnvs: 2, Workers: 1, LogEvery: 8}
		for _, p := range []string{"agents=2", "agents=3"} {
			pop, err := env.ParsePopulation(p)
			if err != nil {
				t.Fatal(err)
			}
			setup.Populations = append(setup.Populations, pop)
		}
		tr, err := learner.NewTrainer(cfg, setup)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tr.Close)
		return tr
	}
	whole := newLogged()
	want := learnertest.Run(t, whole)

	first := newLogged()
	ctx, cancel := context.WithCancel(context.Background())
	rounds := 0
	var got []learner.Metrics
	err := first.Run(ctx, func(m learner.Metrics) error { got = append(got, m); return nil }, func() error {
		if rounds++; rounds == 6 { // episode 12: halfway through the second interval
			cancel()
		}
		return nil
	})
	if err == nil || first.Episode() != 12 {
		t.Fatalf("interrupted run: %v at episode %d, want cancelled at 12", err, first.Episode())
	}
	second := newLogged()
	if err := second.Load(learnertest.Save(t, first)); err != nil {
		t.Fatal(err)
	}
	got = append(got, learnertest.Run(t, second)...)
	learnertest.SameMetrics(t, want, got)
	for i := range want {
		a, b := want[i].ClassifierAccuracy, got[i].ClassifierAccuracy
		if a == nil || b == nil || *a != *b || !reflect.DeepEqual(want[i].PriorEntropy, got[i].PriorEntropy) {
			t.Errorf("metrics %d: accuracy %v vs %v, prior entropy %v vs %v", i, deref(a), deref(b), want[i].PriorEntropy, got[i].PriorEntropy)
		}
		if want[i].Modes == nil || want[i].Modes.HeadSpread == nil || !reflect.DeepEqual(want[i].Modes, got[i].Modes) {
			t.Errorf("metrics %d: mode diagnostics %s vs %s", i, jsonOf(want[i].Modes), jsonOf(got[i].Modes))
		}
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
