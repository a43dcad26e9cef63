package learner

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
	e.Bytes(t.learner.AppendState(nil))
	e.Int(t.round)
	e.Uint64(uint64(t.envSteps))
	e.Uint64(uint64(t.updates))
	e.Int(int(t.wall))
	for _, g := range []*rand.PCG{t.actPCG, t.samplePCG} {
		b, _ := g.MarshalBinary() // never fails
		e.Bytes(b)
	}
	st := &t.stats
	for _, s := range []*Sum{&st.Critic, &st.Policy, &st.Entropy, &st.MI, &st.CE} {
		e.Float64(s.Total)
		e.Int(s.N)
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
	// Added after the sums per type: the open interval's classifier
	// accuracy (a state without it resumes with none).
	e.Float64(st.Accuracy.Total)
	e.Int(st.Accuracy.N)
	// Added after the accuracy, by runs with a size curriculum only: its
	// settings and state.
	if t.curr.cfg.On() {
		t.curr.save(e)
	}
	// Added after those: the open interval's mode diagnostics, a section
	// opened by its name (modeSection) so that it is not taken for a
	// curriculum's, which opens with its mode. A state without it resumes
	// with none.
	e.String(modeSection)
	for _, s := range st.Modes.sums() {
		e.Float64(s.Total)
		e.Int(s.N)
	}
	return e.Err()
}

// modeSection opens the checkpoint's section of the open interval's mode
// diagnostics.
const modeSection = "mode-diagnostics"

// nextIs reports whether the next value d holds is the string name,
// without consuming it.
func nextIs(d *checkpoint.Decoder, name string) bool {
	probe := *d
	return probe.Remaining() > 0 && probe.String() == name && probe.Err() == nil
}

// saveIdentity writes what must match between a run and its resumption.
func (t *Trainer) saveIdentity(e *checkpoint.Encoder) {
	e.String(t.settings.Algorithm())
	e.String(t.setup.Game)
	e.Int(len(t.games))
	for _, p := range t.games {
		e.String(p.label)
	}
	e.Int(t.setup.ParallelEnvs)
	e.Uint64(t.setup.Seed)
	e.Int(t.sched.Latents)
	e.Int(t.sched.BufferLength)
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
			return fmt.Errorf("learner: random generator state: %w", err)
		}
	}
	var sums [5]Sum
	for i := range sums {
		sums[i].Total, sums[i].N = d.Float64(), d.Int()
	}
	intervalSteps, intervalWall := int64(d.Uint64()), time.Duration(d.Int())
	if err := d.Err(); err != nil {
		return err
	}
	if err := t.learner.SetState(model); err != nil {
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
			return fmt.Errorf("learner: %d reward sums per type for %s, which has %d types", len(sums), p.label, len(p.typeSum))
		}
		copy(p.typeSum, sums)
		for k := range p.typeSteps {
			p.typeSteps[k] = int64(d.Uint64())
		}
	}
	var accuracy Sum
	if d.Remaining() > 0 {
		accuracy.Total, accuracy.N = d.Float64(), d.Int()
	}
	curr := t.curr
	switch {
	case t.curr.cfg.On() && (d.Remaining() == 0 || nextIs(d, modeSection)):
		return fmt.Errorf("learner: the checkpoint is of a run without a size curriculum, this scenario has train.curriculum %q", t.curr.cfg.Mode)
	case t.curr.cfg.On():
		var err error
		if curr, err = t.curr.load(d, t.Labels()); err != nil {
			return err
		}
	}
	var modes ModeSums
	if d.Remaining() > 0 && d.Err() == nil {
		if !nextIs(d, modeSection) {
			return fmt.Errorf("learner: the checkpoint is of a run with a size curriculum (train.curriculum), this scenario has none")
		}
		_ = d.String() // modeSection
		for _, s := range modes.sums() {
			s.Total, s.N = d.Float64(), d.Int()
		}
	}
	if err := d.Done(); err != nil {
		return err
	}
	t.round, t.envSteps, t.updates, t.wall = round, envSteps, updates, wall
	t.curr = curr
	*t.actPCG, *t.samplePCG = *pcgs[0], *pcgs[1]
	t.stats = Stats{Critic: sums[0], Policy: sums[1], Entropy: sums[2], MI: sums[3], CE: sums[4], Accuracy: accuracy, Modes: modes}
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
		algo: t.settings.Algorithm(), game: t.setup.Game, labels: t.Labels(), envs: t.setup.ParallelEnvs,
		seed: t.setup.Seed, latents: t.sched.Latents, capacity: t.sched.BufferLength,
	})
}

// check refuses a state of identity id where want is expected, naming the
// first setting that differs.
func (id identity) check(want identity) error {
	mismatch := func(what string, got, want any) error {
		return fmt.Errorf("learner: the checkpoint is of a run with %s %v, this scenario has %v", what, got, want)
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
func checkRunIdentity(d *checkpoint.Decoder, s Settings, setup Setup, labels []string) error {
	id := readIdentity(d)
	if err := d.Err(); err != nil {
		return fmt.Errorf("learner: reading the run's identity: %w", err)
	}
	sched := s.Schedule()
	return id.check(identity{
		algo: s.Algorithm(), game: setup.Game, labels: labels, envs: setup.ParallelEnvs,
		seed: setup.Seed, latents: sched.Latents, capacity: sched.BufferLength,
	})
}

// StateRound returns the rounds played by the trainer state data (written
// by Save or SaveTo) after checking that it is a state of the run cfg and
// setup describe, without building a trainer or reading replay buffers:
// it tells a resume that a run is finished before anything else is done.
func StateRound(s Settings, setup Setup, data []byte) (int, error) {
	_, labels, err := NewBuild(setup)
	if err != nil {
		return 0, err
	}
	d := checkpoint.NewDecoder(data)
	if err := checkRunIdentity(d, s, setup, labels); err != nil {
		return 0, err
	}
	d.Bytes() // the networks
	round := d.Int()
	if err := d.Err(); err != nil {
		return 0, fmt.Errorf("learner: reading the rounds played: %w", err)
	}
	if round < 0 {
		return 0, fmt.Errorf("learner: the state has played %d rounds", round)
	}
	return round, nil
}

// NewBuild returns the Build of a learner of setup's run (without a random
// stream) and its training populations' labels, as a trainer of setup
// makes and names them, without building games for play or buffers.
func NewBuild(setup Setup) (Build, []string, error) {
	if len(setup.Populations) == 0 {
		return Build{}, nil, fmt.Errorf("learner: the run has no training populations")
	}
	reg, err := env.Lookup(setup.Game)
	if err != nil {
		return Build{}, nil, err
	}
	var b Build
	var labels []string
	for k, pop := range setup.Populations {
		g, err := reg.Make(setup.Params, pop)
		if err != nil {
			return Build{}, nil, err
		}
		if k == 0 {
			b.Features = replay.GameFeatures(g.Spec())
		}
		b.Descriptors = append(b.Descriptors, replay.Descriptor(g.Spec().Population))
		labels = append(labels, g.Spec().Population.String())
	}
	return b, labels, nil
}

// LearnerState returns the learner's part of a trainer state written by
// Save or SaveTo (or its ModelState prefix), after checking that the state
// is of the run s and setup describe, with the Build its learner was made
// from (its RNG a fixed stream: Load overwrites it with the state's).
func LearnerState(s Settings, setup Setup, data []byte) ([]byte, Build, error) {
	b, labels, err := NewBuild(setup)
	if err != nil {
		return nil, Build{}, err
	}
	d := checkpoint.NewDecoder(data)
	if err := checkRunIdentity(d, s, setup, labels); err != nil {
		return nil, Build{}, err
	}
	state := d.Bytes()
	if err := d.Err(); err != nil {
		return nil, Build{}, fmt.Errorf("learner: reading the networks: %w", err)
	}
	b.RNG = rand.New(rand.NewPCG(0, 0))
	return state, b, nil
}

// Load reads the networks out of a trainer state written by Save (or its
// ModelState prefix) into the Trained form of s's algorithm, without
// building the games or the replay buffers, for evaluation. s and setup
// must be those of the run (its scenario).
func Load(s Settings, setup Setup, data []byte) (Trained, error) {
	algo, err := Lookup(s.Algorithm())
	if err != nil {
		return nil, err
	}
	state, b, err := LearnerState(s, setup, data)
	if err != nil {
		return nil, err
	}
	return algo.Load(s, b, state)
}

// ModelState returns the leading part of a trainer state (Trainer.Save)
// that Load reads: the run's identity and its networks, without the replay
// buffers and optimiser state that follow. Load gives the same networks
// from either; a league that only plays a run sends this part to other
// machines (it is a small fraction of a state whose buffers hold tens of
// MB).
func ModelState(data []byte) ([]byte, error) {
	d := checkpoint.NewDecoder(data)
	readIdentity(d)
	d.Bytes()
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("learner: reading the networks: %w", err)
	}
	return data[:len(data)-d.Remaining()], nil
}
