package maddpg

import (
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"

	"github.com/mrasim/mrasim/agents/nn"
)

// obsEncoder summarises one agent's entity rows by attention from its self
// row, the relational representation MADDPG's actor and critic share in
// form (each has its own parameters):
//
//	k_i = key(self_i)      D → Hidden → ReLU → CriticKey
//	q_j = query(ent_ij)    D → Hidden → ReLU → CriticKey
//	v_j = value(ent_ij)    D → Hidden → ReLU → ValueDim
//	w_ij = softmax_j(k_i·q_j / √CriticKey)   over present entity rows
//	o_i = Σ_j w_ij·v_j     (ValueDim)
//
// so the same parameters serve every number of entities (every population).
type obsEncoder struct {
	key, query, value *nn.MLP
	attn              *nn.EntityAttention
}

func newObsEncoder(c Settings, d int) *obsEncoder {
	return &obsEncoder{
		key:   nn.NewMLP(nn.NewReLU, d, c.Hidden, c.CriticKey),
		query: nn.NewMLP(nn.NewReLU, d, c.Hidden, c.CriticKey),
		value: nn.NewMLP(nn.NewReLU, d, c.Hidden, c.ValueDim),
		attn:  nn.NewEntityAttention(c.CriticKey, c.ValueDim, 1/math.Sqrt(float64(c.CriticKey))),
	}
}

func (oe *obsEncoder) modules() []nn.Module { return []nn.Module{oe.key, oe.query, oe.value} }

// forward returns o (rows×ValueDim) of self (rows×D), ents (rows·E×D) and
// mask (rows·E). The attention weights are then oe.attn.Weights().
func (oe *obsEncoder) forward(e int, self, ents []float64, mask []bool) []float64 {
	k := oe.key.Forward(self)
	q := oe.query.Forward(ents)
	v := oe.value.Forward(ents)
	return oe.attn.Forward(e, k, q, v, mask)
}

// backward takes ∂L/∂o and accumulates the encoder's parameter gradients.
func (oe *obsEncoder) backward(do []float64) {
	dk, dq, dv := oe.attn.Backward(do, nil)
	oe.key.Backward(dk)
	oe.query.Backward(dq)
	oe.value.Backward(dv)
}

// actorNet is MADDPG's decentralised actor μ of one agent type on the
// entity encoding:
//
//	o_i      = obsEncoder(self_i, ents_i)                (ValueDim)
//	logits_i = head([o_i ; self_i])   V+D → Hidden → ReLU → A_k
//
// The action is a straight-through Gumbel-softmax sample of the logits
// (see MADDPG), so the actor is also the categorical policy
// π(a | o_i) = softmax(logits_i)_a.
type actorNet struct {
	enc    *obsEncoder
	head   *nn.MLP
	a      int
	v, d   int
	x      []float64 // head input rows×(V+D)
	do     []float64 // ∂L/∂o, rows×V
	logits []float64 // the last forward's output, rows×A_k
}

func newActorNet(c Settings, d, a int) *actorNet {
	return &actorNet{
		enc:  newObsEncoder(c, d),
		head: nn.NewMLP(nn.NewReLU, c.ValueDim+d, c.Hidden, a),
		a:    a, v: c.ValueDim, d: d,
	}
}

func (p *actorNet) modules() []nn.Module { return append(p.enc.modules(), p.head) }

// forward returns the logits (rows×A_k).
func (p *actorNet) forward(e int, self, ents []float64, mask []bool) []float64 {
	o := p.enc.forward(e, self, ents, mask)
	rows, v, d := len(o)/p.v, p.v, p.d
	w := v + d
	p.x = chunk.Grow(p.x, rows*w)
	for r := range rows {
		copy(p.x[r*w:r*w+v], o[r*v:(r+1)*v])
		copy(p.x[r*w+v:(r+1)*w], self[r*d:(r+1)*d])
	}
	p.logits = p.head.Forward(p.x)
	return p.logits
}

// backward takes ∂L/∂logits and accumulates the actor's gradients.
func (p *actorNet) backward(dlogits []float64) {
	dx := p.head.Backward(dlogits)
	v, w := p.v, p.v+p.d
	rows := len(dx) / w
	p.do = chunk.Grow(p.do, rows*v)
	for r := range rows {
		copy(p.do[r*v:(r+1)*v], dx[r*w:r*w+v])
	}
	p.enc.backward(p.do)
}

// ddpgCritic is MADDPG's centralised critic Q_i(o, a_1 … a_N), one network
// for all agents (the agent's type enters through its self row), with
// MAAC's attention over the other agents (Iqbal and Sha 2019):
//
//	o_j   = obsEncoder(self_j, ents_j)                     (ValueDim)
//	x_j   = emb([o_j ; self_j ; a_j])   V+D+A → Hidden → ReLU → Hidden
//	q_i   = Wq·x_i,  k_j = Wk·x_j,  v_j = Wv·x_j           (CriticKey, CriticKey, Hidden)
//	c_i   = Σ_{j≠i} softmax_j(q_i·k_j / √CriticKey)·v_j    (Hidden; 0 for a lone agent)
//	Q_i   = out([x_i ; c_i])            2·Hidden → Hidden → ReLU → 1
//
// a_j is a one-hot action padded to A, or a relaxed (straight-through)
// action. The agent's own embedding x_i (query and direct input) and the
// others' embeddings x_j (keys and values) may come from different
// actions: MADDPG's actor gradient replaces only a_i by μ_i(o_i) and keeps
// the others' replayed actions. emb has two instances sharing parameters
// for those two roles.
type ddpgCritic struct {
	enc        *obsEncoder
	emb        [2]*nn.MLP // instance 0: the others' role (and both in the critic update); 1: the agent's own role
	wq, wk, wv *nn.Linear
	att        nn.EntityAttention
	out        *nn.MLP

	v, d, a, h, ck int

	in         [2][]float64 // emb inputs rows×(V+D+A)
	kSet, vSet []float64    // rows×N×CK, rows×N×H: the others' keys and values per agent row
	present    []bool       // rows×N: j ≠ i
	xc         []float64    // out's input rows×2H
	dc         []float64    // ∂L/∂c, rows×H
	dxq, dxkv  []float64    // ∂L/∂x in the two roles, rows×H
	dk, dv     []float64    // ∂L/∂k, ∂L/∂v per row, rows×CK, rows×H
	do         []float64    // ∂L/∂o, rows×V
	rs         *chunk.Rows[float64]
}

func newDDPGCritic(c Settings, f replay.Features) *ddpgCritic {
	in := c.ValueDim + f.D + f.A
	cr := &ddpgCritic{
		enc: newObsEncoder(c, f.D),
		wq:  nn.NewLinear(c.Hidden, c.CriticKey),
		wk:  nn.NewLinear(c.Hidden, c.CriticKey),
		wv:  nn.NewLinear(c.Hidden, c.Hidden),
		att: *nn.NewEntityAttention(c.CriticKey, c.Hidden, 1/math.Sqrt(float64(c.CriticKey))),
		out: nn.NewMLP(nn.NewReLU, 2*c.Hidden, c.Hidden, 1),
		v:   c.ValueDim, d: f.D, a: f.A, h: c.Hidden, ck: c.CriticKey,
	}
	for i := range cr.emb {
		cr.emb[i] = nn.NewMLP(nn.NewReLU, in, c.Hidden, c.Hidden)
	}
	return cr
}

// modules returns the critic's modules in layout order (emb once: its
// second instance is bound to the same parameters).
func (cr *ddpgCritic) modules() []nn.Module {
	return append(cr.enc.modules(), cr.emb[0], cr.wq, cr.wk, cr.wv, cr.out)
}

// encode returns o (rows×V) of the observation rows.
func (cr *ddpgCritic) encode(e int, self, ents []float64, mask []bool) []float64 {
	return cr.enc.forward(e, self, ents, mask)
}

// embed returns x = emb_inst([o ; self ; act]) (rows×Hidden), act being
// rows×A action vectors.
func (cr *ddpgCritic) embed(inst int, o, self, act []float64) []float64 {
	v, d, a := cr.v, cr.d, cr.a
	w := v + d + a
	rows := len(o) / v
	cr.in[inst] = chunk.Grow(cr.in[inst], rows*w)
	x := cr.in[inst]
	for r := range rows {
		copy(x[r*w:r*w+v], o[r*v:(r+1)*v])
		copy(x[r*w+v:r*w+v+d], self[r*d:(r+1)*d])
		copy(x[r*w+v+d:(r+1)*w], act[r*a:(r+1)*a])
	}
	return cr.emb[inst].Forward(x)
}

// q returns Q (rows) for the agent rows of rs, with the agents' own
// embeddings xq and the embeddings xkv they show the others (rows×Hidden
// each; the same slice in the critic update).
func (cr *ddpgCritic) q(rs *chunk.Rows[float64], xq, xkv []float64) []float64 {
	n, h, ck := rs.N, cr.h, cr.ck
	nr := len(xq) / h
	cr.rs = rs
	qv := cr.wq.Forward(xq)
	kv := cr.wk.Forward(xkv)
	vv := cr.wv.Forward(xkv)
	cr.kSet = chunk.Grow(cr.kSet, nr*n*ck)
	cr.vSet = chunk.Grow(cr.vSet, nr*n*h)
	cr.present = chunk.Grow(cr.present, nr*n)
	for r := range nr {
		i, s := rs.Agent[r], rs.Sample[r]
		for j := range n {
			src := rs.At[s*n+j]
			copy(cr.kSet[(r*n+j)*ck:(r*n+j+1)*ck], kv[src*ck:(src+1)*ck])
			copy(cr.vSet[(r*n+j)*h:(r*n+j+1)*h], vv[src*h:(src+1)*h])
			cr.present[r*n+j] = j != i
		}
	}
	c := cr.att.Forward(n, qv, cr.kSet, cr.vSet, cr.present)
	cr.xc = chunk.Grow(cr.xc, nr*2*h)
	for r := range nr {
		copy(cr.xc[r*2*h:r*2*h+h], xq[r*h:(r+1)*h])
		copy(cr.xc[r*2*h+h:(r+1)*2*h], c[r*h:(r+1)*h])
	}
	return cr.out.Forward(cr.xc)
}

// backQ takes ∂L/∂Q (rows), accumulates the gradients of out, Wq, Wk, Wv
// and returns ∂L/∂xq and ∂L/∂xkv (rows×Hidden each).
func (cr *ddpgCritic) backQ(dQ []float64) (dxq, dxkv []float64) {
	rs := cr.rs
	n, h, ck := rs.N, cr.h, cr.ck
	nr := len(dQ)
	dxc := cr.out.Backward(dQ)
	cr.dxq = chunk.Grow(cr.dxq, nr*h)
	cr.dc = chunk.Grow(cr.dc, nr*h)
	for r := range nr {
		copy(cr.dxq[r*h:(r+1)*h], dxc[r*2*h:r*2*h+h])
		copy(cr.dc[r*h:(r+1)*h], dxc[r*2*h+h:(r+1)*2*h])
	}
	dqv, dkSet, dvSet := cr.att.Backward(cr.dc, nil)
	cr.dk = chunk.Grow(cr.dk, nr*ck)
	cr.dv = chunk.Grow(cr.dv, nr*h)
	clear(cr.dk)
	clear(cr.dv)
	for r := range nr {
		s := rs.Sample[r]
		for j := range n {
			src := rs.At[s*n+j]
			for t, g := range dkSet[(r*n+j)*ck : (r*n+j+1)*ck] {
				cr.dk[src*ck+t] += g
			}
			for t, g := range dvSet[(r*n+j)*h : (r*n+j+1)*h] {
				cr.dv[src*h+t] += g
			}
		}
	}
	for i, g := range cr.wq.Backward(dqv) {
		cr.dxq[i] += g
	}
	dxk := cr.wk.Backward(cr.dk)
	dxv := cr.wv.Backward(cr.dv)
	cr.dxkv = chunk.Grow(cr.dxkv, nr*h)
	for i := range cr.dxkv {
		cr.dxkv[i] = dxk[i] + dxv[i]
	}
	return cr.dxq, cr.dxkv
}

// backEmbed takes ∂L/∂x of instance inst, accumulates emb's gradients and
// returns ∂L/∂[o ; self ; act] (rows×(V+D+A)).
func (cr *ddpgCritic) backEmbed(inst int, dx []float64) []float64 {
	return cr.emb[inst].Backward(dx)
}

// backward completes the critic update's backward pass from ∂L/∂Q, with
// both roles embedded by instance 0: it accumulates every critic gradient.
func (cr *ddpgCritic) backward(dQ []float64) {
	dxq, dxkv := cr.backQ(dQ)
	for i := range dxkv {
		dxkv[i] += dxq[i]
	}
	din := cr.backEmbed(0, dxkv)
	v, w := cr.v, cr.v+cr.d+cr.a
	rows := len(din) / w
	cr.do = chunk.Grow(cr.do, rows*v)
	for r := range rows {
		copy(cr.do[r*v:(r+1)*v], din[r*w:r*w+v])
	}
	cr.enc.backward(cr.do)
}

// actionGrad returns ∂L/∂act_r (A wide) of row r from ∂L/∂[o ; self ; act]
// of instance 1 (din, rows×(V+D+A)): the gradient into the agents' own
// actions in the actor update.
func (cr *ddpgCritic) actionGrad(din []float64, r int) []float64 {
	w := cr.v + cr.d + cr.a
	return din[r*w+cr.v+cr.d : (r+1)*w]
}
