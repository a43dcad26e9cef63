package br_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/examples/customenv/line"
	"github.com/mrasim/mrasim/league/br"
)

// The internal and external tests share one registry: register the line
// game once.
func init() {
	if _, err := env.Lookup(line.Name); err != nil {
		line.Register()
	}
}

// checked wraps a game: it counts steps and fails the test when the agent
// plays an action its last mask forbade while it was acting. With
// forbid ≥ 0 it also masks that action of the agent in every frame.
type checked struct {
	env.Game
	t      testing.TB
	agent  int
	forbid int
	last   []bool // the agent's mask at the last frame
	acting bool
	steps  int
}

func (g *checked) Reset(seed uint64, f *env.Frame) {
	g.Game.Reset(seed, f)
	g.mask(f)
}

func (g *checked) Step(actions []int, f *env.Frame) {
	if a := actions[g.agent]; g.acting && !g.last[a] {
		g.t.Errorf("agent %d played action %d, masked at T = %d", g.agent, a, f.T)
	}
	g.steps++
	g.Game.Step(actions, f)
	g.mask(f)
}

func (g *checked) mask(f *env.Frame) {
	if g.forbid >= 0 {
		f.AgentActionMask(g.agent)[g.forbid] = false
	}
	g.last = append(g.last[:0], f.AgentActionMask(g.agent)...)
	g.acting = f.Alive[g.agent] && !f.Terminated[g.agent] && !f.Truncated[g.agent]
}

// counting counts the calls of a policy's Act.
type counting struct {
	agents.Policy
	calls int
}

func (p *counting) Act(f *env.Frame, actions []int) {
	p.calls++
	p.Policy.Act(f, actions)
}

// TestMaskedActionNeverPlayed: the best response to volunteers is to
// ignore, but ignoring is masked for the agent; the response must then
// volunteer with probability exactly 1 and gain nothing.
func TestMaskedActionNeverPlayed(t *testing.T) {
	var game *checked
	newGame := func() (env.Game, error) {
		g, err := volunteer(t, 3, 1, 0.5)()
		game = &checked{Game: g, t: t, agent: 0, forbid: 0}
		return game, err
	}
	res, err := br.Train(newGame, always{A: 1}, 0, nil, br.Config{Episodes: 400, SelectEpisodes: 20, TestEpisodes: 100}, 5)
	if err != nil {
		t.Fatal(err)
	}
	f := env.NewFrame(game.Spec())
	game.Reset(0, f)
	if p := br.Probs(res.Net, 0, f, make([]float64, 2)); p[0] != 0 || p[1] != 1 {
		t.Errorf("probabilities %v with ignore masked, want exactly [0 1]", p)
	}
	if res.Gain != 0 || res.Chosen || res.Choice != br.CandidateIncumbent {
		t.Errorf("gain %v (chosen %v, %s), want exactly 0 and the incumbent kept", res.Gain, res.Chosen, res.Choice)
	}
}

// TestLineWalker: in the line game (masks, deaths, goals that end an
// agent's episode early) the others' policy sees every step of every
// episode, the response never plays a masked action, and it learns to walk
// to the goal better than a random walker (whose value is about 0; walking
// to the goal unless the pit is in the way earns about 0.67).
func TestLineWalker(t *testing.T) {
	var game *checked
	newGame := func() (env.Game, error) {
		g, err := env.Make(line.Name, map[string]any{"length": int64(7)}, env.Population{{Count: 3}})
		game = &checked{Game: g, t: t, agent: 0, forbid: -1}
		return game, err
	}
	others := &counting{Policy: agents.NewRandom(3)}
	res, err := br.Train(newGame, others, 0, nil, br.Config{Episodes: 1500, TestEpisodes: 500}, 6)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("value %.3f, baseline %.3f, gain %.3f ± %.3f", res.Test.Value, res.Test.Baseline, res.Gain, res.GainCI95)
	if others.calls != game.steps {
		t.Errorf("others acted %d times in %d steps", others.calls, game.steps)
	}
	if !(res.Gain-res.GainCI95 > 0) || res.Test.Value < 0.2 {
		t.Errorf("value %.3f, gain %.3f ± %.3f: want a value ≥ 0.2 and a gain significantly above 0", res.Test.Value, res.Gain, res.GainCI95)
	}
}

func TestTrainErrors(t *testing.T) {
	okGame := volunteer(t, 3, 1, 0.5)
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		newGame func() (env.Game, error)
		others  agents.Policy
		agent   int
		cfg     br.Config
		want    string
	}{
		{"episodes", okGame, always{}, 0, br.Config{Episodes: -1}, "Episodes = -1, want ≥ 1"},
		{"select episodes", okGame, always{}, 0, br.Config{SelectEpisodes: 1}, "SelectEpisodes = 1, want ≥ 2"},
		{"test episodes", okGame, always{}, 0, br.Config{TestEpisodes: 1}, "TestEpisodes = 1, want ≥ 2"},
		{"epochs", okGame, always{}, 0, br.Config{Epochs: -2}, "Epochs = -2"},
		{"minibatches", okGame, always{}, 0, br.Config{Minibatches: -1}, "Minibatches = -1"},
		{"optimizer", okGame, always{}, 0, br.Config{Optimizer: "adagrad"}, `Optimizer = "adagrad", want one of [adam adamw sgd mfac]`},
		{"clip", okGame, always{}, 0, br.Config{Clip: 1}, "Clip = 1, want a number in (0, 1)"},
		{"lambda", okGame, always{}, 0, br.Config{Lambda: 2}, "Lambda = 2"},
		{"hidden", okGame, always{}, 0, br.Config{Hidden: -3}, "Hidden = -3"},
		{"batch", okGame, always{}, 0, br.Config{Batch: -1}, "Batch = -1"},
		{"lr", okGame, always{}, 0, br.Config{LR: math.NaN()}, "LR = NaN"},
		{"gamma", okGame, always{}, 0, br.Config{Gamma: 1.5}, "Gamma = 1.5, want a number in (0, 1]"},
		{"entropy", okGame, always{}, 0, br.Config{Entropy: math.Inf(1)}, "Entropy = +Inf"},
		{"grad clip", okGame, always{}, 0, br.Config{GradClip: -1}, "GradClip = -1"},
		{"nil game", nil, always{}, 0, br.Config{}, "needs a game constructor"},
		{"nil others", okGame, nil, 0, br.Config{}, "needs a game constructor and the others' policy"},
		{"agent", okGame, always{}, 3, br.Config{}, "agent 3 out of range: the game has 3 agents"},
		{"negative agent", okGame, always{}, -1, br.Config{}, "agent -1 out of range"},
		{"game error", func() (env.Game, error) { return nil, fmt.Errorf("making: %w", boom) }, always{}, 0, br.Config{}, "br: building the game: making: boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := br.Train(tc.newGame, tc.others, tc.agent, nil, tc.cfg, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if tc.name == "game error" && !errors.Is(err, boom) {
				t.Errorf("error %v does not wrap the constructor's error", err)
			}
		})
	}
}

// TestNegativeEntropyIsNoBonus: a negative Entropy switches the bonus off,
// which changes training, while 0 means the default.
func TestNegativeEntropyIsNoBonus(t *testing.T) {
	run := func(entropy float64) []float64 {
		cfg := br.Config{Episodes: 80, SelectEpisodes: 2, TestEpisodes: 2, Hidden: 8, Entropy: entropy, ValueWarmup: -1}
		res, err := br.Train(volunteer(t, 3, 1, 0.5), always{A: 1}, 0, nil, cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		return res.Net.Params()
	}
	def, explicit, none := run(0), run(br.DefaultEntropy), run(-1)
	if !equal(def, explicit) {
		t.Error("Entropy 0 and Entropy DefaultEntropy train differently")
	}
	if equal(def, none) {
		t.Error("a negative Entropy trains as the default does")
	}
}

// TestOptimizers: every optimizer of the shared core that Config accepts
// trains the response to the obvious deviation.
func TestOptimizers(t *testing.T) {
	for _, name := range br.Optimizers {
		t.Run(name, func(t *testing.T) {
			lr := 0.0
			if name == br.OptSGD {
				lr = 0.05
			}
			cfg := br.Config{Episodes: 800, TestEpisodes: 100, Optimizer: name, LR: lr}
			res, err := br.Train(volunteer(t, 3, 1, 0.5), always{A: 1}, 0, nil, cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: gain %.4f ± %.4f", name, res.Gain, res.GainCI95)
			if !res.Chosen || res.Gain < 0.4 {
				t.Errorf("%s: gain %.4f (chosen %v), want ≥ 0.4 of the 0.5 available", name, res.Gain, res.Chosen)
			}
		})
	}
}
