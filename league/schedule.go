package league

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/mrasim/mrasim/env"
)

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
