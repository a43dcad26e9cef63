package optim_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
)

func TestNonFiniteInputsLeaveParamsUnchanged(t *testing.T) {
	const d, bad = 6, 4
	q := randQuadratic(d, 0.5, 3, newRNG(41))
	for _, zc := range zoo() {
		for _, tc := range []struct {
			name     string
			inParams bool
			value    float64
		}{
			{"nan-grad", false, math.NaN()},
			{"inf-grad", false, math.Inf(1)},
			{"nan-param", true, math.NaN()},
			{"neg-inf-param", true, math.Inf(-1)},
		} {
			t.Run(zc.name+"/"+tc.name, func(t *testing.T) {
				o := zc.make(t, d)
				theta, g := randVec(d, newRNG(42)), make([]float64, d)
				drive(t, o, q, theta, g) // build some state first
				// AdaHessian's Step needs a curvature estimate, which drive made.
				q.grad(theta, g)
				if tc.inParams {
					theta[bad] = tc.value
				} else {
					g[bad] = tc.value
				}
				before := append([]float64(nil), theta...)
				stateBefore, _ := o.(optim.Stateful).MarshalState()
				err := o.Step(theta, g)
				var nf *optim.NonFiniteError
				if !errors.As(err, &nf) {
					t.Fatalf("Step returned %v, want a *NonFiniteError", err)
				}
				if nf.Index != bad || nf.InParams != tc.inParams || nf.Optimizer != o.Name() {
					t.Errorf("error %+v, want index %d, in params %v, optimizer %q", nf, bad, tc.inParams, o.Name())
				}
				if !strings.Contains(err.Error(), o.Name()) || !strings.Contains(err.Error(), "index 4") {
					t.Errorf("message %q does not name the optimizer and the index", err)
				}
				if !sameBits(theta[:bad], before[:bad]) || !sameBits(theta[bad+1:], before[bad+1:]) {
					t.Error("params changed by a failed Step")
				}
				stateAfter, _ := o.(optim.Stateful).MarshalState()
				if string(stateBefore) != string(stateAfter) {
					t.Error("state changed by a failed Step")
				}
			})
		}
	}
}

func TestNonFiniteLossFromClosures(t *testing.T) {
	const d = 4
	nanLoss := func([]float64) float64 { return math.NaN() }
	nanGrad := func(_, g []float64) float64 { return math.Inf(1) }
	for _, zc := range zoo() {
		o := zc.make(t, d)
		theta := []float64{1, 2, 3, 4}
		var err error
		switch s := o.(type) {
		case optim.ZeroOrder:
			_, err = s.StepZO(theta, nanLoss)
		case optim.ClosureStepper:
			_, err = s.StepClosure(theta, nanGrad)
		default:
			continue
		}
		var nf *optim.NonFiniteError
		if !errors.As(err, &nf) || nf.Index != -1 {
			t.Errorf("%s: non-finite loss gave %v, want a *NonFiniteError with index -1", zc.name, err)
		}
		if !sameBits(theta, []float64{1, 2, 3, 4}) {
			t.Errorf("%s: params changed by a failed step", zc.name)
		}
	}
}

func TestLengthMismatch(t *testing.T) {
	const d = 5
	for _, zc := range zoo() {
		o := zc.make(t, d)
		for _, tc := range []struct {
			name             string
			nParams, nGrad   int
			wantWhat         string
			wantGot, wantLen int
		}{
			{"short-params", d - 1, d, "params", d - 1, d},
			{"long-grad", d, d + 2, "grad", d + 2, d},
		} {
			err := o.Step(make([]float64, tc.nParams), make([]float64, tc.nGrad))
			var le *optim.LengthError
			if !errors.As(err, &le) || le.What != tc.wantWhat || le.Got != tc.wantGot || le.Want != tc.wantLen {
				t.Errorf("%s/%s: Step returned %v, want a *LengthError on %s", zc.name, tc.name, err, tc.wantWhat)
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	lr := optim.Constant(0.1)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"sgd-dim", func() error { _, err := optim.NewSGD(0, optim.SGDConfig{LR: lr}); return err }()},
		{"sgd-nil-lr", func() error { _, err := optim.NewSGD(3, optim.SGDConfig{}); return err }()},
		{"sgd-nesterov", func() error { _, err := optim.NewSGD(3, optim.SGDConfig{LR: lr, Nesterov: true}); return err }()},
		{"adam-beta", func() error {
			c := optim.DefaultAdam()
			c.Beta2 = 1
			_, err := optim.NewAdam(3, c)
			return err
		}()},
		{"adam-neg-lr", func() error {
			c := optim.DefaultAdam()
			c.LR = optim.Constant(-1)
			_, err := optim.NewAdamW(3, c)
			return err
		}()},
		{"mfac-window", func() error { _, err := optim.NewMFAC(3, optim.MFACConfig{LR: lr, Damping: 1}); return err }()},
		{"mfac-damping", func() error { _, err := optim.NewMFAC(3, optim.MFACConfig{LR: lr, Window: 2}); return err }()},
		{"adahessian-layout", func() error {
			c := optim.DefaultAdaHessian()
			c.Layout = &nn.Layout{Layers: []nn.Segment{{Offset: 0, Rows: 2, Cols: 2}}}
			_, err := optim.NewAdaHessian(3, c)
			return err
		}()},
		{"spsa-eps", func() error { _, err := optim.NewSPSA(3, optim.SPSAConfig{LR: lr, Directions: 1}); return err }()},
		{"cge-mask", func() error {
			_, err := optim.NewCGE(3, optim.CGEConfig{LR: lr, Mu: 1e-3, Mask: []bool{true}})
			return err
		}()},
	} {
		if tc.err == nil {
			t.Errorf("%s: constructor accepted an invalid configuration", tc.name)
		} else if !errors.Is(tc.err, optim.ErrConfig) {
			t.Errorf("%s: error %v does not wrap ErrConfig", tc.name, tc.err)
		}
	}
}

func TestClipNonFinite(t *testing.T) {
	c := &optim.ClipGlobalNorm{MaxNorm: 1}
	g := []float64{1, math.NaN(), 3}
	_, err := c.Clip(g)
	var nf *optim.NonFiniteError
	if !errors.As(err, &nf) || nf.Index != 1 || nf.Optimizer != "clip" {
		t.Errorf("Clip returned %v, want *NonFiniteError at index 1", err)
	}
	if g[0] != 1 || g[2] != 3 {
		t.Error("Clip changed a non-finite gradient")
	}
}

func TestMFACRejectsOverflowingGradient(t *testing.T) {
	o := newMFAC(t, 2, 2, 1e-3)
	if err := o.Insert([]float64{1e160, 1e160}); err == nil {
		t.Error("Insert accepted a gradient whose squared norm overflows")
	}
	if o.Len() != 0 {
		t.Error("rejected gradient entered the window")
	}
}
