package optim_test

import (
	"errors"
	"testing"

	"github.com/mrasim/mrasim/agents/optim"
)

// zooCase builds one optimizer of every kind for d parameters, with a driver
// that takes one step of the kind the method needs.
type zooCase struct {
	name string
	make func(t testing.TB, d int) optim.Optimizer
}

func zoo() []zooCase {
	must := func(t testing.TB, o optim.Optimizer, err error) optim.Optimizer {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	return []zooCase{
		{"sgd", func(t testing.TB, d int) optim.Optimizer {
			o, err := optim.NewSGD(d, optim.SGDConfig{LR: optim.Constant(0.05), Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3})
			return must(t, o, err)
		}},
		{"adam", func(t testing.TB, d int) optim.Optimizer {
			cfg := optim.DefaultAdam()
			cfg.WeightDecay = 3e-4
			o, err := optim.NewAdam(d, cfg)
			return must(t, o, err)
		}},
		{"adamw", func(t testing.TB, d int) optim.Optimizer {
			cfg := optim.DefaultAdam()
			cfg.WeightDecay, cfg.LR = 1e-2, optim.Warmup{Steps: 3, Then: optim.Cosine{Base: 1e-2, Steps: 20}}
			o, err := optim.NewAdamW(d, cfg)
			return must(t, o, err)
		}},
		{"mfac", func(t testing.TB, d int) optim.Optimizer {
			o, err := optim.NewMFAC(d, optim.MFACConfig{LR: optim.Constant(1e-3), Window: 4, Damping: 1e-2, Momentum: 0.5, WeightDecay: 1e-3})
			return must(t, o, err)
		}},
		{"adahessian", func(t testing.TB, d int) optim.Optimizer {
			cfg := optim.DefaultAdaHessian()
			cfg.UpdateEach, cfg.BlockSize, cfg.WeightDecay = 2, 3, 1e-4
			o, err := optim.NewAdaHessian(d, cfg)
			return must(t, o, err)
		}},
		{"spsa", func(t testing.TB, d int) optim.Optimizer {
			o, err := optim.NewSPSA(d, optim.SPSAConfig{LR: optim.Constant(1e-2), Eps: 1e-3, Directions: 2, WeightDecay: 1e-3, Seed: 4})
			return must(t, o, err)
		}},
		{"cge", func(t testing.TB, d int) optim.Optimizer {
			o, err := optim.NewCGE(d, optim.CGEConfig{LR: optim.Constant(1e-2), Mu: 1e-4})
			return must(t, o, err)
		}},
	}
}

// drive takes one step of o on q from theta with the interface o needs.
func drive(t testing.TB, o optim.Optimizer, q *quadratic, theta, g []float64) {
	t.Helper()
	var err error
	switch o := o.(type) {
	case optim.ClosureStepper:
		_, err = o.StepClosure(theta, q.grad)
	case optim.ZeroOrder:
		_, err = o.StepZO(theta, q.loss)
	default:
		q.grad(theta, g)
		err = o.Step(theta, g)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestStateRoundTripContinuesBitIdentically(t *testing.T) {
	const d, k = 9, 7
	for _, zc := range zoo() {
		t.Run(zc.name, func(t *testing.T) {
			q := randQuadratic(d, 0.5, 3, newRNG(31))
			o := zc.make(t, d)
			theta, g := randVec(d, newRNG(32)), make([]float64, d)
			for range k {
				drive(t, o, q, theta, g)
			}
			snap, err := o.(optim.Stateful).MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			thetaSnap := append([]float64(nil), theta...)
			for range k {
				drive(t, o, q, theta, g)
			}
			fresh := zc.make(t, d)
			if err := fresh.(optim.Stateful).UnmarshalState(snap); err != nil {
				t.Fatal(err)
			}
			for range k {
				drive(t, fresh, q, thetaSnap, g)
			}
			if !sameBits(theta, thetaSnap) {
				t.Errorf("restored run differs from the original: ‖Δ‖ = %g", dist(theta, thetaSnap))
			}
			// Reset returns to the freshly constructed behaviour.
			o.Reset()
			a, b := randVec(d, newRNG(33)), randVec(d, newRNG(33))
			pristine := zc.make(t, d)
			for range k {
				drive(t, o, q, a, g)
				drive(t, pristine, q, b, g)
			}
			if !sameBits(a, b) {
				t.Errorf("after Reset the run differs from a new optimizer: ‖Δ‖ = %g", dist(a, b))
			}
		})
	}
}

func TestUnmarshalStateRejectsCorruptBytes(t *testing.T) {
	const d = 5
	q := randQuadratic(d, 0.5, 3, newRNG(34))
	for _, zc := range zoo() {
		t.Run(zc.name, func(t *testing.T) {
			o := zc.make(t, d)
			theta, g := randVec(d, newRNG(35)), make([]float64, d)
			drive(t, o, q, theta, g)
			good, _ := o.(optim.Stateful).MarshalState()
			other, _ := zc.make(t, d+1).(optim.Stateful).MarshalState()
			nan := append([]byte(nil), good...)
			for i := len(nan) - 8; i < len(nan); i++ { // last float → NaN bits (CGE: the step count)
				nan[i] = 0xff
			}
			for _, bad := range []struct {
				name string
				data []byte
			}{
				{"empty", nil},
				{"magic", append([]byte("XXXXX"), good[5:]...)},
				{"truncated", good[:len(good)-1]},
				{"trailing", append(append([]byte(nil), good...), 0)},
				{"other-dimension", other},
				{"last-word-all-ones", nan},
			} {
				before, _ := o.(optim.Stateful).MarshalState()
				err := o.(optim.Stateful).UnmarshalState(bad.data)
				if err == nil {
					t.Errorf("%s: UnmarshalState accepted corrupt bytes", bad.name)
					continue
				}
				if !errors.Is(err, optim.ErrState) {
					t.Errorf("%s: error %v does not wrap ErrState", bad.name, err)
				}
				after, _ := o.(optim.Stateful).MarshalState()
				if string(before) != string(after) {
					t.Errorf("%s: failed UnmarshalState changed the state", bad.name)
				}
			}
			// Another method's state is rejected too.
			for _, zc2 := range zoo() {
				if zc2.name == zc.name {
					continue
				}
				s, _ := zc2.make(t, d).(optim.Stateful).MarshalState()
				if err := o.(optim.Stateful).UnmarshalState(s); err == nil {
					t.Errorf("accepted the state of %s", zc2.name)
				}
			}
		})
	}
}

func FuzzUnmarshalState(f *testing.F) {
	const d = 4
	q := randQuadratic(d, 0.5, 3, newRNG(36))
	for _, zc := range zoo() {
		o := zc.make(f, d)
		theta, g := randVec(d, newRNG(37)), make([]float64, d)
		drive(f, o, q, theta, g)
		drive(f, o, q, theta, g)
		s, _ := o.(optim.Stateful).MarshalState()
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, zc := range zoo() {
			o := zc.make(t, d)
			if err := o.(optim.Stateful).UnmarshalState(data); err != nil {
				continue
			}
			// Accepted state must round-trip and allow a finite step.
			again, err := o.(optim.Stateful).MarshalState()
			if err != nil || string(again) != string(data) {
				t.Errorf("%s: accepted state does not round-trip", zc.name)
			}
			theta, g := make([]float64, d), make([]float64, d)
			for i := range theta {
				theta[i] = 0.1 * float64(i)
			}
			q.grad(theta, g)
			_ = o.Step(theta, g) // errors are fine; panics are not
		}
	})
}
