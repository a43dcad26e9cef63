package optim

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// MFACConfig configures [MFAC]. The official defaults are η = 1e-3,
// λ = 1e-5, m = 1024, μ = 0, wd = 0; for mrasim use m ≈ 16–128 (the window
// costs 8·m·d bytes) and tune η and λ together, since directions outside the
// window are scaled by η/λ.
type MFACConfig struct {
	LR          Schedule // learning rate η
	Window      int      // number of gradients m ≥ 1 in the sliding window
	Damping     float64  // λ > 0
	Momentum    float64  // μ ∈ [0, 1): EMA of updates, v ← μv + (1−μ)u; 0 is off
	WeightDecay float64  // wd ≥ 0, added to the gradient before it enters the window
}

// MFAC is the dynamic ("optimization") M-FAC algorithm: a Newton-like step
// with the inverse of a damped empirical Fisher built from the last m
// gradients, kept as a ring buffer G ∈ Rᵐˣᵈ whose rows start at zero:
//
//	F = λI + (1/m)·GᵀG
//	g̃ = g + wd·θ;  G[slot] ← g̃;  slot ← (slot+1) mod m
//	u = F⁻¹g̃ = (1/λ)·(g̃ − Gᵀ(mλI + GGᵀ)⁻¹Gg̃)      (Woodbury)
//	v ← μv + (1−μ)u  (μ > 0)  or  v = u
//	θ ← θ − ηv
//
// The divisor stays m before the window fills, and the gradient enters the
// window before the inverse is applied, so the first step is η·g/(λ + ‖g‖²/m).
// MFAC keeps the Gram matrix K = GGᵀ; inserting a gradient writes one row and
// column of K (the products Gg̃, O(dm)) and re-factors mλI + K by Cholesky
// (O(m³/3)). Because g̃ is itself a window row, the step's
// inverse-Hessian-vector product needs no second product with G:
//
//	F⁻¹g̃ = m·Gᵀ(mλI + K)⁻¹e_slot
//
// which also avoids the cancellation of (g̃ − Gᵀy)/λ when λ ≪ ‖g̃‖²/m. A step
// therefore costs two O(dm) passes (Gg̃ and Gᵀc) plus the m×m work. Memory is m·d + 2m²
// + 3d floats (4d with momentum).
//
// Reference: Frantar, Kurtic and Alistarh, "M-FAC: Efficient Matrix-Free
// Approximations of Second-Order Information", NeurIPS 2021, arXiv 2107.03356.
type MFAC struct {
	cfg          MFACConfig
	d, m         int
	t            int
	slot, filled int // next slot to overwrite; rows in use (≤ m)

	grads []float64 // G, m×d row-major; row j is slot j
	gram  []float64 // K = GGᵀ, m×m
	chol  []float64 // lower Cholesky factor L of mλI + K, m×m
	gt    []float64 // g̃, d
	u     []float64 // F⁻¹g̃, d
	vel   []float64 // momentum v, d (nil when μ = 0)
	w, y  []float64 // m scratch: Gx and the m×m solve
}

// NewMFAC returns an M-FAC optimizer for d parameters. It returns an error
// wrapping [ErrConfig] for d < 1, m < 1, λ ≤ 0, μ ∉ [0, 1), wd < 0, or a nil
// or negative schedule.
func NewMFAC(d int, cfg MFACConfig) (*MFAC, error) {
	const name = "mfac"
	if err := checkDim(name, d); err != nil {
		return nil, err
	}
	if err := checkSchedule(name, cfg.LR); err != nil {
		return nil, err
	}
	if cfg.Window < 1 {
		return nil, configErr(name, "window %d: must be ≥ 1", cfg.Window)
	}
	if !(cfg.Damping > 0) || math.IsInf(cfg.Damping, 0) {
		return nil, configErr(name, "damping %v: must be finite and > 0", cfg.Damping)
	}
	if err := checkRange(name, "momentum", cfg.Momentum, 0, 1, true); err != nil {
		return nil, err
	}
	if err := checkRange(name, "weight decay", cfg.WeightDecay, 0, 1e300, false); err != nil {
		return nil, err
	}
	m := cfg.Window
	o := &MFAC{
		cfg: cfg, d: d, m: m,
		grads: make([]float64, m*d),
		gram:  make([]float64, m*m),
		chol:  make([]float64, m*m),
		gt:    make([]float64, d),
		u:     make([]float64, d),
		w:     make([]float64, m),
		y:     make([]float64, m),
	}
	if cfg.Momentum > 0 {
		o.vel = make([]float64, d)
	}
	o.factor()
	return o, nil
}

// Name returns "mfac".
func (o *MFAC) Name() string { return "mfac" }

// Reset empties the window, clears the momentum and the step counter.
func (o *MFAC) Reset() {
	clear(o.grads)
	clear(o.gram)
	clear(o.vel)
	o.t, o.slot, o.filled = 0, 0, 0
	o.factor()
}

// Steps returns the number of steps taken since construction or Reset.
func (o *MFAC) Steps() int { return o.t }

// Len returns the number of gradients in the window (at most m).
func (o *MFAC) Len() int { return o.filled }

// Step performs one M-FAC step in place. See [Optimizer] for the errors.
func (o *MFAC) Step(params, grad []float64) error {
	if err := checkStep(o.Name(), params, grad, o.d); err != nil {
		return err
	}
	lr := o.cfg.LR.At(o.t)
	params, grad = params[:o.d], grad[:o.d]
	gt := o.gt[:o.d]
	if wd := o.cfg.WeightDecay; wd != 0 {
		for i, g := range grad {
			gt[i] = g + wd*params[i]
		}
		if i := firstNonFinite(gt); i >= 0 {
			return &NonFiniteError{Optimizer: o.Name(), Index: i, Value: gt[i]}
		}
	} else {
		copy(gt, grad)
	}
	if err := o.checkNorm(gt); err != nil {
		return err
	}
	o.insert(gt)
	o.ihvpRow(o.u, o.prevSlot())
	dir := o.u
	if mu := o.cfg.Momentum; mu > 0 {
		for i, u := range o.u {
			o.vel[i] = mu*o.vel[i] + (1-mu)*u
		}
		dir = o.vel
	}
	floats.AddScaled(params, -lr, dir)
	o.t++
	return nil
}

// Insert adds g to the window, overwriting the oldest gradient once m are
// held, without taking a step. It returns a [*LengthError] or
// [*NonFiniteError] for a bad g, leaving the window unchanged.
func (o *MFAC) Insert(g []float64) error {
	if err := checkLen(o.Name(), "grad", g, o.d); err != nil {
		return err
	}
	if i := firstNonFinite(g); i >= 0 {
		return &NonFiniteError{Optimizer: o.Name(), Index: i, Value: g[i]}
	}
	if err := o.checkNorm(g); err != nil {
		return err
	}
	o.insert(g)
	return nil
}

// Apply writes the inverse-Hessian-vector product dst = F⁻¹g for the current
// window without changing it; on an empty window dst = g/λ. dst and g may be
// the same slice. Apply uses internal scratch, so it must not run
// concurrently with other methods of o.
func (o *MFAC) Apply(dst, g []float64) error {
	if err := checkLen(o.Name(), "dst", dst, o.d); err != nil {
		return err
	}
	if err := checkLen(o.Name(), "g", g, o.d); err != nil {
		return err
	}
	for j := range o.w {
		o.w[j] = 0
		if j < o.filled {
			o.w[j] = floats.Dot(o.row(j), g)
		}
	}
	o.ihvp(dst, g, o.w)
	return nil
}

// maxSquaredNorm bounds ‖g‖² of a window row so that every sum in the m×m
// algebra stays finite.
const maxSquaredNorm = 1e290

// checkNorm rejects a gradient too large for the window's Gram matrix.
func (o *MFAC) checkNorm(g []float64) error {
	if ss := floats.Dot(g, g); !(ss <= maxSquaredNorm) {
		return fmt.Errorf("optim: mfac: squared gradient norm %v exceeds %v: the window's Gram matrix would overflow", ss, maxSquaredNorm)
	}
	return nil
}

func (o *MFAC) row(j int) []float64 { return o.grads[j*o.d : (j+1)*o.d] }

func (o *MFAC) prevSlot() int { return (o.slot + o.m - 1) % o.m }

// insert writes g into the oldest slot, updates K's row and column, and
// re-factors mλI + K.
func (o *MFAC) insert(g []float64) {
	s, m := o.slot, o.m
	r := o.row(s)
	copy(r, g)
	if o.filled < m {
		o.filled++
	}
	for j := 0; j < m; j++ {
		var k float64
		if j < o.filled {
			k = floats.Dot(o.row(j), r)
		}
		o.gram[s*m+j] = k
		o.gram[j*m+s] = k
	}
	o.slot = (s + 1) % m
	o.factor()
}

// factor computes the lower Cholesky factor of mλI + K. Because K is positive
// semi-definite, every exact pivot (Schur complement) is at least mλ; a
// computed pivot below mλ, which rounding can produce when rows are nearly
// parallel and ‖g‖² ≫ mλ/ε_mach, is raised to mλ, so the factorization never
// fails for finite K.
func (o *MFAC) factor() {
	m := o.m
	shift := float64(m) * o.cfg.Damping
	L := o.chol
	for j := 0; j < m; j++ {
		lj := L[j*m : j*m+j]
		s := o.gram[j*m+j] + shift - floats.Dot(lj, lj)
		if !(s >= shift) {
			s = shift
		}
		djj := math.Sqrt(s)
		L[j*m+j] = djj
		for i := j + 1; i < m; i++ {
			L[i*m+j] = (o.gram[i*m+j] - floats.Dot(L[i*m:i*m+j], lj)) / djj
		}
	}
}

// ihvpRow writes dst = F⁻¹G[s] for window row s. Writing G[s] = Gᵀe_s, the
// Woodbury form simplifies without cancellation to
//
//	F⁻¹Gᵀe_s = m·Gᵀ(mλI + K)⁻¹e_s,
//
// which is accurate even when λ ≪ ‖g‖²/m, where (x − Gᵀy)/λ loses digits.
func (o *MFAC) ihvpRow(dst []float64, s int) {
	clear(o.w)
	o.w[s] = float64(o.m)
	o.solve(o.w)
	clear(dst)
	for j := 0; j < o.filled; j++ {
		floats.AddScaled(dst, o.y[j], o.row(j))
	}
}

// solve writes the solution y of (mλI + K)y = w into o.y.
func (o *MFAC) solve(w []float64) {
	m, L, y := o.m, o.chol, o.y
	for i := 0; i < m; i++ { // L z = w
		y[i] = (w[i] - floats.Dot(L[i*m:i*m+i], y[:i])) / L[i*m+i]
	}
	for i := m - 1; i >= 0; i-- { // Lᵀ y = z
		s := y[i]
		for k := i + 1; k < m; k++ {
			s -= L[k*m+i] * y[k]
		}
		y[i] = s / L[i*m+i]
	}
}

// ihvp writes dst = (x − Gᵀy)/λ with (mλI + K)y = w, where w = Gx.
func (o *MFAC) ihvp(dst, x, w []float64) {
	o.solve(w)
	y := o.y
	if &dst[0] != &x[0] {
		copy(dst, x)
	}
	for j := 0; j < o.filled; j++ {
		floats.AddScaled(dst, -y[j], o.row(j))
	}
	lambda := o.cfg.Damping
	for i := range dst {
		dst[i] /= lambda
	}
}

// MarshalState encodes the step counter, the ring-buffer position, the
// window and the momentum. The Gram matrix and its factor are recomputed on
// restore.
func (o *MFAC) MarshalState() ([]byte, error) {
	w := newStateWriter(o.Name(), 64+8*(len(o.grads)+len(o.vel)))
	w.u64(uint64(o.d))
	w.u64(uint64(o.m))
	w.u64(uint64(o.t))
	w.u64(uint64(o.slot))
	w.u64(uint64(o.filled))
	w.floats(o.grads)
	w.floats(o.vel)
	return w.b, nil
}

// UnmarshalState restores a state written by MarshalState of an M-FAC with
// the same dimension, window and momentum setting.
func (o *MFAC) UnmarshalState(data []byte) error {
	r := newStateReader(o.Name(), data)
	if d := r.u64("dimension"); r.err == nil && d != uint64(o.d) {
		r.fail("dimension %d, want %d", d, o.d)
	}
	if m := r.u64("window"); r.err == nil && m != uint64(o.m) {
		r.fail("window %d, want %d", m, o.m)
	}
	t := r.count("step", maxSteps)
	slot := r.count("slot", o.m-1)
	filled := r.count("filled", o.m)
	if r.err == nil && filled < o.m && slot != filled {
		r.fail("slot %d with %d of %d rows filled", slot, filled, o.m)
	}
	grads := r.floats("window", o.m*o.d)
	vel := r.floats("momentum", len(o.vel))
	if r.err == nil {
		for j := 0; j < filled && r.err == nil; j++ {
			if ss := floats.Dot(grads[j*o.d:(j+1)*o.d], grads[j*o.d:(j+1)*o.d]); !(ss <= maxSquaredNorm) {
				r.fail("row %d has squared norm %v > %v", j, ss, maxSquaredNorm)
			}
		}
		for j := filled; j < o.m; j++ {
			for _, v := range grads[j*o.d : (j+1)*o.d] {
				if v != 0 {
					r.fail("row %d is unused but not zero", j)
					break
				}
			}
		}
	}
	if err := r.finish(); err != nil {
		return err
	}
	o.t, o.slot, o.filled = t, slot, filled
	copy(o.grads, grads)
	copy(o.vel, vel)
	m := o.m
	for i := 0; i < m; i++ {
		for j := 0; j <= i; j++ {
			k := floats.Dot(o.row(j), o.row(i))
			if i >= filled || j >= filled {
				k = 0
			}
			o.gram[i*m+j], o.gram[j*m+i] = k, k
		}
	}
	o.factor()
	return nil
}
