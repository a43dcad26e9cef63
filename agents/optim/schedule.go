package optim

import "math"

// Schedule gives the learning rate for each step. At receives the number of
// steps already taken (0 for the first step) and returns η ≥ 0. Schedules are
// configuration, not state: an optimizer stores only its step counter.
type Schedule interface {
	At(step int) float64
}

// Constant is a fixed learning rate.
type Constant float64

// At returns c for every step.
func (c Constant) At(int) float64 { return float64(c) }

// StepDecay multiplies the base rate by Gamma at each milestone step, like
// PyTorch's MultiStepLR:
//
//	η(t) = Base · Gamma^#{m ∈ Milestones : m ≤ t}
type StepDecay struct {
	Base       float64
	Gamma      float64
	Milestones []int // ascending step numbers
}

// At returns the decayed rate for step t.
func (s StepDecay) At(t int) float64 {
	lr := s.Base
	for _, m := range s.Milestones {
		if t >= m {
			lr *= s.Gamma
		}
	}
	return lr
}

// Cosine anneals from Base to Min over Steps steps and stays at Min after:
//
//	η(t) = Min + ½(Base − Min)(1 + cos(π·min(t, Steps)/Steps))
type Cosine struct {
	Base, Min float64
	Steps     int
}

// At returns the annealed rate for step t.
func (c Cosine) At(t int) float64 {
	if c.Steps <= 0 || t >= c.Steps {
		return c.Min
	}
	return c.Min + 0.5*(c.Base-c.Min)*(1+math.Cos(math.Pi*float64(t)/float64(c.Steps)))
}

// Warmup ramps the rate linearly from Then.At(0)/Steps up to Then.At(0) over
// the first Steps steps, then follows Then shifted by Steps:
//
//	η(t) = (t+1)/Steps · Then(0)   for t < Steps
//	η(t) = Then(t − Steps)         otherwise
type Warmup struct {
	Steps int
	Then  Schedule
}

// At returns the warmed-up rate for step t.
func (w Warmup) At(t int) float64 {
	if t < w.Steps {
		return float64(t+1) / float64(w.Steps) * w.Then.At(0)
	}
	return w.Then.At(t - w.Steps)
}

// checkSchedule rejects a nil schedule or a negative or non-finite first rate.
func checkSchedule(name string, s Schedule) error {
	if s == nil {
		return configErr(name, "learning-rate schedule is nil: use optim.Constant(η)")
	}
	if lr := s.At(0); !(lr >= 0) || math.IsInf(lr, 0) {
		return configErr(name, "learning rate %v at step 0: must be finite and ≥ 0", lr)
	}
	if w, ok := s.(Warmup); ok && (w.Steps < 0 || w.Then == nil) {
		return configErr(name, "warmup of %d steps then %v: need steps ≥ 0 and a schedule to follow", w.Steps, w.Then)
	}
	return nil
}

func checkRange(name, field string, v, lo, hi float64, hiOpen bool) error {
	ok := v >= lo && v <= hi
	if hiOpen && v == hi {
		ok = false
	}
	if !ok {
		br := "]"
		if hiOpen {
			br = ")"
		}
		return configErr(name, "%s = %v: must be in [%v, %v%s", field, v, lo, hi, br)
	}
	return nil
}

func checkDim(name string, d int) error {
	if d < 1 {
		return configErr(name, "dimension %d: must be ≥ 1", d)
	}
	return nil
}
