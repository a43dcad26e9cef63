package league

import (
	"fmt"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
	"github.com/mrasim/mrasim/internal/stats"
	"github.com/mrasim/mrasim/league/br"
)

// runJob runs job j (an evaluation, an adaptation or one agent type's best
// response) and returns its output; an error is carried in the result as
// text, so the result stays plain data.
func runJob(reg env.Registration, entries []Entry, specs []*env.Spec, exact []exactKind, opts Options, j Job, choices *choiceCache) JobResult {
	spec := specs[j.Pop]
	newGame := func() (env.Game, error) { return reg.Make(opts.Params, spec.Population) }
	var out JobResult
	var err error
	switch j.Kind {
	case JobEval:
		out, err = evaluate(entries, spec, newGame, opts, j, exact[j.Pop], choices)
	case JobAdapt:
		var a *Adaptation
		a, err = choices.get(entries, j.Pop, j.Entries[0], spec, newGame, opts)
		out.Adapt = a
	default:
		out, err = bestResponse(entries, spec, newGame, opts, j, choices)
	}
	if err != nil {
		return JobResult{Err: err.Error()}
	}
	return out
}

// policyOf returns entry e's policy at population p as the league plays
// it: for an adapted MRA entry, the candidate its selection chose.
func policyOf(entries []Entry, e, p int, spec *env.Spec, newGame func() (env.Game, error), opts Options, choices *choiceCache, seed uint64) (agents.Policy, [][]float64, error) {
	run, ok := entries[e].(*Run)
	if !ok {
		pol, err := entries[e].Policy(spec, seed)
		return pol, nil, err
	}
	m, err := run.Load()
	if err != nil {
		return nil, nil, err
	}
	modal, ok := m.(learner.Modal)
	if !ok {
		pol, err := m.Player(spec, seed)
		return pol, nil, err
	}
	var modes [][]float64
	if adapts(run, spec, opts) {
		a, err := choices.get(entries, p, e, spec, newGame, opts)
		if err != nil {
			return nil, nil, err
		}
		modes = a.modesOf(a.Chosen)
	}
	pol, err := modal.ModePlayer(spec, modes, seed)
	return pol, modes, err
}

func evaluate(entries []Entry, spec *env.Spec, newGame func() (env.Game, error), opts Options, j Job, exact exactKind, choices *choiceCache) (JobResult, error) {
	g, err := newGame()
	if err != nil {
		return JobResult{}, err
	}
	policies := make([]agents.Policy, len(j.Entries))
	for t, e := range j.Entries {
		if policies[t], _, err = policyOf(entries, e, j.Pop, spec, newGame, opts, choices, env.SubSeed(env.SubSeed(j.Seed, 1), uint64(t))); err != nil {
			return JobResult{}, err
		}
	}
	pol := newLineup(spec, policies)
	returns, _, err := agents.Play(g, pol, env.SubSeed(j.Seed, 2), opts.Episodes, nil)
	if err != nil {
		return JobResult{}, err
	}
	out := JobResult{Returns: typeReturns(spec, returns)}
	if out.Modes, err = entryModes(entries, j, spec, newGame, opts); err != nil {
		return JobResult{}, err
	}
	if opts.NashConv == ModeOff || !pol.exact() {
		return out, nil
	}
	switch exact {
	case exactOneShot:
		mp := g.(env.MixedPayoffs)
		f := env.NewFrame(spec)
		g.Reset(env.SubSeed(j.Seed, 3), f)
		profile := make([][]float64, spec.NumAgents())
		for i := range profile {
			profile[i] = make([]float64, spec.Type(i).NumActions)
			pol.ActionProbs(f, i, profile[i])
		}
		out.Exact = true
		out.NashConv, out.Improve = matrix.NashConv(mp, spec, profile)
		out.Strategy = make([]float64, spec.Types[0].NumActions)
		for i := range spec.Types[0].Count {
			for a, p := range profile[i] {
				out.Strategy[a] += p / float64(spec.Types[0].Count)
			}
		}
	case exactMarkov:
		if !pol.markov() {
			return out, nil
		}
		er := g.(env.ExactResponder)
		out.Improve = make([]float64, spec.NumAgents())
		for i := range out.Improve {
			best, current := er.ExactResponse(pol.ActionProbs, i)
			out.Improve[i] = best - current
			out.NashConv += out.Improve[i]
		}
		out.Exact = true
	default:
		return out, nil
	}
	for i, d := range out.Improve {
		if d < -1e-9 {
			return JobResult{}, fmt.Errorf("league: agent %d's best deviation gain is %v < 0: a bug", i, d)
		}
		out.Improve[i] = max(0, d) // rounding only
	}
	out.NashConv = max(0, out.NashConv)
	return out, nil
}

// typeReturns averages the per-agent episode returns by type.
func typeReturns(spec *env.Spec, returns [][]float64) []TypeReturn {
	out := make([]TypeReturn, len(spec.Types))
	for k, t := range spec.Types {
		out[k] = TypeReturn{Type: t.Name, Agents: t.Count}
		if t.Count == 0 {
			continue
		}
		first := spec.FirstAgent(k)
		xs := make([]float64, len(returns))
		for e, r := range returns {
			for i := first; i < first+t.Count; i++ {
				xs[e] += r[i]
			}
			xs[e] /= float64(t.Count)
		}
		out[k].Mean, out[k].CI95 = meanCI(xs)
	}
	return out
}

// meanCI returns the mean and the 95% Student-t half-width
// t₀.₉₇₅,ₙ₋₁·sd/√n (stats.TInterval95).
func meanCI(xs []float64) (mean, ci float64) {
	mean, _, ci = stats.TInterval95(xs)
	return mean, ci
}

func bestResponse(entries []Entry, spec *env.Spec, newGame func() (env.Game, error), opts Options, j Job, choices *choiceCache) (JobResult, error) {
	e := j.Entries[0]
	entry := entries[e]
	others, modes, err := policyOf(entries, e, j.Pop, spec, newGame, opts, choices, env.SubSeed(j.Seed, 1))
	if err != nil {
		return JobResult{}, err
	}
	agent := spec.FirstAgent(j.Type)
	cfg := opts.BR.For(spec.NumAgents())
	if opts.BRConfig != nil {
		opts.BRConfig(&cfg)
	}
	cfg, err = cfg.WithDefaults()
	if err != nil {
		return JobResult{}, fmt.Errorf("league: best response to %s at %v: %w", entry.Name(), spec.Population, err)
	}
	var net br.Net
	warm := "uniform"
	// Networks without a trainable response copy (no learner.Responder)
	// get responses that start from a uniform MLP,
	// like the random player's.
	if run, ok := entry.(*Run); ok && !opts.BR.FromScratch {
		m, err := run.Load()
		if err != nil {
			return JobResult{}, err
		}
		if resp, ok := m.(learner.Responder); ok {
			var z []float64
			if modes != nil {
				z = modes[j.Type]
			}
			rn, err := resp.ResponseNet(spec, agent, z)
			if err != nil {
				return JobResult{}, fmt.Errorf("league: best response to %s at %v: %w", entry.Name(), spec.Population, err)
			}
			net, warm = rn, "entry"
		} else {
			m.Close()
		}
	}
	res, err := br.Train(newGame, others, agent, net, cfg, env.SubSeed(j.Seed, 2))
	if err != nil {
		return JobResult{}, fmt.Errorf("league: best response to %s at %v: %w", entry.Name(), spec.Population, err)
	}
	sel := map[string]br.Paired{br.CandidateResponse: res.Selection, br.CandidateGreedy: res.SelectionGreedy, br.CandidateSearch: res.SelectionSearch}
	return JobResult{BR: &Deviation{
		Type: spec.Types[j.Type].Name, Agents: spec.Types[j.Type].Count,
		TrainEpisodes: cfg.Episodes, SelectEpisodes: res.Selection.Episodes, SelectionGain: sel[res.Challenger].Gain,
		Challenger: res.Challenger, Choice: res.Choice, Chosen: res.Chosen, Greedy: res.Greedy,
		Gain: res.Gain, GainCI95: res.GainCI95, GainSE: res.GainSE, ChallengerGain: res.Test.Gain, TestEpisodes: res.Test.Episodes,
		Detectable: res.Detectable(), WarmStart: warm, SearchOff: res.SearchOff,
		SearchDecisions: res.SearchDecisions, SearchSteps: res.SearchSteps,
	}}, nil
}
