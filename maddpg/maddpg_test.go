package maddpg_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/matrix" // volunteer, minority
	"github.com/mrasim/mrasim/examples/toylearner"
	"github.com/mrasim/mrasim/maddpg"
)

// paperSettings are the learning tests' MADDPG: the resource-maddpg
// scenario's hyper-parameters, the MADDPG paper's (learning rates 0.01,
// τ = 0.01, gradient clip 0.5, no weight decay) with batches of 256.
func paperSettings() *maddpg.Settings {
	s := maddpg.DefaultSettings()
	s.BatchSize = 256
	s.PolicyLR, s.CriticLR = 0.01, 0.01
	s.WeightDecay = 0
	s.GradClip = 0.5
	s.Tau = 0.01
	return &s
}

// smallSettings keep the default schedule but shrink batches so tests run
// in seconds.
func smallSettings() *maddpg.Settings {
	s := maddpg.DefaultSettings()
	s.BatchSize, s.StepsPerUpdate, s.NumUpdates, s.BufferLength = 64, 40, 2, 5000
	return &s
}

// TestMADDPGResumeIsExact: 2k episodes in one go and k + save + load into
// a new trainer (with another number of workers) + k end with identical
// networks, targets, optimizers and metrics, across two populations.
func TestMADDPGResumeIsExact(t *testing.T) {
	pops := []string{"agents=2", "agents=3"}
	cfg := smallSettings()
	whole := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 32, 4, 2)
	want := learnertest.Run(t, whole)

	first := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 16, 4, 2)
	got := learnertest.Run(t, first)
	state := learnertest.Save(t, first)
	second := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 32, 4, 1)
	if err := second.Load(state); err != nil {
		t.Fatal(err)
	}
	got = append(got, learnertest.Run(t, second)...)
	if maddpg.Trained(whole.Learner()) == nil {
		t.Fatal("a maddpg trainer should train MADDPG networks")
	}
	if !bytes.Equal(maddpg.Trained(whole.Learner()).AppendState(nil), maddpg.Trained(second.Learner()).AppendState(nil)) {
		t.Fatal("networks after 16 + resume + 16 episodes differ from 32 episodes in one go")
	}
	learnertest.SameMetrics(t, want, got)
	if want[len(want)-1].Updates == 0 {
		t.Fatal("no update cycle ran: the check is empty")
	}

	// The networks load for evaluation, as the league loads them.
	setup := learner.Setup{Game: "resource", Seed: 7, Episodes: 32, ParallelEnvs: 4}
	for _, s := range pops {
		p, _ := env.ParsePopulation(s)
		setup.Populations = append(setup.Populations, p)
	}
	m, err := maddpg.Load(*cfg, setup, learnertest.Save(t, whole))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.AppendState(nil), maddpg.Trained(whole.Learner()).AppendState(nil)) {
		t.Error("LoadMADDPG's networks differ from the trainer's")
	}
	if _, err := maddpg.Load(*cfg, setup, state[:60]); err == nil {
		t.Error("LoadMADDPG accepted a truncated state")
	}
	toylearner.Register()
	other := learnertest.NewTrainer(t, toylearner.Defaults(), "resource", nil, pops, 32, 4, 1)
	if err := other.Load(state); err == nil {
		t.Error("another algorithm's trainer loaded a MADDPG checkpoint")
	}
}

// TestMADDPGWorkersDoNotChangeResults: the same run with 1 and 3 workers
// stepping the games gives the same networks bit for bit.
func TestMADDPGWorkersDoNotChangeResults(t *testing.T) {
	cfg := smallSettings()
	var states [][]byte
	for _, w := range []int{1, 3} {
		tr := learnertest.NewTrainer(t, cfg, "tag", nil, []string{"adversaries=2,good=1", "adversaries=3,good=2"}, 16, 4, w)
		learnertest.Run(t, tr)
		states = append(states, maddpg.Trained(tr.Learner()).AppendState(nil))
	}
	if !bytes.Equal(states[0], states[1]) {
		t.Error("1 and 3 workers trained different networks")
	}
}

// TestMADDPGTrainsEveryGame runs a few update cycles on every built-in
// game with two populations and checks finite losses.
func TestMADDPGTrainsEveryGame(t *testing.T) {
	for _, g := range []struct {
		name     string
		pops     []string
		episodes int
	}{
		{"resource", []string{"agents=2", "agents=4"}, 16},
		{"spread", []string{"agents=2", "agents=3"}, 16},
		{"tag", []string{"adversaries=2,good=1", "adversaries=3,good=2"}, 16},
		{"treasure", []string{"collectors=2,deposits=2", "collectors=3,deposits=2"}, 16},
		{"pacman", []string{"pacmen=2,ghosts=2", "pacmen=3,ghosts=1"}, 16},
		{"volunteer", []string{"players=2", "players=3"}, 64},
		{"minority", []string{"players=3", "players=5"}, 64},
	} {
		t.Run(g.name, func(t *testing.T) {
			cfg := smallSettings()
			cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates = 16, 10, 1
			tr := learnertest.NewTrainer(t, cfg, g.name, nil, g.pops, g.episodes, 4, 2)
			ms := learnertest.Run(t, tr)
			last := ms[len(ms)-1]
			if last.Updates == 0 {
				t.Fatal("no update cycle ran")
			}
			for _, v := range []float64{last.CriticLoss, last.PolicyLoss, last.Entropy} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("non-finite statistics %+v", last)
				}
			}
		})
	}
}

// pairedPerStep plays trained and random agents on the same held-out
// episodes (seeds 1000 + k, never used in training) and returns the mean
// per-agent-step reward of each and the 95% interval of their paired
// difference (normal approximation over episodes).
func pairedPerStep(t *testing.T, g env.Game, trained agents.Policy, episodes int) (tr, rnd, lo, hi float64) {
	t.Helper()
	perStep := func(p agents.Policy) []float64 {
		returns, lengths, err := agents.Play(g, p, 1000, episodes, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, episodes)
		for k, r := range returns {
			var s float64
			for _, v := range r {
				s += v
			}
			out[k] = s / float64(lengths[k]*len(r))
		}
		return out
	}
	a, b := perStep(trained), perStep(agents.NewRandom(5))
	var mean, ss float64
	for k := range a {
		tr += a[k] / float64(episodes)
		rnd += b[k] / float64(episodes)
		mean += (a[k] - b[k]) / float64(episodes)
	}
	for k := range a {
		d := a[k] - b[k] - mean
		ss += d * d
	}
	half := 1.96 * math.Sqrt(ss/float64(episodes-1)/float64(episodes))
	return tr, rnd, mean - half, mean + half
}

// beatsRandom trains MADDPG at 3 agents on resource occupation for 240
// episodes from the given seed and requires the trained agents (sampling
// their actions) to earn at least 0.08 more per agent and step than
// uniformly random play (which earns about 0.45), with the whole 95%
// interval of the paired difference above 0, on 400 held-out episodes.
func beatsRandom(t *testing.T, seed uint64) {
	const episodes, margin = 240, 0.08
	tr := learnertest.Start(t, paperSettings(), learner.Setup{Game: "resource", Seed: seed, Episodes: episodes, ParallelEnvs: 12, Workers: 2, LogEvery: 12, Populations: learnertest.Pops(t, "agents=3")})
	learnertest.Run(t, tr)
	g := learnertest.MustGame(t, "resource", nil, "agents=3")
	agent, err := maddpg.NewAgent(maddpg.Trained(tr.Learner()), g.Spec(), 5)
	if err != nil {
		t.Fatal(err)
	}
	trained, random, lo, hi := pairedPerStep(t, g, agent, 400)
	t.Logf("seed %d, %d episodes: reward per agent and step trained %.4f, random %.4f; difference 95%% CI [%.4f, %.4f]", seed, episodes, trained, random, lo, hi)
	if trained-random < margin || lo <= 0 {
		t.Errorf("trained %.4f vs random %.4f per step (difference CI [%.4f, %.4f]): want a margin of %.2f and the interval above 0", trained, random, lo, hi, margin)
	}
}

// TestMADDPGBeatsRandomOnResource is the learning check of the default
// test run: 240 episodes at 3 agents (about 10 s of CPU).
func TestMADDPGBeatsRandomOnResource(t *testing.T) { beatsRandom(t, 7) }

// TestMADDPGBeatsRandomOnResourceSeeds repeats it from two more training
// seeds, so that the check does not rest on one seed.
func TestMADDPGBeatsRandomOnResourceSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twice for about 10 s of CPU each")
	}
	for _, seed := range []uint64{8, 9} {
		beatsRandom(t, seed)
	}
}
