package optim

import (
	"math"

	"golang.org/x/exp/constraints"
)

// AdamConfig configures [Adam].
type AdamConfig struct {
	LR          Schedule // learning rate η (PyTorch default 1e-3)
	Beta1       float64  // first-moment decay β1 ∈ [0, 1) (default 0.9)
	Beta2       float64  // second-moment decay β2 ∈ [0, 1) (default 0.999)
	Eps         float64  // ε > 0 added to the root of the second moment (default 1e-8)
	WeightDecay float64  // wd ≥ 0; coupled (L2) for NewAdam, decoupled for NewAdamW
}

// DefaultAdam returns PyTorch's Adam defaults: η = 1e-3, β = (0.9, 0.999),
// ε = 1e-8, no weight decay. MRA uses these with WeightDecay = 3e-4 through
// [NewAdam] (torch.optim.Adam's coupled L2 decay).
func DefaultAdam() AdamConfig {
	return AdamConfig{LR: Constant(1e-3), Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Adam is the Adam optimizer, in either of PyTorch's two weight-decay forms.
//
// Built by [NewAdam] it matches torch.optim.Adam(weight_decay=wd), which adds
// an L2 term to the gradient, so the decay is rescaled by the adaptive
// denominator (this is what MRA's official code uses):
//
//	g̃ = g + wd·θ
//
// Built by [NewAdamW] it matches torch.optim.AdamW, whose decay is decoupled
// from the gradient statistics:
//
//	g̃ = g;  θ ← θ·(1 − η·wd)   before the step below
//
// Then, at step t = 1, 2, …:
//
//	m ← β1·m + (1−β1)·g̃
//	v ← β2·v + (1−β2)·g̃⊙g̃
//	θ ← θ − (η/(1−β1ᵗ)) · m ⊘ (√v/√(1−β2ᵗ) + ε)
//
// (the division by √(1−β2ᵗ) is done as a multiplication by its inverse, so
// results can differ from PyTorch's in the last bit).
//
// AdamOf keeps its moments in the parameters' element type T: float64
// (Adam, what every optimizer of the package uses) or float32 (the float32
// training path of the scaling work). The step's scalar factors (η/(1−β1ᵗ),
// 1/√(1−β2ᵗ)) are computed in float64 and rounded to T; the elementwise
// update runs in T. Only Adam (float64) implements [Optimizer].
//
// References: Kingma and Ba, "Adam: A Method for Stochastic Optimization",
// arXiv 1412.6980; Loshchilov and Hutter, arXiv 1711.05101.
type AdamOf[T constraints.Float] struct {
	cfg       AdamConfig
	decoupled bool
	d, t      int
	m, v      []T
}

// Adam is the float64 Adam optimizer (see AdamOf).
type Adam = AdamOf[float64]

// NewAdam returns Adam with coupled L2 weight decay (torch.optim.Adam) for d
// parameters. It returns an error wrapping [ErrConfig] for d < 1, a nil or
// negative schedule, β ∉ [0, 1), ε ≤ 0 or wd < 0.
func NewAdam(d int, cfg AdamConfig) (*Adam, error) { return newAdam[float64](d, cfg, false) }

// NewAdamOf is NewAdam with moments and parameters of element type T.
func NewAdamOf[T constraints.Float](d int, cfg AdamConfig) (*AdamOf[T], error) {
	return newAdam[T](d, cfg, false)
}

// NewAdamW returns Adam with decoupled weight decay (torch.optim.AdamW) for d
// parameters. Its errors are those of [NewAdam].
func NewAdamW(d int, cfg AdamConfig) (*Adam, error) { return newAdam[float64](d, cfg, true) }

func newAdam[T constraints.Float](d int, cfg AdamConfig, decoupled bool) (*AdamOf[T], error) {
	a := &AdamOf[T]{cfg: cfg, decoupled: decoupled, d: d}
	name := a.Name()
	if err := checkDim(name, d); err != nil {
		return nil, err
	}
	if err := checkSchedule(name, cfg.LR); err != nil {
		return nil, err
	}
	if err := checkRange(name, "beta1", cfg.Beta1, 0, 1, true); err != nil {
		return nil, err
	}
	if err := checkRange(name, "beta2", cfg.Beta2, 0, 1, true); err != nil {
		return nil, err
	}
	if !(cfg.Eps > 0) || math.IsInf(cfg.Eps, 0) {
		return nil, configErr(name, "eps = %v: must be finite and > 0", cfg.Eps)
	}
	if err := checkRange(name, "weight decay", cfg.WeightDecay, 0, 1e300, false); err != nil {
		return nil, err
	}
	a.m = make([]T, d)
	a.v = make([]T, d)
	return a, nil
}

// Name returns "adam" or "adamw".
func (a *AdamOf[T]) Name() string {
	if a.decoupled {
		return "adamw"
	}
	return "adam"
}

// Reset clears both moments and the step counter.
func (a *AdamOf[T]) Reset() {
	clear(a.m)
	clear(a.v)
	a.t = 0
}

// Steps returns the number of steps taken since construction or Reset.
func (a *AdamOf[T]) Steps() int { return a.t }

// Step performs one Adam or AdamW step in place. See [Optimizer] for the
// errors.
func (a *AdamOf[T]) Step(params, grad []T) error {
	if err := checkStep(a.Name(), params, grad, a.d); err != nil {
		return err
	}
	lr := a.cfg.LR.At(a.t)
	a.t++
	b1, b2, eps, wd := a.cfg.Beta1, a.cfg.Beta2, a.cfg.Eps, a.cfg.WeightDecay
	stepSize := lr / (1 - math.Pow(b1, float64(a.t)))
	invBC2Sqrt := 1 / math.Sqrt(1-math.Pow(b2, float64(a.t)))
	params, grad = params[:a.d], grad[:a.d]
	m, v := a.m[:a.d], a.v[:a.d]
	l2, decay := wd, 1.0
	if a.decoupled {
		l2, decay = 0, 1-lr*wd
	}
	tl2, tdecay, tb1, tb2, tc1, tc2 := T(l2), T(decay), T(b1), T(b2), T(1-b1), T(1-b2)
	tstep, tinv, teps := T(stepSize), T(invBC2Sqrt), T(eps)
	for i, g := range grad {
		p := params[i]
		g += tl2 * p
		mi := tb1*m[i] + tc1*g
		vi := tb2*v[i] + tc2*g*g
		m[i], v[i] = mi, vi
		params[i] = p*tdecay - tstep*mi/(T(math.Sqrt(float64(vi)))*tinv+teps)
	}
	return nil
}

// Apply writes Adam's diagonal preconditioner, built from the second moment
// accumulated so far, applied to g:
//
//	dst = g ⊘ (√v/√(1−β2ᵗ) + ε)
//
// Before the first step the preconditioner is 1/ε. Apply changes no state;
// dst and g may be the same slice.
func (a *AdamOf[T]) Apply(dst, g []T) error {
	if err := checkLen(a.Name(), "dst", dst, a.d); err != nil {
		return err
	}
	if err := checkLen(a.Name(), "g", g, a.d); err != nil {
		return err
	}
	bc2Sqrt := 1.0
	if a.t > 0 {
		bc2Sqrt = math.Sqrt(1 - math.Pow(a.cfg.Beta2, float64(a.t)))
	}
	for i := range dst[:a.d] {
		dst[i] = g[i] / T(math.Sqrt(float64(a.v[i]))/bc2Sqrt+a.cfg.Eps)
	}
	return nil
}

// MarshalState encodes the step counter and both moments. The moments
// are written as float64 in either precision (a float32 value converts
// exactly, so a float32 state round-trips bit for bit).
func (a *AdamOf[T]) MarshalState() ([]byte, error) {
	w := newStateWriter(a.Name(), 24+16*a.d)
	w.u64(uint64(a.d))
	w.u64(uint64(a.t))
	floatsOf(w, a.m)
	floatsOf(w, a.v)
	return w.b, nil
}

// UnmarshalState restores a state written by MarshalState of the same variant
// (Adam or AdamW) and dimension. A float32 Adam rounds the moments to
// float32 (exact for a state written by a float32 Adam).
func (a *AdamOf[T]) UnmarshalState(data []byte) error {
	r := newStateReader(a.Name(), data)
	if d := r.u64("dimension"); r.err == nil && d != uint64(a.d) {
		r.fail("dimension %d, want %d", d, a.d)
	}
	t := r.count("step", maxSteps)
	m := r.floats("first moment", a.d)
	v := r.floats("second moment", a.d)
	for i := 0; r.err == nil && i < len(v); i++ {
		if v[i] < 0 {
			r.fail("second moment[%d] = %v is negative", i, v[i])
		}
	}
	if err := r.finish(); err != nil {
		return err
	}
	a.t = t
	for i := range m {
		a.m[i], a.v[i] = T(m[i]), T(v[i])
	}
	return nil
}
