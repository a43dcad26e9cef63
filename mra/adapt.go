package mra

import (
	"errors"
	"fmt"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/stats"
)

// Fast adaptation of a trained model to a population it was not trained on
// (mra.md §5). The paper says only that adaptation "leverages first-order
// gradient information"; the official code has none. Following mra.md §5
// [I], everything the model learnt (θ, φ, critic, ψ) is frozen and only the
// latent is adapted: in [C] φ is trained for diversity only, never for
// return, so choosing the relation mode for the new game is the natural
// target. Three procedures, each played on fresh episodes of the new
// population:
//
//   - zero-shot: every agent draws its latent from the prior p(z|m') of the
//     new population's descriptor, per agent and episode (what the model
//     does by default, and what Player does with nil modes);
//   - best single mode: one-hot modes, the same mode for all agents of a
//     type; see Adapt for multi-type games;
//   - first-order adaptation: soft latents z_t = softmax(ℓ_t), one per type,
//     moved by REINFORCE gradient ascent on the type's mean episode return
//     with respect to the logits ℓ_t, with ∇_z log π from LatentGrad.
//
// With AdaptConfig.OneHot the latents stay one-hot (the league's choice):
// the logits ℓ_t define a categorical distribution over the modes, every
// agent draws its mode from it per episode as it would from the prior, and
// the gradient is the score function of the draws,
//
//	ĝ_t = (1/E) Σ_episodes (W_t − b_t)·Σ_{i of type t} (onehot(k_i) − softmax(ℓ_t))
//
// with W_t the type's mean episode return and b_t its leave-one-out mean
// over the step's other episodes.
//
// Reptile-style steps on ψ toward the adapted latent (a "PriorSteps"
// option) are not implemented: they would change the model, and the
// adapted latents can be played directly (Player.SetLatents).

// Optimizers AdaptConfig.Optimizer accepts.
const (
	AdaptAdam = "adam" // optim.Adam (β = 0.9, 0.999, ε = 1e-8, no decay): steps of about LR per logit, whatever the return scale
	AdaptSGD  = "sgd"  // optim.SGD without momentum: ℓ ← ℓ + LR·ĝ
)

// AdaptConfig sets the budget of Adapt. Start from DefaultAdaptConfig.
type AdaptConfig struct {
	ZeroShotEpisodes int // episodes of the zero-shot evaluation (0 skips it)
	EpisodesPerMode  int // episodes per one-hot mode and type in the best-mode search, and of the chosen modes' evaluation (0 skips the search)

	Steps           int     // gradient steps on the logits (0: only the evaluation at the start)
	EpisodesPerStep int     // episodes per gradient step (0 skips the first-order procedure)
	LR              float64 // learning rate on the logits ℓ
	Optimizer       string  // AdaptAdam or AdaptSGD
	InitBestMode    bool    // start the logits at the best mode (needs the search) instead of log p(z|m')
	InitMass        float64 // with InitBestMode: the softmax mass on the best mode at the start, in (1/K, 1)
	// OneHot keeps latents one-hot while adapting: every agent of type t
	// draws a mode from softmax(ℓ_t) per episode, as in training, and ℓ_t
	// moves by the score-function gradient of the draws (see Adapt);
	// Latents is then the adapted distribution over the modes. Without it
	// every agent plays the soft latent softmax(ℓ_t), which the relation
	// net and the policies never saw in training.
	OneHot bool

	ParallelEnvs int // game copies played at once (newGame is called this many times)
	Workers      int // goroutines stepping the copies (≤ 1: the caller's); results do not depend on it
}

// DefaultAdaptConfig returns the defaults: 12 episodes for the zero-shot
// evaluation and for each mode, 10 Adam steps of learning rate 0.1 on the
// logits with 12 episodes each (the official code's 12 parallel
// environments; mra.md §5 suggests 1–20 steps), started at the prior,
// 12 game copies stepped by one goroutine.
func DefaultAdaptConfig() AdaptConfig {
	return AdaptConfig{
		ZeroShotEpisodes: 12,
		EpisodesPerMode:  12,
		Steps:            10,
		EpisodesPerStep:  12,
		LR:               0.1,
		Optimizer:        AdaptAdam,
		InitMass:         0.9,
		ParallelEnvs:     12,
		Workers:          1,
	}
}

// Validate reports the first value out of its range.
func (c AdaptConfig) Validate() error {
	switch {
	case c.ZeroShotEpisodes < 0 || c.EpisodesPerMode < 0 || c.EpisodesPerStep < 0 || c.Steps < 0:
		return errors.New("mra: adaptation episode and step counts must be ≥ 0")
	case c.ParallelEnvs < 1:
		return fmt.Errorf("mra: adaptation with %d parallel envs, want ≥ 1", c.ParallelEnvs)
	case c.EpisodesPerStep > 0 && c.Steps > 0 && !(c.LR > 0 && !math.IsInf(c.LR, 0)):
		return fmt.Errorf("mra: adaptation learning rate %v, want a finite value > 0", c.LR)
	case c.EpisodesPerStep > 0 && c.Optimizer != AdaptAdam && c.Optimizer != AdaptSGD:
		return fmt.Errorf("mra: adaptation optimizer %q, want %q or %q", c.Optimizer, AdaptAdam, AdaptSGD)
	case c.EpisodesPerStep > 0 && c.InitBestMode && c.EpisodesPerMode == 0:
		return errors.New("mra: adaptation from the best mode needs the mode search (episodes per mode ≥ 1)")
	case c.EpisodesPerStep > 0 && c.InitBestMode && !(c.InitMass > 0 && c.InitMass < 1):
		return fmt.Errorf("mra: adaptation initial mass %v, want a value in (0, 1)", c.InitMass)
	}
	return nil
}

// Evaluation is the outcome of some episodes played with one latent
// assignment.
type Evaluation struct {
	Episodes int
	// Return[t] is type t's mean episode return: the mean over episodes of
	// the mean over the type's agents of the agent's summed rewards (0 for a
	// type with no agents in the population).
	Return []float64
	// StdErr[t] is the standard error of Return[t] over episodes (0 with
	// fewer than 2 episodes).
	StdErr []float64
}

// GradientResult is the outcome of the first-order procedure.
type GradientResult struct {
	InitLogits [][]float64  // ℓ_t per type at the start
	Logits     [][]float64  // ℓ_t after the last step
	Latents    [][]float64  // softmax(ℓ_t) after the last step: the adapted soft latents (for Player.SetLatents)
	Curve      []Evaluation // Curve[s]: the episodes played at the latents after s steps, s = 0 … Steps
	GradNorm   []float64    // per step, the Euclidean norm of the estimated gradient with respect to all logits
}

// AdaptResult reports the procedures Adapt ran; a skipped procedure has
// zero Episodes (and nil slices).
type AdaptResult struct {
	Population string
	Types      []string  // agent types, the index of every per-type slice
	Agents     []int     // agents of each type in the population
	Prior      []float64 // p(z|m') for the population's descriptor m'

	ZeroShot Evaluation

	// Modes[t][j]: type t plays one-hot mode j, the other types draw from
	// the prior (nil for a type with no agents).
	Modes [][]Evaluation
	// BestMode[t] is type t's chosen mode (−1 for a type with no agents);
	// BestModeLatents the matching one-hot latents (nil: prior).
	BestMode        []int
	BestModeLatents [][]float64
	// BestModeEval is a fresh evaluation with every type playing its chosen
	// mode (the search's own numbers are biased up by the choice).
	BestModeEval Evaluation

	Gradient GradientResult
}

// Streams of Adapt's random numbers: environment seeds come from
// SubSeed(seed, streamEnv) and are shared by every procedure (episode j of
// every evaluation plays the same environment seed: common random numbers,
// so that differences between latents are not hidden by environment
// noise); action and latent draws come from SubSeed(SubSeed(seed, proc), i)
// with proc one of the following and i the evaluation's index within it.
const (
	streamEnv = iota
	streamZeroShot
	streamModes
	streamBestMode
	streamGradient
)

// Adapt adapts model to the population of the games newGame builds (a
// population of the model's game, not necessarily one it was trained on)
// with the procedures cfg selects, deterministically from seed (whatever
// cfg.Workers and GOMAXPROCS). The model is not changed; it must not be
// updated or used by Act/LatentGrad concurrently.
//
// The best-mode search varies one type at a time: for each type t and mode
// j, the agents of type t play mode j while the other types draw from the
// prior; type t's best mode is the one with the highest mean return of
// type t. It costs H·K·EpisodesPerMode episodes instead of
// K^H·EpisodesPerMode for the joint search, and for adversarial types it
// picks each type's best reply to the others' zero-shot play, not an
// equilibrium of the mode game. The chosen modes are then evaluated
// together (BestModeEval).
//
// The first-order procedure keeps one logit vector ℓ_t per type, starting
// at log p(z|m') (or, with InitBestMode, at logits giving the best mode the
// mass InitMass and the others equal shares). Every agent of type t plays
// the soft latent z_t = softmax(ℓ_t). Each step plays EpisodesPerStep
// episodes and estimates the gradient of J_t = E[mean return of type t's
// agents] with respect to ℓ_t by REINFORCE:
//
//	ĝ_t = (1/E) Σ_episodes Σ_steps Σ_{i of type t, acting} (W_{t,s} − b_{t,s})·∇_ℓt log π(a_i,s | o_i,s, g_φ(o_i,s, z_t))
//
// where W_{t,s} is the mean over type t's agents of their return-to-go from
// step s (undiscounted rewards of steps s, s+1, …: all of type t's agents
// share ℓ_t, so each action is credited with the whole type's return, which
// makes ĝ_t an unbiased estimate of ∇J_t also when the agents' rewards
// differ) and b_{t,s} the mean of W_{t,s} over the other episodes of the
// step still running at s (a leave-one-out baseline, which keeps the
// estimate unbiased). ∇_z log π comes from LatentGrad and the softmax
// Jacobian gives ∇_ℓ = z ⊙ (∇_z − ⟨z, ∇_z⟩). Each type ascends its own
// return (simultaneous gradient ascent in multi-type games). The optimizer
// (cfg.Optimizer, learning rate cfg.LR) takes a minimisation step on −ĝ.
// The episodes of step s also give Curve[s]; one more batch after the last
// step gives Curve[Steps].
//
// Actions are drawn from the full softmax of each policy, as in training
// (action masks are not applied). It returns an error for an invalid cfg,
// a newGame error or a population the model's features do not fit.
func Adapt(model *Model, newGame func() (env.Game, error), cfg AdaptConfig, seed uint64) (AdaptResult, error) {
	if err := cfg.Validate(); err != nil {
		return AdaptResult{}, err
	}
	ad, err := newAdapter(model, newGame, cfg, seed)
	if err != nil {
		return AdaptResult{}, err
	}
	h, k := len(model.f.Types), model.cfg.Latents
	res := AdaptResult{
		Population: ad.enc.Spec.Population.String(),
		Types:      append([]string(nil), model.f.Types...),
		Agents:     append([]int(nil), ad.nk...),
		Prior:      make([]float64, k),
	}
	model.Prior(ad.desc, res.Prior)
	prior := make([][]float64, h) // all nil: every type draws from the prior

	if cfg.ZeroShotEpisodes > 0 {
		res.ZeroShot = ad.evaluate(cfg.ZeroShotEpisodes, prior, env.SubSeed(env.SubSeed(seed, streamZeroShot), 0), nil)
	}

	if cfg.EpisodesPerMode > 0 {
		res.Modes = make([][]Evaluation, h)
		res.BestMode = make([]int, h)
		res.BestModeLatents = make([][]float64, h)
		assign := make([][]float64, h)
		for t := range h {
			res.BestMode[t] = -1
			if ad.nk[t] == 0 {
				continue
			}
			res.Modes[t] = make([]Evaluation, k)
			best := math.Inf(-1)
			for j := range k {
				assign[t] = oneHot(k, j)
				ev := ad.evaluate(cfg.EpisodesPerMode, assign, env.SubSeed(env.SubSeed(seed, streamModes), uint64(t*k+j)), nil)
				res.Modes[t][j] = ev
				if ev.Return[t] > best {
					best, res.BestMode[t] = ev.Return[t], j
				}
			}
			assign[t] = nil
			res.BestModeLatents[t] = oneHot(k, res.BestMode[t])
		}
		res.BestModeEval = ad.evaluate(cfg.EpisodesPerMode, res.BestModeLatents, env.SubSeed(env.SubSeed(seed, streamBestMode), 0), nil)
	}

	if cfg.EpisodesPerStep > 0 {
		gradient := ad.gradient
		if cfg.OneHot {
			gradient = ad.scoreGradient
		}
		gr, err := gradient(cfg, res.BestMode, env.SubSeed(seed, streamGradient))
		if err != nil {
			return AdaptResult{}, err
		}
		res.Gradient = gr
	}
	return res, nil
}

// oneHot returns the one-hot vector of length k at j.
func oneHot(k, j int) []float64 {
	z := make([]float64, k)
	z[j] = 1
	return z
}

// adapter plays episodes of one population with given latents, recording
// what the gradient needs.
type adapter struct {
	model   *Model
	actor   *Actor
	enc     *replay.Encoding
	desc    []float64
	nk      []int // agents per type
	games   []env.Game
	frames  []*env.Frame
	acts    [][]int // per copy: its actions
	workers int
	envSeed uint64

	// Acting scratch over the active copies (rows = active·N).
	self, ents []float64
	present    []bool
	z          []float64 // copies·N×K: the latents of each copy's episode
	zRows      []float64 // active·N×K
	actions    []int
	graph      []float64
	active     []int // copies still playing

	// One-hot adaptation: when dist is set, play draws each agent's mode
	// from dist[type] per episode and records it in drawn (episodes×N).
	dist  [][]float64
	drawn []int
}

func newAdapter(model *Model, newGame func() (env.Game, error), cfg AdaptConfig, seed uint64) (*adapter, error) {
	ad := &adapter{model: model, actor: model.NewActor(), workers: max(1, min(cfg.Workers, cfg.ParallelEnvs)), envSeed: env.SubSeed(seed, streamEnv)}
	for c := range cfg.ParallelEnvs {
		g, err := newGame()
		if err != nil {
			return nil, err
		}
		if c == 0 {
			if ad.enc, err = replay.NewEncoding(model.Features(), g.Spec()); err != nil {
				return nil, err
			}
		} else if !g.Spec().Population.Equal(ad.enc.Spec.Population) {
			return nil, fmt.Errorf("mra: newGame built populations %v and %v", ad.enc.Spec.Population, g.Spec().Population)
		}
		ad.games = append(ad.games, g)
		ad.frames = append(ad.frames, env.NewFrame(g.Spec()))
		ad.acts = append(ad.acts, make([]int, g.Spec().NumAgents()))
	}
	enc := ad.enc
	ad.desc = replay.Descriptor(enc.Spec.Population)
	ad.nk = make([]int, len(enc.Types))
	for _, t := range enc.Type {
		ad.nk[t]++
	}
	rows := cfg.ParallelEnvs * enc.N
	k := model.cfg.Latents
	ad.self = make([]float64, rows*enc.D)
	ad.ents = make([]float64, rows*enc.E*enc.D)
	ad.present = make([]bool, rows*enc.E)
	ad.z = make([]float64, rows*k)
	ad.zRows = make([]float64, rows*k)
	ad.actions = make([]int, rows)
	ad.graph = make([]float64, rows*enc.E)
	return ad, nil
}

// trace records every acting step of a gradient batch: blocks of N rows,
// one block per (episode, step).
type trace struct {
	self, ents []float64
	present    []bool
	z          []float64
	action     []int
	acting     []bool    // per row: the agent was alive and not done when it acted
	reward     []float64 // per row: the agent's reward for the step
	episode, t []int     // per block
}

func (tr *trace) reset() {
	tr.self, tr.ents, tr.present, tr.z = tr.self[:0], tr.ents[:0], tr.present[:0], tr.z[:0]
	tr.action, tr.acting, tr.reward = tr.action[:0], tr.acting[:0], tr.reward[:0]
	tr.episode, tr.t = tr.episode[:0], tr.t[:0]
}

// evaluate plays episodes with the latents assign (per type; nil draws from
// the prior per agent and episode) and summarises the returns.
func (ad *adapter) evaluate(episodes int, assign [][]float64, actSeed uint64, tr *trace) Evaluation {
	return ad.summarise(ad.play(episodes, assign, actSeed, tr), episodes)
}

// play plays episodes with the latents assign, drawing actions and prior
// latents from actSeed, and returns every agent's episode return
// (episodes×N). Episode j resets its copy with SubSeed(envSeed, j). With tr
// it records every step.
func (ad *adapter) play(episodes int, assign [][]float64, actSeed uint64, tr *trace) []float64 {
	enc := ad.enc
	n, e, d, k := enc.N, enc.E, enc.D, ad.model.cfg.Latents
	rng := rand.New(rand.NewPCG(actSeed, 0x61646170))
	sample := false
	for _, z := range assign {
		sample = sample || z == nil
	}
	if ad.dist != nil {
		ad.drawn = chunk.Grow(ad.drawn, episodes*n)
	}
	ret := make([]float64, episodes*n)
	for done := 0; done < episodes; {
		c := min(len(ad.games), episodes-done)
		for cc := range c {
			ad.games[cc].Reset(env.SubSeed(ad.envSeed, uint64(done+cc)), ad.frames[cc])
			zc := ad.z[cc*n*k : (cc+1)*n*k]
			if sample {
				ad.model.SampleLatents(ad.desc, rng, zc)
			}
			for i := range n {
				if zt := assign[enc.Type[i]]; zt != nil {
					copy(zc[i*k:(i+1)*k], zt)
				}
				if ad.dist != nil {
					mode := drawMode(rng, ad.dist[enc.Type[i]])
					clear(zc[i*k : (i+1)*k])
					zc[i*k+mode] = 1
					ad.drawn[(done+cc)*n+i] = mode
				}
			}
		}
		for {
			ad.active = ad.active[:0]
			for cc := range c {
				if !ad.frames[cc].Done() {
					ad.active = append(ad.active, cc)
				}
			}
			if len(ad.active) == 0 {
				break
			}
			for p, cc := range ad.active {
				f := ad.frames[cc]
				for i := range n {
					r := p*n + i
					replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), ad.self[r*d:(r+1)*d], ad.ents[r*e*d:(r+1)*e*d], ad.present[r*e:(r+1)*e])
				}
				copy(ad.zRows[p*n*k:(p+1)*n*k], ad.z[cc*n*k:(cc+1)*n*k])
			}
			rows := len(ad.active) * n
			ad.actor.Act(enc, rows, ad.self[:rows*d], ad.ents[:rows*e*d], ad.present[:rows*e], ad.zRows[:rows*k], rng, ad.actions[:rows], ad.graph[:rows*e])
			for p, cc := range ad.active {
				copy(ad.acts[cc], ad.actions[p*n:(p+1)*n])
				if tr == nil {
					continue
				}
				f := ad.frames[cc]
				tr.self = append(tr.self, ad.self[p*n*d:(p+1)*n*d]...)
				tr.ents = append(tr.ents, ad.ents[p*n*e*d:(p+1)*n*e*d]...)
				tr.present = append(tr.present, ad.present[p*n*e:(p+1)*n*e]...)
				tr.z = append(tr.z, ad.zRows[p*n*k:(p+1)*n*k]...)
				tr.action = append(tr.action, ad.actions[p*n:(p+1)*n]...)
				for i := range n {
					tr.acting = append(tr.acting, f.Alive[i] && !f.Terminated[i] && !f.Truncated[i])
				}
				tr.episode = append(tr.episode, done+cc)
				tr.t = append(tr.t, f.T)
			}
			ad.step()
			for p, cc := range ad.active {
				f := ad.frames[cc]
				for i, r := range f.Reward {
					ret[(done+cc)*n+i] += r
				}
				if tr != nil {
					// The blocks of this step are the last len(active).
					b := len(tr.episode) - len(ad.active) + p
					copy(tr.rewardBlock(b, n), f.Reward)
				}
			}
		}
		done += c
	}
	return ret
}

// rewardBlock returns the reward rows of block b, growing tr.reward to
// cover it.
func (tr *trace) rewardBlock(b, n int) []float64 {
	for len(tr.reward) < (b+1)*n {
		tr.reward = append(tr.reward, 0)
	}
	return tr.reward[b*n : (b+1)*n]
}

// step steps the active copies, on up to ad.workers goroutines. Each copy
// is stepped by exactly one goroutine from its own actions, so the result
// does not depend on the number of workers.
func (ad *adapter) step() {
	act := ad.active
	w := min(ad.workers, len(act))
	if w <= 1 {
		for _, cc := range act {
			ad.games[cc].Step(ad.acts[cc], ad.frames[cc])
		}
		return
	}
	var wg sync.WaitGroup
	for g := range w {
		part := act[g*len(act)/w : (g+1)*len(act)/w]
		wg.Go(func() {
			for _, cc := range part {
				ad.games[cc].Step(ad.acts[cc], ad.frames[cc])
			}
		})
	}
	wg.Wait()
}

// summarise turns episode returns (episodes×N) into per-type means and
// standard errors.
func (ad *adapter) summarise(ret []float64, episodes int) Evaluation {
	enc := ad.enc
	n, h := enc.N, len(ad.nk)
	ev := Evaluation{Episodes: episodes, Return: make([]float64, h), StdErr: make([]float64, h)}
	per := make([]float64, episodes)
	for t := range h {
		if ad.nk[t] == 0 {
			continue
		}
		for ep := range episodes {
			var s float64
			for i := range n {
				if enc.Type[i] == t {
					s += ret[ep*n+i]
				}
			}
			per[ep] = s / float64(ad.nk[t])
		}
		ev.Return[t], ev.StdErr[t] = meanStdErr(per)
	}
	return ev
}

// meanStdErr returns the mean of x and its standard error
// (stats.MeanSE; 0 for fewer than 2 values).
func meanStdErr(x []float64) (mean, se float64) {
	mean, se = stats.MeanSE(x)
	if len(x) < 2 {
		return mean, 0
	}
	return mean, se
}
