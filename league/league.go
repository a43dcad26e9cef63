package league

import (
	"math"

	"github.com/mrasim/mrasim/env"
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
