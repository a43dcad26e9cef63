package mappo

import (
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/chunk"
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
type encoder[T nn.Float] struct {
	d, e, h, sets, pad int
	tagged             bool // rows carry a set tag (not the official untagged layout)
	self, ent          *nn.MLPOf[T]
	pools              []*nn.PoolOf[T]
	attns              []*nn.AttentionOf[T] // per set, with encoder "attention"; nil for Deep Sets

	rows             int
	mask             []bool // sets × rows·E: the present rows of each set
	feat             []T    // rows × width
	dSelf, dEnt      []T
	dPool            []T
	selfOut, entsOut []T
}

func newEncoder[T nn.Float](f replay.Features, hidden int, pooling string, attention bool) *encoder[T] {
	x := &encoder[T]{d: f.D, h: hidden, pad: f.Pad, tagged: !f.Plain && len(f.Sets) > 0, sets: max(1, len(f.Sets))}
	if !x.tagged {
		x.sets = 1
	}
	x.self = nn.NewMLPOf(nn.NewReLUOf[T], f.D, hidden, hidden)
	x.ent = nn.NewMLPOf(nn.NewReLUOf[T], f.D, hidden, hidden)
	for range x.sets {
		p, err := nn.NewPoolOf[T](hidden, pooling)
		if err != nil {
			panic(err) // the settings were checked
		}
		x.pools = append(x.pools, p)
		if attention {
			x.attns = append(x.attns, &nn.AttentionOf[T]{Dim: hidden, Scale: T(1 / math.Sqrt(float64(hidden)))})
		}
	}
	return x
}

// width returns the width of a feature vector.
func (x *encoder[T]) width() int { return x.h + x.sets*x.pools[0].Out() }

// modules returns the encoder's parameterised modules, in layout order.
func (x *encoder[T]) modules() []nn.ModuleOf[T] { return []nn.ModuleOf[T]{x.self, x.ent} }

// forward encodes rows agents' observations (self rows·D, ents rows·E·D,
// present rows·E) and returns rows × width features (a buffer of the
// encoder, valid until its next forward).
func (x *encoder[T]) forward(rows, e int, self, ents []T, present []bool) []T {
	x.rows, x.e = rows, e
	w, po := x.width(), x.pools[0].Out()
	x.feat = grow(x.feat, rows*w)
	x.selfOut = x.self.Forward(self[:rows*x.d])
	x.entsOut = x.ent.Forward(ents[:rows*e*x.d])
	x.mask = grow(x.mask, x.sets*rows*e)
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
		var weights []T
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
func (x *encoder[T]) backward(dfeat []T) {
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
type net[T nn.Float] struct {
	enc     *encoder[T]
	head    *nn.MLPOf[T]
	global  *nn.PoolOf[T] // the centralised critic's pooling over a copy's agents; nil otherwise
	n       int           // agents per copy, for the global pooling
	params  *nn.ParamsOf[T]
	in      []T // head input
	dIn     []T
	dFeat   []T
	samples int
}

// newNet builds a net with out outputs; central appends the pooled
// features of the copy's agents to each agent's.
func newNet[T nn.Float](f replay.Features, s *Settings, out int, central bool, rng *rand.Rand) *net[T] {
	x := newEncoder[T](f, s.Hidden, s.Pooling, s.Encoder == EncoderAttention)
	in := x.width()
	m := &net[T]{enc: x}
	if central {
		p, err := nn.NewPoolOf[T](in, s.Pooling)
		if err != nil {
			panic(err)
		}
		m.global = p
		in += p.Out()
	}
	m.head = nn.NewMLPOf(nn.NewReLUOf[T], in, s.Hidden, out)
	mods := append(x.modules(), m.head)
	m.params = nn.NewParamsOf(mods...)
	// The initial parameters are drawn in float64 (the same stream in
	// either precision) and rounded to T.
	p0 := make([]float64, len(m.params.Value))
	nn.HeNormal(rng, p0, m.params.Layout)
	// A small last layer (gain 0.01 for the policy in the MAPPO reference
	// settings) starts the policy near uniform and the value near 0.
	last := m.params.Layout.Layers[len(m.params.Layout.Layers)-1]
	w := last.Weights(p0)
	for i := range w {
		w[i] *= 0.01
	}
	chunk.Convert(m.params.Value, p0)
	return m
}

// forward returns the head's outputs for rows agent rows; with the
// global pooling the rows are samples × n, whole copies.
func (m *net[T]) forward(rows, e int, self, ents []T, present []bool) []T {
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
func (m *net[T]) backward(dout []T) {
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

// grow returns buf with length n, reallocated (contents lost) when its
// capacity is short.
func grow[E any](buf []E, n int) []E {
	if cap(buf) < n {
		return make([]E, n)
	}
	return buf[:n]
}

// logSoftmax writes the log-softmax of logits into logp, computed in
// float64 in either precision.
func logSoftmax[T nn.Float](logp []float64, logits []T) {
	m := math.Inf(-1)
	for _, v := range logits {
		m = max(m, float64(v))
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v) - m)
	}
	lse := m + math.Log(sum)
	for k, v := range logits {
		logp[k] = float64(v) - lse
	}
}

// attentionGraph adds to graph (rows·E of the caller's rows) the
// attention weights of the last forward of an "attention" encoder, for
// its rows idx[j] of the caller: each entity set's softmax weights,
// scaled by 1/S for the S sets with an entity present, so that an
// agent's weights sum to 1 over the entities it sees (exactly the
// attention in a game of one entity set). A Deep-Sets encoder adds
// nothing.
func (x *encoder[T]) attentionGraph(idx []int, graph []float64) {
	if x.attns == nil {
		return
	}
	e, rows := x.e, x.rows
	for j, r := range idx {
		sets := 0
		for s := range x.sets {
			for _, p := range x.mask[s*rows*e+j*e : s*rows*e+(j+1)*e] {
				if p {
					sets++
					break
				}
			}
		}
		if sets == 0 {
			continue
		}
		g := graph[r*e : (r+1)*e]
		for s, a := range x.attns {
			m := x.mask[s*rows*e+j*e : s*rows*e+(j+1)*e]
			for k, w := range a.Weights()[j*e : (j+1)*e] {
				if m[k] {
					g[k] += float64(w) / float64(sets)
				}
			}
		}
	}
}
