package nn

import "math"

// RelationNet is MRA's relation network φ: it turns an agent's own
// observation block and the blocks of the other agents into the relation
// graph g, a distribution over the others selected by the latent z.
//
//	k   = Σ_h z_h·Key(self)_h            (Key: In → Hidden → ReLU → Heads·HeadDim)
//	q_j = Σ_h z_h·Query(other_j)_h       (Query: same shape, one per other agent)
//	g_j = softmax_j(Scale·k·q_j)         over present others, 0 for absent ones
//
// In MRA's code the MLPs are key_self and query_others, 22 → 32 → 96 with
// 6 heads × 16, and Scale = 1/8. Shapes: self batch×In, others batch×n×In,
// z batch×Heads, present batch×n (nil means all present), g batch×n.
//
// Its parameters are Key's segments followed by Query's. RelationNet is
// the float64 instantiation.
type RelationNetOf[T Float] struct {
	Key, Query *MLPOf[T]
	Heads      int
	HeadDim    int

	keyMix, queryMix HeadMixOf[T]
	attn             AttentionOf[T]
	dz               []T
}

// RelationNet is the float64 relation network (see RelationNetOf).
type RelationNet = RelationNetOf[float64]

// NewRelationNet returns an unbound relation net with ReLU MLPs
// in → hidden → heads·headDim and the score scale 1/√(2·hidden) used by
// MRA's code (1/8 for hidden = 32). The scale can be changed through
// SetScale.
func NewRelationNet(in, hidden, heads, headDim int) *RelationNet {
	return NewRelationNetOf[float64](in, hidden, heads, headDim)
}

// NewRelationNetOf is NewRelationNet for element type T.
func NewRelationNetOf[T Float](in, hidden, heads, headDim int) *RelationNetOf[T] {
	return &RelationNetOf[T]{
		Key:      NewMLPOf(NewReLUOf[T], in, hidden, heads*headDim),
		Query:    NewMLPOf(NewReLUOf[T], in, hidden, heads*headDim),
		Heads:    heads,
		HeadDim:  headDim,
		keyMix:   HeadMixOf[T]{Heads: heads, Dim: headDim},
		queryMix: HeadMixOf[T]{Heads: heads, Dim: headDim},
		attn:     AttentionOf[T]{Dim: headDim, Scale: T(1 / math.Sqrt(2*float64(hidden)))},
	}
}

// Scale returns the factor applied to the key–query dot products.
func (rn *RelationNetOf[T]) Scale() float64 { return float64(rn.attn.Scale) }

// SetScale sets the factor applied to the key–query dot products (rounded
// to T).
func (rn *RelationNetOf[T]) SetScale(s float64) { rn.attn.Scale = T(s) }

// NumParams returns the number of parameters of Key and Query.
func (rn *RelationNetOf[T]) NumParams() int { return rn.Key.NumParams() + rn.Query.NumParams() }

// SetParams binds Key and then Query to consecutive parts of params and
// grads.
func (rn *RelationNetOf[T]) SetParams(params, grads []T) {
	checkLen("RelationNet params", len(params), rn.NumParams())
	checkLen("RelationNet grads", len(grads), rn.NumParams())
	k := rn.Key.NumParams()
	rn.Key.SetParams(params[:k:k], grads[:k:k])
	rn.Query.SetParams(params[k:], grads[k:])
}

// AppendSegments appends Key's segments, then Query's.
func (rn *RelationNetOf[T]) AppendSegments(dst []Segment, offset int) []Segment {
	dst = rn.Key.AppendSegments(dst, offset)
	return rn.Query.AppendSegments(dst, offset+rn.Key.NumParams())
}

// Forward returns the relation graph g (batch×n) for n ≥ 1 other agents.
// It keeps references to its arguments.
func (rn *RelationNetOf[T]) Forward(n int, self, others, z []T, present []bool) []T {
	k := rn.keyMix.Forward(1, rn.Key.Forward(self), z)
	q := rn.queryMix.Forward(n, rn.Query.Forward(others), z)
	return rn.attn.Forward(n, k, q, present)
}

// Graph returns the relation graph of the last forward pass (batch×n).
func (rn *RelationNetOf[T]) Graph() []T { return rn.attn.Weights() }

// Backward takes dg = ∂L/∂g (batch×n), accumulates the gradients of Key
// and Query and returns ∂L/∂self (batch×In), ∂L/∂others (batch×n×In) and
// ∂L/∂z (batch×Heads).
func (rn *RelationNetOf[T]) Backward(dg []T) (dSelf, dOthers, dz []T) {
	dk, dq := rn.attn.Backward(dg)
	dkFull, dz1 := rn.keyMix.Backward(dk)
	dqFull, dz2 := rn.queryMix.Backward(dq)
	rn.dz = grow(rn.dz, len(dz1))
	for i := range rn.dz {
		rn.dz[i] = dz1[i] + dz2[i]
	}
	dSelf = rn.Key.Backward(dkFull)
	dOthers = rn.Query.Backward(dqFull)
	return dSelf, dOthers, rn.dz
}
