package league

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
	"github.com/mrasim/mrasim/league/br"
	"github.com/mrasim/mrasim/league/meta"
	"github.com/mrasim/mrasim/mra"
)

// How NashConv was computed.
const (
	NashConvExact = "exact"
	NashConvBR    = "best-response estimate (lower bound)"
	NashConvNone  = "not computed"
)

// Options say what a league plays.
type Options struct {
	Game        string         // registered game
	Params      map[string]any // its parameters
	Populations []env.Population
	Episodes    int    // evaluation episodes per population and line-up
	Seed        uint64 // root of every job's seeds

	AdaptSteps    int // first-order adaptation steps of MRA entries at unseen populations (0: none)
	AdaptEpisodes int // episodes per adaptation step and per mode tried

	BREpisodes int // training episodes of each best response (0: no NashConv estimate)

	Runner   Runner                 // default Local{}
	Progress func(done, n int)      // called after each finished job; may be nil
	BRConfig func(*br.Config)       // adjusts the best-response settings (tests); may be nil
	Adapt    func(*mra.AdaptConfig) // adjusts the adaptation settings (tests); may be nil
}

// TypeReturn is the mean episode return of one agent type: the mean over
// episodes of the mean over the type's agents of their summed rewards.
type TypeReturn struct {
	Type   string  `json:"type"`
	Agents int     `json:"agents"`
	Mean   float64 `json:"mean"`
	CI95   float64 `json:"ci95"` // half-width of the 95% confidence interval, 1.96·sd/√episodes
}

// Adaptation is what fast adaptation of an MRA entry achieved at a
// population it was not trained on, as the mean return per agent.
type Adaptation struct {
	ZeroShot float64     `json:"zero_shot"` // latents from the prior p(z|m')
	BestMode float64     `json:"best_mode"` // the best single mode per type
	Adapted  float64     `json:"adapted"`   // after the gradient steps
	Curve    []float64   `json:"curve"`     // mean return after 0, 1, … steps
	Latents  [][]float64 `json:"latents"`   // the adapted soft latent of each type
}

// Result is one entry at one population, playing every agent type itself.
type Result struct {
	Population env.Population `json:"-"`
	Label      string         `json:"population"`
	Counts     map[string]int `json:"counts"`
	Entry      string         `json:"name"`
	Algo       string         `json:"algo"`
	Seen       bool           `json:"seen"` // a training population of the entry (random: always false)

	Returns    []TypeReturn `json:"returns"`
	ReturnMean float64      `json:"return_mean"` // mean episode return per agent over all agents
	ReturnCI95 float64      `json:"return_ci95"`

	Adapted *Adaptation `json:"adaptation,omitempty"`

	NashConv       float64   `json:"nashconv"`
	NashConvCI95   float64   `json:"nashconv_ci95"`
	NashConvMethod string    `json:"nashconv_method"`
	Improvements   []float64 `json:"improvements,omitempty"` // per agent (exact) or per type (estimate)
	// Strategy is, where NashConv is exact, the mixed strategy of the
	// first type's agents (their action distributions averaged), to set
	// beside the game's closed-form equilibrium.
	Strategy []float64 `json:"strategy,omitempty"`
}

// AdaptedReturnMean returns the adapted mean return, or NaN without
// adaptation.
func (r Result) AdaptedReturnMean() float64 {
	if r.Adapted == nil {
		return math.NaN()
	}
	return r.Adapted.Adapted
}

// Lineup is one assignment of entries to the agent types of a multi-type
// game and what each type earned.
type Lineup struct {
	Label   string       `json:"population"`
	Entries []string     `json:"entries"` // entry playing each type
	Returns []TypeReturn `json:"returns"`
}

// MetaGame is the solution of one population's line-up tables (two-type
// games): α-Rank's mass and projected replicator dynamics' strategy per
// type over the entries.
type MetaGame struct {
	Label     string        `json:"population"`
	Entries   []string      `json:"entries"`
	Types     []string      `json:"types"`
	Payoffs   [][][]float64 `json:"payoffs"` // Payoffs[t][i][j]: type t's return when entry i plays type 0 and j type 1
	AlphaRank [][]float64   `json:"alpharank"`
	PRD       [][]float64   `json:"prd"`
	Error     string        `json:"error,omitempty"`
}

// Report is everything a league found.
type Report struct {
	Game     string     `json:"game"`
	Results  []Result   `json:"results"`
	Lineups  []Lineup   `json:"lineups,omitempty"`
	MetaGame []MetaGame `json:"metagame,omitempty"`
}

// job is one unit of work.
type job struct {
	kind    int // jobEval, jobAdapt, jobBR
	pop     int
	entries []int // per type (eval); entries[0] for adapt and BR
	typ     int   // BR: the deviating agent's type
	seed    uint64
}

const (
	jobEval = iota
	jobAdapt
	jobBR
)

// Play runs the league: every entry at every population (and every line-up
// of entries in multi-type games), exact or estimated NashConv of each
// entry's self-play, and adaptation of MRA entries at unseen populations.
func Play(entries []Entry, opts Options) (*Report, error) {
	s, err := schedule(entries, opts)
	if err != nil {
		return nil, err
	}
	out, err := runJobs(entries, opts, s) // jobs.go: through opts.Runner
	if err != nil {
		return nil, err
	}
	return assemble(entries, s.specs, opts, s.jobs, out), nil
}

// scheduled is a league's list of jobs and what running them needs.
type scheduled struct {
	reg   env.Registration
	specs []*env.Spec
	jobs  []job
}

// schedule lists a league's jobs. It depends on nothing but entries and
// opts, so a worker on another machine lists the same jobs from them.
func schedule(entries []Entry, opts Options) (*scheduled, error) {
	if len(entries) == 0 || len(opts.Populations) == 0 || opts.Episodes < 1 {
		return nil, errors.New("league: need entries, populations and episodes ≥ 1")
	}
	reg, err := env.Lookup(opts.Game)
	if err != nil {
		return nil, err
	}
	specs := make([]*env.Spec, len(opts.Populations))
	exact := make([]bool, len(opts.Populations))
	for p, pop := range opts.Populations {
		g, err := reg.Make(opts.Params, pop)
		if err != nil {
			return nil, err
		}
		specs[p] = g.Spec()
		_, payoffs := g.(env.MixedPayoffs)
		exact[p] = payoffs && specs[p].Horizon == 1
	}
	h := len(specs[0].Types)
	var jobs []job
	for p, spec := range specs {
		// Line-ups: every assignment of entries to types.
		for _, lu := range assignments(len(entries), h) {
			jobs = append(jobs, job{kind: jobEval, pop: p, entries: lu})
		}
		for e, entry := range entries {
			if run, ok := entry.(*Run); ok && opts.AdaptSteps > 0 && run.Config.Algo == mra.AlgoMRA && run.Config.Latents > 1 && !run.Trained(spec.Population) {
				jobs = append(jobs, job{kind: jobAdapt, pop: p, entries: []int{e}})
			}
			if opts.BREpisodes > 0 && !exact[p] {
				for t := range spec.Types {
					if spec.Types[t].Count > 0 {
						jobs = append(jobs, job{kind: jobBR, pop: p, entries: []int{e}, typ: t})
					}
				}
			}
		}
	}
	for i := range jobs {
		jobs[i].seed = env.SubSeed(opts.Seed, uint64(i))
	}
	return &scheduled{reg: reg, specs: specs, jobs: jobs}, nil
}

// assignments lists every tuple of h entry indices (the line-ups).
func assignments(n, h int) [][]int {
	out := [][]int{{}}
	for range h {
		var next [][]int
		for _, prefix := range out {
			for e := range n {
				next = append(next, append(append([]int(nil), prefix...), e))
			}
		}
		out = next
	}
	return out
}

type jobOut struct {
	err      error
	returns  []TypeReturn
	exact    bool      // NashConv computed exactly
	nashConv float64   // exact NashConv
	improve  []float64 // exact per-agent improvements
	strategy []float64 // exact: the first type's mean action distribution
	adapt    *Adaptation
	brGain   float64
	brCI     float64
}

func runJob(reg env.Registration, entries []Entry, specs []*env.Spec, opts Options, j job) jobOut {
	spec := specs[j.pop]
	newGame := func() (env.Game, error) { return reg.Make(opts.Params, spec.Population) }
	switch j.kind {
	case jobEval:
		return evaluate(entries, spec, newGame, opts.Episodes, j)
	case jobAdapt:
		return adapt(entries[j.entries[0]].(*Run), spec, newGame, opts, j)
	default:
		return bestResponse(entries[j.entries[0]], spec, newGame, opts, j)
	}
}

func lineupPolicy(entries []Entry, spec *env.Spec, lu []int, seed uint64) (*lineup, error) {
	policies := make([]agents.Policy, len(lu))
	for t, e := range lu {
		p, err := entries[e].Policy(spec, env.SubSeed(seed, uint64(t)))
		if err != nil {
			return nil, err
		}
		policies[t] = p
	}
	return newLineup(spec, policies), nil
}

func evaluate(entries []Entry, spec *env.Spec, newGame func() (env.Game, error), episodes int, j job) jobOut {
	g, err := newGame()
	if err != nil {
		return jobOut{err: err}
	}
	pol, err := lineupPolicy(entries, spec, j.entries, env.SubSeed(j.seed, 1))
	if err != nil {
		return jobOut{err: err}
	}
	returns, _, err := agents.Play(g, pol, env.SubSeed(j.seed, 2), episodes, nil)
	if err != nil {
		return jobOut{err: err}
	}
	out := jobOut{returns: typeReturns(spec, returns)}
	if mp, ok := g.(env.MixedPayoffs); ok && spec.Horizon == 1 && pol.exact() {
		f := env.NewFrame(spec)
		g.Reset(env.SubSeed(j.seed, 3), f)
		profile := make([][]float64, spec.NumAgents())
		for i := range profile {
			profile[i] = make([]float64, spec.Type(i).NumActions)
			pol.ActionProbs(f, i, profile[i])
		}
		out.exact = true
		out.nashConv, out.improve = matrix.NashConv(mp, spec, profile)
		out.strategy = make([]float64, spec.Types[0].NumActions)
		for i := range spec.Types[0].Count {
			for a, p := range profile[i] {
				out.strategy[a] += p / float64(spec.Types[0].Count)
			}
		}
		for i, d := range out.improve {
			if d < -1e-9 {
				return jobOut{err: fmt.Errorf("league: agent %d's best deviation gain is %v < 0: a bug", i, d)}
			}
		}
	}
	return out
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

// meanCI returns the mean and the 95% half-width 1.96·sd/√n.
func meanCI(xs []float64) (mean, ci float64) {
	n := float64(len(xs))
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= n
	if n < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, 1.96 * math.Sqrt(ss/(n-1)/n)
}

func adapt(run *Run, spec *env.Spec, newGame func() (env.Game, error), opts Options, j job) jobOut {
	m, err := run.Model()
	if err != nil {
		return jobOut{err: err}
	}
	defer m.Close()
	cfg := mra.DefaultAdaptConfig()
	cfg.Steps = opts.AdaptSteps
	cfg.EpisodesPerStep = opts.AdaptEpisodes
	cfg.EpisodesPerMode = opts.AdaptEpisodes
	cfg.ZeroShotEpisodes = opts.AdaptEpisodes
	if opts.Adapt != nil {
		opts.Adapt(&cfg)
	}
	res, err := mra.Adapt(m, newGame, cfg, j.seed)
	if err != nil {
		return jobOut{err: fmt.Errorf("league: adapting %s at %v: %w", run.Label, spec.Population, err)}
	}
	perAgent := func(e mra.Evaluation) float64 {
		var total float64
		n := 0
		for k, r := range e.Return {
			total += r * float64(res.Agents[k])
			n += res.Agents[k]
		}
		return total / float64(n)
	}
	a := &Adaptation{ZeroShot: perAgent(res.ZeroShot), BestMode: perAgent(res.BestModeEval), Latents: res.Gradient.Latents}
	for _, e := range res.Gradient.Curve {
		a.Curve = append(a.Curve, perAgent(e))
	}
	if len(a.Curve) > 0 {
		a.Adapted = a.Curve[len(a.Curve)-1]
	}
	return jobOut{adapt: a}
}

func bestResponse(entry Entry, spec *env.Spec, newGame func() (env.Game, error), opts Options, j job) jobOut {
	others, err := entry.Policy(spec, env.SubSeed(j.seed, 1))
	if err != nil {
		return jobOut{err: err}
	}
	cfg := br.DefaultConfig()
	cfg.Episodes = opts.BREpisodes
	if opts.BRConfig != nil {
		opts.BRConfig(&cfg)
	}
	res, err := br.Train(newGame, others, spec.FirstAgent(j.typ), cfg, env.SubSeed(j.seed, 2))
	if err != nil {
		return jobOut{err: fmt.Errorf("league: best response to %s at %v: %w", entry.Name(), spec.Population, err)}
	}
	return jobOut{brGain: res.Gain, brCI: res.GainCI95}
}

// assemble turns job outputs into the report.
func assemble(entries []Entry, specs []*env.Spec, opts Options, jobs []job, out []jobOut) *Report {
	rep := &Report{Game: opts.Game}
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
				r.Seen = run.Trained(spec.Population)
			}
			results[key{p, e}] = r
		}
	}
	lineups := map[int][]Lineup{}
	brGain := map[key][]float64{}
	brCI := map[key][]float64{}
	for i, j := range jobs {
		o := out[i]
		spec := specs[j.pop]
		switch j.kind {
		case jobEval:
			self := true
			for _, e := range j.entries {
				self = self && e == j.entries[0]
			}
			if self {
				r := results[key{j.pop, j.entries[0]}]
				r.Returns = o.returns
				r.ReturnMean, r.ReturnCI95 = overall(o.returns)
				if o.exact {
					r.NashConv, r.NashConvCI95, r.NashConvMethod, r.Improvements = o.nashConv, 0, NashConvExact, o.improve
					r.Strategy = o.strategy
				}
			}
			if h > 1 {
				names := make([]string, len(j.entries))
				for t, e := range j.entries {
					names[t] = entries[e].Name()
				}
				lineups[j.pop] = append(lineups[j.pop], Lineup{Label: spec.Population.String(), Entries: names, Returns: o.returns})
			}
		case jobAdapt:
			results[key{j.pop, j.entries[0]}].Adapted = o.adapt
		case jobBR:
			k := key{j.pop, j.entries[0]}
			if brGain[k] == nil {
				brGain[k] = make([]float64, h)
				brCI[k] = make([]float64, h)
			}
			brGain[k][j.typ], brCI[k][j.typ] = o.brGain, o.brCI
		}
	}
	for k, gains := range brGain {
		r := results[k]
		spec := specs[k.pop]
		var total, variance float64
		for t, g := range gains {
			n := float64(spec.Types[t].Count)
			total += n * g
			variance += (n * brCI[k][t]) * (n * brCI[k][t])
		}
		r.NashConv, r.NashConvCI95, r.NashConvMethod, r.Improvements = total, math.Sqrt(variance), NashConvBR, gains
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

// solveMeta builds the two-type line-up tables of a population and solves
// them with α-Rank and projected replicator dynamics.
func solveMeta(spec *env.Spec, entries []Entry, lus []Lineup) MetaGame {
	n := len(entries)
	mg := MetaGame{Label: spec.Population.String(), Types: []string{spec.Types[0].Name, spec.Types[1].Name}}
	for _, e := range entries {
		mg.Entries = append(mg.Entries, e.Name())
	}
	tables := []*mat.Dense{mat.NewDense(n, n, nil), mat.NewDense(n, n, nil)}
	index := map[string]int{}
	for i, e := range entries {
		index[e.Name()] = i
	}
	for _, lu := range lus {
		i, j := index[lu.Entries[0]], index[lu.Entries[1]]
		tables[0].Set(i, j, lu.Returns[0].Mean)
		tables[1].Set(i, j, lu.Returns[1].Mean)
	}
	for t := range 2 {
		rows := make([][]float64, n)
		for i := range n {
			rows[i] = mat.Row(nil, i, tables[t])
		}
		mg.Payoffs = append(mg.Payoffs, rows)
	}
	ar, err := meta.AlphaRank(tables, nil)
	if err != nil {
		mg.Error = err.Error()
		return mg
	}
	mg.AlphaRank = ar.Marginals
	prd, err := meta.ProjectedReplicatorDynamics(tables, nil)
	if err != nil {
		mg.Error = err.Error()
		return mg
	}
	mg.PRD = prd
	return mg
}
