package league

import (
	"errors"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"math"
	"slices"

	"github.com/mrasim/mrasim/internal/stats"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
	"github.com/mrasim/mrasim/league/br"
	"github.com/mrasim/mrasim/league/jobs"
)

// How NashConv was computed.
const (
	NashConvExact = "exact"
	NashConvBR    = "lower bound from the deviations found"
	NashConvNone  = "not computed"
)

// NashConv modes of Options.NashConv.
const (
	ModeAuto  = "auto"  // exact where the game and the policy allow it, best responses otherwise
	ModeExact = "exact" // exact only; populations or entries without an exact method are an error
	ModeBR    = "br"    // best responses everywhere (also where exact values exist, which are then reported beside them)
	ModeOff   = "off"   // no NashConv

	// ModeExactWhereGiven is exact NashConv where the game gives it and
	// none elsewhere (no best responses: a best-response budget of 0).
	ModeExactWhereGiven = "exact-where-given"
)

// NashConvModes lists the accepted Options.NashConv values.
var NashConvModes = []string{ModeAuto, ModeExact, ModeBR, ModeOff, ModeExactWhereGiven}

// Options say what a league plays. Every field but the functions is plain
// data (JSON-serialisable), so a job description can travel to another
// machine.
type Options struct {
	Game        string         // registered game
	Params      map[string]any // its parameters
	Populations []env.Population
	Episodes    int    // evaluation episodes per population and line-up; also the selection and the test episodes of adaptation
	Seed        uint64 // root of every job's seeds

	AdaptSteps    int // first-order adaptation steps of MRA entries at unseen populations (0: none, the entry plays zero-shot)
	AdaptEpisodes int // episodes per adaptation step and per mode tried

	NashConv string   // one of NashConvModes ("" is auto)
	BR       BRBudget // the best responses' budget and learner ([eval.br])

	Runner   jobs.Runner       // default jobs.Local{}
	Progress func(done, n int) // called after each finished job; may be nil
	// ProgressWork is called after each job this process finishes with
	// the estimated fraction of the league's work done (jobs differ in
	// size by orders of magnitude: a best response costs hundreds of
	// evaluations), for a time left that is right; may be nil. A remote
	// runner's jobs do not call it.
	ProgressWork func(done float64)
	BRConfig     func(*br.Config) // adjusts the best-response settings after BR (tests); may be nil
	Adapt        any              // adjusts the algorithm's adaptation settings (learner.Adapter; for MRA a func(*mra.AdaptConfig), in tests); may be nil
}

// BRBudget is the scenario's [eval.br] table: the learner's settings and
// a training budget that grows with the population,
//
//	training episodes = Episodes + EpisodesPerAgent·N,
//
// because a deviation's effect on one agent's return shrinks as the others
// multiply, and so does the signal the learner must find.
type BRBudget struct {
	br.Config
	EpisodesPerAgent int  `json:"episodes_per_agent"` // training episodes added per agent of the population (default 0 when built by hand; the scenario default is DefaultEpisodesPerAgent)
	FromScratch      bool `json:"from_scratch"`       // start every response from a fresh MLP instead of the entry's own policy
}

// DefaultEpisodesPerAgent is the scenario default of BRBudget.EpisodesPerAgent.
const DefaultEpisodesPerAgent = 50

// For returns the learner's configuration for a population of n agents.
func (b BRBudget) For(n int) br.Config {
	c := b.Config
	if c.Episodes == 0 {
		c.Episodes = br.DefaultEpisodes
	}
	c.Episodes += b.EpisodesPerAgent * n
	return c
}

// TypeReturn is the mean episode return of one agent type: the mean over
// episodes of the mean over the type's agents of their summed rewards.
type TypeReturn struct {
	Type   string  `json:"type"`
	Agents int     `json:"agents"`
	Mean   float64 `json:"mean"`
	CI95   float64 `json:"ci95"` // half-width of the 95% Student-t confidence interval, t₀.₉₇₅,ₙ₋₁·sd/√episodes
}

// Estimate is a mean with the half-width of its 95% interval over Episodes
// episodes.
type Estimate struct {
	Mean     float64 `json:"mean"`
	CI95     float64 `json:"ci95"`
	Episodes int     `json:"episodes"`
}

// Adaptation is how an MRA entry was adapted at a population it was not
// trained on. The three candidates — zero-shot (latents from the prior
// p(z|m')), the best single mode per type, and the adapted mode
// probabilities — are compared on selection episodes, and all three are
// measured on the same fresh test episodes (common random numbers), whose
// seeds are disjoint from every seed used to adapt or to choose. The entry
// then plays this population with the candidate the selection preferred
// (Chosen), for its return and its NashConv.
type Adaptation struct {
	Selection map[string]float64 `json:"selection"` // candidate → mean return per agent on the selection episodes
	ZeroShot  Estimate           `json:"zero_shot"` // test episodes
	BestMode  Estimate           `json:"best_mode"`
	Adapted   Estimate           `json:"adapted"`
	Chosen    string             `json:"chosen"` // CandidateZeroShot, CandidateBestMode or CandidateAdapted

	BestModes []int       `json:"best_modes"` // per type, the best single mode
	Modes     [][]float64 `json:"modes"`      // per type, the adapted distribution over the modes
	Curve     []float64   `json:"curve"`      // mean return per agent on the adaptation's own episodes after 0, 1, … steps (not held out)
}

// Adaptation candidates.
const (
	CandidateZeroShot = "zero-shot"
	CandidateBestMode = "best-mode"
	CandidateAdapted  = "adapted"
)

// Deviation is the best-response estimate for one agent type: the
// deviations tried for one agent of the type (the trained response, its
// greedy version and the search response), the choice between them and
// the incumbent on selection episodes, and the challenger's gain on
// separate test episodes.
type Deviation struct {
	Type           string  `json:"type"`
	Agents         int     `json:"agents"`          // agents of the type: the weight of its gain in NashConv
	TrainEpisodes  int     `json:"train_episodes"`  // the learner's budget
	SelectEpisodes int     `json:"select_episodes"` // episodes of the choice
	SelectionGain  float64 `json:"selection_gain"`  // the challenger's mean gain on them
	Challenger     string  `json:"challenger"`      // the candidate of the largest selection gain (br.CandidateResponse, CandidateGreedy or CandidateSearch)
	Choice         string  `json:"choice"`          // the deviation chosen: the challenger, or br.CandidateIncumbent when it did not beat the incumbent
	Chosen         bool    `json:"chosen"`          // the challenger beat the incumbent on the selection episodes
	Greedy         bool    `json:"greedy"`          // the chosen response plays its most probable action
	// Gain is the chosen deviation's mean gain on the test episodes:
	// exactly 0 when the incumbent was kept. GainCI95 (two-sided 95%
	// Student-t half-width) and GainSE are always those of the
	// challenger's test episodes, which are played either way.
	Gain           float64 `json:"gain"`
	GainCI95       float64 `json:"gain_ci95"`
	GainSE         float64 `json:"gain_se"`
	ChallengerGain float64 `json:"challenger_test_gain"` // the challenger's measured gain on the test episodes, chosen or not
	TestEpisodes   int     `json:"test_episodes"`
	Detectable     float64 `json:"detectable_gain"`      // the smallest gain the test episodes would find with probability 80% (br.Detectable)
	WarmStart      string  `json:"warm_start"`           // what the response started from: "entry" (the entry's own networks) or "uniform" (a fresh MLP)
	SearchOff      string  `json:"search_off,omitempty"` // why the search response was not tried ("" when it was)
	// SearchDecisions and SearchSteps are the search's decisions and
	// rollout steps over selection and test, its cost.
	SearchDecisions int64 `json:"search_decisions,omitempty"`
	SearchSteps     int64 `json:"search_steps,omitempty"`
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
	// Modes is what each latent mode of an entry with modes
	// (learner.ModePriors) does here (see ModeDiagnostics).
	Modes *ModeDiagnostics `json:"modes,omitempty"`

	// NashConv is the exact value where the game gives one. Where it is
	// estimated (NashConvMethod NashConvBR) it is only known from below:
	// NashConv is then the lower bound from the deviations found,
	// max(0, LowerBound) — the clip is for display — and the fields
	// below say what was measured.
	NashConv       float64 `json:"nashconv"`
	NashConvMethod string  `json:"nashconv_method"`
	// DeviationGain is Σ_types count·gain of the deviation chosen per type
	// (unclipped: it may be negative), an unbiased estimate of a lower
	// bound on NashConv, with the two-sided 95% Student-t half-width of
	// the measurement (DeviationGainCI95; Welch–Satterthwaite degrees of
	// freedom across types). LowerBound is the one-sided 95% lower
	// confidence bound "NashConv ≥ L" (unclipped). Detectable is the
	// smallest total gain the test episodes would have found (L > 0) with
	// probability 80%: a smaller one could have gone unnoticed. All are 0
	// for exact results.
	DeviationGain     float64 `json:"deviation_gain"`
	DeviationGainCI95 float64 `json:"deviation_gain_ci95"`
	LowerBound        float64 `json:"nashconv_lower_bound"`
	Detectable        float64 `json:"detectable_gain"`
	// NashConvExact is the exact value where the game gives one and the
	// estimate was forced (Options.NashConv = "br"), to compare.
	NashConvExact *float64    `json:"nashconv_exact,omitempty"`
	Improvements  []float64   `json:"improvements,omitempty"` // per agent (exact)
	Deviations    []Deviation `json:"deviations,omitempty"`   // per type (estimate)
	// Strategy is, where NashConv is exact, the mixed strategy of the
	// first type's agents (their action distributions averaged), to set
	// beside the game's closed-form equilibrium.
	Strategy []float64 `json:"strategy,omitempty"`
}

// AdaptedReturnMean returns the adapted candidate's test return, or NaN
// without adaptation.
func (r Result) AdaptedReturnMean() float64 {
	if r.Adapted == nil {
		return math.NaN()
	}
	return r.Adapted.Adapted.Mean
}

// NoDeviationFound reports whether best responses were tried and none
// beat its incumbent on the selection episodes: the lower bound is then
// 0, and Detectable says how large a gain could have gone unnoticed.
func (r Result) NoDeviationFound() bool {
	if r.NashConvMethod != NashConvBR {
		return false
	}
	for _, d := range r.Deviations {
		if d.Chosen {
			return false
		}
	}
	return true
}

// Lineup is one assignment of entries to the agent types of a multi-type
// game and what each type earned.
type Lineup struct {
	Label   string       `json:"population"`
	Entries []string     `json:"entries"` // entry playing each type
	Returns []TypeReturn `json:"returns"`
}

// Report is everything a league found.
type Report struct {
	Game     string     `json:"game"`
	Budget   Budget     `json:"budget"`
	Results  []Result   `json:"results"`
	Lineups  []Lineup   `json:"lineups,omitempty"`
	MetaGame []MetaGame `json:"metagame,omitempty"`
}

// Budget is what the league spent, for the report.
type Budget struct {
	Episodes      int      `json:"episodes"`       // evaluation episodes per population and line-up
	AdaptSteps    int      `json:"adapt_steps"`    // adaptation steps at unseen populations
	AdaptEpisodes int      `json:"adapt_episodes"` // episodes per step and per mode
	NashConv      string   `json:"nashconv"`       // the NashConv mode
	BR            BRBudget `json:"br"`             // the best responses' settings (defaults filled in)
}

// Job is one unit of a league's work, plain data: job i depends only on
// (Options, entries, Jobs[i]).
type Job struct {
	Kind    string `json:"kind"` // JobEval, JobAdapt or JobBR
	Pop     int    `json:"pop"`
	Entries []int  `json:"entries"` // per type (eval); Entries[0] for adapt and BR
	Type    int    `json:"type"`    // BR: the deviating agent's type
	Seed    uint64 `json:"seed"`
}

// Job kinds.
const (
	JobEval  = "eval"
	JobAdapt = "adapt"
	JobBR    = "br"
)

// JobResult is what one job produced, plain data (exported,
// JSON-serialisable fields only).
type JobResult struct {
	Err      string           `json:"err,omitempty"`
	Returns  []TypeReturn     `json:"returns,omitempty"`
	Exact    bool             `json:"exact,omitempty"`    // NashConv computed exactly
	NashConv float64          `json:"nashconv,omitempty"` // exact NashConv
	Improve  []float64        `json:"improve,omitempty"`  // exact per-agent improvements
	Strategy []float64        `json:"strategy,omitempty"` // exact: the first type's mean action distribution
	Adapt    *Adaptation      `json:"adapt,omitempty"`
	BR       *Deviation       `json:"br,omitempty"`
	Modes    *ModeDiagnostics `json:"modes,omitempty"` // self-play of an entry with latent modes
}

// Play runs the league: every entry at every population (and every line-up
// of entries in multi-type games), exact or estimated NashConv of each
// entry's self-play, and adaptation of MRA entries at unseen populations.
func Play(entries []Entry, opts Options) (*Report, error) {
	s, err := schedule(entries, opts)
	if err != nil {
		return nil, err
	}
	out, err := runJobs(entries, s) // evaljobs.go: through opts.Runner
	if err != nil {
		return nil, err
	}
	return assemble(entries, s.specs, s.opts, s.jobs, out), nil
}

// scheduled is a league's list of jobs and what running them needs.
type scheduled struct {
	opts  Options // with defaults filled in (NashConv)
	reg   env.Registration
	specs []*env.Spec
	exact []exactKind
	jobs  []Job
}

// schedule lists a league's jobs. It depends on nothing but entries and
// opts, so a worker on another machine lists the same jobs from them.
func schedule(entries []Entry, opts Options) (*scheduled, error) {
	if len(entries) == 0 || len(opts.Populations) == 0 || opts.Episodes < 1 {
		return nil, errors.New("league: need entries, populations and episodes ≥ 1")
	}
	if opts.NashConv == "" {
		opts.NashConv = ModeAuto
	}
	if !slices.Contains(NashConvModes, opts.NashConv) {
		return nil, fmt.Errorf("league: NashConv mode %q, want one of %v", opts.NashConv, NashConvModes)
	}
	if _, err := opts.BR.For(1).WithDefaults(); err != nil {
		return nil, fmt.Errorf("league: best responses: %w", err)
	}
	reg, err := env.Lookup(opts.Game)
	if err != nil {
		return nil, err
	}
	specs := make([]*env.Spec, len(opts.Populations))
	exact := make([]exactKind, len(opts.Populations))
	for p, pop := range opts.Populations {
		g, err := reg.Make(opts.Params, pop)
		if err != nil {
			return nil, err
		}
		specs[p] = g.Spec()
		exact[p] = exactMethod(g)
	}
	h := len(specs[0].Types)
	var jobs []Job
	for p, spec := range specs {
		// Line-ups: every assignment of entries to types.
		for _, lu := range assignments(len(entries), h) {
			jobs = append(jobs, Job{Kind: JobEval, Pop: p, Entries: lu})
		}
		for e, entry := range entries {
			if adapts(entry, spec, opts) {
				jobs = append(jobs, Job{Kind: JobAdapt, Pop: p, Entries: []int{e}})
			}
			switch opts.NashConv {
			case ModeExact:
				if exact[p] == exactNone || (exact[p] == exactMarkov && !markovEntry(entry, spec)) {
					return nil, fmt.Errorf("league: --nashconv exact: %s at %v has no exact NashConv (the game gives none, or the entry's latents make its policy non-Markov in a multi-step game)", entry.Name(), spec.Population)
				}
				continue
			case ModeOff, ModeExactWhereGiven:
				continue
			case ModeAuto:
				if exact[p] == exactOneShot || (exact[p] == exactMarkov && markovEntry(entry, spec)) {
					continue
				}
			}
			for t := range spec.Types {
				if spec.Types[t].Count > 0 {
					jobs = append(jobs, Job{Kind: JobBR, Pop: p, Entries: []int{e}, Type: t})
				}
			}
		}
	}
	for i := range jobs {
		jobs[i].Seed = env.SubSeed(opts.Seed, uint64(i))
	}
	return &scheduled{opts: opts, reg: reg, specs: specs, exact: exact, jobs: jobs}, nil
}

// jobCost estimates job j's work in agent-steps played (each one a policy
// forward and a game step), for the progress's time left: an evaluation
// plays Episodes episodes; a best response trains, selects among three
// candidates and tests one, and the search's rollouts cost, per decision,
// actions × rollouts × about half the horizon steps.
func jobCost(s *scheduled, j Job) float64 {
	spec := s.specs[j.Pop]
	n, h := float64(spec.NumAgents()), float64(spec.Horizon)
	episode := n * h
	switch j.Kind {
	case JobEval:
		return float64(s.opts.Episodes) * episode
	case JobAdapt:
		return float64(max(1, s.opts.AdaptSteps)*max(1, s.opts.AdaptEpisodes)) * 8 * episode
	}
	cfg, err := s.opts.BR.For(spec.NumAgents()).WithDefaults()
	if err != nil {
		return episode
	}
	cost := float64(cfg.Episodes+4*cfg.SelectEpisodes+2*cfg.TestEpisodes) * episode
	if cfg.Search && (cfg.SearchMaxAgents == 0 || spec.NumAgents() <= cfg.SearchMaxAgents) {
		a := float64(spec.Types[j.Type].NumActions)
		steps := h / 2
		if cfg.SearchHorizon > 0 {
			steps = min(steps, float64(cfg.SearchHorizon))
		}
		perDecision := a * float64(cfg.SearchRollouts) * steps * n
		cost += float64(cfg.SelectEpisodes+cfg.TestEpisodes) * h * math.Pow(perDecision, float64(cfg.SearchDepth)) / math.Pow(n, float64(cfg.SearchDepth-1))
	}
	return cost
}

// exactKind says how a game gives exact NashConv.
type exactKind int

const (
	exactNone    exactKind = iota
	exactOneShot           // one-shot game with exact payoffs (env.MixedPayoffs)
	exactMarkov            // multi-step game with exact best responses against Markov policies (env.ExactResponder)
)

func exactMethod(g env.Game) exactKind {
	if _, ok := g.(env.MixedPayoffs); ok && g.Spec().Horizon == 1 {
		return exactOneShot
	}
	if _, ok := g.(env.ExactResponder); ok {
		return exactMarkov
	}
	return exactNone
}

// markovEntry reports whether an entry's policy is known, before any job
// runs, to depend on the current frame only (its actions are not
// correlated across steps by a per-episode latent).
func markovEntry(e Entry, spec *env.Spec) bool {
	switch e := e.(type) {
	case Random:
		return true
	case *Run:
		if m, known := e.markov(); known {
			return m
		}
	}
	pol, err := e.Policy(spec, 0)
	m, ok := pol.(interface{ Markov() bool })
	return err == nil && ok && m.Markov()
}

// adapts reports whether entry is adapted at spec's population.
func adapts(entry Entry, spec *env.Spec, opts Options) bool {
	run, ok := entry.(*Run)
	return ok && opts.AdaptSteps > 0 && run.adaptive() && !run.TrainedAt(spec.Population)
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
