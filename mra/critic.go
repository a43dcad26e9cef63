package mra

import (
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"

	"github.com/mrasim/mrasim/agents/nn"
)

// criticNet is MRA's centralised soft critic Q(o, a, g), one network shared
// by all agents (the type enters through the self row's type one-hot):
//
//	α_ij  = softmax_j(k_i·q_j·s)  over present entity rows, s = 1/√(2·Hidden) (1/8)
//	        k_i = key(self_i)      D → CriticKey → ReLU → 2·CriticKey   (22 → 16 → 32)
//	        q_j = query(ent_ij)    D → CriticKey → ReLU → 2·CriticKey
//	e^c_i = Σ_j α_ij·v_j,          v_j = value(ent_ij): D → Hidden → ReLU → ValueDim
//	x_i   = [e^c_i ; onehot(a_i)]  (ValueDim + A)
//	        [e^c_i ; onehot(a_i) ; self_i]  with Config.CriticSeesSelf (V + A + D)
//	c_i   = MLP_c(x_i), s_i = MLP_s(x_i)        (|x| → Hidden → ReLU → CriticKey)
//	m_i   = c_i + Σ_e g_ie·c_{AgentOf(i,e)}      mixing by the relation graph g
//	Q_i   = head([m_i ; s_i])[a_i]               (Linear 2·CriticKey → A)
//
// Entity rows that show no agent (landmarks, padding) or an agent masked
// in these rows (dead at o') do not mix; at o the stored g
// is zero there anyway, at o' it may still weight them. The
// graph g is an input (the stored one; for the target at o' possibly the
// recomputed g', see UpdateCritic); no gradient flows into it. With
// CriticSeesSelf the agent's own self row (the one its key reads: of o for
// Q, of o' for the target Q⁻) is also a direct input of MLP_c and MLP_s;
// as an input it gets no gradient.
type criticNet[T nn.Float] struct {
	key, query, value *nn.MLPOf[T]
	attn              *nn.EntityAttentionOf[T]
	c, s              *nn.MLPOf[T]
	head              *nn.LinearOf[T]

	v, a, ck int
	d        int // width of the self row in x; 0 (official): none

	rs    *chunk.Rows[T]
	graph []T
	mask  []bool
	x     []T          // rows×(V+A)
	ms    []T          // rows×2·CriticKey: [m ; s]
	cc    []T          // rows×CriticKey: MLP_c's output of the last forward
	cf    cfScratch[T] // counterfactual's scratch
	dc    []T          // rows×CriticKey
	ds    []T          // rows×CriticKey
	de    []T          // rows×V
}

func newCriticNet[T nn.Float](c Config, f replay.Features) *criticNet[T] {
	sd := 0
	if c.CriticSeesSelf {
		sd = f.D
	}
	return &criticNet[T]{
		key:   nn.NewMLPOf(nn.NewReLUOf[T], f.D, c.CriticKey, 2*c.CriticKey),
		query: nn.NewMLPOf(nn.NewReLUOf[T], f.D, c.CriticKey, 2*c.CriticKey),
		value: nn.NewMLPOf(nn.NewReLUOf[T], f.D, c.Hidden, c.ValueDim),
		attn:  nn.NewEntityAttentionOf[T](2*c.CriticKey, c.ValueDim, 1/math.Sqrt(2*float64(c.Hidden))),
		c:     nn.NewMLPOf(nn.NewReLUOf[T], c.ValueDim+f.A+sd, c.Hidden, c.CriticKey),
		s:     nn.NewMLPOf(nn.NewReLUOf[T], c.ValueDim+f.A+sd, c.Hidden, c.CriticKey),
		head:  nn.NewLinearOf[T](2*c.CriticKey, f.A),
		v:     c.ValueDim, a: f.A, ck: c.CriticKey, d: sd,
	}
}

// modules returns the critic's modules in layout order.
func (cn *criticNet[T]) modules() []nn.ModuleOf[T] {
	return []nn.ModuleOf[T]{cn.key, cn.query, cn.value, cn.c, cn.s, cn.head}
}

// forward returns the Q-head outputs (rows×A) of all rows of rs, observed
// as self (rows×D), ents (rows·E×D) and mask (rows·E), with actions taken
// (rows) and relation graph g (rows×E). Q_r is the entry at actions[r].
// self feeds the key and, with CriticSeesSelf, MLP_c and MLP_s.
// It keeps references to its arguments until backward.
func (cn *criticNet[T]) forward(rs *chunk.Rows[T], self, ents []T, mask []bool, actions []int, g []T) []T {
	n := len(actions)
	e, v, a, ck, d := rs.E, cn.v, cn.a, cn.ck, cn.d
	cn.rs, cn.graph, cn.mask = rs, g, mask
	k := cn.key.Forward(self)
	q := cn.query.Forward(ents)
	vals := cn.value.Forward(ents)
	ec := cn.attn.Forward(e, k, q, vals, mask)
	w := v + a + d
	cn.x = chunk.Grow(cn.x, n*w)
	for r := range n {
		x := cn.x[r*w : (r+1)*w]
		copy(x, ec[r*v:(r+1)*v])
		clear(x[v : v+a])
		x[v+actions[r]] = 1
		if d > 0 {
			copy(x[v+a:], self[r*d:(r+1)*d])
		}
	}
	cc := cn.c.Forward(cn.x)
	cn.cc = cc
	ss := cn.s.Forward(cn.x)
	cn.ms = chunk.Grow(cn.ms, n*2*ck)
	for r := range n {
		mr := cn.ms[r*2*ck : r*2*ck+ck]
		copy(mr, cc[r*ck:(r+1)*ck])
		copy(cn.ms[r*2*ck+ck:(r+1)*2*ck], ss[r*ck:(r+1)*ck])
		i, s := rs.Agent[r], rs.Sample[r]
		for j, gj := range g[r*e : (r+1)*e] {
			src := rs.AgentOf[i*e+j]
			if src < 0 || gj == 0 || !mask[r*e+j] {
				continue
			}
			cs := rs.At[s*rs.N+src]
			for t, c := range cc[cs*ck : (cs+1)*ck] {
				mr[t] += gj * c
			}
		}
	}
	return cn.head.Forward(cn.ms)
}

// backward takes ∂L/∂(Q-head outputs) (rows×A) and accumulates the
// critic's parameter gradients.
func (cn *criticNet[T]) backward(dq []T) {
	rs, g, mask := cn.rs, cn.graph, cn.mask
	n := len(dq) / cn.a
	e, v, ck := rs.E, cn.v, cn.ck
	dms := cn.head.Backward(dq)
	cn.dc = chunk.Grow(cn.dc, n*ck)
	cn.ds = chunk.Grow(cn.ds, n*ck)
	clear(cn.dc)
	for r := range n {
		dm := dms[r*2*ck : r*2*ck+ck]
		copy(cn.ds[r*ck:(r+1)*ck], dms[r*2*ck+ck:(r+1)*2*ck])
		dc := cn.dc[r*ck : (r+1)*ck]
		for t, d := range dm {
			dc[t] += d
		}
		i, s := rs.Agent[r], rs.Sample[r]
		for j, gj := range g[r*e : (r+1)*e] {
			src := rs.AgentOf[i*e+j]
			if src < 0 || gj == 0 || !mask[r*e+j] {
				continue
			}
			cs := rs.At[s*rs.N+src]
			dcs := cn.dc[cs*ck : (cs+1)*ck]
			for t, d := range dm {
				dcs[t] += gj * d
			}
		}
	}
	dxc := cn.c.Backward(cn.dc)
	dxs := cn.s.Backward(cn.ds)
	w := v + cn.a + cn.d
	cn.de = chunk.Grow(cn.de, n*v)
	for r := range n {
		de := cn.de[r*v : (r+1)*v]
		xc, xs := dxc[r*w:r*w+v], dxs[r*w:r*w+v]
		for t := range de {
			de[t] = xc[t] + xs[t]
		}
	}
	dk, dqy, dv := cn.attn.Backward(cn.de, nil)
	cn.key.Backward(dk)
	cn.query.Backward(dqy)
	cn.value.Backward(dv)
}

// cfScratch holds counterfactual's buffers.
type cfScratch[T nn.Float] struct {
	mix, x, ms, q []T
}

// counterfactual returns, for every row r of the last forward and every
// action a' (rows×A), the Q-head entry Q_r(a') of the critic with a'
// substituted into agent r's own action input, every other agent's action
// fixed: MLP_c and MLP_s of row r are re-run on [e_r ; onehot(a')], the
// mixing Σ_j g_rj·c_j of the other agents is kept, and the head is re-run.
// For a' = a_r it is the forward's Q_r. It is MAAC's counterfactual
// baseline's input (Σ_a' π(a')·Q_r(a')). It overwrites the layer caches of
// MLP_c, MLP_s and the head: no backward may follow.
func (cn *criticNet[T]) counterfactual() []T {
	n := len(cn.ms) / (2 * cn.ck)
	v, a, ck, d := cn.v, cn.a, cn.ck, cn.d
	w := v + a + d
	sc := &cn.cf
	sc.mix = chunk.Grow(sc.mix, n*ck)
	for r := range n {
		for t := range ck {
			sc.mix[r*ck+t] = cn.ms[r*2*ck+t] - cn.cc[r*ck+t]
		}
	}
	sc.x = chunk.Grow(sc.x, n*a*w)
	for r := range n {
		for ap := range a {
			x := sc.x[(r*a+ap)*w : (r*a+ap+1)*w]
			copy(x, cn.x[r*w:(r+1)*w])
			clear(x[v : v+a])
			x[v+ap] = 1
		}
	}
	cc := cn.c.Forward(sc.x)
	ss := cn.s.Forward(sc.x)
	sc.ms = chunk.Grow(sc.ms, n*a*2*ck)
	for row := range n * a {
		r := row / a
		m := sc.ms[row*2*ck : row*2*ck+ck]
		for t := range ck {
			m[t] = cc[row*ck+t] + sc.mix[r*ck+t]
		}
		copy(sc.ms[row*2*ck+ck:(row+1)*2*ck], ss[row*ck:(row+1)*ck])
	}
	head := cn.head.Forward(sc.ms)
	sc.q = chunk.Grow(sc.q, n*a)
	for row := range n * a {
		sc.q[row] = head[row*a+row%a]
	}
	return sc.q
}
