package br

import (
	"math"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/stats"
)

// paired plays n episodes from the game-seed stream gameStream, each twice
// on the same seed (and, with a Reseeder, the same draws of the others):
// once with the response sampling (or, greedy, taking its most probable
// action) for the agent from the play stream, once with the frozen policy,
// and summarises the pairs.
//
// The candidate is CandidateResponse, CandidateGreedy or CandidateSearch
// (the search response, t.search, with its base policy's draws from the
// play stream).
func (t *trainer) paired(n int, gameStream, playStream uint64, candidate string) Paired {
	seeds := env.SubSeed(t.seed, gameStream)
	dev := NewDeviation(t.others, t.net, t.agent, env.SubSeed(t.seed, playStream))
	if candidate == CandidateGreedy || (candidate == CandidateSearch && t.search.greedy) {
		dev.Greedy()
	}
	value := make([]float64, n)
	base := make([]float64, n)
	diff := make([]float64, n)
	for k := range n {
		s := env.SubSeed(seeds, uint64(k))
		if candidate == CandidateSearch {
			value[k] = t.searchReturn(dev, s)
		} else {
			value[k] = t.episodeReturn(dev, s)
		}
		base[k] = t.episodeReturn(t.others, s)
		diff[k] = value[k] - base[k]
	}
	p := Paired{Episodes: n}
	p.Value, _, p.ValueCI95 = stats.TInterval95(value)
	p.Baseline, _, p.BaselineCI95 = stats.TInterval95(base)
	p.Gain, _, p.GainCI95 = stats.TInterval95(diff)
	p.GainSE = standardError(diff)
	return p
}

// searchReturn plays one episode from seed with the search response
// acting for the agent (its rollouts' base policy is dev's response) and
// every other agent playing the others' policy, and returns the agent's
// undiscounted return.
func (t *trainer) searchReturn(dev *Deviation, seed uint64) float64 {
	f := t.frame
	t.game.Reset(seed, f)
	reseed(t.others, seed)
	t.net.Begin(dev.rng) // the agent's own latent, which its base policy plays in the rollouts
	decisions := env.SubSeed(seed, streamSearch)
	var ret float64
	for !f.Done() {
		t.others.Act(f, t.acts)
		if acting(f, t.agent) {
			t.acts[t.agent] = t.search.decide(t.game, f, env.SubSeed(decisions, uint64(f.T)))
		}
		t.game.Step(t.acts, f)
		ret += f.Reward[t.agent]
	}
	return ret
}

// standardError returns sd/√n of x (sample standard deviation), NaN for
// fewer than 2 values.
func standardError(x []float64) float64 {
	_, se := stats.MeanSE(x)
	return se
}

// LowerBound95 returns the one-sided 95% lower confidence bound of a
// measured gain with standard error se and df degrees of freedom,
//
//	L = gain − t₀.₉₅,df · se,
//
// so that the true gain of the measured deviations is ≥ L with 95%
// confidence; since no deviation gains more than the best one, NashConv ≥
// L too. It is NaN when se or df is undefined.
func LowerBound95(gain, se, df float64) float64 {
	if math.IsNaN(se) || !(df > 0) {
		return math.NaN()
	}
	return gain - stats.TQuantile(0.95, df)*se
}

// Detectable returns the minimum detectable effect of a measurement with
// standard error se and df degrees of freedom: the smallest true gain that
// a one-sided test at level 5% finds (L > 0) with probability 80%,
//
//	MDE = (t₀.₉₅,df + t₀.₈₀,df) · se.
//
// A deviation gaining less than this could well have gone unnoticed by the
// test episodes. NaN when se or df is undefined.
func Detectable(se, df float64) float64 {
	if math.IsNaN(se) || !(df > 0) {
		return math.NaN()
	}
	return (stats.TQuantile(0.95, df) + stats.TQuantile(0.80, df)) * se
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
