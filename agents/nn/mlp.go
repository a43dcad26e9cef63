package nn

import "fmt"

// MLP is a multilayer perceptron: Linear layers with an activation between
// consecutive layers and none after the last, applied to each row of a
// batch. NewMLP(NewReLU, 22, 32, 96) is MRA's key_self network
//
//	x (rows×22) → Linear → ReLU → Linear → y (rows×96).
//
// Its parameters are the Linear layers' segments in order.
type MLP struct {
	Layers      []*Linear
	Activations []Layer // Activations[i] follows Layers[i]; len(Layers)−1 of them
}

// NewMLP returns an unbound MLP with layer widths sizes[0] → sizes[1] → …,
// calling act once per hidden layer to make its activation. It panics if
// fewer than two sizes are given.
func NewMLP(act func() Layer, sizes ...int) *MLP {
	if len(sizes) < 2 {
		panic(fmt.Sprintf("nn: NewMLP needs at least 2 sizes, got %d", len(sizes)))
	}
	m := &MLP{}
	for i := 0; i+1 < len(sizes); i++ {
		m.Layers = append(m.Layers, NewLinear(sizes[i], sizes[i+1]))
		if i+2 < len(sizes) {
			m.Activations = append(m.Activations, act())
		}
	}
	return m
}

// In returns the input width.
func (m *MLP) In() int { return m.Layers[0].In }

// Out returns the output width.
func (m *MLP) Out() int { return m.Layers[len(m.Layers)-1].Out }

// NumParams returns the total number of parameters of the Linear layers.
func (m *MLP) NumParams() int {
	var n int
	for _, l := range m.Layers {
		n += l.NumParams()
	}
	return n
}

// SetParams binds the Linear layers to consecutive parts of params and
// grads.
func (m *MLP) SetParams(params, grads []float64) {
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
func (m *MLP) AppendSegments(dst []Segment, offset int) []Segment {
	for _, l := range m.Layers {
		dst = l.AppendSegments(dst, offset)
		offset += l.NumParams()
	}
	return dst
}

// Forward maps x (rows×In) to the output (rows×Out). A ReLU after a
// Linear layer is fused into the layer's product (same bits, one pass
// fewer over the hidden activations).
func (m *MLP) Forward(x []float64) []float64 {
	for i, l := range m.Layers {
		if i < len(m.Activations) {
			if r, ok := m.Activations[i].(*ReLU); ok {
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
func (m *MLP) Backward(dy []float64) []float64 {
	for i := len(m.Layers) - 1; i >= 0; i-- {
		if i < len(m.Activations) {
			dy = m.Activations[i].Backward(dy)
		}
		dy = m.Layers[i].Backward(dy)
	}
	return dy
}
