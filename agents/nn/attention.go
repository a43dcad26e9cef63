package nn

import (
	"fmt"
	"math"
)

// Attention computes masked scaled dot-product attention weights of one
// query per batch item over a set of n keys. With query q (width Dim) and
// keys k_j,
//
//	s_j = Scale·(q·k_j)
//	w_j = exp(s_j) / Σ_{l present} exp(s_l)   for present j,
//	w_j = 0                                    for absent j.
//
// A row whose entities are all absent gets all-zero weights (and zero
// gradients), never NaN. Shapes: query batch×Dim, keys batch×n×Dim,
// present batch×n (nil means all present), weights batch×n. The scores
// and weights are computed in T; exp is evaluated in float64 and rounded.
// Attention is the float64 instantiation.
type AttentionOf[T Float] struct {
	Dim   int
	Scale T

	batch, n int
	q, k     []T
	present  []bool
	w        []T
	dq, dk   []T
}

// Forward returns the attention weights for set size n ≥ 1. It keeps
// references to query, keys and present. It panics on inconsistent
// lengths.
func (a *AttentionOf[T]) Forward(n int, query, keys []T, present []bool) []T {
	checkSetSize("Attention", n)
	a.batch = setBatch("Attention", 1, len(query), a.Dim)
	checkLen("Attention keys", len(keys), a.batch*n*a.Dim)
	if present != nil {
		checkLen("Attention mask", len(present), a.batch*n)
	}
	a.n, a.q, a.k, a.present = n, query, keys, present
	a.w = grow(a.w, a.batch*n)
	d := a.Dim
	negInf := T(math.Inf(-1))
	for b := range a.batch {
		q := query[b*d : b*d+d]
		w := a.w[b*n : b*n+n]
		m := negInf
		for j := range w {
			if present != nil && !present[b*n+j] {
				w[j] = negInf
				continue
			}
			kj := keys[(b*n+j)*d : (b*n+j)*d+d]
			kj = kj[:len(q)]
			var s T
			for i, v := range q {
				s += v * kj[i]
			}
			w[j] = a.Scale * s
			m = max(m, w[j])
		}
		if m == negInf {
			zero(w)
			continue
		}
		var sum T
		for j, s := range w {
			e := T(math.Exp(float64(s - m))) // exp(−Inf) = 0 for absent entities
			w[j] = e
			sum += e
		}
		for j := range w {
			w[j] /= sum
		}
	}
	return a.w
}

// Weights returns the weights of the last forward pass (batch×n).
func (a *AttentionOf[T]) Weights() []T { return a.w }

// Backward takes dw = ∂L/∂w (batch×n) and returns ∂L/∂query (batch×Dim)
// and ∂L/∂keys (batch×n×Dim):
//
//	ds_j = w_j·(dw_j − Σ_l w_l·dw_l)
//	dq   = Scale·Σ_j ds_j·k_j,  dk_j = Scale·ds_j·q.
func (a *AttentionOf[T]) Backward(dw []T) (dQuery, dKeys []T) {
	n, d := a.n, a.Dim
	checkLen("Attention weight gradient", len(dw), a.batch*n)
	a.dq = grow(a.dq, a.batch*d)
	a.dk = grow(a.dk, a.batch*n*d)
	for b := range a.batch {
		w := a.w[b*n : b*n+n]
		g := dw[b*n : b*n+n]
		var dot T
		for j, v := range w {
			dot += v * g[j]
		}
		q := a.q[b*d : b*d+d]
		dq := a.dq[b*d : b*d+d]
		zero(dq)
		for j, v := range w {
			dk := a.dk[(b*n+j)*d : (b*n+j)*d+d]
			ds := a.Scale * v * (g[j] - dot)
			if ds == 0 {
				zero(dk)
				continue
			}
			kj := a.k[(b*n+j)*d : (b*n+j)*d+d]
			for i := range dq {
				dq[i] += ds * kj[i]
				dk[i] = ds * q[i]
			}
		}
	}
	return a.dq, a.dk
}

// Aggregate sums a set of value vectors with given weights, per batch item:
//
//	e = Σ_j w_j·v_j.
//
// Shapes: weights batch×n, values batch×n×Dim, output batch×Dim. MRA uses
// it for e_i = Σ_j g_ij·v_j. Aggregate is the float64 instantiation.
type AggregateOf[T Float] struct {
	Dim int

	batch, n int
	w, v     []T
	out      []T
	dw, dv   []T
}

// Forward returns the weighted sums for set size n ≥ 1. It keeps
// references to weights and values.
func (g *AggregateOf[T]) Forward(n int, weights, values []T) []T {
	checkSetSize("Aggregate", n)
	g.batch = setBatch("Aggregate", 1, len(weights), n)
	checkLen("Aggregate values", len(values), g.batch*n*g.Dim)
	g.n, g.w, g.v = n, weights, values
	d := g.Dim
	g.out = grow(g.out, g.batch*d)
	for b := range g.batch {
		e := g.out[b*d : b*d+d]
		zero(e)
		for j, wj := range weights[b*n : b*n+n] {
			if wj == 0 {
				continue
			}
			v := values[(b*n+j)*d : (b*n+j)*d+d]
			v = v[:len(e)]
			for i := range e {
				e[i] += wj * v[i]
			}
		}
	}
	return g.out
}

// Backward takes de = ∂L/∂e (batch×Dim) and returns ∂L/∂weights (batch×n)
// and ∂L/∂values (batch×n×Dim):
//
//	dw_j = de·v_j,  dv_j = w_j·de.
func (g *AggregateOf[T]) Backward(de []T) (dWeights, dValues []T) {
	n, d := g.n, g.Dim
	checkLen("Aggregate output gradient", len(de), g.batch*d)
	g.dw = grow(g.dw, g.batch*n)
	g.dv = grow(g.dv, g.batch*n*d)
	for b := range g.batch {
		e := de[b*d : b*d+d]
		for j := range n {
			v := g.v[(b*n+j)*d : (b*n+j)*d+d]
			dv := g.dv[(b*n+j)*d : (b*n+j)*d+d]
			v, dv = v[:len(e)], dv[:len(e)]
			wj := g.w[b*n+j]
			var s T
			for i, x := range e {
				s += x * v[i]
				dv[i] = wj * x
			}
			g.dw[b*n+j] = s
		}
	}
	return g.dw, g.dv
}

// EntityAttention attends from a query (built from an agent's own block)
// over a variable-size set of entity keys and values, masked for dead or
// padded entities:
//
//	w = Attention(q, k_1…k_n),  e = Σ_j w_j·v_j.
//
// Shapes: query batch×KeyDim, keys batch×n×KeyDim, values batch×n×ValueDim,
// present batch×n (nil means all present), output batch×ValueDim. The
// weights are exposed by Weights; MRA stores them as the relation graph.
// EntityAttention is the float64 instantiation.
type EntityAttentionOf[T Float] struct {
	Attn AttentionOf[T]
	Agg  AggregateOf[T]
}

// Attention is the float64 attention weights (see AttentionOf).
type Attention = AttentionOf[float64]

// Aggregate is the float64 weighted sum (see AggregateOf).
type Aggregate = AggregateOf[float64]

// EntityAttention is the float64 entity attention (see EntityAttentionOf).
type EntityAttention = EntityAttentionOf[float64]

// NewEntityAttention returns an EntityAttention with the given key and
// value widths and score scale.
func NewEntityAttention(keyDim, valueDim int, scale float64) *EntityAttention {
	return NewEntityAttentionOf[float64](keyDim, valueDim, scale)
}

// NewEntityAttentionOf is NewEntityAttention for element type T (the
// scale is rounded to T).
func NewEntityAttentionOf[T Float](keyDim, valueDim int, scale float64) *EntityAttentionOf[T] {
	return &EntityAttentionOf[T]{
		Attn: AttentionOf[T]{Dim: keyDim, Scale: T(scale)},
		Agg:  AggregateOf[T]{Dim: valueDim},
	}
}

// Forward returns the attended values for set size n ≥ 1.
func (ea *EntityAttentionOf[T]) Forward(n int, query, keys, values []T, present []bool) []T {
	w := ea.Attn.Forward(n, query, keys, present)
	return ea.Agg.Forward(n, w, values)
}

// Weights returns the attention weights of the last forward pass
// (batch×n).
func (ea *EntityAttentionOf[T]) Weights() []T { return ea.Attn.Weights() }

// Backward takes ∂L/∂e (batch×ValueDim) and, optionally, a direct gradient
// ∂L/∂w on the weights (batch×n, or nil), and returns the gradients with
// respect to query, keys and values. A non-nil dWeights is added to, and
// thus modified by, the gradient flowing back from the aggregation.
func (ea *EntityAttentionOf[T]) Backward(dOut, dWeights []T) (dQuery, dKeys, dValues []T) {
	dw, dv := ea.Agg.Backward(dOut)
	if dWeights != nil {
		checkLen("EntityAttention weight gradient", len(dWeights), len(dw))
		for i, v := range dWeights {
			dw[i] += v
		}
	}
	dq, dk := ea.Attn.Backward(dw)
	return dq, dk, dv
}

// checkSetSize panics unless the set size n is at least 1.
func checkSetSize(name string, n int) {
	if n < 1 {
		panic(fmt.Sprintf("nn: %s set size %d < 1", name, n))
	}
}

// setBatch returns the batch size implied by a per-item length of n·width,
// panicking unless total is a positive multiple of it.
func setBatch(name string, n, total, width int) int {
	per := n * width
	if width <= 0 || total == 0 || total%per != 0 {
		panic(fmt.Sprintf("nn: %s input length %d is not a positive multiple of %d", name, total, per))
	}
	return total / per
}
