package mra

import (
	"fmt"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// This file is MRA's side of the learner interface: the algorithms this
// package registers (MRA and its single-population and Reptile modes),
// Config as their learner.Settings, and the
// trainees that run their update cycles for the shared trainer.

func init() {
	for _, a := range []struct {
		name, summary string
		cost          *learner.TrainCost
	}{
		{AlgoMRA, "Meta Representations for Agents: one set of networks trained across the training populations", &mraCost},
		{AlgoSingle, "MRA's networks trained at one population only", &singleCost},
		{AlgoReptile, "first-order meta-learning (Reptile) of one unimodal policy across the training populations", &reptileCost},
	} {
		learner.Register(learner.Algorithm{Name: a.name, Summary: a.summary, New: newMRATrainee, Load: loadModel, DecodeJSON: decodeSettingsJSON,
			Keys: settingsKeys, Decode: decodeSettings(a.name), Memory: memory, Cost: a.cost,
			AdaptMemory: &learner.AdaptMemory{Copies: DefaultAdaptConfig().ParallelEnvs, BytesPerRow: ActivationBytes}})
	}
}

// Markov reports whether a run of these settings is played as a Markov
// policy by the league (its action distribution depends on the current
// frame only): without several latents to draw per episode.
func (c Config) Markov() bool { return c.Latents <= 1 }

// Algorithm implements learner.Settings: the registered name.
func (c Config) Algorithm() string { return c.Algo }

// Schedule implements learner.Settings. Reptile plays one unimodal policy:
// it acts with K = 1.
func (c Config) Schedule() learner.Schedule {
	latents := c.Latents
	if c.Algo == AlgoReptile {
		latents = 1
	}
	return learner.Schedule{BatchSize: c.BatchSize, BufferLength: c.BufferLength, StepsPerUpdate: c.StepsPerUpdate, Latents: latents, Replay: c.Replay, GradientSteps: c.NumUpdates}
}

// Check implements learner.Settings: Validate, and single trains at one
// population.
func (c Config) Check(setup learner.Setup) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Algo == AlgoSingle && len(setup.Populations) != 1 {
		return fmt.Errorf("mra: algorithm %q trains at one population, got %d", AlgoSingle, len(setup.Populations))
	}
	return nil
}

// ConfigOf returns the Config of settings of this package's algorithms
// (a Config, or the *Config a scenario decodes), and false for another
// algorithm's settings.
func ConfigOf(s learner.Settings) (Config, bool) {
	switch s := s.(type) {
	case Config:
		return s, true
	case *Config:
		return *s, true
	}
	return Config{}, false
}

// settingsOf returns the Config behind s with the latents the schedule
// acts with.
func settingsOf(s learner.Settings) (Config, error) {
	cfg, ok := ConfigOf(s)
	if !ok {
		return Config{}, fmt.Errorf("mra: settings of type %T, want mra.Config", s)
	}
	cfg.Latents = cfg.Schedule().Latents
	return cfg, nil
}

// trainee runs MRA's update cycle (and Reptile's meta-steps through
// reptileTrainee) on MRA's model in the configured precision.
type trainee struct {
	m     trainable
	cfg   Config
	games int // training populations
}

func newMRATrainee(s learner.Settings, b learner.Build) (learner.Learner, error) {
	cfg, err := settingsOf(s)
	if err != nil {
		return nil, err
	}
	m, err := newTrainable(cfg, b.Features, b.Descriptors, b.RNG)
	if err != nil {
		return nil, err
	}
	t := &trainee{m: m, cfg: cfg, games: len(b.Descriptors)}
	if cfg.Algo == AlgoReptile {
		return &reptileTrainee{trainee: t}, nil
	}
	return t, nil
}

// BeginEpisodes implements learner.Learner: latents drawn once per agent
// from the prior of the population.
func (t *trainee) BeginEpisodes(_ int, desc []float64, rng *rand.Rand, z []float64) {
	t.m.SampleLatents(desc, rng, z)
}

// Act implements learner.Learner.
func (t *trainee) Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, z []float64, rng *rand.Rand, actions []int, graph []float64) {
	t.m.Act(enc, rows, self, ents, present, z, rng, actions, graph)
}

// Update implements learner.Learner with the official schedule: NumUpdates
// critic and policy steps on fresh batches, then one relation-net
// (diversity) step and a hard target copy, then one prior/classifier step,
// the last two on the last batch.
func (t *trainee) Update(k int, desc []float64, buf *replay.Buffer, b *replay.Batch, rng *rand.Rand, st *learner.Stats) {
	var actorGrad float64
	for range t.cfg.NumUpdates {
		buf.Sample(rng, b)
		st.Critic.Add(t.m.UpdateCritic(b))
		loss, ent := t.m.UpdatePolicies(b)
		st.Policy.Add(loss)
		st.Entropy.Add(ent)
		actorGrad += t.m.Stats().ActorGrad
	}
	st.Modes.ActorGrad.Add(actorGrad / float64(t.cfg.NumUpdates))
	if t.cfg.Latents > 1 {
		st.MI.Add(t.m.UpdateRelation(b, desc, rng))
		s := t.m.Stats()
		st.Modes.MIGradActor.Add(s.MIGradActor)
		st.Modes.MIGradRelation.Add(s.MIGradRelation)
		st.Modes.RelationGrad.Add(s.RelationNorm)
		st.Modes.RelationDecay.Add(s.RelationDecay)
		st.Modes.HeadSpread.Add(s.HeadSpread)
	}
	t.m.SyncTargets()
	if t.cfg.Algo == AlgoMRA && t.games > 1 {
		st.CE.Add(t.m.UpdatePrior(b, k, rng))
		st.Accuracy.Add(t.m.Stats().Accuracy)
	}
}

// Prior implements learner.ModePrior: p(z | m) of the model being trained.
func (t *trainee) Prior(desc, dst []float64) { t.m.Prior(desc, dst) }

// Err implements learner.Learner.
func (t *trainee) Err() error { return t.m.Err() }

// AppendState implements learner.Learner.
func (t *trainee) AppendState(dst []byte) []byte { return t.m.AppendState(dst) }

// SetState implements learner.Learner.
func (t *trainee) SetState(data []byte) error { return t.m.SetState(data) }

// Close implements learner.Learner.
func (t *trainee) Close() { t.m.Close() }

// reptileTrainee adds Reptile's meta-steps (learner.Meta): every
// population plays InnerCycles rounds from θ₀ — the targets re-synced to
// θ₀ and, unless KeepMoments carries them on, the Adam moments reset at
// the start of each population, so no task bootstraps from or keeps the
// momentum of the previous one — and the round ends with
// θ₀ ← θ₀ + ε · mean_k (θ_k − θ₀). Its vectors are allocated by the
// first round and reused by every later one, and the optimizers are reset
// in place: a meta-round allocates nothing after the first.
type reptileTrainee struct {
	*trainee
	theta0, thetaK, acc []float64
	err                 error
}

// InnerRounds implements learner.Meta.
func (r *reptileTrainee) InnerRounds() int { return r.cfg.InnerCycles }

// BeginRound implements learner.Meta: θ₀ is the parameters now.
func (r *reptileTrainee) BeginRound() {
	r.theta0 = r.m.Params(r.theta0[:0])
	if len(r.acc) != len(r.theta0) {
		r.acc = make([]float64, len(r.theta0))
	}
	clear(r.acc)
}

// BeginPopulation implements learner.Meta.
func (r *reptileTrainee) BeginPopulation() error {
	if err := r.m.SetParams(r.theta0); err != nil {
		return err
	}
	r.m.SyncTargets()
	if !r.cfg.KeepMoments {
		r.m.clearOptimizers()
	}
	return nil
}

// EndPopulation implements learner.Meta: it adds θ_k − θ₀.
func (r *reptileTrainee) EndPopulation() {
	r.thetaK = r.m.Params(r.thetaK[:0])
	for i := range r.acc {
		r.acc[i] += r.thetaK[i] - r.theta0[i]
	}
}

// EndRound implements learner.Meta: the meta-step.
func (r *reptileTrainee) EndRound(populations int) error {
	scale := r.cfg.MetaLR / float64(populations)
	for i := range r.theta0 {
		r.theta0[i] += scale * r.acc[i]
	}
	if err := r.m.SetParams(r.theta0); err != nil {
		return err
	}
	r.m.SyncTargets()
	return nil
}

// TrainedModel returns the MRA networks a trainer of one of this package's
// MRA algorithms trains (a float32 run's as an exact float64 copy with
// fresh optimizers, ModelOf.Float64), or nil for another learner.
func TrainedModel(l learner.Learner) *Model {
	var t *trainee
	switch x := l.(type) {
	case *trainee:
		t = x
	case *reptileTrainee:
		t = x.trainee
	default:
		return nil
	}
	if m, ok := t.m.(*Model); ok {
		return m
	}
	m64, err := t.m.Float64()
	if err != nil {
		panic(err) // the trainee's config was validated when its model was built
	}
	return m64
}

// loadModel implements learner.Algorithm.Load for MRA's algorithms.
func loadModel(s learner.Settings, b learner.Build, state []byte) (learner.Trained, error) {
	cfg, err := settingsOf(s)
	if err != nil {
		return nil, err
	}
	m, err := modelFromState(cfg, b, state)
	if err != nil {
		return nil, err
	}
	return trained{m}, nil
}

// modelFromState builds MRA's networks for cfg and b and restores state;
// a float32 run's are returned as a float64 model with the same
// parameters, converted exactly.
func modelFromState(cfg Config, b learner.Build, state []byte) (*Model, error) {
	m, err := newTrainable(cfg, b.Features, b.Descriptors, b.RNG)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if err := m.SetState(state); err != nil {
		return nil, err
	}
	if m64, ok := m.(*Model); ok {
		return m64, nil
	}
	return m.Float64()
}

// LoadModel reads MRA's networks out of a trainer state written by
// learner.Trainer.Save, without building the games or the replay buffers,
// for evaluation. cfg and setup must be those of the run (its scenario).
// The networks of a float32 run (cfg.Precision) are returned as a float64
// model with the same parameters, converted exactly (ModelOf.Float64), so
// evaluation plays what was trained.
func LoadModel(cfg Config, setup learner.Setup, data []byte) (*Model, error) {
	state, b, err := learner.LearnerState(cfg, setup, data)
	if err != nil {
		return nil, err
	}
	cfg.Latents = cfg.Schedule().Latents
	return modelFromState(cfg, b, state)
}

// trained is MRA's networks as the league plays them (learner.Trained,
// Modal, Adapter and Responder).
type trained struct {
	*Model
}

// Player implements learner.Trained: agents with one-hot latents drawn from
// the prior p(z|m) of spec's population (zero-shot at unseen sizes).
func (t trained) Player(spec *env.Spec, seed uint64) (agents.Policy, error) {
	return NewPlayer(t.Model, spec, nil, seed)
}

// ModePlayer implements learner.Modal.
func (t trained) ModePlayer(spec *env.Spec, modes [][]float64, seed uint64) (agents.Policy, error) {
	return NewPlayer(t.Model, spec, modes, seed)
}

// Latents implements learner.ModePriors: K.
func (t trained) Latents() int { return t.Config().Latents }

// PopulationPrior implements learner.ModePriors: p(z | m) at pop.
func (t trained) PopulationPrior(pop env.Population) []float64 {
	p := make([]float64, t.Config().Latents)
	t.Prior(replay.Descriptor(pop), p)
	return p
}

// ResponseNet implements learner.Responder: a copy of the relation net and
// the policy of agent's type (NewResponseNet).
func (t trained) ResponseNet(spec *env.Spec, agent int, z []float64) (learner.ResponseNet, error) {
	return NewResponseNet(t.Model, spec, agent, z)
}

// Adapt implements learner.Adapter with one-hot latents
// (AdaptConfig.OneHot) and no zero-shot evaluation of its own; tune, a
// func(*AdaptConfig), adjusts the rest.
func (t trained) Adapt(newGame func() (env.Game, error), steps, episodes int, tune any, seed uint64) (*learner.Adapted, error) {
	cfg := DefaultAdaptConfig()
	cfg.OneHot = true
	cfg.ZeroShotEpisodes = 0 // zero-shot is judged by the caller, on held-out episodes
	cfg.Steps = steps
	cfg.EpisodesPerStep = episodes
	cfg.EpisodesPerMode = episodes
	if f, ok := tune.(func(*AdaptConfig)); ok && f != nil {
		f(&cfg)
	}
	res, err := Adapt(t.Model, newGame, cfg, seed)
	if err != nil {
		return nil, err
	}
	a := &learner.Adapted{BestModes: res.BestMode, Modes: res.Gradient.Latents}
	for _, e := range res.Gradient.Curve {
		var total float64
		n := 0
		for k, r := range e.Return {
			total += r * float64(res.Agents[k])
			n += res.Agents[k]
		}
		a.Curve = append(a.Curve, total/float64(n))
	}
	return a, nil
}

// Adapts implements learner.Adaptive: MRA with several latents adapts at
// unseen populations.
func (c Config) Adapts() bool { return c.Algo == AlgoMRA && c.Latents > 1 }
