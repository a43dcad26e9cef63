package nn

import "fmt"

// LayerOf is a differentiable map between flat row-major batches of
// element type T. Forward returns a slice owned by the layer that stays
// valid until the next call to Forward; Backward takes the gradient of a
// scalar loss with respect to that output, adds the parameter gradients
// (if any) into the bound gradient vector and returns the gradient with
// respect to the input of the last Forward, again in a slice owned by the
// layer.
type LayerOf[T Float] interface {
	Forward(x []T) []T
	Backward(dy []T) []T
}

// Layer is a float64 LayerOf, the type every network of the agents uses
// unless it asks for float32.
type Layer = LayerOf[float64]

// LinearOf is a fully connected layer applied to each row of a batch of
// element type T:
//
//	y[r,:] = W·x[r,:] + b
//
// with W Out×In and b of length Out, viewed in the bound parameter vector
// as one Segment (W row-major, bias last). x is rows×In and y is rows×Out
// for any number of rows.
//
// Forward keeps a reference to x, not a copy: x must not change before the
// matching Backward. Linear is the float64 instantiation; LinearOf[float32]
// computes in float32 with the float32 kernels, for the same algorithm.
type LinearOf[T Float] struct {
	In, Out int

	// W and B are views of the bound parameters, DW and DB of their
	// gradients. They are nil until SetParams is called.
	W, B, DW, DB []T

	x    []T
	rows int
	y    []T
	dx   []T
	wt   []T // Wᵀ, In×Out
	dwt  []T // accumulated ∂L/∂Wᵀ, In×Out
}

// Linear is the float64 fully connected layer (see LinearOf).
type Linear = LinearOf[float64]

// NewLinear returns an unbound Linear layer with the given input and output
// widths. It panics if either is not positive.
func NewLinear(in, out int) *Linear { return NewLinearOf[float64](in, out) }

// NewLinearOf is NewLinear for element type T.
func NewLinearOf[T Float](in, out int) *LinearOf[T] {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn: bad Linear shape %d→%d", in, out))
	}
	return &LinearOf[T]{In: in, Out: out}
}

// NumParams returns Out·In + Out.
func (l *LinearOf[T]) NumParams() int { return l.Out*l.In + l.Out }

// SetParams binds the layer to params and grads.
func (l *LinearOf[T]) SetParams(params, grads []T) {
	checkLen("Linear params", len(params), l.NumParams())
	checkLen("Linear grads", len(grads), l.NumParams())
	nw := l.Out * l.In
	l.W, l.B = params[:nw:nw], params[nw:]
	l.DW, l.DB = grads[:nw:nw], grads[nw:]
}

// AppendSegments appends the layer's single segment.
func (l *LinearOf[T]) AppendSegments(dst []Segment, offset int) []Segment {
	return append(dst, Segment{Offset: offset, Rows: l.Out, Cols: l.In, HasBias: true})
}

// Forward computes y = x·Wᵀ + b for x of shape rows×In and returns y
// (rows×Out). It panics if len(x) is not a positive multiple of In.
func (l *LinearOf[T]) Forward(x []T) []T { return l.forward(x, false) }

// forwardReLU is Forward followed by the ReLU, fused into the product:
// it returns max(0, x·Wᵀ + b), bit for bit ReLU.Forward of Forward's
// result, without a second pass over y. Backward then takes the gradient
// with respect to the pre-activation, as after Forward.
func (l *LinearOf[T]) forwardReLU(x []T) []T { return l.forward(x, true) }

func (l *LinearOf[T]) forward(x []T, relu bool) []T {
	if len(x) == 0 || len(x)%l.In != 0 {
		panic(fmt.Sprintf("nn: Linear input length %d is not a positive multiple of %d", len(x), l.In))
	}
	l.rows = len(x) / l.In
	l.x = x
	l.y = grow(l.y, l.rows*l.Out)
	if relu {
		mulABtReLU(l.y, x, l.W, l.B, l.rows, l.Out, l.In)
	} else {
		mulABt(l.y, x, l.W, l.B, l.rows, l.Out, l.In)
	}
	return l.y
}

// Backward takes dy = ∂L/∂y (rows×Out), accumulates
//
//	∂L/∂W += dyᵀ·x,  ∂L/∂b += Σ_r dy[r,:]
//
// into the bound gradients and returns ∂L/∂x = dy·W (rows×In).
func (l *LinearOf[T]) Backward(dy []T) []T {
	checkLen("Linear output gradient", len(dy), l.rows*l.Out)
	l.wt = grow(l.wt, l.In*l.Out)
	transpose(l.wt, l.W, l.Out, l.In)
	l.dx = grow(l.dx, l.rows*l.In)
	mulABt(l.dx, dy, l.wt, nil, l.rows, l.In, l.Out)

	l.dwt = grow(l.dwt, l.In*l.Out)
	zero(l.dwt)
	addATB(l.dwt, l.DB, l.x, dy, l.rows, l.In, l.Out)
	for o := range l.Out {
		dw := l.DW[o*l.In : o*l.In+l.In]
		for i := range dw {
			dw[i] += l.dwt[i*l.Out+o]
		}
	}
	return l.dx
}
