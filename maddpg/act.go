package maddpg

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/env"
)

// logits runs every type's actor on rows = copies·N agent rows of enc's
// population (row r is agent r % N of copy r / N), as Actor.Act takes
// them, writing the actors' entity attention weights to graph (rows×E;
// the replay buffer stores them in place of MRA's relation graph). The
// logits of row r0 are then ddpgRow(r0).
func (m *MADDPG) logits(enc *replay.Encoding, rows int, self, ents []float64, present []bool, graph []float64) {
	n, e, d := enc.N, enc.E, enc.D
	if rows < 1 || rows%n != 0 || len(self) != rows*d || len(ents) != rows*e*d || len(present) != rows*e ||
		len(graph) != rows*e || enc.D != m.f.D {
		panic(fmt.Sprintf("maddpg: maddpg act with %d rows of N=%d, E=%d, D=%d: inconsistent lengths self %d ents %d present %d graph %d",
			rows, n, e, d, len(self), len(ents), len(present), len(graph)))
	}
	rs := &m.ars
	rs.Layout(enc, rows/n)
	rs.Self = chunk.Grow(rs.Self, rows*d)
	rs.Ents = chunk.Grow(rs.Ents, rows*e*d)
	rs.Mask = chunk.Grow(rs.Mask, rows*e)
	for r0 := range rows {
		r := rs.At[r0]
		copy(rs.Self[r*d:(r+1)*d], self[r0*d:(r0+1)*d])
		copy(rs.Ents[r*e*d:(r+1)*e*d], ents[r0*e*d:(r0+1)*e*d])
		copy(rs.Mask[r*e:(r+1)*e], present[r0*e:(r0+1)*e])
	}
	for t, p := range m.online.actor {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		p.forward(e, rs.TypeSelf(t, rs.Self), rs.Ents[lo*e*d:hi*e*d], rs.Mask[lo*e:hi*e])
		w := p.enc.attn.Weights()
		for r := lo; r < hi; r++ {
			r0 := rs.Sample[r]*n + rs.Agent[r]
			copy(graph[r0*e:(r0+1)*e], w[(r-lo)*e:(r-lo+1)*e])
		}
	}
}

// ddpgRow returns the logits of row r0 of the last logits call.
func (m *MADDPG) ddpgRow(enc *replay.Encoding, r0 int) []float64 {
	rs := &m.ars
	t := enc.Type[r0%enc.N]
	p := m.online.actor[t]
	lo, _ := rs.RowsOf(t)
	r := rs.At[r0] - lo
	return p.logits[r*p.a : (r+1)*p.a]
}

// Act samples the hard Gumbel-softmax action of every row from its type's
// actor: a ~ softmax(ℓ), drawn by inversion with one uniform variate from
// rng per row in row order (the Gumbel-max trick makes the two the same
// distribution). Its arguments are as Actor.Act's without latents; graph
// receives the actors' entity attention weights. It panics if a length is
// inconsistent.
func (m *MADDPG) Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, rng *rand.Rand, actions []int, graph []float64) {
	m.logits(enc, rows, self, ents, present, graph)
	for r0 := range rows {
		l := m.ddpgRow(enc, r0)
		p := m.prob[:len(l)]
		nn.SoftmaxInto(p, l)
		actions[r0] = nn.Sample(rng, p)
	}
}

// Agent plays a trained MADDPG at one population, as an
// agents.Policy: every agent samples from its type's actor. Use one
// Agent per game copy.
type Agent struct {
	m     *MADDPG
	enc   *replay.Encoding
	rng   *rand.Rand
	self  []float64
	ents  []float64
	graph []float64
	pres  []bool
}

// NewAgent returns an agent playing m at spec's population, drawing
// from seed.
func NewAgent(m *MADDPG, spec *env.Spec, seed uint64) (*Agent, error) {
	enc, err := replay.NewEncoding(m.f, spec)
	if err != nil {
		return nil, err
	}
	n := enc.N
	return &Agent{
		m: m, enc: enc, rng: rand.New(rand.NewPCG(seed, 0x6464)),
		self: make([]float64, n*enc.D), ents: make([]float64, n*enc.E*enc.D),
		graph: make([]float64, n*enc.E), pres: make([]bool, n*enc.E),
	}, nil
}

func (a *Agent) encode(f *env.Frame) {
	enc := a.enc
	e, d := enc.E, enc.D
	for i := range enc.N {
		replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), a.self[i*d:(i+1)*d], a.ents[i*e*d:(i+1)*e*d], a.pres[i*e:(i+1)*e])
	}
}

// Act implements agents.Policy.
func (a *Agent) Act(f *env.Frame, actions []int) {
	a.encode(f)
	a.m.Act(a.enc, a.enc.N, a.self, a.ents, a.pres, a.rng, actions, a.graph)
}

// ActionProbs writes the exact action distribution softmax(ℓ_i) of agent i
// in frame f to dst (length: the agent's number of actions). It
// implements agents.Distribution, for exact NashConv in the league.
func (a *Agent) ActionProbs(f *env.Frame, i int, dst []float64) {
	a.encode(f)
	a.m.logits(a.enc, a.enc.N, a.self, a.ents, a.pres, a.graph)
	nn.SoftmaxInto(dst, a.m.ddpgRow(a.enc, i))
}
