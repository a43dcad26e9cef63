package mappo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// Player implements learner.Trained: every agent of spec's population
// samples from its type's actor. The player has its own copy of the
// actors, so players may act concurrently. It computes in the learner's
// precision.
//
// With encoder "attention" the policy also shows each agent's attention
// weights (RelationGraph), which mrasim render draws as it draws MRA's
// relation graphs.
func (l *LearnerOf[T]) Player(spec *env.Spec, seed uint64) (agents.Policy, error) {
	p, err := l.player(spec, seed)
	if err != nil {
		return nil, err
	}
	if l.s.Encoder == EncoderAttention {
		return &attentionPlayer[T]{p}, nil
	}
	return p, nil
}

// player returns a player of spec's population acting with a copy of the
// learner's actors.
func (l *LearnerOf[T]) player(spec *env.Spec, seed uint64) (*player[T], error) {
	enc, err := replay.NewEncoding(l.feats, spec)
	if err != nil {
		return nil, fmt.Errorf("mappo: %w", err)
	}
	c, err := NewOf[T](l.s, l.feats, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	for t, a := range l.actors {
		copy(c.actors[t].params.Value, a.params.Value)
	}
	n, e, d := enc.N, enc.E, enc.D
	p := &player[T]{l: c, enc: enc, self: make([]float64, n*d), ents: make([]float64, n*e*d), present: make([]bool, n*e), graph: make([]float64, n*e), acts: make([]int, n)}
	p.Reseed(seed)
	return p, nil
}

// player is the policy of LearnerOf.Player.
type player[T nn.Float] struct {
	l          *LearnerOf[T]
	enc        *replay.Encoding
	self, ents []float64
	present    []bool
	graph      []float64
	acts       []int
	rng        *rand.Rand
	acted      bool
}

// Reseed restarts the player's draws from seed.
func (p *player[T]) Reseed(seed uint64) { p.rng = rand.New(rand.NewPCG(seed, 0x6d6170706f)) }

// encode encodes every agent's observation of f.
func (p *player[T]) encode(f *env.Frame) {
	enc := p.enc
	n, e, d := enc.N, enc.E, enc.D
	for i := range n {
		replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), p.self[i*d:(i+1)*d], p.ents[i*e*d:(i+1)*e*d], p.present[i*e:(i+1)*e])
	}
}

// Act implements agents.Policy.
func (p *player[T]) Act(f *env.Frame, actions []int) {
	n := p.enc.N
	p.encode(f)
	p.l.Act(p.enc, n, p.self, p.ents, p.present, nil, p.rng, p.acts, p.graph)
	p.l.steps = 0 // a player keeps no rollout
	p.acted = true
	for i := range n {
		if f.Alive[i] {
			actions[i] = p.acts[i]
		}
	}
}

// attentionPlayer is the player of an "attention" encoder: it shows the
// attention weights its agents acted with.
type attentionPlayer[T nn.Float] struct{ *player[T] }

// RelationGraph returns the attention weights agent i's actor acted with
// at the last Act: E weights in the order of its observation's entity
// blocks, each entity set's softmax scaled by 1/S for the S sets with an
// entity present, so that they sum to 1 (masked and padding rows hold 0).
// It returns nil before the first Act. The slice is the player's own
// buffer, valid until the next Act.
func (p *attentionPlayer[T]) RelationGraph(i int) []float64 {
	if !p.acted {
		return nil
	}
	e := p.enc.E
	return p.graph[i*e : (i+1)*e : (i+1)*e]
}

// Latent returns nil: MAPPO's agents have no latent mode.
func (p *attentionPlayer[T]) Latent(int) []float64 { return nil }

// ActionProbs implements agents.Distribution: agent i's action
// probabilities at frame f (dst: its type's actions), those Act samples
// from, computed on agent i's row alone. It draws nothing.
func (p *player[T]) ActionProbs(f *env.Frame, i int, dst []float64) {
	p.encode(f)
	l, enc := p.l, p.enc
	e, d := enc.E, enc.D
	t := enc.Type[i]
	na := l.feats.Actions[t]
	l.gSelf, l.gEnts, l.gPresent = grow(l.gSelf, d), grow(l.gEnts, e*d), grow(l.gPresent, e)
	chunk.Convert(l.gSelf, p.self[i*d:(i+1)*d])
	chunk.Convert(l.gEnts, p.ents[i*e*d:(i+1)*e*d])
	copy(l.gPresent, p.present[i*e:(i+1)*e])
	out := l.actors[t].forward(1, e, l.gSelf, l.gEnts, l.gPresent)
	lp := l.lp[:na]
	logSoftmax(lp, out[:na])
	for a, v := range lp {
		dst[a] = math.Exp(v)
	}
}

// growKeep returns buf with length n, keeping its contents.
func growKeep[E any](buf []E, n int) []E {
	if cap(buf) < n {
		nb := make([]E, n, max(n, 2*cap(buf)))
		copy(nb, buf)
		return nb
	}
	return buf[:n]
}
