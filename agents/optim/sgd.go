package optim

// SGDConfig configures [SGD]. The zero value of every field except LR means
// "off".
type SGDConfig struct {
	LR          Schedule // learning rate η
	Momentum    float64  // μ ∈ [0, 1); 0 is plain SGD
	Nesterov    bool     // Nesterov momentum; needs Momentum > 0
	WeightDecay float64  // coupled L2 weight decay wd ≥ 0, added to the gradient
}

// SGD is stochastic gradient descent with optional heavy-ball or Nesterov
// momentum and L2 weight decay, with PyTorch's conventions (no dampening, the
// buffer starts at the first gradient):
//
//	g̃ = g + wd·θ
//	b ← μ·b + g̃                    (b = g̃ on the first step)
//	d = g̃ + μ·b  (Nesterov)  or  b  (heavy ball)  or  g̃  (μ = 0)
//	θ ← θ − η·d
type SGD struct {
	cfg  SGDConfig
	d    int
	t    int
	buf  []float64
	init bool // momentum buffer holds a gradient
}

// NewSGD returns an SGD optimizer for d parameters. It returns an error
// wrapping [ErrConfig] for d < 1, a nil or negative schedule, μ ∉ [0, 1),
// Nesterov without momentum, or a negative weight decay.
func NewSGD(d int, cfg SGDConfig) (*SGD, error) {
	const name = "sgd"
	if err := checkDim(name, d); err != nil {
		return nil, err
	}
	if err := checkSchedule(name, cfg.LR); err != nil {
		return nil, err
	}
	if err := checkRange(name, "momentum", cfg.Momentum, 0, 1, true); err != nil {
		return nil, err
	}
	if cfg.Nesterov && cfg.Momentum == 0 {
		return nil, configErr(name, "nesterov needs momentum > 0")
	}
	if err := checkRange(name, "weight decay", cfg.WeightDecay, 0, 1e300, false); err != nil {
		return nil, err
	}
	s := &SGD{cfg: cfg, d: d}
	if cfg.Momentum > 0 {
		s.buf = make([]float64, d)
	}
	return s, nil
}

// Name returns "sgd".
func (s *SGD) Name() string { return "sgd" }

// Reset clears the momentum buffer and the step counter.
func (s *SGD) Reset() {
	clear(s.buf)
	s.t, s.init = 0, false
}

// Steps returns the number of steps taken since construction or Reset.
func (s *SGD) Steps() int { return s.t }

// Step performs one SGD step in place. See [Optimizer] for the errors.
func (s *SGD) Step(params, grad []float64) error {
	if err := checkStep(s.Name(), params, grad, s.d); err != nil {
		return err
	}
	lr := s.cfg.LR.At(s.t)
	mu, wd := s.cfg.Momentum, s.cfg.WeightDecay
	params, grad = params[:s.d], grad[:s.d]
	switch {
	case mu == 0:
		for i, g := range grad {
			params[i] -= lr * (g + wd*params[i])
		}
	case !s.init: // the buffer starts at the first gradient
		buf := s.buf[:s.d]
		for i, g := range grad {
			g += wd * params[i]
			buf[i] = g
			if s.cfg.Nesterov {
				params[i] -= lr * (g + mu*g)
			} else {
				params[i] -= lr * g
			}
		}
		s.init = true
	case s.cfg.Nesterov:
		buf := s.buf[:s.d]
		for i, g := range grad {
			g += wd * params[i]
			b := mu*buf[i] + g
			buf[i] = b
			params[i] -= lr * (g + mu*b)
		}
	default:
		buf := s.buf[:s.d]
		for i, g := range grad {
			g += wd * params[i]
			b := mu*buf[i] + g
			buf[i] = b
			params[i] -= lr * b
		}
	}
	s.t++
	return nil
}

// MarshalState encodes the step counter and the momentum buffer.
func (s *SGD) MarshalState() ([]byte, error) {
	w := newStateWriter(s.Name(), 16+8*len(s.buf))
	w.u64(uint64(s.d))
	w.u64(uint64(s.t))
	init := uint64(0)
	if s.init {
		init = 1
	}
	w.u64(init)
	w.floats(s.buf)
	return w.b, nil
}

// UnmarshalState restores a state written by MarshalState of an SGD with the
// same dimension and momentum setting.
func (s *SGD) UnmarshalState(data []byte) error {
	r := newStateReader(s.Name(), data)
	if d := r.u64("dimension"); r.err == nil && d != uint64(s.d) {
		r.fail("dimension %d, want %d", d, s.d)
	}
	t := r.count("step", maxSteps)
	init := r.count("momentum flag", 1)
	buf := r.floats("momentum buffer", len(s.buf))
	if err := r.finish(); err != nil {
		return err
	}
	s.t, s.init = t, init == 1
	copy(s.buf, buf)
	return nil
}

// maxSteps bounds restored step counters so that schedules and bias
// corrections stay meaningful.
const maxSteps = 1 << 53
