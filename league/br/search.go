package br

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
)

// searcher is the search response: policy improvement by rollouts from
// copies of the game's exact state (Bertsekas's rollout algorithm). At
// each decision of the deviating agent it estimates, for every legal
// action a,
//
//	Q(a) = (1/M) Σ_m [ Σ_{k<H} r_{t+k} + V(x_{t+H}, t+H) ]
//
// over M rollouts from a restored copy of the current state in which the
// agent plays a and then the base policy, and every agent plays the
// others' policy; a rollout ends at the episode's end, or after H steps
// where the response's critic V bootstraps (H = 0: no cut). It then plays
// argmax_a Q(a) (the lowest action on ties).
//
// With hold K > 1 (Config.SearchHold) each rollout holds its action for
// its first K steps before the base policy takes over: in games with
// inertia one step of a different action barely changes where a weak base
// policy then goes, while K steps of it do (rollouts over macro-actions).
// The search still decides again at every step.
//
// With depth D > 1 (Config.SearchDepth) the base policy is itself the
// search of depth D − 1 (nested rollouts, Yan et al. 2004): the one-step
// improvement of a base policy is not a best response in a multi-step
// game, but a search as deep as the horizon is one (given enough
// rollouts), at a cost that multiplies by the rollouts per level.
//
// The search is a policy the agent could play: it reads the state only in
// games that declare the agent observes all of it (env.FullyObserved); each
// restored copy gets fresh game randomness (env.StateReseeder), so the
// rollouts never see the episode's future respawns; and the others play
// independent copies of their policy (agents.Forker) that draw their own
// latents and random numbers, never the ones the others hold in the
// episode being played.
//
// Rollout m of every action uses the same seeds (common random numbers:
// the same game randomness, the same draws of the others and of the base
// policy), so that the comparison between actions is not drowned by noise
// the actions do not cause. All rollouts advance together, one step at a
// time, so that a network policy evaluates every rollout's rows in one
// product.
type searcher struct {
	agent    int
	rollouts int
	horizon  int
	hold     int // steps each rollout holds its first action before the base policy takes over
	base     string
	net      Net
	greedy   bool
	critic   *critic
	inner    *searcher // depth > 1: the search one level down, the base policy of this one's rollouts
	seeds    []uint64  // per rollout: its seed (the inner search's decisions derive from it)

	games  []env.Game
	frames []*env.Frame
	acts   [][]int
	others agents.Copies
	pcg    []*rand.PCG // the base policy's samples, per rollout
	rng    []*rand.Rand

	snap  []byte
	legal []int
	q     []float64
	value []float64 // per rollout: the agent's return so far

	// The rollouts still running, and the base policy's rows.
	idx              []int
	fr               []*env.Frame
	ac               [][]int
	rows             []int
	in, logp, prob   []float64
	steps            []int
	Decisions, Steps int64 // cost: decisions searched and rollout steps played
}

// newSearcher returns the search response for agent in games built by
// newGame against others, or nil and the reason why the search cannot be
// played: the game does not declare that the agent observes the full
// state, cannot reseed a restored state, or the others' policy cannot fork
// copies of itself for the rollouts.
func newSearcher(g env.Game, newGame func() (env.Game, error), others agents.Policy, agent int, net Net, crit *critic, cfg Config) (*searcher, string, error) {
	fo, ok := g.(env.FullyObserved)
	if !ok || !fo.FullyObserved(agent) {
		return nil, "the agent does not observe the game's full state (the game does not declare it), so a search on the exact state is not a policy it could play", nil
	}
	if _, ok := g.(env.StateReseeder); !ok {
		return nil, "the game cannot reseed a restored state's random generator (env.StateReseeder), so rollouts would see its future randomness", nil
	}
	fk, ok := others.(agents.Forker)
	if !ok {
		return nil, fmt.Sprintf("the others' policy (%T) cannot fork copies of itself for the rollouts (agents.Forker)", others), nil
	}
	spec := g.Spec()
	r := spec.Type(agent).NumActions * cfg.SearchRollouts
	s := &searcher{agent: agent, rollouts: cfg.SearchRollouts, horizon: cfg.SearchHorizon, hold: cfg.SearchHold, base: cfg.SearchBase, net: net, critic: crit,
		games: make([]env.Game, r), frames: make([]*env.Frame, r), acts: make([][]int, r), others: fk.Fork(r),
		pcg: make([]*rand.PCG, r), rng: make([]*rand.Rand, r), q: make([]float64, spec.Type(agent).NumActions), value: make([]float64, r),
		in: make([]float64, r*net.InputLen()), logp: make([]float64, net.NumActions()), prob: make([]float64, net.NumActions())}
	s.seeds = make([]uint64, r)
	if cfg.SearchDepth > 1 {
		down := cfg
		down.SearchDepth--
		var err error
		if s.inner, _, err = newSearcher(g, newGame, others, agent, net, crit, down); err != nil {
			return nil, "", err
		}
	}
	for k := range r {
		gk, err := newGame()
		if err != nil {
			return nil, "", fmt.Errorf("br: building rollout game %d: %w", k, err)
		}
		s.games[k], s.frames[k], s.acts[k] = gk, env.NewFrame(gk.Spec()), make([]int, spec.NumAgents())
		s.pcg[k] = rand.NewPCG(uint64(k), 0)
		s.rng[k] = rand.New(s.pcg[k])
	}
	return s, "", nil
}

// decide returns the agent's action at frame f of game g, searched with
// the random numbers of seed. It allocates nothing once its buffers have
// grown.
func (s *searcher) decide(g env.Game, f *env.Frame, seed uint64) int {
	mask := f.AgentActionMask(s.agent)
	s.legal = s.legal[:0]
	for a, ok := range mask {
		if ok {
			s.legal = append(s.legal, a)
		}
	}
	if len(s.legal) <= 1 {
		if len(s.legal) == 1 {
			return s.legal[0]
		}
		return 0
	}
	s.Decisions++
	if s.inner != nil {
		defer func() {
			s.Decisions += s.inner.Decisions
			s.Steps += s.inner.Steps
			s.inner.Decisions, s.inner.Steps = 0, 0
		}()
	}
	s.snap = g.AppendState(s.snap[:0])
	m := s.rollouts
	s.idx, s.fr, s.ac = s.idx[:0], s.fr[:0], s.ac[:0]
	for k := range s.legal {
		for j := range m {
			r := k*m + j
			rs := env.SubSeed(seed, uint64(j)) // the same for every action: common random numbers
			gr := s.games[r]
			if err := gr.SetState(s.snap); err != nil {
				panic(fmt.Sprintf("br: restoring a state on a copy of the same game: %v", err))
			}
			gr.(env.StateReseeder).ReseedState(env.SubSeed(rs, 0))
			gr.Observe(s.frames[r])
			s.others.Reseed(r, env.SubSeed(rs, 1))
			s.pcg[r].Seed(env.SubSeed(rs, 2), 0)
			s.value[r] = 0
			s.seeds[r] = env.SubSeed(rs, 3)
			s.idx, s.fr, s.ac = append(s.idx, r), append(s.fr, s.frames[r]), append(s.ac, s.acts[r])
		}
	}
	for step := 0; len(s.idx) > 0; step++ {
		s.others.Act(s.idx, s.fr, s.ac)
		if step < s.hold {
			for k, r := range s.idx {
				if acting(s.fr[k], s.agent) {
					s.ac[k][s.agent] = s.legal[r/m]
				}
			}
		} else if s.inner != nil {
			for k, r := range s.idx {
				if acting(s.fr[k], s.agent) {
					s.ac[k][s.agent] = s.inner.decide(s.games[r], s.fr[k], env.SubSeed(s.seeds[r], uint64(step)))
				}
			}
		} else if s.base == SearchBaseResponse {
			s.baseActions()
		}
		for k, r := range s.idx {
			s.games[r].Step(s.ac[k], s.fr[k])
			s.value[r] += s.fr[k].Reward[s.agent]
		}
		s.Steps += int64(len(s.idx))
		if s.horizon > 0 && step+1 >= s.horizon {
			s.bootstrap()
			break
		}
		s.keepRunning()
	}
	best, bestQ := s.legal[0], math.Inf(-1)
	for k, a := range s.legal {
		var q float64
		for j := range m {
			q += s.value[k*m+j]
		}
		q /= float64(m)
		s.q[a] = q
		if q > bestQ {
			best, bestQ = a, q
		}
	}
	return best
}

// keepRunning drops the finished rollouts from the running lists.
func (s *searcher) keepRunning() {
	n := 0
	for k, r := range s.idx {
		if !s.fr[k].Done() {
			s.idx[n], s.fr[n], s.ac[n] = r, s.fr[k], s.ac[k]
			n++
		}
	}
	s.idx, s.fr, s.ac = s.idx[:n], s.fr[:n], s.ac[:n]
}

// baseActions lets the response play the agent in every running rollout
// where it acts, in one forward pass.
func (s *searcher) baseActions() {
	w, na := s.net.InputLen(), s.net.NumActions()
	s.rows = s.rows[:0]
	for k := range s.idx {
		if acting(s.fr[k], s.agent) {
			row := len(s.rows)
			s.net.Input(s.fr[k], s.in[row*w:(row+1)*w])
			s.rows = append(s.rows, k)
		}
	}
	if len(s.rows) == 0 {
		return
	}
	out := s.net.Forward(s.in[:len(s.rows)*w])
	for row, k := range s.rows {
		if !maskedLogSoftmax(s.logp, out[row*na:(row+1)*na], s.fr[k].AgentActionMask(s.agent)) {
			continue
		}
		s.ac[k][s.agent] = s.pick(s.rng[s.idx[k]])
	}
}

// pick draws from s.logp, or takes its most probable action when greedy.
func (s *searcher) pick(rng *rand.Rand) int {
	if s.greedy {
		best := 0
		for a, lp := range s.logp {
			if lp > s.logp[best] {
				best = a
			}
		}
		return best
	}
	u, cum, last := rng.Float64(), 0.0, 0
	for a, lp := range s.logp {
		p := math.Exp(lp)
		if p > 0 {
			last = a
		}
		cum += p
		if u < cum {
			return a
		}
	}
	return last
}

// bootstrap adds the critic's value of the cut rollouts where the agent
// still acts, in one forward pass.
func (s *searcher) bootstrap() {
	w := s.net.InputLen()
	s.rows, s.steps = s.rows[:0], s.steps[:0]
	for k := range s.idx {
		if !s.fr[k].Done() && acting(s.fr[k], s.agent) {
			row := len(s.rows)
			s.net.Input(s.fr[k], s.in[row*w:(row+1)*w])
			s.rows = append(s.rows, k)
			s.steps = append(s.steps, s.fr[k].T)
		}
	}
	if len(s.rows) == 0 {
		return
	}
	v := s.critic.values(s.in[:len(s.rows)*w], s.steps)
	for row, k := range s.rows {
		s.value[s.idx[k]] += v[row]
	}
}
