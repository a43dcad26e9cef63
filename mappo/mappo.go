// Package mappo is multi-agent PPO (Yu et al., "The Surprising
// Effectiveness of PPO in Cooperative Multi-Agent Games", NeurIPS 2022)
// and its independent form IPPO, registered with the learner registry as
// algorithms "mappo" and "ippo". It is written only against
// agents/learner's interfaces: the shared trainer, checkpoints, resume,
// evaluation and the command drive it without naming it.
//
// Each agent type has one actor, shared by its agents: the count-aware
// entity encoder (see encoder) on the agent's encoded observation and an
// MLP to the action logits. The value function is one network for every
// agent: the same kind of encoder and, for MAPPO, the features of every
// agent of the game copy pooled in the same count-aware way (a centralised
// value over all agents' entity rows), for IPPO the agent's own features
// only. Training is on-policy (learner.OnPolicy): each round's episodes of
// a population are one PPO batch — GAE(γ, λ) per agent, advantages
// normalised, the clipped surrogate with an entropy bonus, the clipped
// value loss on values normalised by the running mean and standard
// deviation of the returns, minibatch epochs — all from agents/ppo, the
// PPO core the league's best response uses too.
package mappo

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
	"github.com/mrasim/mrasim/agents/replay"
)

func init() {
	for _, a := range []struct{ name, summary string }{
		{NameMAPPO, "multi-agent PPO: shared actors per type, a centralised value, a count-aware entity encoder"},
		{NameIPPO, "independent PPO: MAPPO's actors and encoder with per-agent values"},
	} {
		learner.Register(learner.Algorithm{
			Name: a.name, Summary: a.summary,
			New: func(s learner.Settings, b learner.Build) (learner.Learner, error) {
				return newLearner(s.(Settings), b.Features, b.RNG)
			},
			Load:       load,
			DecodeJSON: decodeJSON,
			Keys:       keys,
			Decode:     decode(a.name),
			Memory:     memory,
			Cost:       costs[a.name],
		})
	}
}

// trainee is a learner of either precision, as the registry builds it.
type trainee interface {
	learner.Learner
	learner.OnPolicy
	learner.Trained
}

// newLearner builds a learner in the precision s names.
func newLearner(s Settings, f replay.Features, rng *rand.Rand) (trainee, error) {
	if s.Float32() {
		l, err := NewOf[float32](s, f, rng)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return l, nil
	}
	l, err := NewOf[float64](s, f, rng)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// load builds the networks of settings s and restores them from state, to
// be played.
func load(s learner.Settings, b learner.Build, state []byte) (learner.Trained, error) {
	l, err := newLearner(s.(Settings), b.Features, b.RNG)
	if err != nil {
		return nil, err
	}
	if err := l.SetState(state); err != nil {
		return nil, err
	}
	return l, nil
}

// LearnerOf is MAPPO's (or IPPO's) networks, optimizers and the rollout
// of the round being played, computing in element type T (the settings'
// precision): parameters, gradients, Adam moments, the networks'
// activations and the stored rollout are T; the log-probabilities,
// advantages, returns, losses and statistics are float64 in both. It
// implements learner.Learner, learner.OnPolicy and learner.Trained.
type LearnerOf[T nn.Float] struct {
	s      Settings
	feats  replay.Features
	actors []*net[T] // per agent type
	critic *net[T]
	opts   []*adamClip[T] // per actor, then the critic's
	vn     valueNorm
	err    error

	// The rollout of the population being played: step t's rows are
	// t·rows … (t+1)·rows−1, row c·N+i being agent i of copy c, so that a
	// sample (step, copy) is N consecutive rows.
	enc          *replay.Encoding
	rows, steps  int
	self, ents   []T
	present      []bool
	action       []int
	logp, reward []float64
	acted        []bool

	// Acting scratch.
	typeRows     [][]int // per type: the rows of that type
	typeRowsOf   *replay.Encoding
	typeRowsN    int
	gSelf, gEnts []T
	gPresent     []bool
	lp, prob     []float64
	attn         []float64 // rows·E: the attention weights of the last Act (encoder "attention")

	// Learning scratch.
	vOld, adv, ret, tgt      []float64
	seqR, seqV, seqA, seqRet []float64
	seqLast                  []bool
	seqRow, order, mbRows    []int
	dOut                     []T
	dlp, dent                []float64
}

// Learner is the float64 learner (see LearnerOf).
type Learner = LearnerOf[float64]

// New builds a float64 learner of settings s (whose precision must be
// float64) for games of features f, drawing the initial parameters from
// rng.
func New(s Settings, f replay.Features, rng *rand.Rand) (*Learner, error) {
	return NewOf[float64](s, f, rng)
}

// NewOf is New for element type T, which s's precision must name. A
// float32 learner draws its initial parameters as the float64 one does
// (the same random stream) and rounds them to float32.
func NewOf[T nn.Float](s Settings, f replay.Features, rng *rand.Rand) (*LearnerOf[T], error) {
	if err := s.Check(learner.Setup{}); err != nil {
		return nil, err
	}
	if got, want := s.precision(), precisionOf[T](); got != want {
		return nil, fmt.Errorf("mappo: precision = %q, but a %s learner was asked for", got, want)
	}
	l := &LearnerOf[T]{s: s, feats: f, vn: newValueNorm()}
	newOpt := func(d int, lr float64) (*adamClip[T], error) {
		c := optim.DefaultAdam()
		c.LR, c.Eps = optim.Constant(lr), s.AdamEpsilon
		adam, err := optim.NewAdamOf[T](d, c)
		if err != nil {
			return nil, fmt.Errorf("mappo: %w", err)
		}
		return &adamClip[T]{clip: optim.ClipGlobalNorm{MaxNorm: s.GradClip}, adam: adam, cfg: c}, nil
	}
	for _, a := range f.Actions {
		m := newNet[T](f, &s, a, false, rng)
		opt, err := newOpt(len(m.params.Value), s.LR)
		if err != nil {
			return nil, err
		}
		l.actors = append(l.actors, m)
		l.opts = append(l.opts, opt)
	}
	l.critic = newNet[T](f, &s, 1, s.Central(), rng)
	opt, err := newOpt(len(l.critic.params.Value), s.CriticLR)
	if err != nil {
		return nil, err
	}
	l.opts = append(l.opts, opt)
	l.lp, l.prob, l.dlp, l.dent = make([]float64, f.A), make([]float64, f.A), make([]float64, f.A), make([]float64, f.A)
	return l, nil
}

// precisionOf returns the precision key's value naming T.
func precisionOf[T nn.Float]() string {
	var z T
	if _, ok := any(z).(float32); ok {
		return PrecisionFloat32
	}
	return PrecisionFloat64
}

// adamClip is one network's optimizer in element type T: the global-norm
// gradient clip, then Adam (optim.Chain of ClipGlobalNorm and Adam, for
// either precision).
type adamClip[T nn.Float] struct {
	clip optim.ClipGlobalNorm
	adam *optim.AdamOf[T]
	cfg  optim.AdamConfig
}

// Step clips grad and steps params; it refuses non-finite parameters or
// gradients, leaving params unchanged.
func (o *adamClip[T]) Step(params, grad []T) error {
	for i, v := range params {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return &optim.NonFiniteError{Optimizer: "chain(clip,adam)", Index: i, Value: f, InParams: true}
		}
	}
	if _, err := optim.ClipOf(&o.clip, grad); err != nil {
		return err
	}
	return o.adam.Step(params, grad)
}

// Update implements learner.Learner. MAPPO learns on-policy (Learn), so
// the trainer never runs a replay update cycle for it; a call is a
// misuse, reported through Err.
func (l *LearnerOf[T]) Update(int, []float64, *replay.Buffer, *replay.Batch, *rand.Rand, *learner.Stats) {
	if l.err == nil {
		l.err = errors.New("mappo: learns on-policy from its own rollouts; a replay update cycle was asked of it")
	}
}

// Err implements learner.Learner.
func (l *LearnerOf[T]) Err() error { return l.err }

// Close implements learner.Learner and learner.Trained: MAPPO runs no
// workers.
func (l *LearnerOf[T]) Close() {}
