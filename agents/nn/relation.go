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
// Its parameters are Key's segments followed by Query's.
type RelationNet struct {
	Key, Query *MLP
	Heads      int
	HeadDim    int

	keyMix, queryMix HeadMix
	attn             Attention
	dz               []float64
}

// NewRelationNet returns an unbound relation net with ReLU MLPs
// in → hidden → heads·headDim and the score scale 1/√(2·hidden) used by
// MRA's code (1/8 for hidden = 32). The scale can be changed through
// SetScale.
func NewRelationNet(in, hidden, heads, headDim int) *RelationNet {
	return &RelationNet{
		Key:      NewMLP(NewReLU, in, hidden, heads*headDim),
		Query:    NewMLP(NewReLU, in, hidden, heads*headDim),
		Heads:    heads,
		HeadDim:  headDim,
		keyMix:   HeadMix{Heads: heads, Dim: headDim},
		queryMix: HeadMix{Heads: heads, Dim: headDim},
		attn:     Attention{Dim: headDim, Scale: 1 / math.Sqrt(2*float64(hidden))},
	}
}

// Scale returns the factor applied to the key–query dot products.
func (rn *RelationNet) Scale() float64 { return rn.attn.Scale }

// SetScale sets the factor applied to the key–query dot products.
func (rn *RelationNet) SetScale(s float64) { rn.attn.Scale = s }

// NumParams returns the number of parameters of Key and Query.
func (rn *RelationNet) NumParams() int { return rn.Key.NumParams() + rn.Query.NumParams() }

// SetParams binds Key and then Query to consecutive parts of params and
// grads.
func (rn *RelationNet) SetParams(params, grads []float64) {
	checkLen("RelationNet params", len(params), rn.NumParams())
	checkLen("RelationNet grads", len(grads), rn.NumParams())
	k := rn.Key.NumParams()
	rn.Key.SetParams(params[:k:k], grads[:k:k])
	rn.Query.SetParams(params[k:], grads[k:])
}

// AppendSegments appends Key's segments, then Query's.
func (rn *RelationNet) AppendSegments(dst []Segment, offset int) []Segment {
	dst = rn.Key.AppendSegments(dst, offset)
	return rn.Query.AppendSegments(dst, offset+rn.Key.NumParams())
}

// Forward returns the relation graph g (batch×n) for n ≥ 1 other agents.
// It keeps references to its arguments.
func (rn *RelationNet) Forward(n int, self, others, z []float64, present []bool) []float64 {
	k := rn.keyMix.Forward(1, rn.Key.Forward(self), z)
	q := rn.queryMix.Forward(n, rn.Query.Forward(others), z)
	return rn.attn.Forward(n, k, q, present)
}

// Graph returns the relation graph of the last forward pass (batch×n).
func (rn *RelationNet) Graph() []float64 { return rn.attn.Weights() }

// Backward takes dg = ∂L/∂g (batch×n), accumulates the gradients of Key
// and Query and returns ∂L/∂self (batch×In), ∂L/∂others (batch×n×In) and
// ∂L/∂z (batch×Heads).
func (rn *RelationNet) Backward(dg []float64) (dSelf, dOthers, dz []float64) {
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
