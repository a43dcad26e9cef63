package nn

import (
	"fmt"

	"github.com/mrasim/mrasim/agents/optim"
)

// Segment locates one weight matrix, and optionally its bias, inside a flat
// parameter vector p. The weights W are Rows×Cols (outputs × inputs) stored
// row-major, so W[o,i] is p[Offset + o·Cols + i]; the bias, when HasBias is
// true, follows immediately:
//
//	W = p[Offset : Offset+Rows·Cols]
//	b = p[Offset+Rows·Cols : Offset+Rows·Cols+Rows]
//
// The gradient vector uses the same layout. It is the optimizer core's type,
// so a network's layout goes to per-layer optimizers as it is.
type Segment = optim.Segment

// Layout lists the segments of a flat parameter vector in increasing
// offset order. The segments of a layout built by NewParams tile the vector
// without gaps, so Len is the length of the vector.
type Layout = optim.Layout

// ModuleOf is a component whose parameters, of element type T, live in a
// flat vector.
type ModuleOf[T Float] interface {
	// NumParams returns the number of parameters of the module.
	NumParams() int

	// SetParams makes the module use params and grads, each of length
	// NumParams, as views for its parameters and their gradients. It
	// panics if a length is wrong.
	SetParams(params, grads []T)

	// AppendSegments appends the module's segments to dst, with offsets
	// shifted by offset, and returns the extended slice.
	AppendSegments(dst []Segment, offset int) []Segment
}

// Module is a float64 ModuleOf, the kind every network of the agents is
// unless it asks for float32.
type Module = ModuleOf[float64]

// Params is a flat parameter vector, its twin gradient vector and the
// layout of the modules bound to them, of element type T.
type ParamsOf[T Float] struct {
	Value  []T
	Grad   []T
	Layout Layout
}

// Params is the float64 parameter vector (see ParamsOf).
type Params = ParamsOf[float64]

// NewParams allocates zeroed parameter and gradient vectors for mods, laid
// out back to back in argument order, and binds each module to its part of
// both vectors.
func NewParams(mods ...Module) *Params { return NewParamsOf(mods...) }

// NewParamsOf is NewParams for element type T.
func NewParamsOf[T Float](mods ...ModuleOf[T]) *ParamsOf[T] {
	var n int
	for _, m := range mods {
		n += m.NumParams()
	}
	p := &ParamsOf[T]{Value: make([]T, n), Grad: make([]T, n)}
	var off int
	for _, m := range mods {
		k := m.NumParams()
		m.SetParams(p.Value[off:off+k:off+k], p.Grad[off:off+k:off+k])
		p.Layout.Layers = m.AppendSegments(p.Layout.Layers, off)
		off += k
	}
	return p
}

// ZeroGrad sets the gradient vector to zero. Backward passes accumulate
// into it, so call ZeroGrad before each new gradient evaluation.
func (p *ParamsOf[T]) ZeroGrad() { zero(p.Grad) }

func checkLen(name string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("nn: %s has length %d, want %d", name, got, want))
	}
}
