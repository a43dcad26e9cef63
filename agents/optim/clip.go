package optim

import (
	"math"
	"strings"
	"unsafe"

	"golang.org/x/exp/constraints"
	"gonum.org/v1/gonum/floats"
)

// ClipGlobalNorm rescales a gradient whose Euclidean norm exceeds MaxNorm, as
// torch.nn.utils.clip_grad_norm_ does (including its 1e-6 guard):
//
//	n = ‖g‖₂
//	g ← g · MaxNorm/(n + 1e-6)   if MaxNorm/(n + 1e-6) < 1
//
// MRA clips the critic and relation-graph gradients at 10·n_agents. The zero
// value clips every non-zero gradient to (almost) zero; set MaxNorm > 0.
type ClipGlobalNorm struct {
	MaxNorm float64
	// LastNorm is the pre-clip norm seen by the latest Clip or Apply, for
	// logging.
	LastNorm float64
}

// Clip rescales grad in place and returns its norm before clipping. It returns
// a [*NonFiniteError] naming "clip" and the index, with grad unchanged, when
// grad holds a NaN or ±Inf.
func (c *ClipGlobalNorm) Clip(grad []float64) (float64, error) {
	if i := firstNonFinite(grad); i >= 0 {
		return math.NaN(), &NonFiniteError{Optimizer: "clip", Index: i, Value: grad[i]}
	}
	var ss float64
	for _, g := range grad {
		ss += g * g
	}
	n := math.Sqrt(ss)
	if math.IsInf(n, 0) || (n == 0 && ss != 0) {
		n = floats.Norm(grad, 2) // overflow or underflow of the plain sum: use the scaled algorithm
	}
	c.LastNorm = n
	if coef := c.MaxNorm / (n + 1e-6); coef < 1 {
		floats.Scale(coef, grad)
	}
	return n, nil
}

// ClipOf is [ClipGlobalNorm.Clip] for a gradient of element type T. For
// float64 it is Clip itself; for float32 the squared norm is accumulated
// in float64 and the scale factor rounded to float32.
func ClipOf[T constraints.Float](c *ClipGlobalNorm, grad []T) (float64, error) {
	var z T
	if unsafe.Sizeof(z) == 8 {
		return c.Clip(unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(grad))), len(grad)))
	}
	if i := firstNonFinite(grad); i >= 0 {
		return math.NaN(), &NonFiniteError{Optimizer: "clip", Index: i, Value: float64(grad[i])}
	}
	var ss float64
	for _, g := range grad {
		ss += float64(g) * float64(g)
	}
	n := math.Sqrt(ss)
	c.LastNorm = n
	if coef := c.MaxNorm / (n + 1e-6); coef < 1 {
		tc := T(coef)
		for i := range grad {
			grad[i] *= tc
		}
	}
	return n, nil
}

// Name returns "clip".
func (c *ClipGlobalNorm) Name() string { return "clip" }

// Apply clips grad in place; see [ClipGlobalNorm.Clip].
func (c *ClipGlobalNorm) Apply(grad []float64) error {
	_, err := c.Clip(grad)
	return err
}

// Chain is an [Optimizer] that runs its Transforms on the gradient, in order,
// and then steps Opt. The transforms modify the caller's gradient slice. If a
// transform fails, Step returns its error and params are unchanged.
type Chain struct {
	Transforms []Transform
	Opt        Optimizer
	name       string
}

// Name returns the names of the parts, such as "chain(clip,adam)".
func (c *Chain) Name() string {
	if c.name == "" {
		parts := make([]string, 0, len(c.Transforms)+1)
		for _, t := range c.Transforms {
			if n, ok := t.(interface{ Name() string }); ok {
				parts = append(parts, n.Name())
			} else {
				parts = append(parts, "transform")
			}
		}
		parts = append(parts, c.Opt.Name())
		c.name = "chain(" + strings.Join(parts, ",") + ")"
	}
	return c.name
}

// Step applies the transforms to grad and then steps the optimizer.
func (c *Chain) Step(params, grad []float64) error {
	if len(params) != len(grad) {
		return &LengthError{Optimizer: c.Name(), What: "grad", Got: len(grad), Want: len(params)}
	}
	if i := firstNonFinite(params); i >= 0 {
		return &NonFiniteError{Optimizer: c.Name(), Index: i, Value: params[i], InParams: true}
	}
	for _, t := range c.Transforms {
		if err := t.Apply(grad); err != nil {
			return err
		}
	}
	return c.Opt.Step(params, grad)
}

// Reset resets the optimizer; transforms hold no state.
func (c *Chain) Reset() { c.Opt.Reset() }

// MarshalState returns the wrapped optimizer's state; it fails when the
// optimizer is not [Stateful].
func (c *Chain) MarshalState() ([]byte, error) {
	s, ok := c.Opt.(Stateful)
	if !ok {
		return nil, configErr(c.Name(), "wrapped optimizer %s has no serialisable state", c.Opt.Name())
	}
	return s.MarshalState()
}

// UnmarshalState restores the wrapped optimizer's state.
func (c *Chain) UnmarshalState(data []byte) error {
	s, ok := c.Opt.(Stateful)
	if !ok {
		return configErr(c.Name(), "wrapped optimizer %s has no serialisable state", c.Opt.Name())
	}
	return s.UnmarshalState(data)
}
