package nn

import (
	"fmt"
	"math"
)

// Pooling modes of Pool: how a set of entity vectors becomes one vector,
// and so whether the network after it can tell how many entities there
// are.
const (
	// PoolMean is the (weighted) mean: blind to the count, as a softmax
	// attention is. Duplicating every entity changes nothing.
	PoolMean = "mean"
	// PoolSum is the count times the (weighted) mean: with uniform
	// weights the Deep-Sets sum Σ_j v_j (as HPN pools). Its scale grows
	// with the count.
	PoolSum = "sum"
	// PoolMeanLogCount is the (weighted) mean with ln(1 + count) appended
	// as one more feature: the count reaches the network on a scale that
	// grows slowly, and the mean keeps its scale at any count.
	PoolMeanLogCount = "mean+logcount"
)

// PoolModes lists the accepted pooling modes.
var PoolModes = []string{PoolMean, PoolSum, PoolMeanLogCount}

// PoolOf pools a set of entity value vectors into one vector per batch
// item, keeping the set's size where the mode asks for it. With the
// present entities' weights w_j (the uniform 1/c over the c present
// entities when no weights are given: Deep-Sets pooling; attention
// weights summing to 1 over them: attention pooling) it computes
//
//	m = Σ_j w_j·v_j,   out = m (mean), c·m (sum) or [m, ln(1 + c)] (mean+logcount).
//
// An item with no entity present pools to zeros. Shapes: values
// batch×n×Dim, present batch×n (nil: all present), weights batch×n or
// nil, output batch×Out(). Buffers are reused across calls of the same
// shape, so a pooling step allocates nothing once warm. Pool is the
// float64 instantiation.
type PoolOf[T Float] struct {
	Dim  int
	Mode string

	batch, n  int
	v, w      []T
	present   []bool
	count     []T // batch: present entities per item
	out       []T
	dv, dw    []T
	useWeight bool
}

// Pool is the float64 pooling (see PoolOf).
type Pool = PoolOf[float64]

// NewPool returns a pooling of vectors of width dim in mode, or an error
// naming the mode and the accepted ones.
func NewPool(dim int, mode string) (*Pool, error) { return NewPoolOf[float64](dim, mode) }

// NewPoolOf is NewPool for element type T.
func NewPoolOf[T Float](dim int, mode string) (*PoolOf[T], error) {
	switch mode {
	case PoolMean, PoolSum, PoolMeanLogCount:
	default:
		return nil, fmt.Errorf("nn: pooling mode %q, want one of %v", mode, PoolModes)
	}
	if dim < 1 {
		return nil, fmt.Errorf("nn: pooling width %d, want ≥ 1", dim)
	}
	return &PoolOf[T]{Dim: dim, Mode: mode}, nil
}

// Out returns the width of a pooled vector: Dim, or Dim + 1 with the
// count feature.
func (p *PoolOf[T]) Out() int {
	if p.Mode == PoolMeanLogCount {
		return p.Dim + 1
	}
	return p.Dim
}

// Forward pools sets of size n ≥ 1. It keeps references to values,
// weights and present. It panics on inconsistent lengths.
func (p *PoolOf[T]) Forward(n int, values, weights []T, present []bool) []T {
	checkSetSize("Pool", n)
	d, od := p.Dim, p.Out()
	p.batch = setBatch("Pool", n, len(values), d)
	if present != nil {
		checkLen("Pool mask", len(present), p.batch*n)
	}
	if weights != nil {
		checkLen("Pool weights", len(weights), p.batch*n)
	}
	p.n, p.v, p.present, p.useWeight = n, values, present, weights != nil
	p.w = grow(p.w, p.batch*n)
	p.count = grow(p.count, p.batch)
	p.out = grow(p.out, p.batch*od)
	for b := range p.batch {
		var c int
		for j := range n {
			if present == nil || present[b*n+j] {
				c++
			}
		}
		p.count[b] = T(c)
		w := p.w[b*n : (b+1)*n]
		for j := range n {
			switch {
			case present != nil && !present[b*n+j]:
				w[j] = 0
			case weights != nil:
				w[j] = weights[b*n+j]
			default:
				w[j] = 1 / T(c)
			}
		}
		if p.Mode == PoolSum {
			for j := range w {
				w[j] *= T(c)
			}
		}
		out := p.out[b*od : b*od+d]
		clear(out)
		for j := range n {
			if w[j] == 0 {
				continue
			}
			v := values[(b*n+j)*d : (b*n+j+1)*d]
			for k := range out {
				out[k] += w[j] * v[k]
			}
		}
		if p.Mode == PoolMeanLogCount {
			p.out[b*od+d] = T(math.Log1p(float64(c)))
		}
	}
	return p.out
}

// Count returns the number of present entities of each batch item of the
// last forward pass.
func (p *PoolOf[T]) Count() []T { return p.count }

// Backward takes ∂L/∂out (batch×Out()) and returns ∂L/∂values
// (batch×n×Dim; zero for absent entities) and, when Forward was given
// weights, ∂L/∂weights (batch×n; zero for absent entities; nil without
// weights). The count feature has no gradient.
func (p *PoolOf[T]) Backward(dout []T) (dValues, dWeights []T) {
	n, d, od := p.n, p.Dim, p.Out()
	checkLen("Pool output gradient", len(dout), p.batch*od)
	p.dv = grow(p.dv, p.batch*n*d)
	if p.useWeight {
		p.dw = grow(p.dw, p.batch*n)
	}
	for b := range p.batch {
		g := dout[b*od : b*od+d]
		scale := T(1)
		if p.Mode == PoolSum {
			scale = p.count[b]
		}
		for j := range n {
			dv := p.dv[(b*n+j)*d : (b*n+j+1)*d]
			w := p.w[b*n+j]
			for k := range dv {
				dv[k] = w * g[k]
			}
			if !p.useWeight {
				continue
			}
			var s T
			if p.present == nil || p.present[b*n+j] {
				v := p.v[(b*n+j)*d : (b*n+j+1)*d]
				for k := range v {
					s += v[k] * g[k]
				}
			}
			p.dw[b*n+j] = scale * s
		}
	}
	if !p.useWeight {
		return p.dv, nil
	}
	return p.dv, p.dw
}
