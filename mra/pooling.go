package mra

import (
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/nn"
)

// The values of Config.RelationPooling: how a policy turns the relation
// graph g_i (a softmax over the c_i entity rows agent i observes) and the
// value rows v_ij into its embedding e_i. The two count-aware modes are
// the pooling of the count-aware entity encoder (nn.PoolOf and its
// nn.PoolModes), weighted by g.
const (
	// PoolingSoftmax is the official e_i = Σ_j g_ij·v_ij: an
	// attention-weighted mean, blind to how many rows there are.
	PoolingSoftmax = "softmax"
	// PoolingSum is e_i = c_i·Σ_j g_ij·v_ij: the attention-weighted sum,
	// whose scale grows with the count (nn.PoolSum).
	PoolingSum = nn.PoolSum
	// PoolingMeanLogCount is e_i = [Σ_j g_ij·v_ij ; ln(1 + c_i)]: the
	// official mean with the count appended as one more feature of the
	// head's input (nn.PoolMeanLogCount).
	PoolingMeanLogCount = nn.PoolMeanLogCount
)

// RelationPoolings lists the accepted values of Config.RelationPooling.
var RelationPoolings = []string{PoolingSoftmax, PoolingSum, PoolingMeanLogCount}

// relPool is a policy's pooling e_i of its value rows under the relation
// graph, in the mode of Config.RelationPooling: the official aggregation
// (nn.AggregateOf, which ignores the mask: absent rows have g_ij = 0) or
// nn.PoolOf with g as its weights and the mask giving the count.
type relPool[T nn.Float] struct {
	agg  nn.AggregateOf[T]
	pool *nn.PoolOf[T] // nil for PoolingSoftmax
}

// newRelPool returns the pooling of v-wide value rows in mode (one of
// RelationPoolings; Config.Validate checked it).
func newRelPool[T nn.Float](mode string, v int) relPool[T] {
	p := relPool[T]{agg: nn.AggregateOf[T]{Dim: v}}
	if mode != PoolingSoftmax && mode != "" {
		pool, err := nn.NewPoolOf[T](v, mode)
		if err != nil {
			panic(err) // the config was validated
		}
		p.pool = pool
	}
	return p
}

// out returns the width of e_i: the value width, plus one with the count
// feature.
func (p *relPool[T]) out() int {
	if p.pool == nil {
		return p.agg.Dim
	}
	return p.pool.Out()
}

// forward returns e (rows×out()) for the relation graph g (rows×E), the
// value rows vals (rows·E×V) and the present rows (rows·E).
func (p *relPool[T]) forward(e int, g, vals []T, present []bool) []T {
	if p.pool == nil {
		return p.agg.Forward(e, g, vals)
	}
	return p.pool.Forward(e, vals, g, present)
}

// backward takes ∂L/∂e (rows×out()) and returns ∂L/∂g (rows×E) and
// ∂L/∂vals (rows·E×V). The count feature has no gradient.
func (p *relPool[T]) backward(de []T) (dg, dv []T) {
	if p.pool == nil {
		return p.agg.Backward(de)
	}
	dv, dg = p.pool.Backward(de)
	return dg, dv
}

// typeMask returns the entity-row mask of type k's rows of rs.
func typeMask[T nn.Float](rs *chunk.Rows[T], k int, mask []bool) []bool {
	lo, hi := rs.RowsOf(k)
	return mask[lo*rs.E : hi*rs.E]
}
