package optim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
)

// AdaHessianConfig configures [AdaHessian]. [DefaultAdaHessian] gives the
// official image-classification defaults.
type AdaHessianConfig struct {
	LR           Schedule // learning rate η (official 0.15)
	Beta1, Beta2 float64  // moment decays in [0, 1) (official 0.9, 0.999)
	Eps          float64  // ε ≥ 0 added to the preconditioner (official 1e-4)
	HessianPower float64  // k ∈ [0, 1] (official 1)
	WeightDecay  float64  // decoupled weight decay wd ≥ 0
	UpdateEach   int      // recompute the curvature every UpdateEach closure steps (≥ 1)
	Samples      int      // Rademacher vectors averaged per estimate (≥ 1)
	// FDStep is the finite-difference step relative to the parameter scale:
	// the HVP uses h = FDStep·max(1, ‖θ‖∞). About 1e-5 suits central and
	// 1e-7 forward differences in float64.
	FDStep float64
	// Forward selects the one-sided difference [∇L(θ+hz) − ∇L(θ)]/h (one
	// extra gradient, error O(h)) instead of the central one (two extra
	// gradients, error O(h²)).
	Forward bool
	// Layout, when set, gives the averaging blocks: each row of each
	// segment's weight matrix is one block; biases and parameters outside
	// every segment are not averaged.
	Layout *nn.Layout
	// BlockSize, when > 1 and Layout is nil, averages over consecutive
	// blocks of that many parameters (the fairseq block_length); the last
	// block may be shorter.
	BlockSize int
	Seed      uint64 // seed of the PCG stream that draws the Rademacher vectors
}

// DefaultAdaHessian returns the official CIFAR defaults: η = 0.15,
// β = (0.9, 0.999), ε = 1e-4, k = 1, curvature every step from one central
// finite-difference sample with FDStep = 1e-5, no averaging, seed 1.
func DefaultAdaHessian() AdaHessianConfig {
	return AdaHessianConfig{
		LR: Constant(0.15), Beta1: 0.9, Beta2: 0.999, Eps: 1e-4, HessianPower: 1,
		UpdateEach: 1, Samples: 1, FDStep: 1e-5, Seed: 1,
	}
}

// AdaHessian is the AdaHessian optimizer with Hutchinson estimates of the
// Hessian diagonal. With a Rademacher vector z (entries ±1),
//
//	D = z ⊙ (Hz),   E[D] = diag(H)
//
// averaged over Samples vectors and then over the spatial blocks (the signed
// block mean, as in the fairseq version), and at step t = 1, 2, …
//
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·D⊙D
//	θ ← θ − η·( (m/(1−β1ᵗ)) ⊘ ((v/(1−β2ᵗ))^(k/2) + ε) + wd·θ )
//
// With k = 1 and no averaging this is a diagonal Newton step whose curvature is
// smoothed by an RMS moving average. D is recomputed every UpdateEach closure
// steps and reused in between (davda54's update_each). Hessian-vector
// products come from finite differences of gradients on the caller's fixed
// minibatch ([AdaHessian.StepClosure]) or from an exact oracle
// ([AdaHessian.StepHVP]). A step is computed in scratch and committed only
// when every new value is finite, so a failing step changes nothing.
//
// Reference: Yao, Gholami, Shen, Mustafa, Keutzer and Mahoney, "ADAHESSIAN: An
// Adaptive Second Order Optimizer for Machine Learning", AAAI 2021, arXiv
// 2006.00719.
type AdaHessian struct {
	cfg   AdaHessianConfig
	d     int
	t     int // moment updates
	calls int // closure steps, for UpdateEach
	has   bool
	pcg   *rand.PCG

	m, v, hess []float64
	g, z, hz   []float64 // gradient, Rademacher vector, Hz
	acc        []float64 // curvature estimate being built
	work       []float64 // perturbed point / new θ
	gp, gm     []float64 // gradients at θ ± hz / new m and v
}

// NewAdaHessian returns AdaHessian for d parameters. It returns an error
// wrapping [ErrConfig] for d < 1, a nil or negative schedule, β ∉ [0, 1),
// ε < 0, k ∉ [0, 1], wd < 0, UpdateEach or Samples < 1, FDStep ≤ 0, an invalid
// Layout, or both Layout and BlockSize > 1.
func NewAdaHessian(d int, cfg AdaHessianConfig) (*AdaHessian, error) {
	const name = "adahessian"
	if err := checkDim(name, d); err != nil {
		return nil, err
	}
	if err := checkSchedule(name, cfg.LR); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		field      string
		v, lo, hi  float64
		openAtHigh bool
	}{
		{"beta1", cfg.Beta1, 0, 1, true},
		{"beta2", cfg.Beta2, 0, 1, true},
		{"eps", cfg.Eps, 0, 1e300, false},
		{"hessian power", cfg.HessianPower, 0, 1, false},
		{"weight decay", cfg.WeightDecay, 0, 1e300, false},
	} {
		if err := checkRange(name, c.field, c.v, c.lo, c.hi, c.openAtHigh); err != nil {
			return nil, err
		}
	}
	if cfg.UpdateEach < 1 || cfg.Samples < 1 {
		return nil, configErr(name, "update each %d, samples %d: both must be ≥ 1", cfg.UpdateEach, cfg.Samples)
	}
	if !(cfg.FDStep > 0) || math.IsInf(cfg.FDStep, 0) {
		return nil, configErr(name, "finite-difference step %v: must be finite and > 0", cfg.FDStep)
	}
	if cfg.Layout != nil {
		if cfg.BlockSize > 1 {
			return nil, configErr(name, "set either a layout or a block size %d, not both", cfg.BlockSize)
		}
		if err := cfg.Layout.Validate(d); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
		}
	}
	a := &AdaHessian{cfg: cfg, d: d, pcg: rand.NewPCG(cfg.Seed, pcgStream)}
	for _, p := range []*[]float64{&a.m, &a.v, &a.hess, &a.g, &a.z, &a.hz, &a.acc, &a.work, &a.gp, &a.gm} {
		*p = make([]float64, d)
	}
	return a, nil
}

// pcgStream is the second PCG seed word of every stream this package draws.
const pcgStream = 0x6d726173696d // "mrasim"

// Name returns "adahessian".
func (a *AdaHessian) Name() string { return "adahessian" }

// Reset clears the moments, the curvature estimate and the counters, and
// rewinds the Rademacher stream to its seed.
func (a *AdaHessian) Reset() {
	clear(a.m)
	clear(a.v)
	clear(a.hess)
	a.t, a.calls, a.has = 0, 0, false
	a.pcg.Seed(a.cfg.Seed, pcgStream)
}

// Steps returns the number of steps taken since construction or Reset.
func (a *AdaHessian) Steps() int { return a.t }

// Curvature returns the latest curvature estimate D (after spatial
// averaging), or nil before the first estimate. The slice is owned by a and
// overwritten by later steps.
func (a *AdaHessian) Curvature() []float64 {
	if !a.has {
		return nil
	}
	return a.hess
}

// StepClosure evaluates the loss and gradient at params with f, refreshes the
// curvature estimate from finite-difference Hessian-vector products of f when
// due, and takes a step. f must use the same minibatch and random numbers at
// every call. It returns the loss at the incoming params.
func (a *AdaHessian) StepClosure(params []float64, f GradFunc) (float64, error) {
	return a.step(params, nil, f, nil)
}

// StepHVP takes a step from the gradient grad at params, refreshing the
// curvature with the exact Hessian-vector products of hvp when due. It returns
// the usual [Optimizer] errors.
func (a *AdaHessian) StepHVP(params, grad []float64, hvp HVPFunc) error {
	if err := checkLen(a.Name(), "grad", grad, a.d); err != nil {
		return err
	}
	_, err := a.step(params, grad, nil, hvp)
	return err
}

// Step takes a step from grad with the latest curvature estimate, without
// refreshing it. Before any curvature estimate exists it returns an error
// wrapping [ErrNeedsClosure].
func (a *AdaHessian) Step(params, grad []float64) error {
	if err := checkStep(a.Name(), params, grad, a.d); err != nil {
		return err
	}
	if !a.has {
		return fmt.Errorf("%w: adahessian has no curvature estimate; call StepClosure or StepHVP", ErrNeedsClosure)
	}
	copy(a.g, grad)
	return a.update(params)
}

func (a *AdaHessian) step(params, grad []float64, f GradFunc, hvp HVPFunc) (float64, error) {
	name := a.Name()
	if err := checkParams(name, params, a.d); err != nil {
		return math.NaN(), err
	}
	loss := math.NaN()
	if f != nil {
		loss = f(params, a.g)
		if !isFinite(loss) {
			return loss, &NonFiniteError{Optimizer: name, Index: -1, Value: loss}
		}
	} else {
		copy(a.g, grad)
	}
	if i := firstNonFinite(a.g); i >= 0 {
		return loss, &NonFiniteError{Optimizer: name, Index: i, Value: a.g[i]}
	}
	refresh := a.calls%a.cfg.UpdateEach == 0 || !a.has
	if refresh {
		saved := *a.pcg
		a.estimate(params, f, hvp)
		if i := firstNonFinite(a.acc); i >= 0 {
			*a.pcg = saved
			return loss, fmt.Errorf("optim: adahessian: curvature estimate: %w", &NonFiniteError{Optimizer: name, Index: i, Value: a.acc[i]})
		}
	}
	if err := a.commit(params, refresh); err != nil {
		return loss, err
	}
	a.calls++
	return loss, nil
}

// estimate writes the averaged Hutchinson estimate into a.acc.
func (a *AdaHessian) estimate(params []float64, f GradFunc, hvp HVPFunc) {
	clear(a.acc)
	inv := 1 / float64(a.cfg.Samples)
	h := a.cfg.FDStep * math.Max(1, maxAbs(params))
	for range a.cfg.Samples {
		Rademacher(a.z, a.pcg)
		switch {
		case hvp != nil:
			hvp(params, a.z, a.hz)
		case a.cfg.Forward:
			for i, p := range params {
				a.work[i] = p + h*a.z[i]
			}
			f(a.work, a.gp)
			for i := range a.hz {
				a.hz[i] = (a.gp[i] - a.g[i]) / h
			}
		default:
			centralHVP(a.hz, params, a.z, h, f, a.work, a.gp, a.gm)
		}
		for i, z := range a.z {
			a.acc[i] += inv * z * a.hz[i]
		}
	}
	a.average(a.acc)
}

// average replaces each entry of D by the mean of its block.
func (a *AdaHessian) average(D []float64) {
	if l := a.cfg.Layout; l != nil {
		for _, s := range l.Layers {
			for r := range s.Rows {
				blockMean(D[s.Offset+r*s.Cols : s.Offset+(r+1)*s.Cols])
			}
		}
		return
	}
	if b := a.cfg.BlockSize; b > 1 {
		for lo := 0; lo < len(D); lo += b {
			blockMean(D[lo:min(lo+b, len(D))])
		}
	}
}

func blockMean(x []float64) {
	var s float64
	for _, v := range x {
		s += v
	}
	s /= float64(len(x))
	for i := range x {
		x[i] = s
	}
}

// update takes a step with the stored curvature (no refresh).
func (a *AdaHessian) update(params []float64) error { return a.commit(params, false) }

// commit computes the new m, v and θ in scratch (using a.acc when refresh is
// set, else the stored curvature) and stores them only if all are finite.
func (a *AdaHessian) commit(params []float64, refresh bool) error {
	D := a.hess
	if refresh {
		D = a.acc
	}
	t := a.t + 1
	lr := a.cfg.LR.At(a.t)
	b1, b2, eps, wd, k := a.cfg.Beta1, a.cfg.Beta2, a.cfg.Eps, a.cfg.WeightDecay, a.cfg.HessianPower
	bc1 := 1 - math.Pow(b1, float64(t))
	bc2 := 1 - math.Pow(b2, float64(t))
	newTheta, newM, newV := a.work, a.gp, a.gm
	for i, p := range params {
		mi := b1*a.m[i] + (1-b1)*a.g[i]
		vi := b2*a.v[i] + (1-b2)*D[i]*D[i]
		var den float64
		switch k {
		case 1:
			den = math.Sqrt(vi / bc2)
		case 0:
			den = 1
		default:
			den = math.Pow(vi/bc2, k/2)
		}
		newTheta[i] = p - lr*(mi/bc1/(den+eps)+wd*p)
		newM[i], newV[i] = mi, vi
	}
	if i := firstNonFinite(newTheta); i >= 0 {
		return fmt.Errorf("optim: adahessian: zero curvature with eps = 0 or overflow: %w",
			&NonFiniteError{Optimizer: a.Name(), Index: i, Value: newTheta[i], InParams: true})
	}
	copy(params, newTheta)
	copy(a.m, newM)
	copy(a.v, newV)
	if refresh {
		copy(a.hess, a.acc)
		a.has = true
	}
	a.t = t
	return nil
}

// Apply writes AdaHessian's diagonal preconditioner applied to g,
//
//	dst = g ⊘ ((v/(1−β2ᵗ))^(k/2) + ε),
//
// using the second moment accumulated so far; before the first step it
// returns an error wrapping [ErrNeedsClosure]. dst and g may be the same
// slice.
func (a *AdaHessian) Apply(dst, g []float64) error {
	if err := checkLen(a.Name(), "dst", dst, a.d); err != nil {
		return err
	}
	if err := checkLen(a.Name(), "g", g, a.d); err != nil {
		return err
	}
	if a.t == 0 {
		return fmt.Errorf("%w: adahessian has no second moment yet", ErrNeedsClosure)
	}
	bc2 := 1 - math.Pow(a.cfg.Beta2, float64(a.t))
	for i := range dst {
		dst[i] = g[i] / (math.Pow(a.v[i]/bc2, a.cfg.HessianPower/2) + a.cfg.Eps)
	}
	return nil
}

// Rademacher fills z with independent ±1 entries drawn from src, 64 signs
// per 64-bit draw.
func Rademacher(z []float64, src rand.Source) {
	var bits uint64
	for i := range z {
		if i%64 == 0 {
			bits = src.Uint64()
		}
		z[i] = 1 - 2*float64(bits&1)
		bits >>= 1
	}
}

// FiniteDiffHVP writes a central finite-difference Hessian-vector product
// into dst:
//
//	Hv ≈ [∇L(θ + h·v) − ∇L(θ − h·v)] / (2h)      (error O(h²))
//
// f must evaluate the gradient on the same minibatch at both points. work
// must hold at least 3·len(params) entries. It returns a *LengthError for
// mismatched lengths; on a quadratic the result equals Hv up to rounding.
func FiniteDiffHVP(dst, params, v []float64, h float64, f GradFunc, work []float64) error {
	d := len(params)
	if err := checkLen("hvp", "dst", dst, d); err != nil {
		return err
	}
	if err := checkLen("hvp", "v", v, d); err != nil {
		return err
	}
	if len(work) < 3*d {
		return &LengthError{Optimizer: "hvp", What: "work", Got: len(work), Want: 3 * d}
	}
	centralHVP(dst, params, v, h, f, work[:d], work[d:2*d], work[2*d:3*d])
	return nil
}

func centralHVP(dst, params, v []float64, h float64, f GradFunc, point, gp, gm []float64) {
	for i, p := range params {
		point[i] = p + h*v[i]
	}
	f(point, gp)
	for i, p := range params {
		point[i] = p - h*v[i]
	}
	f(point, gm)
	inv := 1 / (2 * h)
	for i := range dst {
		dst[i] = (gp[i] - gm[i]) * inv
	}
}

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// MarshalState encodes the counters, the Rademacher stream, both moments and
// the curvature estimate.
func (a *AdaHessian) MarshalState() ([]byte, error) {
	pcg, err := a.pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	w := newStateWriter(a.Name(), 64+len(pcg)+24*a.d)
	w.u64(uint64(a.d))
	w.u64(uint64(a.t))
	w.u64(uint64(a.calls))
	has := uint64(0)
	if a.has {
		has = 1
	}
	w.u64(has)
	w.bytes(pcg)
	w.floats(a.m)
	w.floats(a.v)
	w.floats(a.hess)
	return w.b, nil
}

// UnmarshalState restores a state written by MarshalState of an AdaHessian
// with the same dimension.
func (a *AdaHessian) UnmarshalState(data []byte) error {
	r := newStateReader(a.Name(), data)
	if d := r.u64("dimension"); r.err == nil && d != uint64(a.d) {
		r.fail("dimension %d, want %d", d, a.d)
	}
	t := r.count("step", maxSteps)
	calls := r.count("closure steps", maxSteps)
	has := r.count("curvature flag", 1)
	pcgBytes := r.bytes("rademacher stream", 64)
	m := r.floats("first moment", a.d)
	v := r.floats("second moment", a.d)
	hess := r.floats("curvature", a.d)
	var pcg rand.PCG
	if r.err == nil {
		if err := pcg.UnmarshalBinary(pcgBytes); err != nil {
			r.fail("rademacher stream: %v", err)
		}
	}
	for i := 0; r.err == nil && i < len(v); i++ {
		if v[i] < 0 {
			r.fail("second moment[%d] = %v is negative", i, v[i])
		}
	}
	if err := r.finish(); err != nil {
		return err
	}
	a.t, a.calls, a.has = t, calls, has == 1
	*a.pcg = pcg
	copy(a.m, m)
	copy(a.v, v)
	copy(a.hess, hess)
	return nil
}
