package mra

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/mrasim/mrasim/env"
)

// Setup is what a training run needs besides the hyper-parameters: the game,
// the training populations and the budget.
type Setup struct {
	Game        string         // registered game name
	Params      map[string]any // the game's parameters
	Populations []env.Population
	Seed        uint64

	Episodes     int // episodes per training population
	ParallelEnvs int // game copies per population
	Workers      int // goroutines stepping the copies (≤ 0: one)
	LogEvery     int // episodes per population between Metrics
}

// Metrics summarise one log interval. mean_step_reward is the mean reward
// per agent and step over the interval, per training population — the
// metric the official code logs. In a game of several agent types (predators
// and prey) that mean mixes opposed rewards, so mean_step_reward_by_type
// gives it per population and type as well.
type Metrics struct {
	Episode        int                `json:"episode"`   // episodes played per population so far
	Round          int                `json:"round"`     // rounds of parallel_envs episodes so far
	EnvSteps       int64              `json:"env_steps"` // environment steps over all copies and populations
	WallSeconds    float64            `json:"wall_seconds"`
	StepsPerSecond float64            `json:"steps_per_second"` // env steps per wall second over the interval
	MeanStepReward map[string]float64 `json:"mean_step_reward"`
	// MeanStepRewardByType[population][type] is the mean reward per agent
	// and step of the type's agents (types without agents are left out).
	MeanStepRewardByType map[string]map[string]float64 `json:"mean_step_reward_by_type,omitempty"`
	Updates              int64                         `json:"update_cycles"`  // update cycles so far
	CriticLoss           float64                       `json:"critic_loss"`    // mean over the interval's critic steps
	PolicyLoss           float64                       `json:"policy_loss"`    // mean over the interval's policy steps
	Entropy              float64                       `json:"policy_entropy"` // mean policy entropy (nats)
	MI                   float64                       `json:"mi_estimate"`    // mean r_MI, the I(z; a | o) estimate
	PriorCE              float64                       `json:"classifier_ce"`  // mean game-classifier cross-entropy
	GameMI               float64                       `json:"game_mi_bound"`  // log M − CE, the bound on I(m; z)
}

// population is one training population in play.
type population struct {
	pop   env.Population
	label string
	enc   *Encoding
	desc  []float64
	envs  *env.Batch
	buf   *Buffer
	batch *Batch

	steps int64 // env steps (over copies), for the update schedule

	// Acting scratch: rows = copies × agents.
	self, ents []float64
	present    []bool
	z          []float64 // N·K: the agents' latents this episode
	zRows      []float64 // rows·K: the same for every copy
	finished   []bool    // per copy: its episode is over
	actions    []int
	graph      []float64
	prev       []*env.Frame

	// Interval accounting.
	rewardSum  float64
	agentSteps int64
	typeOf     []int     // agent → type index
	typeNames  []string  // type index → name
	typeSum    []float64 // per type: the interval's reward sum
	typeSteps  []int64   // per type: the interval's live agent steps
}

// Trainer runs MRA or a baseline: rounds of parallel episodes on every
// training population in turn (round-robin), storing transitions in a replay
// buffer per population and running update cycles on the schedule of the
// official code.
type Trainer struct {
	cfg   Config
	setup Setup
	model learner // MRA's networks, in Config.Precision; nil under MADDPG
	ddpg  *MADDPG // the networks when Config.Algo is AlgoMADDPG (model is then nil)
	games []*population

	actPCG, samplePCG *rand.PCG
	act, sample       *rand.Rand

	round    int
	inner    int // Reptile: the inner round being played, offsets round in the episode seeds
	envSteps int64
	updates  int64
	wall     time.Duration // wall time of rounds played, over resumes

	// Interval sums of the update statistics.
	critic, policy, entropy, mi, ce sum
	intervalSteps                   int64
	intervalWall                    time.Duration
}

type sum struct {
	total float64
	n     int
}

func (s *sum) add(v float64) { s.total += v; s.n++ }
func (s *sum) mean() float64 {
	if s.n == 0 {
		return 0
	}
	return s.total / float64(s.n)
}

// NewTrainer builds the games, buffers and networks of a run.
func NewTrainer(cfg Config, setup Setup) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(setup.Populations) == 0 || setup.Episodes < 1 || setup.ParallelEnvs < 1 {
		return nil, fmt.Errorf("mra: need populations, episodes ≥ 1 and parallel envs ≥ 1")
	}
	if cfg.Algo == AlgoSingle && len(setup.Populations) != 1 {
		return nil, fmt.Errorf("mra: algorithm %q trains at one population, got %d", AlgoSingle, len(setup.Populations))
	}
	if cfg.Algo == AlgoReptile || cfg.Algo == AlgoMADDPG {
		cfg.Latents = 1 // one unimodal policy; MADDPG has no latents
	}
	reg, err := env.Lookup(setup.Game)
	if err != nil {
		return nil, err
	}
	t := &Trainer{cfg: cfg, setup: setup}
	t.actPCG = rand.NewPCG(env.SubSeed(setup.Seed, 1), 0)
	t.samplePCG = rand.NewPCG(env.SubSeed(setup.Seed, 2), 0)
	t.act, t.sample = rand.New(t.actPCG), rand.New(t.samplePCG)

	var feats Features
	var descs [][]float64
	for k, pop := range setup.Populations {
		games := make([]env.Game, setup.ParallelEnvs)
		for e := range games {
			if games[e], err = reg.Make(setup.Params, pop); err != nil {
				return nil, err
			}
		}
		spec := games[0].Spec()
		if k == 0 {
			feats = GameFeatures(spec)
		}
		enc, err := NewEncoding(feats, spec)
		if err != nil {
			return nil, err
		}
		envs, err := env.NewBatch(games, setup.Workers)
		if err != nil {
			return nil, err
		}
		buf, err := newReplay(cfg, setup, reg, pop, enc)
		if err != nil {
			envs.Close()
			t.Close()
			return nil, err
		}
		rows := setup.ParallelEnvs * enc.N
		p := &population{
			pop: spec.Population, label: spec.Population.String(), enc: enc, desc: Descriptor(spec.Population),
			envs: envs, buf: buf, batch: NewBatch(enc, cfg.BatchSize, cfg.Latents),
			self: make([]float64, rows*enc.D), ents: make([]float64, rows*enc.E*enc.D), present: make([]bool, rows*enc.E),
			z: make([]float64, enc.N*cfg.Latents), zRows: make([]float64, rows*cfg.Latents), finished: make([]bool, setup.ParallelEnvs), actions: make([]int, rows), graph: make([]float64, rows*enc.E),
		}
		for range setup.ParallelEnvs {
			p.prev = append(p.prev, env.NewFrame(spec))
		}
		p.typeOf = make([]int, enc.N)
		for i := range p.typeOf {
			p.typeOf[i] = spec.AgentType(i)
		}
		for _, ty := range spec.Types {
			p.typeNames = append(p.typeNames, ty.Name)
		}
		p.typeSum, p.typeSteps = make([]float64, len(spec.Types)), make([]int64, len(spec.Types))
		descs = append(descs, p.desc)
		t.games = append(t.games, p)
	}
	if cfg.Algo == AlgoMADDPG {
		t.ddpg, err = NewMADDPG(cfg, feats, rand.New(rand.NewPCG(env.SubSeed(setup.Seed, 3), 0)))
	} else {
		t.model, err = newLearner(cfg, feats, descs, rand.New(rand.NewPCG(env.SubSeed(setup.Seed, 3), 0)))
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// newReplay makes population pop's replay buffer in the mode cfg.Replay
// asks for (ReplayAuto: the smaller per transition), with one game copy
// per worker to regenerate observations in state mode.
func newReplay(cfg Config, setup Setup, reg env.Registration, pop env.Population, enc *Encoding) (*Buffer, error) {
	probe, err := reg.Make(setup.Params, pop)
	if err != nil {
		return nil, err
	}
	if ChooseReplay(cfg.Replay, enc, cfg.Latents, StateBytes(probe)) == ReplayObservations {
		return NewBuffer(enc, cfg.BufferLength, cfg.Latents), nil
	}
	games := []env.Game{probe}
	for range max(setup.Workers, 1) - 1 {
		g, err := reg.Make(setup.Params, pop)
		if err != nil {
			return nil, err
		}
		games = append(games, g)
	}
	return NewStateBuffer(enc, cfg.BufferLength, cfg.Latents, games, setup.ParallelEnvs)
}

// ReplayModes returns the replay mode of each training population's buffer
// (ReplayStates or ReplayObservations), in order.
func (t *Trainer) ReplayModes() []string {
	out := make([]string, len(t.games))
	for k, p := range t.games {
		out[k] = p.buf.Mode()
	}
	return out
}

// Close stops the games', the buffers' and the model's worker goroutines.
func (t *Trainer) Close() {
	for _, p := range t.games {
		p.envs.Close()
		p.buf.Close()
	}
	if t.model != nil {
		t.model.Close()
	}
}

// Model returns the networks being trained (nil under MADDPG). A float32
// run (Config.Precision) returns a float64 copy of them (ModelOf.Float64):
// the same parameters, converted exactly, with fresh optimizers.
func (t *Trainer) Model() *Model {
	switch m := t.model.(type) {
	case *Model:
		return m
	case nil:
		return nil
	default:
		m64, err := m.Float64()
		if err != nil {
			panic(err) // the trainer's config was validated when m was built
		}
		return m64
	}
}

// Rounds returns how many rounds the budget allows: each round plays
// ParallelEnvs episodes of every population.
func (t *Trainer) Rounds() int {
	return (t.setup.Episodes + t.setup.ParallelEnvs - 1) / t.setup.ParallelEnvs
}

// Round returns how many rounds have been played.
func (t *Trainer) Round() int { return t.round }

// Episode returns how many episodes of each population have been played.
func (t *Trainer) Episode() int { return t.round * t.setup.ParallelEnvs }

// Labels returns the training populations' labels, in order.
func (t *Trainer) Labels() []string {
	out := make([]string, len(t.games))
	for k, p := range t.games {
		out[k] = p.label
	}
	return out
}

// Run plays rounds until the budget is spent or ctx is cancelled (checked
// between rounds, so the trainer is always left at a round boundary, where
// its state can be saved). After every LogEvery episodes it calls logf with
// the interval's metrics, and after every round it calls afterRound (for
// checkpoints and progress); either may be nil. An error from them stops
// the run.
func (t *Trainer) Run(ctx context.Context, logf func(Metrics) error, afterRound func() error) error {
	logRounds := max(1, (t.setup.LogEvery+t.setup.ParallelEnvs-1)/t.setup.ParallelEnvs)
	for t.round < t.Rounds() {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		played, err := t.playRound()
		if err != nil {
			return err
		}
		d := time.Since(start)
		t.wall += d
		t.intervalWall += d
		before := t.round
		t.round += played
		if t.round/logRounds != before/logRounds || t.round == t.Rounds() {
			m := t.metrics()
			if logf != nil {
				if err := logf(m); err != nil {
					return err
				}
			}
		}
		if afterRound != nil {
			if err := afterRound(); err != nil {
				return err
			}
		}
	}
	return nil
}

// playRound plays one episode on every copy of every population, in turn,
// with updates on schedule, and returns the number of rounds played (1).
// For Reptile it plays InnerCycles rounds (at most the rounds left) of each
// population from θ₀ — the targets re-synced to θ₀ and, unless KeepMoments
// carries them on, the Adam moments reset at the start of each population,
// so no task bootstraps from or keeps the momentum of the previous one
// — and ends with the meta-step. It stops with the model's
// error if an update met a non-finite gradient.
func (t *Trainer) playRound() (int, error) {
	var theta0, acc []float64
	inner := 1
	if t.cfg.Algo == AlgoReptile {
		theta0 = t.model.Params(nil)
		acc = make([]float64, len(theta0))
		inner = max(1, min(t.cfg.InnerCycles, t.Rounds()-t.round))
	}
	for k, p := range t.games {
		if theta0 != nil {
			if err := t.model.SetParams(theta0); err != nil {
				return 0, err
			}
			t.model.SyncTargets()
			if !t.cfg.KeepMoments {
				if err := t.model.resetOptimizers(); err != nil {
					return 0, err
				}
			}
		}
		for j := range inner {
			t.inner = j
			t.playEpisodes(k, p)
			if err := p.buf.Err(); err != nil {
				return 0, fmt.Errorf("mra: training %s: %w", p.label, err)
			}
			if err := t.learnerErr(); err != nil {
				return 0, fmt.Errorf("mra: training %s: %w", p.label, err)
			}
		}
		if theta0 != nil {
			thetaK := t.model.Params(nil)
			for i := range acc {
				acc[i] += thetaK[i] - theta0[i]
			}
		}
	}
	if theta0 != nil {
		// θ₀ ← θ₀ + ε · mean_k (θ_k − θ₀)
		scale := t.cfg.MetaLR / float64(len(t.games))
		for i := range theta0 {
			theta0[i] += scale * acc[i]
		}
		if err := t.model.SetParams(theta0); err != nil {
			return 0, err
		}
		t.model.SyncTargets()
	}
	t.inner = 0
	return inner, nil
}

// playEpisodes plays one episode on each copy of population k: latents
// drawn once per agent from the prior (shared by the copies, as the
// official code does), actions from the policies, every transition stored,
// and an update cycle whenever the population's step count crosses a
// multiple of StepsPerUpdate with a batch's worth of transitions stored.
func (t *Trainer) playEpisodes(k int, p *population) {
	enc := p.enc
	copies := p.envs.Len()
	n, e, d := enc.N, enc.E, enc.D
	p.envs.Reset(env.SubSeed(env.SubSeed(t.setup.Seed, uint64(k)), uint64(t.round+t.inner)))
	p.buf.Detach()
	if t.ddpg == nil {
		t.model.SampleLatents(p.desc, t.act, p.z)
	}
	for c := range copies {
		copy(p.zRows[c*n*t.cfg.Latents:], p.z)
	}
	finished := p.finished
	clear(finished)
	for {
		active := 0
		for c := range copies {
			f := p.envs.Frame(c)
			if !finished[c] && f.Done() {
				finished[c] = true
			}
			if finished[c] {
				continue
			}
			active++
			for i := range n {
				r := c*n + i
				Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), p.self[r*d:(r+1)*d], p.ents[r*e*d:(r+1)*e*d], p.present[r*e:(r+1)*e])
			}
		}
		if active == 0 {
			return
		}
		if t.ddpg != nil {
			t.ddpg.Act(enc, copies*n, p.self, p.ents, p.present, t.act, p.actions, p.graph)
		} else {
			t.model.Act(enc, copies*n, p.self, p.ents, p.present, p.zRows, t.act, p.actions, p.graph)
		}
		for c := range copies {
			if finished[c] {
				continue
			}
			p.prev[c].CopyFrom(p.envs.Frame(c))
			p.buf.BeginStep(c, p.envs.Game(c), p.prev[c])
			copy(p.envs.Actions(c), p.actions[c*n:(c+1)*n])
		}
		p.envs.Step()
		for c := range copies {
			if finished[c] {
				continue
			}
			f := p.envs.Frame(c)
			p.buf.Record(c, p.envs.Game(c), p.prev[c], p.envs.Actions(c), f, p.graph[c*n*e:(c+1)*n*e], p.z)
			for i := range n {
				if p.prev[c].Alive[i] {
					p.rewardSum += f.Reward[i]
					p.agentSteps++
					p.typeSum[p.typeOf[i]] += f.Reward[i]
					p.typeSteps[p.typeOf[i]]++
				}
			}
		}
		// As the official code: count the parallel step, then update when
		// the count has just crossed a multiple of StepsPerUpdate.
		p.steps += int64(active)
		t.envSteps += int64(active)
		t.intervalSteps += int64(active)
		if p.buf.Len() >= t.cfg.BatchSize && p.steps%int64(t.cfg.StepsPerUpdate) < int64(active) {
			t.updateCycle(k, p)
		}
	}
}

// updateCycle is the official schedule: NumUpdates critic and policy steps
// on fresh batches, then one relation-net (diversity) step and a hard target
// copy, then one prior/classifier step, the last two on the last batch.
func (t *Trainer) updateCycle(k int, p *population) {
	if t.ddpg != nil {
		t.ddpgCycle(p)
		return
	}
	for range t.cfg.NumUpdates {
		p.buf.Sample(t.sample, p.batch)
		t.critic.add(t.model.UpdateCritic(p.batch))
		loss, ent := t.model.UpdatePolicies(p.batch)
		t.policy.add(loss)
		t.entropy.add(ent)
	}
	if t.cfg.Latents > 1 {
		t.mi.add(t.model.UpdateRelation(p.batch, p.desc, t.sample))
	}
	t.model.SyncTargets()
	if t.cfg.Algo == AlgoMRA && len(t.games) > 1 {
		t.ce.add(t.model.UpdatePrior(p.batch, k, t.sample))
	}
	t.updates++
}

// metrics closes the current log interval.
func (t *Trainer) metrics() Metrics {
	m := Metrics{
		Episode:              t.Episode(),
		Round:                t.round,
		EnvSteps:             t.envSteps,
		WallSeconds:          t.wall.Seconds(),
		MeanStepReward:       map[string]float64{},
		MeanStepRewardByType: map[string]map[string]float64{},
		Updates:              t.updates,
		CriticLoss:           t.critic.mean(),
		PolicyLoss:           t.policy.mean(),
		Entropy:              t.entropy.mean(),
		MI:                   t.mi.mean(),
		PriorCE:              t.ce.mean(),
	}
	if t.ce.n > 0 {
		m.GameMI = math.Log(float64(len(t.games))) - m.PriorCE
	}
	if s := t.intervalWall.Seconds(); s > 0 {
		m.StepsPerSecond = float64(t.intervalSteps) / s
	}
	for _, p := range t.games {
		if p.agentSteps > 0 {
			m.MeanStepReward[p.label] = p.rewardSum / float64(p.agentSteps)
		}
		p.rewardSum, p.agentSteps = 0, 0
		byType := map[string]float64{}
		for k, n := range p.typeSteps {
			if n > 0 {
				byType[p.typeNames[k]] = p.typeSum[k] / float64(n)
			}
		}
		if len(byType) > 0 {
			m.MeanStepRewardByType[p.label] = byType
		}
		clear(p.typeSum)
		clear(p.typeSteps)
	}
	t.critic, t.policy, t.entropy, t.mi, t.ce = sum{}, sum{}, sum{}, sum{}, sum{}
	t.intervalSteps, t.intervalWall = 0, 0
	return m
}
