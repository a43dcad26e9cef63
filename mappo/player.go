package mappo

import (
	"fmt"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// Player implements learner.Trained: every agent of spec's population
// samples from its type's actor. The player has its own copy of the
// actors, so players may act concurrently.
func (l *Learner) Player(spec *env.Spec, seed uint64) (agents.Policy, error) {
	enc, err := replay.NewEncoding(l.feats, spec)
	if err != nil {
		return nil, fmt.Errorf("mappo: %w", err)
	}
	c, err := New(l.s, l.feats, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	for t, a := range l.actors {
		copy(c.actors[t].params.Value, a.params.Value)
	}
	n, e, d := enc.N, enc.E, enc.D
	p := &player{l: c, enc: enc, self: make([]float64, n*d), ents: make([]float64, n*e*d), present: make([]bool, n*e), graph: make([]float64, n*e), acts: make([]int, n)}
	p.Reseed(seed)
	return p, nil
}

type player struct {
	l          *Learner
	enc        *replay.Encoding
	self, ents []float64
	present    []bool
	graph      []float64
	acts       []int
	rng        *rand.Rand
}

// Reseed restarts the player's draws from seed.
func (p *player) Reseed(seed uint64) { p.rng = rand.New(rand.NewPCG(seed, 0x6d6170706f)) }

// Act implements agents.Policy.
func (p *player) Act(f *env.Frame, actions []int) {
	enc := p.enc
	n, e, d := enc.N, enc.E, enc.D
	for i := range n {
		replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), p.self[i*d:(i+1)*d], p.ents[i*e*d:(i+1)*e*d], p.present[i*e:(i+1)*e])
	}
	p.l.Act(enc, n, p.self, p.ents, p.present, nil, p.rng, p.acts, p.graph)
	p.l.steps = 0 // a player keeps no rollout
	for i := range n {
		if f.Alive[i] {
			actions[i] = p.acts[i]
		}
	}
}

// growKeep returns buf with length n, keeping its contents.
func growKeep(buf []float64, n int) []float64 {
	if cap(buf) < n {
		nb := make([]float64, n, max(n, 2*cap(buf)))
		copy(nb, buf)
		return nb
	}
	return buf[:n]
}

func growKeepBool(buf []bool, n int) []bool {
	if cap(buf) < n {
		nb := make([]bool, n, max(n, 2*cap(buf)))
		copy(nb, buf)
		return nb
	}
	return buf[:n]
}

func growKeepInt(buf []int, n int) []int {
	if cap(buf) < n {
		nb := make([]int, n, max(n, 2*cap(buf)))
		copy(nb, buf)
		return nb
	}
	return buf[:n]
}
