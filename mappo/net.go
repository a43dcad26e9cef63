package mappo

import (
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/replay"
)

// encoder is the count-aware entity encoder: it turns an agent's encoded
// observation (its self row and its entity rows, replay's layout) into one
// feature vector
//
//	h = [ φ_self(self) | pool_1(φ_ent(rows of set 1)) | … | pool_S(φ_ent(rows of set S)) ]
//
// where φ_self and φ_ent are two-layer MLPs to width Hidden and each
// entity set (other agents, landmarks, food: the set tag of the row) is
// pooled on its own by nn.Pool in the settings' pooling mode, so that the
// network sees each set's content and, unless the mode is "mean", how
// many entities it holds. The pooling weights are uniform (Deep Sets,
// encoder "deepsets") or, with encoder "attention", a softmax attention
// per set from φ_self(self) as the query over the set's φ_ent rows as
// keys (scaled by 1/√Hidden); "sum" then scales the attended mean by the
// set's count.
type encoder struct {
	d, e, h, sets, pad int
	tagged             bool // rows carry a set tag (not the official untagged layout)
	self, ent          *nn.MLP
	pools              []*nn.Pool
	attns              []*nn.Attention // per set, with encoder "attention"; nil for Deep Sets

	rows             int
	mask             []bool    // sets × rows·E: the present rows of each set
	feat             []float64 // rows × width
	dSelf, dEnt      []float64
	dPool            []float64
	selfOut, entsOut []float64
}

func newEncoder(f replay.Features, hidden int, pooling string, attention bool) *encoder {
	x := &encoder{d: f.D, h: hidden, pad: f.Pad, tagged: !f.Plain && len(f.Sets) > 0, sets: max(1, len(f.Sets))}
	if !x.tagged {
		x.sets = 1
	}
	x.self = nn.NewMLP(nn.NewReLU, f.D, hidden, hidden)
	x.ent = nn.NewMLP(nn.NewReLU, f.D, hidden, hidden)
	for range x.sets {
		p, err := nn.NewPool(hidden, pooling)
		if err != nil {
			panic(err) // the settings were checked
		}
		x.pools = append(x.pools, p)
		if attention {
			x.attns = append(x.attns, &nn.Attention{Dim: hidden, Scale: 1 / math.Sqrt(float64(hidden))})
		}
	}
	return x
}

// width returns the width of a feature vector.
func (x *encoder) width() int { return x.h + x.sets*x.pools[0].Out() }

// modules returns the encoder's parameterised modules, in layout order.
func (x *encoder) modules() []nn.Module { return []nn.Module{x.self, x.ent} }

// forward encodes rows agents' observations (self rows·D, ents rows·E·D,
// present rows·E) and returns rows × width features (a buffer of the
// encoder, valid until its next forward).
func (x *encoder) forward(rows, e int, self, ents []float64, present []bool) []float64 {
	x.rows, x.e = rows, e
	w, po := x.width(), x.pools[0].Out()
	x.feat = grow(x.feat, rows*w)
	x.selfOut = x.self.Forward(self[:rows*x.d])
	x.entsOut = x.ent.Forward(ents[:rows*e*x.d])
	x.mask = growBool(x.mask, x.sets*rows*e)
	for s := range x.sets {
		m := x.mask[s*rows*e : (s+1)*rows*e]
		for r := range rows * e {
			m[r] = present[r] && (!x.tagged || ents[r*x.d+x.pad+s] > 0.5)
		}
	}
	for r := range rows {
		copy(x.feat[r*w:r*w+x.h], x.selfOut[r*x.h:(r+1)*x.h])
	}
	for s, p := range x.pools {
		mask := x.mask[s*rows*e : (s+1)*rows*e]
		var weights []float64
		if x.attns != nil {
			weights = x.attns[s].Forward(e, x.selfOut, x.entsOut, mask)
		}
		out := p.Forward(e, x.entsOut, weights, mask)
		for r := range rows {
			copy(x.feat[r*w+x.h+s*po:r*w+x.h+(s+1)*po], out[r*po:(r+1)*po])
		}
	}
	return x.feat
}

// backward takes ∂L/∂features (rows × width) of the last forward and
// accumulates the encoder's parameter gradients.
func (x *encoder) backward(dfeat []float64) {
	rows, e, w, po := x.rows, x.e, x.width(), x.pools[0].Out()
	x.dSelf = grow(x.dSelf, rows*x.h)
	for r := range rows {
		copy(x.dSelf[r*x.h:(r+1)*x.h], dfeat[r*w:r*w+x.h])
	}
	x.dEnt = grow(x.dEnt, rows*e*x.h)
	clear(x.dEnt)
	for s, p := range x.pools {
		x.dPool = grow(x.dPool, rows*po)
		d := x.dPool
		for r := range rows {
			copy(d[r*po:(r+1)*po], dfeat[r*w+x.h+s*po:r*w+x.h+(s+1)*po])
		}
		dv, dw := p.Backward(d)
		for i, v := range dv {
			x.dEnt[i] += v
		}
		if x.attns != nil {
			dq, dk := x.attns[s].Backward(dw)
			for i, v := range dq {
				x.dSelf[i] += v
			}
			for i, v := range dk {
				x.dEnt[i] += v
			}
		}
	}
	x.self.Backward(x.dSelf)
	x.ent.Backward(x.dEnt)
}

// net is an encoder and a head MLP on its features (with, for the
// centralised critic, the pooled features of every agent of the same
// game copy appended), bound to one flat parameter vector.
type net struct {
	enc     *encoder
	head    *nn.MLP
	global  *nn.Pool // the centralised critic's pooling over a copy's agents; nil otherwise
	n       int      // agents per copy, for the global pooling
	params  *nn.Params
	in      []float64 // head input
	dIn     []float64
	dFeat   []float64
	samples int
}

// newNet builds a net with out outputs; central appends the pooled
// features of the copy's agents to each agent's.
func newNet(f replay.Features, s *Settings, out int, central bool, rng *rand.Rand) *net {
	x := newEncoder(f, s.Hidden, s.Pooling, s.Encoder == EncoderAttention)
	in := x.width()
	m := &net{enc: x}
	if central {
		p, err := nn.NewPool(in, s.Pooling)
		if err != nil {
			panic(err)
		}
		m.global = p
		in += p.Out()
	}
	m.head = nn.NewMLP(nn.NewReLU, in, s.Hidden, out)
	mods := append(x.modules(), m.head)
	m.params = nn.NewParams(mods...)
	nn.HeNormal(rng, m.params.Value, m.params.Layout)
	// A small last layer (gain 0.01 for the policy in the MAPPO reference
	// settings) starts the policy near uniform and the value near 0.
	last := m.params.Layout.Layers[len(m.params.Layout.Layers)-1]
	w := last.Weights(m.params.Value)
	for i := range w {
		w[i] *= 0.01
	}
	return m
}

// forward returns the head's outputs for rows agent rows; with the
// global pooling the rows are samples × n, whole copies.
func (m *net) forward(rows, e int, self, ents []float64, present []bool) []float64 {
	feat := m.enc.forward(rows, e, self, ents, present)
	if m.global == nil {
		return m.head.Forward(feat)
	}
	w, g := m.enc.width(), m.global.Out()
	m.samples = rows / m.n
	pooled := m.global.Forward(m.n, feat, nil, nil)
	m.in = grow(m.in, rows*(w+g))
	for r := range rows {
		copy(m.in[r*(w+g):r*(w+g)+w], feat[r*w:(r+1)*w])
		copy(m.in[r*(w+g)+w:(r+1)*(w+g)], pooled[(r/m.n)*g:(r/m.n+1)*g])
	}
	return m.head.Forward(m.in)
}

// backward takes ∂L/∂outputs of the last forward and accumulates the
// parameter gradients.
func (m *net) backward(dout []float64) {
	dIn := m.head.Backward(dout)
	if m.global == nil {
		m.enc.backward(dIn)
		return
	}
	rows := m.samples * m.n
	w, g := m.enc.width(), m.global.Out()
	m.dFeat = grow(m.dFeat, rows*w)
	m.dIn = grow(m.dIn, m.samples*g)
	clear(m.dIn)
	for r := range rows {
		copy(m.dFeat[r*w:(r+1)*w], dIn[r*(w+g):r*(w+g)+w])
		d := m.dIn[(r/m.n)*g : (r/m.n+1)*g]
		for k, v := range dIn[r*(w+g)+w : (r+1)*(w+g)] {
			d[k] += v
		}
	}
	dv, _ := m.global.Backward(m.dIn)
	for i, v := range dv {
		m.dFeat[i] += v
	}
	m.enc.backward(m.dFeat)
}

func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

func growBool(buf []bool, n int) []bool {
	if cap(buf) < n {
		return make([]bool, n)
	}
	return buf[:n]
}

func growInt(buf []int, n int) []int {
	if cap(buf) < n {
		return make([]int, n)
	}
	return buf[:n]
}

// logSoftmax writes the log-softmax of logits into logp.
func logSoftmax(logp, logits []float64) {
	m := math.Inf(-1)
	for _, v := range logits {
		m = max(m, v)
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(v - m)
	}
	lse := m + math.Log(sum)
	for k, v := range logits {
		logp[k] = v - lse
	}
}
