package nn

import "fmt"

// MLPOf is a multilayer perceptron over element type T: Linear layers with
// an activation between
// consecutive layers and none after the last, applied to each row of a
// batch. NewMLP(NewReLU, 22, 32, 96) is MRA's key_self network
//
//	x (rows×22) → Linear → ReLU → Linear → y (rows×96).
//
// Its parameters are the Linear layers' segments in order. MLP is the
// float64 instantiation.
type MLPOf[T Float] struct {
	Layers      []*LinearOf[T]
	Activations []LayerOf[T] // Activations[i] follows Layers[i]; len(Layers)−1 of them
}

// MLP is the float64 multilayer perceptron (see MLPOf).
type MLP = MLPOf[float64]

// NewMLP returns an unbound MLP with layer widths sizes[0] → sizes[1] → …,
// calling act once per hidden layer to make its activation. It panics if
// fewer than two sizes are given.
func NewMLP(act func() Layer, sizes ...int) *MLP { return NewMLPOf(act, sizes...) }

// NewMLPOf is NewMLP for element type T, e.g.
// NewMLPOf(NewReLUOf[float32], 22, 32, 96).
func NewMLPOf[T Float](act func() LayerOf[T], sizes ...int) *MLPOf[T] {
	if len(sizes) < 2 {
		panic(fmt.Sprintf("nn: NewMLP needs at least 2 sizes, got %d", len(sizes)))
	}
	m := &MLPOf[T]{}
	for i := 0; i+1 < len(sizes); i++ {
		m.Layers = append(m.Layers, NewLinearOf[T](sizes[i], sizes[i+1]))
		if i+2 < len(sizes) {
			m.Activations = append(m.Activations, act())
		}
	}
	return m
}

// In returns the input width.
func (m *MLPOf[T]) In() int { return m.Layers[0].In }

// Out returns the output width.
func (m *MLPOf[T]) Out() int { return m.Layers[len(m.Layers)-1].Out }

// NumParams returns the total number of parameters of the Linear layers.
func (m *MLPOf[T]) NumParams() int {
	var n int
	for _, l := range m.Layers {
		n += l.NumParams()
	}
	return n
}

// SetParams binds the Linear layers to consecutive parts of params and
// grads.
func (m *MLPOf[T]) SetParams(params, grads []T) {
	checkLen("MLP params", len(params), m.NumParams())
	checkLen("MLP grads", len(grads), m.NumParams())
	var off int
	for _, l := range m.Layers {
		k := l.NumParams()
		l.SetParams(params[off:off+k:off+k], grads[off:off+k:off+k])
		off += k
	}
}

// AppendSegments appends one segment per Linear layer.
func (m *MLPOf[T]) AppendSegments(dst []Segment, offset int) []Segment {
	for _, l := range m.Layers {
		dst = l.AppendSegments(dst, offset)
		offset += l.NumParams()
	}
	return dst
}

// Forward maps x (rows×In) to the output (rows×Out). A ReLU after a
// Linear layer is fused into the layer's product (same bits, one pass
// fewer over the hidden activations).
func (m *MLPOf[T]) Forward(x []T) []T {
	for i, l := range m.Layers {
		if i < len(m.Activations) {
			if r, ok := m.Activations[i].(*ReLUOf[T]); ok {
				x = r.adopt(l.forwardReLU(x))
				continue
			}
		}
		x = l.Forward(x)
		if i < len(m.Activations) {
			x = m.Activations[i].Forward(x)
		}
	}
	return x
}

// Backward takes ∂L/∂y (rows×Out), accumulates the parameter gradients
// and returns ∂L/∂x (rows×In).
func (m *MLPOf[T]) Backward(dy []T) []T {
	for i := len(m.Layers) - 1; i >= 0; i-- {
		if i < len(m.Activations) {
			dy = m.Activations[i].Backward(dy)
		}
		dy = m.Layers[i].Backward(dy)
	}
	return dy
}
