package optim_test

import (
	"fmt"

	"github.com/mrasim/mrasim/agents/optim"
)

// Example minimises f(θ) = Σ (θ_i − i)² with MRA's optimizer settings: Adam
// with coupled weight decay 3e-4 behind gradient-norm clipping, both as one
// Optimizer.
func Example() {
	const d = 3
	cfg := optim.DefaultAdam()
	cfg.LR, cfg.WeightDecay = optim.Constant(0.05), 3e-4
	adam, err := optim.NewAdam(d, cfg)
	if err != nil {
		panic(err)
	}
	clip := &optim.ClipGlobalNorm{MaxNorm: 10}
	opt := &optim.Chain{Transforms: []optim.Transform{clip}, Opt: adam}

	theta, grad := make([]float64, d), make([]float64, d)
	for range 2000 {
		for i := range theta {
			grad[i] = 2 * (theta[i] - float64(i))
		}
		if err := opt.Step(theta, grad); err != nil {
			panic(err)
		}
	}
	fmt.Println(opt.Name())
	fmt.Printf("θ = [%.3f %.3f %.3f]\n", theta[0], theta[1], theta[2])
	// Output:
	// chain(clip,adam)
	// θ = [0.000 1.000 2.000]
}

// ExampleMFAC shows M-FAC's first step, η·g/(λ + ‖g‖²/m), and the inverse
// Fisher of the window applied to a gradient.
func ExampleMFAC() {
	o, err := optim.NewMFAC(2, optim.MFACConfig{LR: optim.Constant(1), Window: 4, Damping: 0.5})
	if err != nil {
		panic(err)
	}
	theta := []float64{0, 0}
	if err := o.Step(theta, []float64{2, 0}); err != nil { // ‖g‖²/m = 1
		panic(err)
	}
	fmt.Printf("after one step: θ = %.4f\n", theta)

	dst := make([]float64, 2)
	if err := o.Apply(dst, []float64{1, 1}); err != nil {
		panic(err)
	}
	fmt.Printf("F⁻¹[1 1] = %.4f\n", dst) // 1/(λ + 1) along the window, 1/λ across it
	// Output:
	// after one step: θ = [-1.3333 0.0000]
	// F⁻¹[1 1] = [0.6667 2.0000]
}

// ExampleSPSA runs zeroth-order steps and replays the last one on a replica.
func ExampleSPSA() {
	cfg := optim.SPSAConfig{LR: optim.Constant(0.1), Eps: 1e-3, Directions: 1, Seed: 42}
	s, err := optim.NewSPSA(2, cfg)
	if err != nil {
		panic(err)
	}
	loss := func(p []float64) float64 { return (p[0]-1)*(p[0]-1) + (p[1]+2)*(p[1]+2) }

	theta := []float64{0, 0}
	replica := []float64{0, 0}
	for range 400 {
		if _, err := s.StepZO(theta, loss); err != nil {
			panic(err)
		}
		step, seed, proj := s.Last() // what a worker would broadcast
		if err := s.Replay(replica, step, seed, proj); err != nil {
			panic(err)
		}
	}
	fmt.Printf("θ = [%.2f %.2f], replica identical: %v\n", theta[0], theta[1], theta[0] == replica[0] && theta[1] == replica[1])
	// Output:
	// θ = [1.00 -2.00], replica identical: true
}
