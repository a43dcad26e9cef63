package mra

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
)

// policyNet is the policy π_θ(a | o, g) of one agent type:
//
//	v_j = value(ent_ij)         D → Hidden → ReLU → ValueDim   (22 → 32 → 64)
//	e_i = Σ_j g_ij·v_j          the relational embedding
//	π_i = softmax(head(e_i))    ValueDim → Hidden → ReLU → A_k (64 → 32 → 5)
//
// The policy sees its own row only through g (the official code's quirk).
// With Config.PolicySeesSelf the head takes [e_i ; s_i], the embedding and
// the agent's own self row s_i: ValueDim+D → Hidden → ReLU → A_k.
// Config.RelationPooling may make e_i count-aware (pooling.go): c_i·e_i,
// or [e_i ; ln(1 + c_i)] with a head one input wider.
type policyNet[T nn.Float] struct {
	value, head *nn.MLPOf[T]
	agg         relPool[T]
	logp        nn.LogSoftmaxOf[T]
	a           int
	v           int // width of e: ValueDim, +1 with the count feature
	d           int // width of the self row the head sees; 0 (official): none
	x           []T // the head's input [e ; s] when d > 0 (rows×(V+D))
	de          []T // ∂L/∂e taken from the head's input gradient when d > 0
	lp          []T // log π of the last forward (rows×A_k)
}

func newPolicyNet[T nn.Float](c Config, d, a int) *policyNet[T] {
	sd := 0
	if c.PolicySeesSelf {
		sd = d
	}
	agg := newRelPool[T](c.relationPooling(), c.ValueDim)
	v := agg.out()
	return &policyNet[T]{
		value: nn.NewMLPOf(nn.NewReLUOf[T], d, c.Hidden, c.ValueDim),
		head:  nn.NewMLPOf(nn.NewReLUOf[T], v+sd, c.Hidden, a),
		agg:   agg,
		logp:  nn.LogSoftmaxOf[T]{N: a},
		a:     a,
		v:     v,
		d:     sd,
	}
}

// embed returns e (rows×V) for entity rows ents (rows·E×D) pooled under
// the relation graph g (rows×E); present (rows·E) are the rows observed.
func (p *policyNet[T]) embed(e int, ents, g []T, present []bool) []T {
	return p.agg.forward(e, g, p.value.Forward(ents), present)
}

// headInput returns the head's input for the embeddings emb (rows×V): emb
// itself, or, when the policy sees its own row, [e_r ; s_{r mod n}] per row
// r with the n self rows self (n×D; rows a multiple of n, so that stacked
// copies of the same agents' embeddings share their self rows). self is not
// read otherwise.
func (p *policyNet[T]) headInput(emb, self []T) []T {
	if p.d == 0 {
		return emb
	}
	v, d, w := p.v, p.d, p.v+p.d
	rows, ns := len(emb)/v, len(self)/d
	if ns == 0 || len(self) != ns*d || rows%ns != 0 {
		panic(fmt.Sprintf("mra: policy head on %d embeddings with %d self values, want a multiple of D = %d dividing the rows", rows, len(self), d))
	}
	p.x = chunk.Grow(p.x, rows*w)
	for r := range rows {
		s := r % ns
		copy(p.x[r*w:r*w+v], emb[r*v:(r+1)*v])
		copy(p.x[r*w+v:(r+1)*w], self[s*d:(s+1)*d])
	}
	return p.x
}

// embedGrad returns ∂L/∂e (rows×V) from ∂L/∂(head input) dx: dx itself,
// or its first V columns when the head also sees the self row (the self row
// is an input: its gradient is dropped).
func (p *policyNet[T]) embedGrad(dx []T) []T {
	if p.d == 0 {
		return dx
	}
	v, w := p.v, p.v+p.d
	rows := len(dx) / w
	p.de = chunk.Grow(p.de, rows*v)
	for r := range rows {
		copy(p.de[r*v:(r+1)*v], dx[r*w:r*w+v])
	}
	return p.de
}

// forward returns log π (rows×A_k); present (rows·E) marks the entity
// rows observed; self (rows×D) are the agents' own rows, read only when the
// policy sees them.
func (p *policyNet[T]) forward(e int, ents, g []T, present []bool, self []T) []T {
	p.lp = p.logp.Forward(p.head.Forward(p.headInput(p.embed(e, ents, g, present), self)))
	return p.lp
}

// backward takes ∂L/∂log π and accumulates the gradients of head and value.
func (p *policyNet[T]) backward(dlogp []T) {
	de := p.embedGrad(p.head.Backward(p.logp.Backward(dlogp)))
	_, dv := p.agg.backward(de)
	p.value.Backward(dv)
}

// backwardGraph takes ∂L/∂log π and returns ∂L/∂g (rows×E). The head's
// parameter gradients are accumulated too (callers discard them); the value
// net is not visited.
func (p *policyNet[T]) backwardGraph(dlogp []T) []T {
	dg, _ := p.agg.backward(p.embedGrad(p.head.Backward(p.logp.Backward(dlogp))))
	return dg
}

// sampleLogp draws an action from log-probabilities lp with one uniform
// variate from rng.
func sampleLogp[T nn.Float](rng *rand.Rand, lp, prob []T) int {
	for k, v := range lp {
		prob[k] = T(math.Exp(float64(v)))
	}
	return nn.Sample(rng, prob)
}

// ActorOf acts with a model's current relation net and policies. It has its
// own layer caches and shares the parameters, so several actors (one per
// rollout goroutine) may act concurrently, as long as no update runs at the
// same time. Actor is the float64 instantiation.
type ActorOf[T nn.Float] struct {
	m    *ModelOf[T]
	n    *nets[T]
	grad []T
	rs   chunk.Rows[T]
	z    []T
	prob []T
}

// Actor is the float64 actor (see ActorOf).
type Actor = ActorOf[float64]

// NewActor returns an actor on m's parameters.
func (m *ModelOf[T]) NewActor() *ActorOf[T] {
	grad := make([]T, len(m.params))
	return &ActorOf[T]{m: m, n: m.newBoundNets(m.params, grad), grad: grad, prob: make([]T, m.f.A)}
}

// Act samples actions for rows = copies·N agent rows of enc's population:
// row r is agent r % N of copy r / N, of type enc.Type[r % N]. Its inputs
// are the encoded observations (self rows×D, ents rows·E×D, present
// rows·E, see Encode) and the latents z (rows×K: one-hot when acting, a
// relaxed z on the simplex mixes the heads). It writes the sampled actions
// (rows) and the relation graph g = g_φ(o, z) (rows×E) that the replay
// buffer stores. Random numbers come from rng, one uniform per row in row
// order. It panics if a length is inconsistent.
func (a *ActorOf[T]) Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, z []float64, rng *rand.Rand, actions []int, graph []float64) {
	a.forward(enc, rows, self, ents, present, z, graph)
	rs := &a.rs
	n := enc.N
	for r0 := range rows {
		r := rs.At[r0]
		t := enc.Type[r0%n]
		p := a.n.policy[t]
		lo, _ := rs.RowsOf(t)
		actions[r0] = sampleLogp(rng, p.row(r-lo), a.prob[:p.a])
	}
}

// LogProbs writes log π(a | o_r, g_φ(o_r, z_r)) for every row r and action
// a of the row's type into logp (rows × A; entries past a type's actions
// are −∞), and the relation graphs into graph. The arguments are as for
// Act.
func (a *ActorOf[T]) LogProbs(enc *replay.Encoding, rows int, self, ents []float64, present []bool, z []float64, logp, graph []float64) {
	if len(logp) != rows*a.m.f.A {
		panic(fmt.Sprintf("mra: LogProbs of %d rows into %d values, want rows × A = %d", rows, len(logp), rows*a.m.f.A))
	}
	a.forward(enc, rows, self, ents, present, z, graph)
	rs := &a.rs
	A := a.m.f.A
	for r0 := range rows {
		r := rs.At[r0]
		t := enc.Type[r0%enc.N]
		p := a.n.policy[t]
		lo, _ := rs.RowsOf(t)
		dst := logp[r0*A : (r0+1)*A]
		chunk.Widen(dst, p.row(r-lo))
		for c := p.a; c < A; c++ {
			dst[c] = math.Inf(-1)
		}
	}
}

// forward runs the relation net and every type's policy on the rows,
// leaving log π in the policies and writing the graphs to graph.
func (a *ActorOf[T]) forward(enc *replay.Encoding, rows int, self, ents []float64, present []bool, z []float64, graph []float64) {
	n, e, d, k := enc.N, enc.E, enc.D, a.m.cfg.Latents
	if rows < 1 || rows%n != 0 || len(self) != rows*d || len(ents) != rows*e*d || len(present) != rows*e ||
		len(z) != rows*k || len(graph) != rows*e || enc.D != a.m.f.D {
		panic(fmt.Sprintf("mra: Act with %d rows of N=%d, E=%d, D=%d, K=%d: inconsistent lengths self %d ents %d present %d z %d graph %d",
			rows, n, e, d, k, len(self), len(ents), len(present), len(z), len(graph)))
	}
	rs := a.gatherRows(enc, rows, self, ents, present, z)
	g := a.n.rel.Forward(e, rs.Self, rs.Ents, a.z, rs.Mask)
	for r0 := range rows {
		r := rs.At[r0]
		chunk.Widen(graph[r0*e:(r0+1)*e], g[r*e:(r+1)*e])
	}
	for t, p := range a.n.policy {
		lo, hi := rs.RowsOf(t)
		if lo == hi {
			continue
		}
		entsK, gK := rs.TypeSlices(t, rs.Ents, g)
		p.forward(e, entsK, gK, typeMask(rs, t, rs.Mask), rs.TypeSelf(t, rs.Self))
	}
}

// row returns row r of the last log π computed by p.
func (p *policyNet[T]) row(r int) []T { return p.lp[r*p.a : (r+1)*p.a] }

// Act samples actions with the model's own actor; see Actor.Act.
func (m *ModelOf[T]) Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, z []float64, rng *rand.Rand, actions []int, graph []float64) {
	m.act.Act(enc, rows, self, ents, present, z, rng, actions, graph)
}
