package maddpg

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// This file is the paper's protocol of MADDPG (sharing = "per_population"):
// one independent set of networks, targets, optimisers and random stream
// per training population, each acting in and updated on its own
// population's episodes only. Nothing is shared across sizes.

// Values of Settings.Sharing.
const (
	// SharingShared is the default: one set of networks for every
	// training population (the attention actor and critic serve every
	// size), updated on each population's batches in turn. Runs record it
	// as the absent key.
	SharingShared = "shared"
	// SharingPerPopulation is the MADDPG paper's protocol (Lowe et al.
	// 2017 train one game at a time): one independent set of networks per
	// training population.
	SharingPerPopulation = "per_population"
)

// populations is MADDPG with sharing = "per_population": nets[k] are
// training population k's networks. Their parameters are drawn from the
// build's random stream in population order, so nets[0] are the networks
// the shared learner would draw, and a run at one population is the
// shared learner's bit for bit. It implements learner.Learner and
// learner.Trained.
type populations struct {
	nets  []*MADDPG
	descs [][]float64 // training population k's descriptor (replay.Descriptor)
	cur   int         // the population whose episodes are being played
}

// newPopulations builds one MADDPG per descriptor of b, from b.RNG in
// population order.
func newPopulations(cfg Settings, b learner.Build) (*populations, error) {
	if len(b.Descriptors) == 0 {
		return nil, fmt.Errorf("maddpg: sharing = %q needs at least one training population", SharingPerPopulation)
	}
	p := &populations{descs: b.Descriptors}
	for range b.Descriptors {
		m, err := NewMADDPG(cfg, b.Features, b.RNG)
		if err != nil {
			return nil, err
		}
		p.nets = append(p.nets, m)
	}
	return p, nil
}

// Nets returns the networks of each training population of a learner of
// sharing = "per_population", in the order of the training populations,
// or nil for another learner.
func Nets(l any) []*MADDPG {
	if p, ok := l.(*populations); ok {
		return p.nets
	}
	return nil
}

// BeginEpisodes implements learner.Learner: it notes which population's
// networks act until the next call (MADDPG has no latents).
func (p *populations) BeginEpisodes(k int, _ []float64, _ *rand.Rand, _ []float64) { p.cur = k }

// Act implements learner.Learner: the networks of the population being
// played act.
func (p *populations) Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, _ []float64, rng *rand.Rand, actions []int, graph []float64) {
	p.nets[p.cur].Act(enc, rows, self, ents, present, rng, actions, graph)
}

// Update implements learner.Learner: population k's update cycle, on its
// own networks only.
func (p *populations) Update(k int, desc []float64, buf *replay.Buffer, b *replay.Batch, rng *rand.Rand, st *learner.Stats) {
	trainee{p.nets[k]}.Update(k, desc, buf, b, rng, st)
}

// Err implements learner.Learner: the first population's error.
func (p *populations) Err() error {
	for _, m := range p.nets {
		if err := m.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Close implements learner.Learner and learner.Trained.
func (p *populations) Close() {
	for _, m := range p.nets {
		m.Close()
	}
}

// The per-population state, little-endian: "MADDPGPP" | version uint32 |
// the number of populations (Uint64) | each population's MADDPG state
// (Bytes, as MADDPG.AppendState writes it) | CRC-32 (IEEE) of everything
// before, uint32.
const (
	populationsMagic   = "MADDPGPP"
	populationsVersion = 1
)

// AppendState implements learner.Learner: every population's complete
// state, so that a restored learner continues bit for bit.
func (p *populations) AppendState(dst []byte) []byte {
	header := binary.LittleEndian.AppendUint32([]byte(populationsMagic), populationsVersion)
	return checkpoint.AppendFramed(dst, header, func(e *checkpoint.Encoder) {
		e.Uint64(uint64(len(p.nets)))
		for _, m := range p.nets {
			e.Bytes(m.AppendState(nil))
		}
	})
}

// SetState implements learner.Learner: it restores every population's
// networks from a state AppendState wrote for the same populations and
// shapes, or returns an error wrapping ErrState and changes nothing.
func (p *populations) SetState(data []byte) error {
	head := len(populationsMagic) + 4
	if len(data) < head+4 || string(data[:len(populationsMagic)]) != populationsMagic {
		if len(data) >= len(stateMagic) && string(data[:len(stateMagic)]) == stateMagic {
			return fmt.Errorf("%w: a state of shared networks (sharing = %q), this learner has one set per population (sharing = %q)", ErrState, SharingShared, SharingPerPopulation)
		}
		return fmt.Errorf("%w: not a per-population maddpg state", ErrState)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return fmt.Errorf("%w: checksum mismatch (corrupted)", ErrState)
	}
	if v := binary.LittleEndian.Uint32(body[len(populationsMagic):]); v != populationsVersion {
		return fmt.Errorf("%w: per-population maddpg state version %d, want %d", ErrState, v, populationsVersion)
	}
	d := checkpoint.NewDecoder(body[head:])
	if n := d.Uint64(); d.Err() == nil && n != uint64(len(p.nets)) {
		return fmt.Errorf("%w: %d populations' networks in the state, the learner trains %d", ErrState, n, len(p.nets))
	}
	states := make([][]byte, len(p.nets))
	for k := range states {
		states[k] = d.Bytes()
	}
	if err := d.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	// Restore into fresh copies first, so that a bad k-th state leaves
	// every population unchanged.
	fresh := make([]*MADDPG, len(p.nets))
	for k, m := range p.nets {
		c, err := NewMADDPG(m.cfg, m.f, rand.New(rand.NewPCG(0, 0)))
		if err != nil {
			return err
		}
		if err := c.SetState(states[k]); err != nil {
			return fmt.Errorf("population %d: %w", k, err)
		}
		fresh[k] = c
	}
	for k, m := range p.nets {
		m.Close()
		p.nets[k] = fresh[k]
	}
	return nil
}

// Player implements learner.Trained. At a training population its own
// networks play. At another population (the paper's protocol trains at
// the test size, so this is an extension) the networks of the nearest
// training population play: the least sum over agent types of the
// difference in counts, the earlier training population on a tie. The
// attention actor takes any number of entities, so every population of
// the game can be played.
func (p *populations) Player(spec *env.Spec, seed uint64) (agents.Policy, error) {
	return NewAgent(p.nets[p.Nearest(spec.Population)], spec, seed)
}

// Nearest returns the index of the training population whose networks
// play population pop: pop itself when it is one, else the nearest by
// the sum over agent types of |count − training count| (types matched by
// position, as replay.Descriptor lists them), the earlier on a tie.
func (p *populations) Nearest(pop env.Population) int {
	want := replay.Descriptor(pop)
	best, bestDist := 0, math.Inf(1)
	for k, d := range p.descs {
		var dist float64
		for i := range max(len(d), len(want)) {
			var a, b float64
			if i < len(d) {
				a = d[i]
			}
			if i < len(want) {
				b = want[i]
			}
			dist += math.Abs(a - b)
		}
		if dist < bestDist-1e-12 {
			best, bestDist = k, dist
		}
	}
	return best
}
