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
// and weights are computed in T; in float64 exp is math.Exp, in float32
// the vector exp of vec.go (within 1 ulp) where the CPU has SIMD. The loops
// over a batch item's set run in the vector kernels of vec.go.
// Attention is the float64 instantiation.
type AttentionOf[T Float] struct {
	Dim   int
	Scale T

	batch, n int
	q, k     []T
	present  []bool
	w        []T
	dq, dk   []T
	ds       []T // ∂L/∂s of one batch item
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
	// Scores s_j − max_l s_l per batch item (−Inf for absent entities, and
	// for all of an item with none present), exponentiated over the whole
	// batch at once, then normalised per item with the sum taken in order.
	for b := range a.batch {
		w := a.w[b*n : b*n+n]
		dotRows(w, query[b*d:b*d+d], keys[b*n*d:(b+1)*n*d], n, d)
		m := negInf
		for j, s := range w {
			if present != nil && !present[b*n+j] {
				w[j] = negInf
				continue
			}
			w[j] = a.Scale * s
			m = max(m, w[j])
		}
		if m == negInf {
			continue // all −Inf: exp gives +0 weights
		}
		for j, s := range w {
			w[j] = s - m
		}
	}
	expShift(a.w, 0)
	for b := range a.batch {
		w := a.w[b*n : b*n+n]
		var sum T
		for _, e := range w {
			sum += e
		}
		if sum == 0 {
			continue // no entity present
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
	a.ds = grow(a.ds, n)
	ds := a.ds[:n]
	for b := range a.batch {
		w := a.w[b*n : b*n+n]
		g := dw[b*n : b*n+n]
		var dot T
		for j, v := range w {
			dot += v * g[j]
		}
		for j, v := range w {
			ds[j] = a.Scale * v * (g[j] - dot)
		}
		// Rows with ds_j = 0 (absent entities among them) are skipped in dq
		// and set to +0 in dk.
		axpyRows(a.dq[b*d:b*d+d], ds, a.k[b*n*d:(b+1)*n*d], n, d)
		scaleRows(a.dk[b*n*d:(b+1)*n*d], ds, a.q[b*d:b*d+d], n, d, true)
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
	axpyRowsBatch(g.out, weights, values, n, d, g.batch, n, n*d)
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
		dotRows(g.dw[b*n:b*n+n], e, g.v[b*n*d:(b+1)*n*d], n, d)
		scaleRows(g.dv[b*n*d:(b+1)*n*d], g.w[b*n:b*n+n], e, n, d, false)
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
