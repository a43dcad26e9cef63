package br

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
	"github.com/mrasim/mrasim/env"
)

// Reseeder is implemented by policies whose randomness can be restarted
// from a seed. When the others' policy given to [Train] implements it,
// Train calls Reseed at the start of every episode (training and
// evaluation) with a seed derived from the episode's seed. The response and
// the baseline then face the same draws of the others on each evaluation
// episode (common random numbers, which narrows the paired interval), and
// the result no longer depends on the policy's state before the call.
//
// Without it, the others' policy draws from wherever its generator stands:
// the evaluation is still paired on the game's seeds and unbiased, and
// Train is still deterministic given seed and the policy's state (a
// freshly built policy with the same seed gives the same result).
type Reseeder interface {
	Reseed(seed uint64)
}

// Result is what [Train] measured. Returns are undiscounted sums of the
// agent's rewards over an episode, whatever Config.Gamma.
type Result struct {
	Agent int // the deviating agent

	// Value is the mean return of the agent playing the trained response
	// (sampling from it) against the others, over EvalEpisodes episodes;
	// ValueCI95 is the half-width of its 95% confidence interval.
	Value, ValueCI95 float64
	// Baseline is the mean return of the agent playing the frozen policy,
	// on the same episode seeds, and BaselineCI95 its half-width.
	Baseline, BaselineCI95 float64
	// Gain is Value − Baseline, the estimated improvement of the agent by
	// deviating (its NashConv term), and GainCI95 the half-width of the
	// paired interval: from the per-episode differences of the two runs.
	Gain, GainCI95 float64

	// Curve holds the mean training return of each gradient step's batch.
	Curve []float64

	// Response is the trained response, for playing it again (see
	// Response.Policy) or inspecting its action probabilities.
	Response *Response
}

// Seed streams: every random number of Train derives from its seed through
// env.SubSeed with one of these stream indices.
const (
	streamInit       = iota // network initialisation
	streamTrainGame         // training episode k: SubSeed(SubSeed(seed, streamTrainGame), k)
	streamTrainPlay         // the response's action samples during training
	streamEvalGame          // evaluation episode k: SubSeed(SubSeed(seed, streamEvalGame), k)
	streamEvalPlay          // the response's action samples during evaluation
	streamOthersFrom        // an episode's others seed: SubSeed(episodeSeed, streamOthersFrom)
)

// Train learns a response for agent against the other agents playing
// others, in a game built by newGame, and evaluates it. others acts for all
// agents at every step of every episode (it may be stateful, for example
// drawing latents at T = 0); the response then overrides the agent's action
// while the agent acts (alive, not terminated, not truncated). All
// randomness comes from seed (see [Reseeder] for the others' own).
//
// Training runs Episodes episodes in gradient steps of Batch episodes (the
// last step takes the remainder). Each step maximises, over the batch's
// decision steps (rows) of the agent,
//
//	J = (1/rows) Σ_rows [ (G_t − b_t)·log π(a_t|x_t) + β·H(π(·|x_t)) ]
//	G_t = Σ_{s≥t} γ^{s−t} r_s                       (returns-to-go, rewards after every step)
//	b_t ← b_t + ρ·(mean of G_t over the batch − b_t)  (after the step; the first batch at t sets b_t)
//
// with Adam (Config.LR) on the gradient clipped to global norm
// Config.GradClip; ρ is Config.BaselineRate and β is Config.Entropy,
// annealed linearly to 0 over the steps when Config.AnnealEntropy is set.
// Steps where the agent does not act carry no loss. With
// Config.ValueBaseline, b_t is instead V(x_t, t/horizon), an MLP of the same
// hidden widths fitted to the returns-to-go by least squares (one clipped
// Adam step per gradient step, after the advantages are taken): a
// state-dependent baseline, which helps where the return depends much on
// the state, at the price of a critic that must first learn.
//
// Evaluation plays EvalEpisodes episodes on seeds never used in training,
// each twice: once with the response sampling for the agent, once with the
// frozen policy (others acting for every agent). The intervals are
// Student-t intervals, t₀.₉₇₅,ₙ₋₁·sd/√n with n = EvalEpisodes.
//
// newGame is called once. Train returns an error for an invalid Config, a
// nil newGame or others, an error from newGame, an agent out of range, or a
// non-finite gradient.
func Train(newGame func() (env.Game, error), others agents.Policy, agent int, cfg Config, seed uint64) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	if newGame == nil || others == nil {
		return Result{}, errors.New("br: Train needs a game constructor and the others' policy, got nil")
	}
	g, err := newGame()
	if err != nil {
		return Result{}, fmt.Errorf("br: building the game: %w", err)
	}
	spec := g.Spec()
	if agent < 0 || agent >= spec.NumAgents() {
		return Result{}, fmt.Errorf("br: agent %d out of range: the game has %d agents (population %v)", agent, spec.NumAgents(), spec.Population)
	}
	t, err := newTrainer(g, others, agent, cfg, seed)
	if err != nil {
		return Result{}, err
	}
	res := Result{Agent: agent, Response: t.resp}
	if res.Curve, err = t.train(); err != nil {
		return Result{}, err
	}
	t.evaluate(&res)
	return res, nil
}

// trainer holds one Train call's game, networks and batch buffers.
type trainer struct {
	cfg    Config
	seed   uint64
	game   env.Game
	frame  *env.Frame
	others agents.Policy
	agent  int
	resp   *Response
	critic *critic // nil: the per-time-step running mean is the baseline
	opt    optim.Optimizer
	rng    *rand.Rand // the response's samples during training
	acts   []int      // joint actions

	// The batch, one row per decision step of the agent.
	inputs  []float64 // rows × inputs
	masks   []bool    // rows × actions
	action  []int     // rows
	step    []int     // rows: the frame's T
	adv     []float64 // rows: the return-to-go, then the advantage
	rewards []float64 // the agent's rewards in the current episode, by step
	rtg     []float64 // returns-to-go of the current episode, by step

	baseline []float64 // by step: the running-mean baseline b_t
	seen     []bool    // by step: b_t has been set
	sum      []float64 // by step: the batch's summed returns-to-go
	count    []int     // by step: the batch's rows

	logp, dlp, dent, dlogits []float64
}

func newTrainer(g env.Game, others agents.Policy, agent int, cfg Config, seed uint64) (*trainer, error) {
	spec := g.Spec()
	initRNG := rand.New(rand.NewPCG(env.SubSeed(seed, streamInit), 0))
	resp := newResponse(spec, agent, cfg.Hidden, initRNG)
	adamCfg := optim.DefaultAdam()
	adamCfg.LR = optim.Constant(cfg.LR)
	adam, err := optim.NewAdam(len(resp.params.Value), adamCfg)
	if err != nil {
		return nil, fmt.Errorf("br: %w", err)
	}
	var crit *critic
	if cfg.ValueBaseline {
		var err error
		if crit, err = newCritic(resp.inputs(), cfg.Hidden, spec.Horizon, cfg, initRNG); err != nil {
			return nil, err
		}
	}
	return &trainer{
		critic: crit,
		cfg:    cfg,
		seed:   seed,
		game:   g,
		frame:  env.NewFrame(spec),
		others: others,
		agent:  agent,
		resp:   resp,
		opt:    &optim.Chain{Transforms: []optim.Transform{&optim.ClipGlobalNorm{MaxNorm: cfg.GradClip}}, Opt: adam},
		rng:    rand.New(rand.NewPCG(env.SubSeed(seed, streamTrainPlay), 0)),
		acts:   make([]int, spec.NumAgents()),
		logp:   make([]float64, resp.actions),
		dlp:    make([]float64, resp.actions),
		dent:   make([]float64, resp.actions),
	}, nil
}

// train runs the training episodes and returns the mean return of each
// gradient step's batch.
func (t *trainer) train() ([]float64, error) {
	steps := (t.cfg.Episodes + t.cfg.Batch - 1) / t.cfg.Batch
	curve := make([]float64, 0, steps)
	gameSeeds := env.SubSeed(t.seed, streamTrainGame)
	episode := 0
	for s := range steps {
		t.clearBatch()
		n := min(t.cfg.Batch, t.cfg.Episodes-episode)
		var total float64
		for range n {
			total += t.play(env.SubSeed(gameSeeds, uint64(episode)))
			episode++
		}
		curve = append(curve, total/float64(n))
		beta := t.cfg.Entropy
		if t.cfg.AnnealEntropy {
			beta *= 1 - float64(s)/float64(steps)
		}
		if err := t.update(beta); err != nil {
			return curve, fmt.Errorf("br: gradient step %d of %d: %w", s+1, steps, err)
		}
	}
	return curve, nil
}

func (t *trainer) clearBatch() {
	t.inputs, t.masks = t.inputs[:0], t.masks[:0]
	t.action, t.step, t.adv = t.action[:0], t.step[:0], t.adv[:0]
}

// play plays one training episode from seed, appends the agent's decision
// steps to the batch with their returns-to-go, and returns the agent's
// undiscounted return.
func (t *trainer) play(seed uint64) float64 {
	f, nin := t.frame, t.resp.inputs()
	t.game.Reset(seed, f)
	reseed(t.others, seed)
	t.rewards = t.rewards[:0]
	first := len(t.action)
	for !f.Done() {
		t.others.Act(f, t.acts)
		if acting(f, t.agent) {
			row := len(t.action)
			t.inputs = slices.Grow(t.inputs, nin)[:(row+1)*nin]
			if a, ok := t.resp.sample(t.rng, f, t.inputs[row*nin:]); ok {
				t.acts[t.agent] = a
				t.masks = append(t.masks, f.AgentActionMask(t.agent)...)
				t.action = append(t.action, a)
				t.step = append(t.step, f.T)
			} else {
				t.inputs = t.inputs[:row*nin] // no legal action: nothing to learn
			}
		}
		t.game.Step(t.acts, f)
		t.rewards = append(t.rewards, f.Reward[t.agent])
	}
	t.rtg = slices.Grow(t.rtg[:0], len(t.rewards))[:len(t.rewards)]
	var g, ret float64
	for s := len(t.rewards) - 1; s >= 0; s-- {
		g = t.rewards[s] + t.cfg.Gamma*g
		t.rtg[s] = g
		ret += t.rewards[s]
	}
	for row := first; row < len(t.action); row++ {
		t.adv = append(t.adv, t.rtg[t.step[row]])
	}
	return ret
}

// reseed restarts the others' randomness for the episode played from
// seed, when the policy allows it.
func reseed(others agents.Policy, seed uint64) {
	if r, ok := others.(Reseeder); ok {
		r.Reseed(env.SubSeed(seed, streamOthersFrom))
	}
}

// update turns the batch's returns-to-go into advantages, updates the
// baseline and takes one clipped Adam step on −J (see Train) with entropy
// coefficient beta.
func (t *trainer) update(beta float64) error {
	if len(t.action) == 0 {
		return nil // the agent never acted: no gradient
	}
	if t.critic != nil {
		if err := t.critic.advantages(t.inputs, t.step, t.adv); err != nil {
			return err
		}
	} else {
		t.advantages()
	}
	t.gradient(beta)
	return t.opt.Step(t.resp.params.Value, t.resp.params.Grad)
}

// gradient writes ∂(−J)/∂θ into the response's gradient vector, for the
// advantages in t.adv and entropy coefficient beta, and returns J.
func (t *trainer) gradient(beta float64) float64 {
	rows, na := len(t.action), t.resp.actions
	t.resp.params.ZeroGrad()
	logits := t.resp.mlp.Forward(t.inputs[:rows*t.resp.inputs()])
	t.dlogits = slices.Grow(t.dlogits[:0], rows*na)[:rows*na]
	scale := 1 / float64(rows)
	var j float64
	for r := range rows {
		maskedLogSoftmax(t.logp, logits[r*na:(r+1)*na], t.masks[r*na:(r+1)*na])
		j += scale * (t.adv[r]*t.logp[t.action[r]] + beta*nn.Entropy(t.logp))
		nn.LogProbGrad(t.dlp, t.logp, t.action[r])
		nn.EntropyGrad(t.dent, t.logp)
		d := t.dlogits[r*na : (r+1)*na]
		for k := range d {
			d[k] = -scale * (t.adv[r]*t.dlp[k] + beta*t.dent[k])
		}
	}
	t.resp.mlp.Backward(t.dlogits)
	return j
}

// advantages replaces the returns-to-go in t.adv by G_t − b_t and then
// moves each b_t towards the batch's mean return-to-go at t.
func (t *trainer) advantages() {
	horizon := 0
	for _, s := range t.step {
		horizon = max(horizon, s+1)
	}
	for len(t.baseline) < horizon {
		t.baseline = append(t.baseline, 0)
		t.seen = append(t.seen, false)
		t.sum = append(t.sum, 0)
		t.count = append(t.count, 0)
	}
	clear(t.sum)
	clear(t.count)
	for r, s := range t.step {
		t.sum[s] += t.adv[r]
		t.count[s]++
	}
	for s, c := range t.count {
		if c > 0 && !t.seen[s] {
			t.baseline[s], t.seen[s] = t.sum[s]/float64(c), true
		}
	}
	for r, s := range t.step {
		t.adv[r] -= t.baseline[s]
	}
	for s, c := range t.count {
		if c > 0 {
			t.baseline[s] += t.cfg.BaselineRate * (t.sum[s]/float64(c) - t.baseline[s])
		}
	}
}
