package optim

import (
	"errors"
	"fmt"
	"math"

	"golang.org/x/exp/constraints"
)

// Optimizer is the one interface every method implements: a first-order step
// on flat parameter and gradient vectors of equal length.
//
// Step updates params in place from grad. It returns a [*LengthError] when the
// lengths differ from the optimizer's dimension and a [*NonFiniteError] when an
// entry of params or grad is NaN or ±Inf; in both cases neither params nor the
// optimizer's state is changed. Reset drops all accumulated state (moments,
// curvature windows, step counters) and rewinds any random stream to its seed,
// as when a learner starts on a new game or opponent. Name returns a short
// lower-case identifier such as "adam".
type Optimizer interface {
	Step(params, grad []float64) error
	Reset()
	Name() string
}

// LossFunc evaluates the loss at params on a fixed minibatch or with fixed
// episode seeds (common random numbers). It must not retain or modify params.
type LossFunc func(params []float64) float64

// GradFunc evaluates the loss at params and writes its gradient into grad, on
// the same fixed minibatch at every call within one step. It must not retain
// or modify params.
type GradFunc func(params, grad []float64) float64

// HVPFunc writes the Hessian-vector product H(params)·v into dst. It is the
// exact alternative to finite differences of a [GradFunc].
type HVPFunc func(params, v, dst []float64)

// ClosureStepper is implemented by methods that need gradients at points other
// than the current parameters, such as [AdaHessian]'s finite-difference
// Hessian-vector products. StepClosure evaluates f as often as the method
// needs, updates params in place and returns the loss at the incoming params.
type ClosureStepper interface {
	StepClosure(params []float64, f GradFunc) (loss float64, err error)
}

// ZeroOrder is implemented by gradient-free methods, which only evaluate
// losses. StepZO updates params in place and returns an estimate of the loss
// at the incoming params.
type ZeroOrder interface {
	StepZO(params []float64, f LossFunc) (loss float64, err error)
}

// Preconditioner exposes a method's curvature solve on its own. Apply writes
// dst = P⁻¹g for the method's current curvature model P without changing any
// state; dst and g must not overlap unless the method documents otherwise.
type Preconditioner interface {
	Apply(dst, g []float64) error
}

// Stateful is implemented by optimizers whose full state can be saved and
// restored. Restoring a snapshot into an optimizer built with the same
// configuration continues bit for bit where the snapshot was taken.
// UnmarshalState returns an error, and leaves the optimizer unchanged, for
// bytes that are corrupt, truncated, or from another method or dimension.
type Stateful interface {
	MarshalState() ([]byte, error)
	UnmarshalState(data []byte) error
}

// Transform is a gradient transform applied before a step, such as clipping,
// sketching or differential-privacy noise. Apply modifies grad in place.
type Transform interface {
	Apply(grad []float64) error
}

// LayerObserver is the interface for per-layer methods (MKOR, TrAct; not yet
// implemented): the backward pass reports, before Step, the batch-mean input
// activation (with the appended 1 for the bias) and the batch-summed output
// gradient of each linear layer of the [nn.Layout].
type LayerObserver interface {
	ObserveLayer(layer int, meanInput, sumOutGrad []float64)
}

// NonFiniteError reports a NaN or infinite value met by an optimizer. Index is
// the position in the parameter (InParams) or gradient vector, or -1 when the
// value is a loss returned by a closure.
type NonFiniteError struct {
	Optimizer string
	Index     int
	Value     float64
	InParams  bool
}

// Error implements the error interface.
func (e *NonFiniteError) Error() string {
	switch {
	case e.Index < 0:
		return fmt.Sprintf("optim: %s: non-finite loss %v", e.Optimizer, e.Value)
	case e.InParams:
		return fmt.Sprintf("optim: %s: non-finite parameter %v at index %d", e.Optimizer, e.Value, e.Index)
	default:
		return fmt.Sprintf("optim: %s: non-finite gradient %v at index %d", e.Optimizer, e.Value, e.Index)
	}
}

// LengthError reports a vector whose length differs from the optimizer's
// dimension. What names the vector ("params", "grad", "dst").
type LengthError struct {
	Optimizer string
	What      string
	Got, Want int
}

// Error implements the error interface.
func (e *LengthError) Error() string {
	return fmt.Sprintf("optim: %s: %s has length %d, want %d", e.Optimizer, e.What, e.Got, e.Want)
}

// ErrNeedsClosure is returned (wrapped) by a Step of a method that cannot
// proceed from a gradient alone, such as [AdaHessian] before its first
// curvature estimate.
var ErrNeedsClosure = errors.New("optim: method needs a closure step first")

// ErrState is wrapped by every UnmarshalState error.
var ErrState = errors.New("optim: invalid optimizer state")

// ErrConfig is wrapped by every constructor error caused by an invalid
// configuration value.
var ErrConfig = errors.New("optim: invalid configuration")

func configErr(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrConfig, name, fmt.Sprintf(format, args...))
}

// checkLen returns a *LengthError when len(x) != d.
func checkLen[T constraints.Float](name, what string, x []T, d int) error {
	if len(x) != d {
		return &LengthError{Optimizer: name, What: what, Got: len(x), Want: d}
	}
	return nil
}

// firstNonFinite returns the index of the first NaN or ±Inf in x, or -1.
// It relies on x−x being NaN exactly for non-finite x, and checks blocks of
// four so the common all-finite case costs about one add per entry.
func firstNonFinite[T constraints.Float](x []T) int {
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s := (x[i] - x[i]) + (x[i+1] - x[i+1]) + (x[i+2] - x[i+2]) + (x[i+3] - x[i+3])
		if s != 0 || s != s {
			break
		}
	}
	for ; i < len(x); i++ {
		if math.IsNaN(float64(x[i])) || math.IsInf(float64(x[i]), 0) {
			return i
		}
	}
	return -1
}

// checkStep validates the lengths and finiteness of params and grad.
func checkStep[T constraints.Float](name string, params, grad []T, d int) error {
	if err := checkLen(name, "params", params, d); err != nil {
		return err
	}
	if err := checkLen(name, "grad", grad, d); err != nil {
		return err
	}
	if i := firstNonFinite(grad); i >= 0 {
		return &NonFiniteError{Optimizer: name, Index: i, Value: float64(grad[i])}
	}
	if i := firstNonFinite(params); i >= 0 {
		return &NonFiniteError{Optimizer: name, Index: i, Value: float64(params[i]), InParams: true}
	}
	return nil
}

// checkParams validates the length and finiteness of params alone.
func checkParams(name string, params []float64, d int) error {
	if err := checkLen(name, "params", params, d); err != nil {
		return err
	}
	if i := firstNonFinite(params); i >= 0 {
		return &NonFiniteError{Optimizer: name, Index: i, Value: float64(params[i]), InParams: true}
	}
	return nil
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
