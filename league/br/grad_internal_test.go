package br

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/examples/customenv/line"
)

// The internal and external tests share one registry: register the line
// game once.
func init() {
	if _, err := env.Lookup(line.Name); err != nil {
		line.Register()
	}
}

// TestGradient checks the policy gradient of one batch, with masks, deaths
// and early terminations (the line game), against central differences of
// the surrogate objective J.
func TestGradient(t *testing.T) {
	g, err := env.Make(line.Name, map[string]any{"length": int64(5)}, env.Population{{Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := Config{Hidden: 6}.withDefaults()
	tr, err := newTrainer(g, agents.NewRandom(1), 2, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 6 {
		tr.play(uint64(k))
	}
	checkCritic(t, tr)
	tr.advantages()
	const beta = 0.3
	tr.gradient(beta)
	grad := append([]float64(nil), tr.resp.params.Grad...)
	theta := tr.resp.params.Value
	orig := append([]float64(nil), theta...)
	num := fd.Gradient(nil, func(x []float64) float64 {
		copy(theta, x)
		return -tr.gradient(beta)
	}, orig, &fd.Settings{Formula: fd.Central, Step: 1e-6})
	copy(theta, orig)
	if len(tr.action) < 10 {
		t.Fatalf("only %d rows in the batch", len(tr.action))
	}
	masked := 0
	for _, m := range tr.masks {
		if !m {
			masked++
		}
	}
	t.Logf("%d rows, %d masked actions, %d parameters", len(tr.action), masked, len(grad))
	for i := range grad {
		if d := math.Abs(grad[i] - num[i]); d > 1e-7 && d > 1e-5*math.Abs(num[i]) {
			t.Errorf("∂/∂θ[%d]: backprop %v, finite differences %v", i, grad[i], num[i])
		}
	}
}

// recorder wraps a game and records one agent's rewards in the current
// episode.
type recorder struct {
	env.Game
	agent   int
	rewards []float64
}

func (g *recorder) Reset(seed uint64, f *env.Frame) {
	g.rewards = g.rewards[:0]
	g.Game.Reset(seed, f)
}

func (g *recorder) Step(actions []int, f *env.Frame) {
	g.Game.Step(actions, f)
	g.rewards = append(g.rewards, f.Reward[g.agent])
}

// TestReturnsToGo checks the discounted returns-to-go of the agent's
// decision steps against the rewards the game paid, in episodes where the
// agent's reward (reaching the goal or the pit) comes after several steps.
func TestReturnsToGo(t *testing.T) {
	g, err := env.Make(line.Name, map[string]any{"length": int64(9)}, env.Population{{Count: 2}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Game: g, agent: 1}
	const gamma = 0.5
	cfg, _ := Config{Gamma: gamma}.withDefaults()
	tr, err := newTrainer(rec, agents.NewRandom(1), 1, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	delayed := 0
	for k := range 40 {
		tr.clearBatch()
		ret := tr.play(uint64(k))
		var sum float64
		for _, r := range rec.rewards {
			sum += r
		}
		if ret != sum {
			t.Errorf("episode %d: return %v, the game paid %v", k, ret, sum)
		}
		for row, s := range tr.step {
			var want float64
			for u := len(rec.rewards) - 1; u >= s; u-- {
				want = rec.rewards[u] + gamma*want
			}
			if math.Abs(tr.adv[row]-want) > 1e-12 {
				t.Errorf("episode %d, step %d: return-to-go %v, want %v", k, s, tr.adv[row], want)
			}
			if s == 0 && want != 0 && len(rec.rewards) > 1 {
				delayed++
			}
		}
	}
	if delayed < 5 {
		t.Fatalf("only %d episodes with a delayed reward: the test checks too little", delayed)
	}
}

// checkCritic checks the value baseline's least-squares gradient on tr's
// batch against central differences.
func checkCritic(t *testing.T, tr *trainer) {
	t.Helper()
	c, err := newCritic(tr.resp.inputs(), 5, tr.game.Spec().Horizon, tr.cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	target := append([]float64(nil), tr.adv...)
	adv := append([]float64(nil), target...)
	if err := c.advantages(tr.inputs, tr.step, adv); err != nil { // builds c.x
		t.Fatal(err)
	}
	c.gradient(target)
	grad := append([]float64(nil), c.params.Grad...)
	theta := c.params.Value
	orig := append([]float64(nil), theta...)
	num := fd.Gradient(nil, func(x []float64) float64 {
		copy(theta, x)
		_, loss := c.gradient(target)
		return loss
	}, orig, &fd.Settings{Formula: fd.Central, Step: 1e-6})
	copy(theta, orig)
	for i := range grad {
		if d := math.Abs(grad[i] - num[i]); d > 1e-7 && d > 1e-5*math.Abs(num[i]) {
			t.Errorf("critic ∂/∂θ[%d]: backprop %v, finite differences %v", i, grad[i], num[i])
		}
	}
}

// TestMeanCI95 checks the interval against a hand computation:
// x = 1, 2, 3, 4 has mean 2.5, sd √(5/3) and t₀.₉₇₅,₃ = 3.182446305.
func TestMeanCI95(t *testing.T) {
	mean, half := meanCI95([]float64{1, 2, 3, 4})
	want := 3.182446305284263 * math.Sqrt(5.0/3) / 2
	if mean != 2.5 || math.Abs(half-want) > 1e-9 {
		t.Errorf("meanCI95 = %v ± %v, want 2.5 ± %v", mean, half, want)
	}
}
