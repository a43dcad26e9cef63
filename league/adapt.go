package league

import (
	"fmt"
	"sync"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
)

// Adaptation at unseen populations, judged on held-out episodes.
//
// The league adapts an MRA entry once per unseen population, from a seed
// that depends only on (Options.Seed, population, entry), so that every
// job needing the outcome (the adaptation report, the entry's evaluation
// and its best responses) can recompute it and get the same answer; a
// cache spares the recomputation within one process. The procedure:
//
//  1. mra.Adapt with one-hot latents (AdaptConfig.OneHot): the best single
//     mode per type, and AdaptSteps score-function steps on each type's
//     categorical logits, on its own episodes;
//  2. selection: zero-shot (the prior), the best modes and the adapted
//     mode distribution each play Options.Episodes selection episodes on
//     common random numbers; the best mean return per agent is chosen;
//  3. test: the three play Options.Episodes test episodes on common random
//     numbers, with seeds disjoint from every seed of steps 1 and 2, for
//     the reported returns and intervals.
//
// One-hot latents rather than soft ones: the relation net and the policies
// were trained on one-hot z only, so a soft z feeds them inputs they never
// saw; a categorical distribution over the modes keeps every action
// in-distribution and is exactly how the prior is played, so zero-shot is
// the adapted procedure's starting point.

// Adaptation seed streams under choiceSeed.
const (
	streamAdapt = iota
	streamSelect
	streamTest
)

// choiceSeed is the root seed of the adaptation of entry e at population p.
func choiceSeed(opts Options, p, e int) uint64 {
	return env.SubSeed(env.SubSeed(env.SubSeed(opts.Seed, 1<<62), uint64(p)), uint64(e))
}

// choiceCache memoises adaptations within one Play call.
type choiceCache struct {
	mu sync.Mutex
	m  map[[2]int]*choiceOnce
}

type choiceOnce struct {
	once sync.Once
	a    *Adaptation
	err  error
}

func newChoiceCache() *choiceCache { return &choiceCache{m: map[[2]int]*choiceOnce{}} }

// get returns the adaptation of entry e (an adapted *Run) at population p,
// computing it once.
func (c *choiceCache) get(entries []Entry, p, e int, spec *env.Spec, newGame func() (env.Game, error), opts Options) (*Adaptation, error) {
	c.mu.Lock()
	o, ok := c.m[[2]int{p, e}]
	if !ok {
		o = &choiceOnce{}
		c.m[[2]int{p, e}] = o
	}
	c.mu.Unlock()
	o.once.Do(func() {
		o.a, o.err = adaptAndChoose(entries[e].(*Run), spec, newGame, opts, choiceSeed(opts, p, e))
	})
	return o.a, o.err
}

// modesOf returns the per-type mode distributions of a candidate (nil:
// the prior).
func (a *Adaptation) modesOf(candidate string) [][]float64 {
	switch candidate {
	case CandidateBestMode:
		k := len(a.Modes[0])
		out := make([][]float64, len(a.BestModes))
		for t, j := range a.BestModes {
			if j >= 0 {
				out[t] = make([]float64, k)
				out[t][j] = 1
			}
		}
		return out
	case CandidateAdapted:
		return a.Modes
	}
	return nil
}

func adaptAndChoose(run *Run, spec *env.Spec, newGame func() (env.Game, error), opts Options, seed uint64) (*Adaptation, error) {
	m, err := run.Load()
	if err != nil {
		return nil, err
	}
	defer m.Close()
	ad, ok := m.(learner.Adapter)
	if !ok {
		return nil, fmt.Errorf("league: adapting %s at %v: algorithm %q cannot adapt", run.Label, spec.Population, run.Algo())
	}
	res, err := ad.Adapt(newGame, opts.AdaptSteps, opts.AdaptEpisodes, opts.Adapt, env.SubSeed(seed, streamAdapt))
	if err != nil {
		return nil, fmt.Errorf("league: adapting %s at %v: %w", run.Label, spec.Population, err)
	}
	a := &Adaptation{BestModes: res.BestModes, Modes: res.Modes, Curve: res.Curve, Selection: map[string]float64{}}
	candidates := []string{CandidateZeroShot, CandidateBestMode, CandidateAdapted}
	if a.BestModes == nil {
		candidates = slicesWithout(candidates, CandidateBestMode)
	}
	if a.Modes == nil {
		candidates = slicesWithout(candidates, CandidateAdapted)
	}
	g, err := newGame()
	if err != nil {
		return nil, err
	}
	play := func(candidate string, stream uint64) (Estimate, error) {
		pol, err := ad.ModePlayer(spec, a.modesOf(candidate), 0)
		if err != nil {
			return Estimate{}, err
		}
		return playCRN(g, pol, env.SubSeed(seed, stream), opts.Episodes)
	}
	best := ""
	for _, c := range candidates {
		est, err := play(c, streamSelect)
		if err != nil {
			return nil, err
		}
		a.Selection[c] = est.Mean
		if best == "" || est.Mean > a.Selection[best] {
			best = c
		}
	}
	a.Chosen = best
	for _, c := range candidates {
		est, err := play(c, streamTest)
		if err != nil {
			return nil, err
		}
		switch c {
		case CandidateZeroShot:
			a.ZeroShot = est
		case CandidateBestMode:
			a.BestMode = est
		case CandidateAdapted:
			a.Adapted = est
		}
	}
	return a, nil
}

func slicesWithout(xs []string, x string) []string {
	var out []string
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// playCRN plays episodes of g with pol, episode k from SubSeed(seed, k) and
// the policy reseeded from the episode's seed (common random numbers: two
// policies played from the same seed face the same games and draws), and
// returns the mean episode return per agent with its 95% interval.
func playCRN(g env.Game, pol agents.Policy, seed uint64, episodes int) (Estimate, error) {
	mean, ci := meanCI(crnReturns(g, pol, seed, episodes, nil, nil))
	return Estimate{Mean: mean, CI95: ci, Episodes: episodes}, nil
}
