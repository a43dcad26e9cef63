package nn_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/agents/nn"
)

// TestPoolGradients checks Pool's gradients with respect to the values
// and, for attention pooling, the weights, in every mode, with absent
// entities and an item with none present.
func TestPoolGradients(t *testing.T) {
	const batch, n, d = 3, 4, 5
	for _, mode := range nn.PoolModes {
		for _, weighted := range []bool{false, true} {
			rng := rand.New(rand.NewPCG(1, 2))
			p, err := nn.NewPool(d, mode)
			if err != nil {
				t.Fatal(err)
			}
			values := randn(rng, batch*n*d)
			present := randomMask(rng, batch, n, true)
			var weights []float64
			if weighted {
				weights = randn(rng, batch*n)
			}
			c := randn(rng, batch*p.Out())
			loss := func() float64 { return dot(c, p.Forward(n, values, weights, present)) }
			loss()
			dv, dw := p.Backward(c)
			name := mode + map[bool]string{false: " deep-sets", true: " attention"}[weighted]
			checkGrad(t, name+" values", loss, values, dv)
			if weighted {
				// Absent entities' weights do not enter the output.
				checkGrad(t, name+" weights", loss, weights, dw)
			} else if dw != nil {
				t.Errorf("%s: weight gradient without weights", name)
			}
		}
	}
}

// TestPoolCountAware checks what each mode tells of the set's size: the
// mean is the same for a set and for the set twice over; the sum doubles;
// mean+logcount keeps the mean and reports ln(1 + count).
func TestPoolCountAware(t *testing.T) {
	const d = 2
	one := []float64{1, 2, 3, 4}                        // a set of 2 entities
	two := []float64{1, 2, 3, 4, 1, 2, 3, 4}            // the same set twice over
	twoPresent := []bool{true, true, true, true}        // 4 present
	oneInTwo := []float64{1, 2, 3, 4, 9, 9, 9, 9}       // 2 present, 2 absent padding
	oneInTwoPresent := []bool{true, true, false, false} // padding must not count
	for _, tc := range []struct {
		mode             string
		wantOne, wantTwo []float64
	}{
		{nn.PoolMean, []float64{2, 3}, []float64{2, 3}},
		{nn.PoolSum, []float64{4, 6}, []float64{8, 12}},
		{nn.PoolMeanLogCount, []float64{2, 3, math.Log(3)}, []float64{2, 3, math.Log(5)}},
	} {
		p, err := nn.NewPool(d, tc.mode)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Clone(p.Forward(2, one, nil, nil)); !approxEqual(got, tc.wantOne) {
			t.Errorf("%s of 2 entities: %v, want %v", tc.mode, got, tc.wantOne)
		}
		if got := slices.Clone(p.Forward(4, two, nil, twoPresent)); !approxEqual(got, tc.wantTwo) {
			t.Errorf("%s of 4 entities: %v, want %v", tc.mode, got, tc.wantTwo)
		}
		if got := slices.Clone(p.Forward(4, oneInTwo, nil, oneInTwoPresent)); !approxEqual(got, tc.wantOne) {
			t.Errorf("%s of 2 entities and 2 absent: %v, want %v", tc.mode, got, tc.wantOne)
		}
	}
	if _, err := nn.NewPool(d, "max"); err == nil {
		t.Error("NewPool accepted mode max")
	}
}

func approxEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			return false
		}
	}
	return true
}

// TestPoolNoAllocs checks that a warm pooling step allocates nothing.
func TestPoolNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p, _ := nn.NewPool(8, nn.PoolMeanLogCount)
	values, weights := randn(rng, 6*5*8), randn(rng, 6*5)
	present := randomMask(rng, 6, 5, false)
	dout := randn(rng, 6*p.Out())
	p.Forward(5, values, weights, present)
	p.Backward(dout)
	if n := testing.AllocsPerRun(50, func() {
		p.Forward(5, values, weights, present)
		p.Backward(dout)
	}); n != 0 {
		t.Errorf("%v allocations per pooling step", n)
	}
}
