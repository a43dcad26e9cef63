package learner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mrasim/mrasim/agents/replay"

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

	// Curriculum is the optional size curriculum (the zero value: none,
	// every population from the first round). It concerns training only
	// and is left out of a Setup's JSON form (the league's jobs carry a
	// run's Setup to evaluate it), so that those payloads are as before.
	Curriculum Curriculum `json:"-"`
}

// population is one training population in play.
type population struct {
	pop   env.Population
	label string
	enc   *replay.Encoding
	desc  []float64
	envs  *env.Batch
	buf   *replay.Buffer
	batch *replay.Batch

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

	// On-policy step reports (OnPolicy learners only).
	reward []float64 // rows
	acted  []bool    // rows
	over   []bool    // copies

	// Interval accounting.
	rewardSum  float64
	agentSteps int64
	typeOf     []int     // agent → type index
	typeNames  []string  // type index → name
	typeSum    []float64 // per type: the interval's reward sum
	typeSteps  []int64   // per type: the interval's live agent steps

	// The round's reward sums, for the curriculum.
	roundSum   float64
	roundSteps int64
}

// Trainer is the shared training loop of every registered algorithm:
// rounds of parallel episodes on every training population in turn
// (round-robin), storing transitions in a replay buffer per population and
// running the learner's update cycles on the schedule of MRA's official
// code. It never names an algorithm: it drives the Learner the settings'
// Algorithm builds.
type Trainer struct {
	settings Settings
	sched    Schedule
	setup    Setup
	learner  Learner
	onPolicy OnPolicy // the learner, when it learns on-policy; nil otherwise
	games    []*population
	curr     *curriculum

	actPCG, samplePCG *rand.PCG
	act, sample       *rand.Rand

	round    int
	inner    int // Meta: the inner round being played, offsets round in the episode seeds
	envSteps int64
	updates  int64
	wall     time.Duration // wall time of rounds played, over resumes

	// Interval sums of the update statistics.
	stats         Stats
	intervalSteps int64
	intervalWall  time.Duration
}

// NewTrainer builds the games, buffers and learner of a run of the
// algorithm registered for s.Algorithm().
func NewTrainer(s Settings, setup Setup) (*Trainer, error) {
	algo, err := Lookup(s.Algorithm())
	if err != nil {
		return nil, err
	}
	if err := s.Check(setup); err != nil {
		return nil, err
	}
	if len(setup.Populations) == 0 || setup.Episodes < 1 || setup.ParallelEnvs < 1 {
		return nil, fmt.Errorf("learner: need populations, episodes ≥ 1 and parallel envs ≥ 1")
	}
	if err := setup.Curriculum.Check(); err != nil {
		return nil, err
	}
	sched := s.Schedule()
	reg, err := env.Lookup(setup.Game)
	if err != nil {
		return nil, err
	}
	t := &Trainer{settings: s, sched: sched, setup: setup}
	t.actPCG = rand.NewPCG(env.SubSeed(setup.Seed, 1), 0)
	t.samplePCG = rand.NewPCG(env.SubSeed(setup.Seed, 2), 0)
	t.act, t.sample = rand.New(t.actPCG), rand.New(t.samplePCG)

	var feats replay.Features
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
			feats = replay.GameFeatures(spec)
		}
		enc, err := replay.NewEncoding(feats, spec)
		if err != nil {
			return nil, err
		}
		envs, err := env.NewBatch(games, setup.Workers)
		if err != nil {
			return nil, err
		}
		buf, err := newReplay(sched, setup, reg, pop, enc)
		if err != nil {
			envs.Close()
			t.Close()
			return nil, err
		}
		rows := setup.ParallelEnvs * enc.N
		p := &population{
			pop: spec.Population, label: spec.Population.String(), enc: enc, desc: replay.Descriptor(spec.Population),
			envs: envs, buf: buf, batch: replay.NewBatch(enc, sched.BatchSize, sched.Latents),
			self: make([]float64, rows*enc.D), ents: make([]float64, rows*enc.E*enc.D), present: make([]bool, rows*enc.E),
			z: make([]float64, enc.N*sched.Latents), zRows: make([]float64, rows*sched.Latents), finished: make([]bool, setup.ParallelEnvs), actions: make([]int, rows), graph: make([]float64, rows*enc.E),
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
	sizes := make([]int, len(t.games))
	for k, p := range t.games {
		sizes[k] = p.enc.N
	}
	t.curr = newCurriculum(setup.Curriculum, sizes, t.Labels())
	t.learner, err = algo.New(s, Build{Features: feats, Descriptors: descs, RNG: rand.New(rand.NewPCG(env.SubSeed(setup.Seed, 3), 0))})
	if err != nil {
		t.Close()
		return nil, err
	}
	if op, ok := t.learner.(OnPolicy); ok {
		t.onPolicy = op
		for _, p := range t.games {
			rows := setup.ParallelEnvs * p.enc.N
			p.reward, p.acted, p.over = make([]float64, rows), make([]bool, rows), make([]bool, setup.ParallelEnvs)
		}
	}
	return t, nil
}

// newReplay makes population pop's replay buffer in the mode sched.Replay
// asks for (ModeAuto: the smaller per transition), with one game copy
// per worker to regenerate observations in state mode.
func newReplay(sched Schedule, setup Setup, reg env.Registration, pop env.Population, enc *replay.Encoding) (*replay.Buffer, error) {
	probe, err := reg.Make(setup.Params, pop)
	if err != nil {
		return nil, err
	}
	if replay.ChooseReplay(sched.Replay, enc, sched.Latents, replay.StateBytes(probe)) == replay.ModeObservations {
		return replay.NewBuffer(enc, sched.BufferLength, sched.Latents), nil
	}
	games := []env.Game{probe}
	for range max(setup.Workers, 1) - 1 {
		g, err := reg.Make(setup.Params, pop)
		if err != nil {
			return nil, err
		}
		games = append(games, g)
	}
	return replay.NewStateBuffer(enc, sched.BufferLength, sched.Latents, games, setup.ParallelEnvs)
}

// ReplayModes returns the replay mode of each training population's buffer
// (ModeStates or ModeObservations), in order.
func (t *Trainer) ReplayModes() []string {
	out := make([]string, len(t.games))
	for k, p := range t.games {
		out[k] = p.buf.Mode()
	}
	return out
}

// Close stops the games', the buffers' and the learner's worker
// goroutines.
func (t *Trainer) Close() {
	for _, p := range t.games {
		p.envs.Close()
		p.buf.Close()
	}
	if t.learner != nil {
		t.learner.Close()
	}
}

// Learner returns the learner being trained, for its algorithm's own
// accessors (an algorithm package type-asserts it to its own type).
func (t *Trainer) Learner() Learner { return t.learner }

// Settings returns the settings the trainer was built with.
func (t *Trainer) Settings() Settings { return t.settings }

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
// A Meta learner (Reptile) plays InnerRounds rounds (at most the rounds
// left) of each population between its BeginPopulation and EndPopulation,
// and ends with EndRound (the meta-step). It stops with the learner's
// error if an update met a non-finite gradient.
func (t *Trainer) playRound() (int, error) {
	meta, isMeta := t.learner.(Meta)
	inner := 1
	if isMeta {
		meta.BeginRound()
		inner = max(1, min(meta.InnerRounds(), t.Rounds()-t.round))
	}
	for _, p := range t.games {
		p.roundSum, p.roundSteps = 0, 0
	}
	for k, p := range t.games {
		if !t.curr.active[k] {
			continue
		}
		if isMeta {
			if err := meta.BeginPopulation(); err != nil {
				return 0, err
			}
		}
		for j := range inner {
			t.inner = j
			t.playEpisodes(k, p)
			if err := p.buf.Err(); err != nil {
				return 0, fmt.Errorf("learner: training %s: %w", p.label, err)
			}
			if err := t.learner.Err(); err != nil {
				return 0, fmt.Errorf("learner: training %s: %w", p.label, err)
			}
		}
		if isMeta {
			meta.EndPopulation()
		}
	}
	if isMeta {
		if err := meta.EndRound(t.curr.count()); err != nil {
			return 0, err
		}
	}
	t.inner = 0
	if t.curr.cfg.On() {
		newest := t.games[t.curr.newest()]
		var r float64
		if newest.roundSteps > 0 {
			r = newest.roundSum / float64(newest.roundSteps)
		}
		t.curr.observe(r, t.round+inner, t.Labels())
	}
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
	t.learner.BeginEpisodes(k, p.desc, t.act, p.z)
	for c := range copies {
		copy(p.zRows[c*n*t.sched.Latents:], p.z)
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
				replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), p.self[r*d:(r+1)*d], p.ents[r*e*d:(r+1)*e*d], p.present[r*e:(r+1)*e])
			}
		}
		if active == 0 {
			if t.onPolicy != nil {
				t.onPolicy.Learn(k, p.desc, t.sample, &t.stats)
				t.updates++
			}
			return
		}
		t.learner.Act(enc, copies*n, p.self, p.ents, p.present, p.zRows, t.act, p.actions, p.graph)
		for c := range copies {
			if finished[c] {
				continue
			}
			p.prev[c].CopyFrom(p.envs.Frame(c))
			if t.onPolicy == nil {
				p.buf.BeginStep(c, p.envs.Game(c), p.prev[c])
			}
			copy(p.envs.Actions(c), p.actions[c*n:(c+1)*n])
		}
		p.envs.Step()
		for c := range copies {
			if finished[c] {
				if t.onPolicy != nil {
					clear(p.reward[c*n : (c+1)*n])
					clear(p.acted[c*n : (c+1)*n])
					p.over[c] = true
				}
				continue
			}
			f := p.envs.Frame(c)
			if t.onPolicy != nil {
				for i := range n {
					p.reward[c*n+i], p.acted[c*n+i] = f.Reward[i], p.prev[c].Alive[i]
				}
				p.over[c] = f.Done()
			} else {
				p.buf.Record(c, p.envs.Game(c), p.prev[c], p.envs.Actions(c), f, p.graph[c*n*e:(c+1)*n*e], p.z)
			}
			for i := range n {
				if p.prev[c].Alive[i] {
					p.rewardSum += f.Reward[i]
					p.agentSteps++
					p.roundSum += f.Reward[i]
					p.roundSteps++
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
		if t.onPolicy != nil {
			t.onPolicy.Observe(k, p.reward, p.acted, p.over)
		} else if p.buf.Len() >= t.sched.BatchSize && p.steps%int64(t.sched.StepsPerUpdate) < int64(active) {
			t.updateCycle(k, p)
		}
	}
}

// updateCycle runs the learner's update cycle on population k.
func (t *Trainer) updateCycle(k int, p *population) {
	t.learner.Update(k, p.desc, p.buf, p.batch, t.sample, &t.stats)
	t.updates++
}

// The step-by-step API, for measurements and tests that drive a trainer
// below Run. Run is the way to train: it also keeps the wall time and the
// log intervals.

// PlayRound plays the next round (InnerRounds rounds of a Meta learner,
// at most those left) as Run does, without logging, and returns the
// rounds played.
func (t *Trainer) PlayRound() (int, error) {
	played, err := t.playRound()
	t.round += played
	return played, err
}

// PlayEpisodes plays one episode on every copy of training population k,
// with its scheduled update cycles, and counts it as a round played.
func (t *Trainer) PlayEpisodes(k int) error {
	p := t.games[k]
	t.playEpisodes(k, p)
	t.round++
	if err := p.buf.Err(); err != nil {
		return err
	}
	return t.learner.Err()
}

// UpdateCycle runs one update cycle on training population k now.
func (t *Trainer) UpdateCycle(k int) error {
	t.updateCycle(k, t.games[k])
	return t.learner.Err()
}

// Buffer returns training population k's replay buffer.
func (t *Trainer) Buffer(k int) *replay.Buffer { return t.games[k].buf }

// Curriculum returns the training populations added so far, in order,
// with the rounds played when each was added: every population at round
// 0 without a curriculum.
func (t *Trainer) Curriculum() []CurriculumStep {
	if !t.curr.cfg.On() {
		out := make([]CurriculumStep, len(t.games))
		for k, p := range t.games {
			out[k] = CurriculumStep{0, p.label}
		}
		return out
	}
	return append([]CurriculumStep(nil), t.curr.added...)
}

// Updates returns the update cycles run so far.
func (t *Trainer) Updates() int64 { return t.updates }

// EnvSteps returns the environment steps played so far, over copies and
// populations.
func (t *Trainer) EnvSteps() int64 { return t.envSteps }
