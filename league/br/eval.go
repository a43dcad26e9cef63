package br

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
)

// evaluate plays the evaluation episodes with the trained response and
// with the frozen policy and fills res's values, baselines, gain and their
// intervals.
func (t *trainer) evaluate(res *Result) {
	n := t.cfg.EvalEpisodes
	seeds := env.SubSeed(t.seed, streamEvalGame)
	dev := t.resp.Policy(t.others, env.SubSeed(t.seed, streamEvalPlay))
	value := make([]float64, n)
	base := make([]float64, n)
	diff := make([]float64, n)
	for k := range n {
		s := env.SubSeed(seeds, uint64(k))
		value[k] = t.episodeReturn(dev, s)
		base[k] = t.episodeReturn(t.others, s)
		diff[k] = value[k] - base[k]
	}
	res.Value, res.ValueCI95 = meanCI95(value)
	res.Baseline, res.BaselineCI95 = meanCI95(base)
	res.Gain, res.GainCI95 = meanCI95(diff)
}

// episodeReturn plays one episode from seed with p acting for every agent
// and returns the agent's undiscounted return.
func (t *trainer) episodeReturn(p agents.Policy, seed uint64) float64 {
	f := t.frame
	t.game.Reset(seed, f)
	reseed(t.others, seed)
	var ret float64
	for !f.Done() {
		p.Act(f, t.acts)
		t.game.Step(t.acts, f)
		ret += f.Reward[t.agent]
	}
	return ret
}

// meanCI95 returns the mean of x and the half-width of its 95% Student-t
// confidence interval, t₀.₉₇₅,ₙ₋₁·sd/√n with the sample standard deviation
// (n−1 in the denominator). len(x) must be at least 2.
func meanCI95(x []float64) (mean, half float64) {
	n := float64(len(x))
	for _, v := range x {
		mean += v
	}
	mean /= n
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / (n - 1))
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	return mean, q * sd / math.Sqrt(n)
}
