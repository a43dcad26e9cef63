package nn

import "fmt"

// Segment locates one weight matrix, and optionally its bias, inside a flat
// parameter vector p. The weights W are Rows×Cols (outputs × inputs) stored
// row-major, so W[o,i] is p[Offset + o·Cols + i]; the bias, when HasBias is
// true, follows immediately:
//
//	W = p[Offset : Offset+Rows·Cols]
//	b = p[Offset+Rows·Cols : Offset+Rows·Cols+Rows]
//
// The gradient vector uses the same layout. It belongs to the layers that
// define it; optimizers (package agents/optim) take a network's layout as it
// is, for example as AdaHessian's averaging blocks.
type Segment struct {
	Offset, Rows, Cols int
	HasBias            bool
}

// Len returns the number of parameters of the segment, bias included.
func (s Segment) Len() int {
	n := s.Rows * s.Cols
	if s.HasBias {
		n += s.Rows
	}
	return n
}

// Weights returns the view of p holding the segment's weights.
func (s Segment) Weights(p []float64) []float64 {
	end := s.Offset + s.Rows*s.Cols
	return p[s.Offset:end:end]
}

// Bias returns the view of p holding the segment's bias, or nil if the
// segment has none.
func (s Segment) Bias(p []float64) []float64 {
	if !s.HasBias {
		return nil
	}
	start := s.Offset + s.Rows*s.Cols
	return p[start : start+s.Rows : start+s.Rows]
}

// Layout lists the segments of a flat parameter vector in increasing
// offset order. The segments of a layout built by NewParams tile the vector
// without gaps, so Len is the length of the vector. Optimizers use it to
// view the vector as per-layer matrices.
type Layout struct {
	Layers []Segment
}

// Len returns the end of the last segment, which is the length of the
// parameter vector when the segments tile it, as layouts built by
// NewParams do.
func (l Layout) Len() int {
	if len(l.Layers) == 0 {
		return 0
	}
	last := l.Layers[len(l.Layers)-1]
	return last.Offset + last.Len()
}

// Validate returns an error when a segment of l has a negative offset or
// shape, extends past d parameters, or overlaps an earlier segment, so a
// caller handed a layout from elsewhere (an optimizer's configuration) can
// refuse it before indexing with it.
func (l Layout) Validate(d int) error {
	end := 0
	for i, s := range l.Layers {
		if s.Offset < 0 || s.Rows <= 0 || s.Cols <= 0 {
			return fmt.Errorf("nn: layout segment %d: offset %d, rows %d, cols %d: need offset ≥ 0 and rows, cols ≥ 1", i, s.Offset, s.Rows, s.Cols)
		}
		if s.Offset < end {
			return fmt.Errorf("nn: layout segment %d starts at %d, inside the previous segment (ends at %d): segments must be ordered and disjoint", i, s.Offset, end)
		}
		end = s.Offset + s.Len()
		if end > d {
			return fmt.Errorf("nn: layout segment %d ends at %d, past the %d parameters", i, end, d)
		}
	}
	return nil
}

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
