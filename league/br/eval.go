package br

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
)

// paired plays n episodes from the game-seed stream gameStream, each twice
// on the same seed (and, with a Reseeder, the same draws of the others):
// once with the response sampling (or, greedy, taking its most probable
// action) for the agent from the play stream, once with the frozen policy,
// and summarises the pairs.
func (t *trainer) paired(n int, gameStream, playStream uint64, greedy bool) Paired {
	seeds := env.SubSeed(t.seed, gameStream)
	dev := NewDeviation(t.others, t.net, t.agent, env.SubSeed(t.seed, playStream))
	if greedy {
		dev.Greedy()
	}
	value := make([]float64, n)
	base := make([]float64, n)
	diff := make([]float64, n)
	for k := range n {
		s := env.SubSeed(seeds, uint64(k))
		value[k] = t.episodeReturn(dev, s)
		base[k] = t.episodeReturn(t.others, s)
		diff[k] = value[k] - base[k]
	}
	p := Paired{Episodes: n}
	p.Value, p.ValueCI95 = MeanCI95(value)
	p.Baseline, p.BaselineCI95 = MeanCI95(base)
	p.Gain, p.GainCI95 = MeanCI95(diff)
	return p
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

// MeanCI95 returns the mean of x and the half-width of its 95% Student-t
// confidence interval, t₀.₉₇₅,ₙ₋₁·sd/√n with the sample standard deviation
// (n−1 in the denominator); the half-width is NaN for fewer than 2 values.
func MeanCI95(x []float64) (mean, half float64) {
	n := float64(len(x))
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= n
	if n < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / (n - 1))
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	return mean, q * sd / math.Sqrt(n)
}
