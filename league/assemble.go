package league

import (
	"math"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/stats"
	"github.com/mrasim/mrasim/league/br"
)

// assemble turns job outputs into the report.
func assemble(entries []Entry, specs []*env.Spec, opts Options, jobs []Job, out []JobResult) *Report {
	budgetBR := opts.BR
	budgetBR.Config, _ = opts.BR.Config.WithDefaults()
	if opts.BR.Config.Episodes == 0 {
		budgetBR.Config.Episodes = br.DefaultEpisodes
	}
	rep := &Report{Game: opts.Game, Budget: Budget{Episodes: opts.Episodes, AdaptSteps: opts.AdaptSteps, AdaptEpisodes: opts.AdaptEpisodes, NashConv: opts.NashConv, BR: budgetBR}}
	h := len(specs[0].Types)
	type key struct{ pop, entry int }
	results := map[key]*Result{}
	for p, spec := range specs {
		for e, entry := range entries {
			r := &Result{
				Population: spec.Population, Label: spec.Population.String(), Counts: map[string]int{},
				Entry: entry.Name(), Algo: entry.Algo(), NashConvMethod: NashConvNone,
			}
			for _, tc := range spec.Population {
				r.Counts[tc.Type] = tc.Count
			}
			if run, ok := entry.(*Run); ok {
				r.Seen = run.TrainedAt(spec.Population)
			}
			results[key{p, e}] = r
		}
	}
	lineups := map[int][]Lineup{}
	for i, j := range jobs {
		o := out[i]
		spec := specs[j.Pop]
		switch j.Kind {
		case JobEval:
			self := true
			for _, e := range j.Entries {
				self = self && e == j.Entries[0]
			}
			if self {
				r := results[key{j.Pop, j.Entries[0]}]
				r.Returns = o.Returns
				r.Modes = o.Modes
				r.ReturnMean, r.ReturnCI95 = overall(o.Returns)
				if o.Exact {
					if opts.NashConv == ModeBR {
						v := o.NashConv
						r.NashConvExact = &v
					} else {
						r.NashConv, r.NashConvMethod, r.Improvements = o.NashConv, NashConvExact, o.Improve
					}
					r.Strategy = o.Strategy
				}
			}
			if h > 1 {
				names := make([]string, len(j.Entries))
				for t, e := range j.Entries {
					names[t] = entries[e].Name()
				}
				lineups[j.Pop] = append(lineups[j.Pop], Lineup{Label: spec.Population.String(), Entries: names, Returns: o.Returns})
			}
		case JobAdapt:
			results[key{j.Pop, j.Entries[0]}].Adapted = o.Adapt
		case JobBR:
			r := results[key{j.Pop, j.Entries[0]}]
			r.Deviations = append(r.Deviations, *o.BR)
		}
	}
	for _, r := range results {
		if len(r.Deviations) == 0 || r.NashConvMethod == NashConvExact {
			continue // exact wins where both exist (auto mode, an adapted entry that turned out Markov)
		}
		b := lowerBound(r.Deviations)
		r.DeviationGain, r.DeviationGainCI95, r.LowerBound, r.Detectable = b.gain, b.ci95, b.bound, b.detectable
		r.NashConv = max(0, b.bound)
		if math.IsNaN(b.bound) {
			r.NashConv = max(0, b.gain)
		}
		r.NashConvMethod = NashConvBR
	}
	for p := range specs {
		for e := range entries {
			rep.Results = append(rep.Results, *results[key{p, e}])
		}
		rep.Lineups = append(rep.Lineups, lineups[p]...)
		if h == 2 && len(entries) > 1 {
			rep.MetaGame = append(rep.MetaGame, solveMeta(specs[p], entries, lineups[p]))
		}
	}
	return rep
}

// bound is what the deviations found say of NashConv.
type bound struct{ gain, ci95, bound, detectable float64 }

// lowerBound combines the per-type deviations. Each agent's best
// improvement is at least the gain of any deviation it could play, so
//
//	NashConv ≥ G = Σ_t n_t·g_t
//
// where g_t is the test gain of the deviation chosen for type t (0 for a
// kept incumbent), unclipped: clipping each g_t at 0 would bias G upward
// near equilibrium, where it would stop being a lower bound. The types'
// measurements are independent, so G's standard error is
// se = √(Σ_t (n_t·se_t)²), always from the challenger's test episodes
// (a kept incumbent's 0 is exact, but its type's test still says how large
// a gain could have gone unnoticed), with Welch–Satterthwaite degrees of
// freedom
//
//	df = (Σ_t v_t)² / Σ_t v_t²/(m_t − 1),   v_t = (n_t·se_t)²,
//
// m_t test episodes. The two-sided 95% half-width is t₀.₉₇₅,df·se, the
// one-sided 95% lower confidence bound L = G − t₀.₉₅,df·se (br.LowerBound95)
// and the minimum detectable gain (t₀.₉₅,df + t₀.₈₀,df)·se (br.Detectable).
func lowerBound(devs []Deviation) bound {
	var g, v, den float64
	for _, d := range devs {
		n := float64(d.Agents)
		g += n * d.Gain
		vt := (n * d.GainSE) * (n * d.GainSE)
		if math.IsNaN(vt) || d.TestEpisodes < 2 {
			continue
		}
		v += vt
		den += vt * vt / float64(d.TestEpisodes-1)
	}
	se := math.Sqrt(v)
	df := math.NaN()
	if den > 0 {
		df = v * v / den
	} else if v == 0 {
		// Every test gain was constant: no spread, no uncertainty.
		return bound{gain: g, bound: g}
	}
	b := bound{gain: g, bound: br.LowerBound95(g, se, df), detectable: br.Detectable(se, df), ci95: math.NaN()}
	if df > 0 {
		b.ci95 = stats.TQuantile(0.975, df) * se
	}
	return b
}

// overall is the mean return per agent over all agents, with the types'
// intervals combined as independent.
func overall(ts []TypeReturn) (mean, ci float64) {
	n, v := 0, 0.0
	for _, t := range ts {
		mean += t.Mean * float64(t.Agents)
		v += (t.CI95 * float64(t.Agents)) * (t.CI95 * float64(t.Agents))
		n += t.Agents
	}
	return mean / float64(n), math.Sqrt(v) / float64(n)
}
