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

// lineTrainer returns a trainer on the line game (masks, deaths, early
// terminations) with a batch of played episodes and its advantages.
func lineTrainer(t *testing.T, length int64, agent int, cfg Config) *trainer {
	t.Helper()
	g, err := env.Make(line.Name, map[string]any{"length": length}, env.Population{{Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = cfg.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	net := NewMLP(g.Spec(), agent, 6, rand.New(rand.NewPCG(1, 1)))
	// A non-uniform start, so that the ratios and the clipping matter.
	for i := range net.Params() {
		net.Params()[i] += 0.3 * math.Sin(float64(i))
	}
	tr, err := newTrainer(g, agents.NewRandom(1), agent, net, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 6 {
		tr.play(uint64(k))
	}
	tr.value = make([]float64, len(tr.action))
	copy(tr.value, tr.critic.values(tr.inputs, tr.step))
	tr.gae()
	return tr
}

// TestGradient checks the PPO gradient of one minibatch, with masks,
// deaths and early terminations, against central differences of the
// clipped surrogate L, after moving the policy so that some ratios fall in
// the clipped region.
func TestGradient(t *testing.T) {
	tr := lineTrainer(t, 5, 2, Config{Clip: 0.1, Entropy: 0.3})
	rows := len(tr.action)
	if rows < 10 {
		t.Fatalf("only %d rows in the batch", rows)
	}
	tr.mbRows = tr.mbRows[:0]
	for r := range rows {
		tr.mbRows = append(tr.mbRows, r)
	}
	theta := tr.net.Params()
	for i := range theta {
		theta[i] += 0.2 * math.Cos(3*float64(i)) // ratios away from 1
	}
	tr.policyGradient()
	grad := append([]float64(nil), tr.net.Grad()...)
	orig := append([]float64(nil), theta...)
	num := fd.Gradient(nil, func(x []float64) float64 {
		copy(theta, x)
		return -tr.policyGradient()
	}, orig, &fd.Settings{Formula: fd.Central, Step: 1e-6})
	copy(theta, orig)
	clipped := 0
	out := tr.net.Forward(tr.gather())
	for i, r := range tr.mbRows {
		na := tr.net.NumActions()
		maskedLogSoftmax(tr.logp, out[i*na:(i+1)*na], tr.masks[r*na:(r+1)*na])
		if ratio := math.Exp(tr.logp[tr.action[r]] - tr.oldLogp[r]); ratio > 1.1 || ratio < 0.9 {
			clipped++
		}
	}
	t.Logf("%d rows, %d outside the clip range, %d parameters", rows, clipped, len(grad))
	if clipped == 0 || clipped == rows {
		t.Fatalf("%d of %d rows outside the clip range: the test checks too little", clipped, rows)
	}
	for i := range grad {
		if d := math.Abs(grad[i] - num[i]); d > 1e-6 && d > 1e-4*math.Abs(num[i]) {
			t.Errorf("∂/∂θ[%d]: backprop %v, finite differences %v", i, grad[i], num[i])
		}
	}
}

// TestGAE checks the advantages against a direct computation: with λ = 1
// and a zero critic, the unnormalised advantage of a row is the return
// from it to the end of the episode.
func TestGAE(t *testing.T) {
	tr := lineTrainer(t, 9, 1, Config{Gamma: 0.5, Lambda: 1})
	clear(tr.value)
	tr.gae()
	// Undo the normalisation with the returns (ret = raw advantage + 0).
	rows := len(tr.action)
	delayed := 0
	for r := range rows {
		var want, disc float64 = 0, 1
		for u := r; u < rows; u++ {
			want += disc * tr.reward[u]
			disc *= 0.5
			if tr.last[u] {
				break
			}
		}
		if math.Abs(tr.ret[r]-want) > 1e-12 {
			t.Errorf("row %d: return %v, want %v", r, tr.ret[r], want)
		}
		if want != 0 && !tr.last[r] {
			delayed++
		}
	}
	if delayed < 3 {
		t.Fatalf("only %d rows with a delayed reward: the test checks too little", delayed)
	}
	var mean, ss float64
	for _, a := range tr.adv {
		mean += a / float64(rows)
	}
	for _, a := range tr.adv {
		ss += (a - mean) * (a - mean) / float64(rows)
	}
	if math.Abs(mean) > 1e-9 || math.Abs(ss-1) > 1e-6 {
		t.Errorf("normalised advantages have mean %v and variance %v, want 0 and 1", mean, ss)
	}
}

// TestCriticGradient checks the value baseline's least-squares gradient
// against central differences.
func TestCriticGradient(t *testing.T) {
	tr := lineTrainer(t, 5, 0, Config{Hidden: 8})
	c := tr.critic
	target := append([]float64(nil), tr.ret...)
	c.load(tr.inputs, tr.step)
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
