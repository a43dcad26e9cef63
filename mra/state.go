package mra

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/replay"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// StateVersion is the version of the trainer state Save writes; Load reads
// it and refuses newer ones.
// Version 2 adds the open interval's reward sums per agent type.
// Version 3 saves replay buffers in either mode, inline or in segment files
// (replay_io.go); version 2 and 1 states still load.
const StateVersion = 3

// Save writes everything a resumed run needs to continue bit for bit, the
// replay buffers inline; see SaveTo.
func (t *Trainer) Save(e *checkpoint.Encoder) {
	_ = t.save(e, "") // never fails without a folder
}

// SaveTo writes the trainer state as Save does, except that each replay
// buffer goes to append-only segment files in dir (the run folder): only
// the transitions added since the last SaveTo are written, and e gets a
// manifest of the segments. Call PruneSegments once the state written to e
// is safely stored. LoadFrom reads it back.
func (t *Trainer) SaveTo(e *checkpoint.Encoder, dir string) error {
	return t.save(e, dir)
}

// PruneSegments deletes the replay segment files in dir that the last
// SaveTo's manifest no longer names.
func (t *Trainer) PruneSegments(dir string) error {
	for k, p := range t.games {
		if err := p.buf.PruneSegments(dir, segmentPrefix(k)); err != nil {
			return err
		}
	}
	return nil
}

// segmentPrefix names the segment files of training population k.
func segmentPrefix(k int) string { return fmt.Sprintf("replay-%d", k) }

// save writes everything a resumed run needs to continue bit for bit: the
// identity of the run (checked by Load), counters, random generators, the
// networks with their optimizers, the replay buffers (inline when dir is
// "", else in segment files in dir) and the open log interval. Call it
// between rounds (Run always stops there).
func (t *Trainer) save(e *checkpoint.Encoder, dir string) error {
	t.saveIdentity(e)
	e.Bytes(t.learnerState())
	e.Int(t.round)
	e.Uint64(uint64(t.envSteps))
	e.Uint64(uint64(t.updates))
	e.Int(int(t.wall))
	for _, g := range []*rand.PCG{t.actPCG, t.samplePCG} {
		b, _ := g.MarshalBinary() // never fails
		e.Bytes(b)
	}
	for _, s := range []*sum{&t.critic, &t.policy, &t.entropy, &t.mi, &t.ce} {
		e.Float64(s.total)
		e.Int(s.n)
	}
	e.Uint64(uint64(t.intervalSteps))
	e.Int(int(t.intervalWall))
	for k, p := range t.games {
		e.Uint64(uint64(p.steps))
		e.Float64(p.rewardSum)
		e.Uint64(uint64(p.agentSteps))
		if dir == "" {
			p.buf.SaveInline(e)
		} else if err := p.buf.SaveSegmented(e, dir, segmentPrefix(k)); err != nil {
			return err
		}
	}
	for _, p := range t.games {
		e.Float64s(p.typeSum)
		for _, n := range p.typeSteps {
			e.Uint64(uint64(n))
		}
	}
	return e.Err()
}

// saveIdentity writes what must match between a run and its resumption.
func (t *Trainer) saveIdentity(e *checkpoint.Encoder) {
	e.String(t.cfg.Algo)
	e.String(t.setup.Game)
	e.Int(len(t.games))
	for _, p := range t.games {
		e.String(p.label)
	}
	e.Int(t.setup.ParallelEnvs)
	e.Uint64(t.setup.Seed)
	e.Int(t.cfg.Latents)
	e.Int(t.cfg.BufferLength)
}

// Load restores a state written by Save into a trainer built from the same
// scenario. It refuses, naming the difference, a state of another run, and
// leaves the trainer unusable (build a new one) if the data is damaged.
// A state written by SaveTo needs LoadFrom.
func (t *Trainer) Load(data []byte) error { return t.LoadFrom(data, "") }

// LoadFrom is Load for a state written by Save or SaveTo: replay segment
// files are read from dir, and a damaged, missing or foreign one is
// refused, naming the file.
func (t *Trainer) LoadFrom(data []byte, dir string) error {
	d := checkpoint.NewDecoder(data)
	if err := t.checkIdentity(d); err != nil {
		return err
	}
	model := d.Bytes()
	round := d.Int()
	envSteps, updates, wall := int64(d.Uint64()), int64(d.Uint64()), time.Duration(d.Int())
	pcgs := [2]*rand.PCG{rand.NewPCG(0, 0), rand.NewPCG(0, 0)}
	for _, g := range pcgs {
		if err := g.UnmarshalBinary(d.Bytes()); err != nil && d.Err() == nil {
			return fmt.Errorf("mra: random generator state: %w", err)
		}
	}
	var sums [5]sum
	for i := range sums {
		sums[i].total, sums[i].n = d.Float64(), d.Int()
	}
	intervalSteps, intervalWall := int64(d.Uint64()), time.Duration(d.Int())
	if err := d.Err(); err != nil {
		return err
	}
	if err := t.setLearnerState(model); err != nil {
		return err
	}
	for _, p := range t.games {
		p.steps, p.rewardSum, p.agentSteps = int64(d.Uint64()), d.Float64(), int64(d.Uint64())
		if err := p.buf.Load(d, dir); err != nil {
			return err
		}
	}
	// Version 1 ends here: its interval has no sums per type.
	for _, p := range t.games {
		clear(p.typeSum)
		clear(p.typeSteps)
		if d.Remaining() == 0 {
			continue
		}
		sums := d.Float64s()
		if len(sums) != len(p.typeSum) && d.Err() == nil {
			return fmt.Errorf("mra: %d reward sums per type for %s, which has %d types", len(sums), p.label, len(p.typeSum))
		}
		copy(p.typeSum, sums)
		for k := range p.typeSteps {
			p.typeSteps[k] = int64(d.Uint64())
		}
	}
	if err := d.Done(); err != nil {
		return err
	}
	t.round, t.envSteps, t.updates, t.wall = round, envSteps, updates, wall
	*t.actPCG, *t.samplePCG = *pcgs[0], *pcgs[1]
	t.critic, t.policy, t.entropy, t.mi, t.ce = sums[0], sums[1], sums[2], sums[3], sums[4]
	t.intervalSteps, t.intervalWall = intervalSteps, intervalWall
	return nil
}

// identity is what saveIdentity writes.
type identity struct {
	algo, game        string
	labels            []string
	envs              int
	seed              uint64
	latents, capacity int
}

func readIdentity(d *checkpoint.Decoder) identity {
	var id identity
	id.algo, id.game = d.String(), d.String()
	n := d.Int()
	if n < 0 || n > 1024 {
		n = 0
	}
	for range n {
		id.labels = append(id.labels, d.String())
	}
	id.envs, id.seed, id.latents, id.capacity = d.Int(), d.Uint64(), d.Int(), d.Int()
	return id
}

func (t *Trainer) checkIdentity(d *checkpoint.Decoder) error {
	id := readIdentity(d)
	if err := d.Err(); err != nil {
		return err
	}
	return id.check(identity{
		algo: t.cfg.Algo, game: t.setup.Game, labels: t.Labels(), envs: t.setup.ParallelEnvs,
		seed: t.setup.Seed, latents: t.cfg.Latents, capacity: t.cfg.BufferLength,
	})
}

// check refuses a state of identity id where want is expected, naming the
// first setting that differs.
func (id identity) check(want identity) error {
	mismatch := func(what string, got, want any) error {
		return fmt.Errorf("mra: the checkpoint is of a run with %s %v, this scenario has %v", what, got, want)
	}
	switch {
	case id.algo != want.algo:
		return mismatch("algorithm", id.algo, want.algo)
	case id.game != want.game:
		return mismatch("game", id.game, want.game)
	case !slices.Equal(id.labels, want.labels):
		return mismatch("training populations", id.labels, want.labels)
	case id.envs != want.envs:
		return mismatch("parallel_envs", id.envs, want.envs)
	case id.seed != want.seed:
		return mismatch("seed", id.seed, want.seed)
	case id.latents != want.latents:
		return mismatch("latents", id.latents, want.latents)
	case id.capacity != want.capacity:
		return mismatch("buffer_length", id.capacity, want.capacity)
	}
	return nil
}

// checkRunIdentity reads the identity a trainer state starts with from d
// and refuses a state of another run than cfg and setup describe (the
// checks of a resume, for readers that build no trainer: eval, render).
// labels are the training populations' labels.
func checkRunIdentity(d *checkpoint.Decoder, cfg Config, setup Setup, labels []string) error {
	id := readIdentity(d)
	if err := d.Err(); err != nil {
		return fmt.Errorf("mra: reading the run's identity: %w", err)
	}
	if cfg.Algo == AlgoReptile || cfg.Algo == AlgoMADDPG {
		cfg.Latents = 1 // as NewTrainer sets it
	}
	return id.check(identity{
		algo: cfg.Algo, game: setup.Game, labels: labels, envs: setup.ParallelEnvs,
		seed: setup.Seed, latents: cfg.Latents, capacity: cfg.BufferLength,
	})
}

// StateRound returns the rounds played by the trainer state data (written
// by Save or SaveTo) after checking that it is a state of the run cfg and
// setup describe, without building a trainer or reading replay buffers:
// it tells a resume that a run is finished before anything else is done.
func StateRound(cfg Config, setup Setup, data []byte) (int, error) {
	labels, err := setupLabels(setup)
	if err != nil {
		return 0, err
	}
	d := checkpoint.NewDecoder(data)
	if err := checkRunIdentity(d, cfg, setup, labels); err != nil {
		return 0, err
	}
	d.Bytes() // the networks
	round := d.Int()
	if err := d.Err(); err != nil {
		return 0, fmt.Errorf("mra: reading the rounds played: %w", err)
	}
	if round < 0 {
		return 0, fmt.Errorf("mra: the state has played %d rounds", round)
	}
	return round, nil
}

// LoadModel reads the networks out of a trainer state written by Save,
// without building the games or the replay buffers, for evaluation. cfg and
// setup must be those of the run (its scenario). The networks of a float32
// run (cfg.Precision) are returned as a float64 model with the same
// parameters, converted exactly (ModelOf.Float64), so evaluation plays what
// was trained.
func LoadModel(cfg Config, setup Setup, data []byte) (*Model, error) {
	if cfg.Algo == AlgoReptile {
		cfg.Latents = 1
	}
	if len(setup.Populations) == 0 {
		return nil, fmt.Errorf("mra: the run has no training populations")
	}
	reg, err := env.Lookup(setup.Game)
	if err != nil {
		return nil, err
	}
	var feats replay.Features
	var descs [][]float64
	var labels []string
	for k, pop := range setup.Populations {
		g, err := reg.Make(setup.Params, pop)
		if err != nil {
			return nil, err
		}
		if k == 0 {
			feats = replay.GameFeatures(g.Spec())
		}
		descs = append(descs, replay.Descriptor(g.Spec().Population))
		labels = append(labels, g.Spec().Population.String())
	}
	d := checkpoint.NewDecoder(data)
	if err := checkRunIdentity(d, cfg, setup, labels); err != nil {
		return nil, err
	}
	state := d.Bytes()
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("mra: reading the networks: %w", err)
	}
	m, err := newLearner(cfg, feats, descs, rand.New(rand.NewPCG(0, 0)))
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
