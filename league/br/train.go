package br

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
	"github.com/mrasim/mrasim/agents/ppo"
	"github.com/mrasim/mrasim/env"
)

// Reseeder is implemented by policies whose randomness can be restarted
// from a seed. When the others' policy given to [Train] implements it,
// Train calls Reseed at the start of every episode (training, selection
// and test) with a seed derived from the episode's seed. The response and
// the incumbent then face the same draws of the others on each evaluation
// episode (common random numbers, which narrows the paired interval), and
// the result no longer depends on the policy's state before the call.
// agents.Random and mra.Player implement it.
//
// Without it, the others' policy draws from wherever its generator stands:
// the evaluation is still paired on the game's seeds and unbiased, only
// noisier.
type Reseeder interface {
	Reseed(seed uint64)
}

// Paired is a paired comparison on common episodes: the deviating agent's
// mean episode return playing the response (Value) and playing its frozen
// policy (Baseline), and their difference (Gain), each with the half-width
// of its 95% Student-t interval over Episodes episodes.
type Paired struct {
	Episodes     int     `json:"episodes"`
	Value        float64 `json:"value"`
	ValueCI95    float64 `json:"value_ci95"`
	Baseline     float64 `json:"baseline"`
	BaselineCI95 float64 `json:"baseline_ci95"`
	Gain         float64 `json:"gain"`
	GainCI95     float64 `json:"gain_ci95"`
	GainSE       float64 `json:"gain_se"` // the gain's standard error sd/√Episodes
}

// Candidates of the selection: the incumbent (the frozen policy, whose
// gain is exactly 0) and the deviations tried.
const (
	CandidateIncumbent = "incumbent"
	CandidateResponse  = "response"        // the trained response, sampling
	CandidateGreedy    = "response-greedy" // its most probable action
	CandidateSearch    = "search"          // the search response (see Config.Search)
)

// Result is what [Train] found. Returns are undiscounted sums of the
// agent's rewards over an episode, whatever Config.Gamma.
type Result struct {
	Agent    int       // the deviating agent
	Episodes int       // training episodes played
	Curve    []float64 // the mean training return of each PPO iteration's episodes

	// Selection compares the trained response, sampling (Selection) and
	// greedy (SelectionGreedy: its most probable action), and the search
	// response (SelectionSearch, Episodes 0 when it was not played: see
	// SearchOff) with the incumbent (the frozen policy) on the same
	// SelectEpisodes episodes. Challenger is the candidate of the largest
	// mean gain among them; Chosen says whether it beat the incumbent (a
	// positive mean gain), Choice names the deviation chosen
	// (CandidateIncumbent when none beat it) and Greedy whether it is the
	// greedy response.
	Selection, SelectionGreedy, SelectionSearch Paired
	Challenger, Choice                          string
	Chosen, Greedy                              bool
	// SearchOff says why the search response was not played ("" when it
	// was).
	SearchOff string
	// SearchDecisions and SearchSteps count the search's decisions and
	// rollout steps over selection and test, its cost.
	SearchDecisions, SearchSteps int64
	// Test measures the challenger on TestEpisodes further episodes,
	// disjoint from training and selection, whether or not it was chosen:
	// it is an unbiased estimate of that deviation's gain, and so, in
	// expectation, a lower bound on the agent's best improvement; when the
	// incumbent was kept it still says how large a gain the test could
	// have seen (Detectable).
	Test Paired
	// Gain is the chosen deviation's gain: Test's gain when the challenger
	// was chosen, exactly 0 when the incumbent was kept. GainCI95 and GainSE
	// are always Test's, the uncertainty of the measurement (never a bare 0
	// when the incumbent was kept).
	Gain, GainCI95, GainSE float64

	// Net is the trained response, for playing it again (NewDeviation).
	Net Net
}

// Seed streams: every random number of Train derives from its seed through
// env.SubSeed with one of these stream indices.
const (
	streamInit       = iota // network initialisation
	streamTrainGame         // training episode k: SubSeed(SubSeed(seed, streamTrainGame), k)
	streamTrainPlay         // the response's samples and latents during training
	streamSelectGame        // selection episode k
	streamSelectPlay        // the response's samples during selection
	streamTestGame          // test episode k
	streamTestPlay          // the response's samples during the test
	streamOthersFrom        // an episode's others seed: SubSeed(episodeSeed, streamOthersFrom)
	streamShuffle           // PPO's minibatch permutations
	streamSearch            // the search's decisions in an episode: SubSeed(SubSeed(episodeSeed, streamSearch), T)
)

// Train learns a response for agent against the other agents playing
// others, in a game built by newGame, then chooses between it and the
// incumbent and measures the chosen deviation's gain. others acts for all
// agents at every step of every episode (it may be stateful, for example
// drawing latents at T = 0); the response then overrides the agent's action
// while the agent acts (alive, not terminated, not truncated). The response
// starts from net; nil means a fresh [MLP], uniform at the start. All
// randomness comes from seed (see [Reseeder] for the others' own).
//
// The learner is PPO (Schulman et al. 2017, arXiv 1707.06347) with a
// learned value baseline: each iteration plays Batch episodes, fits the
// critic V(x, t/horizon) (an MLP of two hidden layers of width Hidden, on
// the response's input and the time) and maximises, for Epochs passes of
// Minibatches steps over the iteration's decision rows,
//
//	L = mean_rows [ min(ρ·Â, clip(ρ, 1−ε, 1+ε)·Â) + β·H(π(·|x)) ],   ρ = π(a|x) / π_old(a|x)
//	Â = GAE(γ, λ) of δ_t = r_t + γ·V(x_{t+1}) − V(x_t), normalised to mean 0 and sd 1 per iteration
//
// with the chosen optimizer (Config.Optimizer, learning rate Config.LR) on
// the gradient clipped to global norm Config.GradClip; the critic takes an
// Adam step on the squared error to the GAE returns in the same
// minibatches. During the first ValueWarmup iterations only the critic
// learns. PPO rather than REINFORCE or A2C because the response is usually
// warm-started from a policy that is already good: the clipped ratio keeps
// every update near the policy that collected the data, so a noisy batch
// or a young critic cannot wreck the warm start, and the several epochs
// per batch get more out of each episode than one gradient step does.
//
// Selection then plays SelectEpisodes paired episodes (response and
// incumbent on the same seeds, common random numbers), with the response
// sampling and greedy (a best response can always be deterministic, and
// the greedy policy drops the residual exploration of a finite budget)
// and, with Config.Search, the search response (see searcher: rollouts
// from the game's exact state, with the better of the two as base policy);
// the candidate of the largest mean gain is the challenger, chosen when
// that gain is positive. The challenger is measured on TestEpisodes fresh
// paired episodes whether or not it was chosen (see Result), so that a
// kept incumbent still reports how large a gain the test could have seen.
// The intervals are Student-t intervals t₀.₉₇₅,ₙ₋₁·sd/√n.
//
// newGame is called once, and once more per rollout game of the search.
// Train returns an error for an invalid Config, a nil newGame or others,
// an error from newGame, an agent out of range, a net whose actions do not
// match the agent's, or a non-finite gradient.
func Train(newGame func() (env.Game, error), others agents.Policy, agent int, net Net, cfg Config, seed uint64) (Result, error) {
	cfg, err := cfg.WithDefaults()
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
	if net == nil {
		net = NewMLP(spec, agent, cfg.Hidden, rand.New(rand.NewPCG(env.SubSeed(seed, streamInit), 0)))
	}
	if net.NumActions() != spec.Type(agent).NumActions {
		return Result{}, fmt.Errorf("br: the response has %d actions, agent %d has %d", net.NumActions(), agent, spec.Type(agent).NumActions)
	}
	t, err := newTrainer(g, others, agent, net, cfg, seed)
	if err != nil {
		return Result{}, err
	}
	res := Result{Agent: agent, Episodes: cfg.Episodes, Net: net}
	if res.Curve, err = t.train(); err != nil {
		return Result{}, err
	}
	res.Selection = t.paired(cfg.SelectEpisodes, streamSelectGame, streamSelectPlay, CandidateResponse)
	res.SelectionGreedy = t.paired(cfg.SelectEpisodes, streamSelectGame, streamSelectPlay, CandidateGreedy)
	best := res.Selection.Gain
	res.Challenger = CandidateResponse
	if res.SelectionGreedy.Gain > best {
		res.Challenger, best = CandidateGreedy, res.SelectionGreedy.Gain
	}
	res.SearchOff = "off (Config.Search)"
	if n := spec.NumAgents(); cfg.Search && cfg.SearchMaxAgents > 0 && n > cfg.SearchMaxAgents {
		res.SearchOff = fmt.Sprintf("the population has %d agents, more than search_max_agents = %d (the search's cost grows with N² or faster)", n, cfg.SearchMaxAgents)
	} else if cfg.Search {
		if t.search, res.SearchOff, err = newSearcher(g, newGame, others, agent, net, t.critic, cfg); err != nil {
			return Result{}, err
		}
	}
	if t.search != nil {
		t.search.greedy = res.Challenger == CandidateGreedy // the better of the two plays the rollouts
		res.SelectionSearch = t.paired(cfg.SelectEpisodes, streamSelectGame, streamSelectPlay, CandidateSearch)
		if res.SelectionSearch.Gain > best {
			res.Challenger, best = CandidateSearch, res.SelectionSearch.Gain
		}
	}
	res.Chosen = best > 0
	res.Greedy = res.Chosen && res.Challenger == CandidateGreedy
	res.Choice = CandidateIncumbent
	if res.Chosen {
		res.Choice = res.Challenger
	}
	res.Test = t.paired(cfg.TestEpisodes, streamTestGame, streamTestPlay, res.Challenger)
	res.GainCI95, res.GainSE = res.Test.GainCI95, res.Test.GainSE
	if res.Chosen {
		res.Gain = res.Test.Gain
	}
	if t.search != nil {
		res.SearchDecisions, res.SearchSteps = t.search.Decisions, t.search.Steps
	}
	return res, nil
}

// Detectable returns the smallest gain the test episodes would have found
// with probability 80% (see the function Detectable).
func (r Result) Detectable() float64 {
	return Detectable(r.GainSE, float64(r.Test.Episodes-1))
}

// trainer holds one Train call's game, networks and batch buffers.
type trainer struct {
	cfg    Config
	seed   uint64
	game   env.Game
	frame  *env.Frame
	others agents.Policy
	agent  int
	net    Net
	critic *critic
	opt    optim.Optimizer
	rng    *rand.Rand // the response's samples and latents during training
	perm   *rand.Rand // minibatch permutations
	acts   []int      // joint actions
	search *searcher  // the search response, nil when it is not played

	// The iteration's batch, one row per decision step of the agent, in
	// episode order.
	inputs  []float64 // rows × w
	masks   []bool    // rows × actions
	action  []int
	oldLogp []float64
	step    []int     // the frame's T
	reward  []float64 // rewards from this decision up to the next
	last    []bool    // the episode's last decision
	value   []float64
	adv     []float64
	ret     []float64

	// Minibatch scratch.
	order                    []int // the epochs' permutation of the rows
	mbIn                     []float64
	mbRows                   []int
	logp, dlp, dent, dlogits []float64
	prob                     []float64
	target                   []float64
	mbStep                   []int
}

func newTrainer(g env.Game, others agents.Policy, agent int, net Net, cfg Config, seed uint64) (*trainer, error) {
	spec := g.Spec()
	opt, err := newOptimizer(cfg, len(net.Params()))
	if err != nil {
		return nil, err
	}
	crit, err := newCritic(net.InputLen(), cfg.Hidden, spec.Horizon, cfg, rand.New(rand.NewPCG(env.SubSeed(seed, streamInit), 1)))
	if err != nil {
		return nil, err
	}
	na := net.NumActions()
	return &trainer{
		cfg: cfg, seed: seed, game: g, frame: env.NewFrame(spec), others: others, agent: agent, net: net,
		critic: crit, opt: opt,
		rng:  rand.New(rand.NewPCG(env.SubSeed(seed, streamTrainPlay), 0)),
		perm: rand.New(rand.NewPCG(env.SubSeed(seed, streamShuffle), 0)),
		acts: make([]int, spec.NumAgents()),
		logp: make([]float64, na), dlp: make([]float64, na), dent: make([]float64, na), prob: make([]float64, na),
	}, nil
}

// newOptimizer builds the policy's optimizer: cfg.Optimizer from the
// shared core behind a global-norm clip.
func newOptimizer(cfg Config, d int) (optim.Optimizer, error) {
	var opt optim.Optimizer
	var err error
	lr := optim.Constant(cfg.LR)
	switch cfg.Optimizer {
	case OptAdam, OptAdamW:
		c := optim.DefaultAdam()
		c.LR = lr
		if cfg.Optimizer == OptAdamW {
			c.WeightDecay = 0.01
			opt, err = optim.NewAdamW(d, c)
		} else {
			opt, err = optim.NewAdam(d, c)
		}
	case OptSGD:
		opt, err = optim.NewSGD(d, optim.SGDConfig{LR: lr, Momentum: 0.9})
	case OptMFAC:
		opt, err = optim.NewMFAC(d, optim.MFACConfig{LR: lr, Window: 16, Damping: 1e-3})
	default:
		err = fmt.Errorf("optimizer %q, want one of %v", cfg.Optimizer, Optimizers)
	}
	if err != nil {
		return nil, fmt.Errorf("br: %w", err)
	}
	return &optim.Chain{Transforms: []optim.Transform{&optim.ClipGlobalNorm{MaxNorm: cfg.GradClip}}, Opt: opt}, nil
}

// train runs the training episodes and returns the mean return of each
// iteration's episodes.
func (t *trainer) train() ([]float64, error) {
	iters := (t.cfg.Episodes + t.cfg.Batch - 1) / t.cfg.Batch
	curve := make([]float64, 0, iters)
	gameSeeds := env.SubSeed(t.seed, streamTrainGame)
	episode := 0
	for it := range iters {
		t.clearBatch()
		n := min(t.cfg.Batch, t.cfg.Episodes-episode)
		var total float64
		for range n {
			total += t.play(env.SubSeed(gameSeeds, uint64(episode)))
			episode++
		}
		curve = append(curve, total/float64(n))
		if err := t.update(it >= t.cfg.ValueWarmup); err != nil {
			return curve, fmt.Errorf("br: PPO iteration %d of %d: %w", it+1, iters, err)
		}
	}
	return curve, nil
}

func (t *trainer) clearBatch() {
	t.inputs, t.masks, t.action, t.oldLogp = t.inputs[:0], t.masks[:0], t.action[:0], t.oldLogp[:0]
	t.step, t.reward, t.last = t.step[:0], t.reward[:0], t.last[:0]
}

// play plays one training episode from seed, appends the agent's decision
// rows to the batch, and returns the agent's undiscounted return.
func (t *trainer) play(seed uint64) float64 {
	f, w := t.frame, t.net.InputLen()
	t.game.Reset(seed, f)
	reseed(t.others, seed)
	t.net.Begin(t.rng)
	first := len(t.action)
	var ret float64
	for !f.Done() {
		t.others.Act(f, t.acts)
		if acting(f, t.agent) {
			row := len(t.action)
			t.inputs = slices.Grow(t.inputs, w)[:(row+1)*w]
			in := t.inputs[row*w:]
			t.net.Input(f, in)
			mask := f.AgentActionMask(t.agent)
			if maskedLogSoftmax(t.logp, t.net.Forward(in), mask) {
				for k, lp := range t.logp {
					t.prob[k] = math.Exp(lp)
				}
				a := nn.Sample(t.rng, t.prob)
				t.acts[t.agent] = a
				t.masks = append(t.masks, mask...)
				t.action = append(t.action, a)
				t.oldLogp = append(t.oldLogp, t.logp[a])
				t.step = append(t.step, f.T)
				t.reward = append(t.reward, 0)
				t.last = append(t.last, false)
			} else {
				t.inputs = t.inputs[:row*w] // no legal action: nothing to learn
			}
		}
		t.game.Step(t.acts, f)
		r := f.Reward[t.agent]
		ret += r
		if len(t.action) > first {
			t.reward[len(t.reward)-1] += r
		}
	}
	if len(t.action) > first {
		t.last[len(t.last)-1] = true
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

// update computes the batch's advantages and returns and runs the PPO
// epochs; the policy learns only when learnPolicy is set.
func (t *trainer) update(learnPolicy bool) error {
	rows := len(t.action)
	if rows == 0 {
		return nil // the agent never acted: nothing to learn
	}
	t.value = slices.Grow(t.value[:0], rows)[:rows]
	copy(t.value, t.critic.values(t.inputs, t.step))
	t.gae()
	var err error
	t.order, err = ppo.Epochs(t.order, rows, t.cfg.Epochs, t.cfg.Minibatches, t.perm, func(mb []int) error {
		t.mbRows = append(t.mbRows[:0], mb...)
		if learnPolicy {
			t.policyGradient()
			if err := t.opt.Step(t.net.Params(), t.net.Grad()); err != nil {
				return err
			}
		}
		return t.criticStep()
	})
	return err
}

// gae fills t.adv with the normalised GAE(γ, λ) advantages and t.ret with
// the critic's targets, Â + V before normalisation (agents/ppo).
func (t *trainer) gae() {
	rows := len(t.action)
	t.adv = slices.Grow(t.adv[:0], rows)[:rows]
	t.ret = slices.Grow(t.ret[:0], rows)[:rows]
	ppo.GAE(t.adv, t.ret, t.reward, t.value, t.last, t.cfg.Gamma, t.cfg.Lambda)
	ppo.Normalize(t.adv)
}

// gather copies the minibatch's inputs into t.mbIn.
func (t *trainer) gather() []float64 {
	w := t.net.InputLen()
	t.mbIn = slices.Grow(t.mbIn[:0], len(t.mbRows)*w)[:len(t.mbRows)*w]
	for i, r := range t.mbRows {
		copy(t.mbIn[i*w:(i+1)*w], t.inputs[r*w:(r+1)*w])
	}
	return t.mbIn
}

// policyGradient writes into the net's gradient ∂(−L)/∂θ of the clipped
// surrogate with entropy bonus (see Train) on the minibatch t.mbRows, and
// returns L.
func (t *trainer) policyGradient() float64 {
	na, n := t.net.NumActions(), len(t.mbRows)
	clear(t.net.Grad())
	out := t.net.Forward(t.gather())
	t.dlogits = slices.Grow(t.dlogits[:0], n*na)[:n*na]
	scale, eps, beta := 1/float64(n), t.cfg.Clip, t.cfg.Entropy
	var obj float64
	for i, r := range t.mbRows {
		a := t.action[r]
		maskedLogSoftmax(t.logp, out[i*na:(i+1)*na], t.masks[r*na:(r+1)*na])
		surr, coef := ppo.Surrogate(math.Exp(t.logp[a]-t.oldLogp[r]), t.adv[r], eps)
		obj += scale * (surr + beta*nn.Entropy(t.logp))
		nn.LogProbGrad(t.dlp, t.logp, a)
		nn.EntropyGrad(t.dent, t.logp)
		d := t.dlogits[i*na : (i+1)*na]
		for k := range d {
			d[k] = -scale * (coef*t.dlp[k] + beta*t.dent[k])
		}
	}
	t.net.Backward(t.dlogits)
	return obj
}

// criticStep takes one critic step towards the GAE returns on the
// minibatch.
func (t *trainer) criticStep() error {
	t.target = t.target[:0]
	t.mbStep = t.mbStep[:0]
	for _, r := range t.mbRows {
		t.target = append(t.target, t.ret[r])
		t.mbStep = append(t.mbStep, t.step[r])
	}
	return t.critic.fit(t.gather(), t.mbStep, t.target)
}
