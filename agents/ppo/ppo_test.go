package ppo

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestGAE(t *testing.T) {
	for _, tc := range []struct {
		name           string
		reward, value  []float64
		last           []bool
		gamma, lambda  float64
		wantAdv, wantR []float64
	}{
		{"one step", []float64{1}, []float64{0.5}, []bool{true}, 0.9, 0.95, []float64{0.5}, []float64{1}},
		// Row 1: δ = 2 − 1 = 1, Â = 1. Row 0: δ = 1 + 0.5·1 − 0 = 1.5, Â = 1.5 + 0.5·0.5·1 = 1.75.
		{"two steps", []float64{1, 2}, []float64{0, 1}, []bool{false, true}, 0.5, 0.5, []float64{1.75, 1}, []float64{1.75, 2}},
		// The episode boundary stops the bootstrap: row 0 sees nothing of row 1.
		{"two episodes", []float64{1, 2}, []float64{0, 1}, []bool{true, true}, 0.5, 0.5, []float64{1, 1}, []float64{1, 2}},
		// λ = 1, γ = 1: Monte-Carlo returns minus the values.
		{"monte carlo", []float64{1, 1, 1}, []float64{0.5, 0.5, 0.5}, []bool{false, false, true}, 1, 1, []float64{2.5, 1.5, 0.5}, []float64{3, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			adv, ret := make([]float64, len(tc.reward)), make([]float64, len(tc.reward))
			GAE(adv, ret, tc.reward, tc.value, tc.last, tc.gamma, tc.lambda)
			if !slices.Equal(adv, tc.wantAdv) || !slices.Equal(ret, tc.wantR) {
				t.Errorf("adv %v ret %v, want %v %v", adv, ret, tc.wantAdv, tc.wantR)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
	}{
		{"spread", []float64{1, 2, 3, 4}},
		{"equal", []float64{5, 5, 5}},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := slices.Clone(tc.x)
			Normalize(x)
			var mean, ss float64
			for _, v := range x {
				if math.IsNaN(v) {
					t.Fatalf("NaN in %v", x)
				}
				mean += v
			}
			if len(x) == 0 {
				return
			}
			mean /= float64(len(x))
			for _, v := range x {
				ss += (v - mean) * (v - mean)
			}
			sd := math.Sqrt(ss / float64(len(x)))
			if math.Abs(mean) > 1e-12 || (tc.name == "spread" && math.Abs(sd-1) > 1e-6) || (tc.name == "equal" && sd != 0) {
				t.Errorf("mean %g sd %g after Normalize(%v) = %v", mean, sd, tc.x, x)
			}
		})
	}
}

// TestSurrogate checks the clipped objective's value at every branch and
// that coef is its derivative with respect to log π (numerically: ρ = e^ℓ).
func TestSurrogate(t *testing.T) {
	for _, tc := range []struct {
		name            string
		ratio, adv      float64
		wantObj, wantCo float64
	}{
		{"inside, positive", 1.1, 2, 2.2, 2.2},
		{"above, positive: clipped", 1.5, 2, 2.4, 0},
		{"below, positive: unclipped min", 0.5, 2, 1, 1},
		{"below, negative: clipped", 0.5, -2, -1.6, 0},
		{"above, negative: unclipped min", 1.5, -2, -3, -3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj, coef := Surrogate(tc.ratio, tc.adv, 0.2)
			if math.Abs(obj-tc.wantObj) > 1e-12 || math.Abs(coef-tc.wantCo) > 1e-12 {
				t.Errorf("Surrogate(%g, %g, 0.2) = %g, %g; want %g, %g", tc.ratio, tc.adv, obj, coef, tc.wantObj, tc.wantCo)
			}
			const h = 1e-6
			l := math.Log(tc.ratio)
			up, _ := Surrogate(math.Exp(l+h), tc.adv, 0.2)
			dn, _ := Surrogate(math.Exp(l-h), tc.adv, 0.2)
			if num := (up - dn) / (2 * h); math.Abs(num-coef) > 1e-5 {
				t.Errorf("coef %g, numerical derivative %g", coef, num)
			}
		})
	}
}

// TestValueLoss checks the clipped value loss at each branch and its
// derivative against a numerical one.
func TestValueLoss(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		v, old, target, clip float64
		wantLoss             float64
	}{
		{"unclipped", 1.5, 1, 2, 0, 0.25},
		{"inside the clip", 1.1, 1, 2, 0.2, 0.81},
		{"reached the target past the clip: the clipped error is larger", 2.1, 1, 2, 0.2, 0.64},
		{"moved away from the target: the plain error is larger", 0, 1, 2, 0.2, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loss, grad := ValueLoss(tc.v, tc.old, tc.target, tc.clip)
			if math.Abs(loss-tc.wantLoss) > 1e-12 {
				t.Errorf("loss %g, want %g", loss, tc.wantLoss)
			}
			const h = 1e-6
			up, _ := ValueLoss(tc.v+h, tc.old, tc.target, tc.clip)
			dn, _ := ValueLoss(tc.v-h, tc.old, tc.target, tc.clip)
			if num := (up - dn) / (2 * h); math.Abs(num-grad) > 1e-5 {
				t.Errorf("grad %g, numerical %g", grad, num)
			}
		})
	}
}

// TestEpochs checks that every pass visits every row exactly once, in
// minibatches of the asked size with a short tail folded in, and that an
// error stops the passes.
func TestEpochs(t *testing.T) {
	for _, tc := range []struct {
		rows, epochs, minibatches int
		wantSizes                 []int // minibatch sizes of one pass
	}{
		{8, 2, 4, []int{2, 2, 2, 2}},
		{10, 3, 4, []int{2, 2, 2, 2, 2}}, // minibatches of 2: no tail is shorter than 1
		{17, 2, 4, []int{4, 4, 4, 5}},    // a tail of 1 < 4/2 folds into the last minibatch
		{9, 1, 2, []int{4, 5}},
		{3, 2, 8, []int{1, 1, 1}},
		{0, 2, 4, nil},
	} {
		var sizes []int
		seen := map[int]int{}
		_, err := Epochs(nil, tc.rows, tc.epochs, tc.minibatches, rand.New(rand.NewPCG(1, 2)), func(mb []int) error {
			sizes = append(sizes, len(mb))
			for _, r := range mb {
				seen[r]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != tc.rows {
			t.Errorf("rows %d: %d rows seen", tc.rows, len(seen))
		}
		for r, n := range seen {
			if n != tc.epochs {
				t.Errorf("rows %d: row %d seen %d times in %d epochs", tc.rows, r, n, tc.epochs)
			}
		}
		if tc.rows > 0 && !slices.Equal(sizes[:len(tc.wantSizes)], tc.wantSizes) {
			t.Errorf("rows %d minibatches %d: sizes %v, want a pass of %v", tc.rows, tc.minibatches, sizes, tc.wantSizes)
		}
	}
	stop := errors.New("stop")
	calls := 0
	_, err := Epochs(nil, 10, 4, 5, rand.New(rand.NewPCG(1, 2)), func([]int) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err %v after %d calls, want stop after 1", err, calls)
	}
}

// TestEpochsNoAllocs checks that passes over a reused order allocate
// nothing.
func TestEpochsNoAllocs(t *testing.T) {
	order := make([]int, 64)
	rng := rand.New(rand.NewPCG(3, 4))
	step := func([]int) error { return nil }
	if n := testing.AllocsPerRun(20, func() { order, _ = Epochs(order, 64, 4, 4, rng, step) }); n != 0 {
		t.Errorf("%v allocations per call", n)
	}
}
