package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents/nn"
)

func TestLinearMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	for _, sh := range [][3]int{{1, 1, 1}, {3, 4, 5}, {22, 32, 8}, {7, 3, 9}, {32, 96, 13}} {
		in, out, rows := sh[0], sh[1], sh[2]
		l := nn.NewLinear(in, out)
		p := nn.NewParams(l)
		copy(p.Value, randn(rng, len(p.Value)))
		x := randn(rng, rows*in)
		y := l.Forward(x)
		for r := range rows {
			for o := range out {
				want := l.B[o]
				for i := range in {
					want += l.W[o*in+i] * x[r*in+i]
				}
				if math.Abs(y[r*out+o]-want) > 1e-12*(1+math.Abs(want)) {
					t.Fatalf("%v: y[%d,%d] = %g, want %g", sh, r, o, y[r*out+o], want)
				}
			}
		}
	}
}

func TestGradLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	for _, rows := range []int{1, 4, 5, 11} {
		l := nn.NewLinear(3, 4)
		p := nn.NewParams(l)
		copy(p.Value, randn(rng, len(p.Value)))
		x := randn(rng, rows*3)
		c := randn(rng, rows*4)
		loss := func() float64 { return dot(c, l.Forward(x)) }
		loss()
		dx := l.Backward(c)
		name := fmt.Sprintf("rows=%d", rows)
		checkGrad(t, name+" input", loss, x, dx)
		checkGrad(t, name+" params", loss, p.Value, p.Grad)
	}
}

func TestGradActivations(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 1))
	for _, tc := range []struct {
		name  string
		layer nn.Layer
	}{
		{"ReLU", nn.NewReLU()},
		{"LeakyReLU", nn.NewLeakyReLU(0.1)()},
		{"Tanh", nn.NewTanh()},
		{"Softmax", &nn.Softmax{N: 5}},
		{"LogSoftmax", &nn.LogSoftmax{N: 5}},
	} {
		x := randn(rng, 30)
		c := randn(rng, 30)
		loss := func() float64 { return dot(c, tc.layer.Forward(x)) }
		loss()
		checkGrad(t, tc.name, loss, x, tc.layer.Backward(c))
	}
}

func TestGradMLP(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	for _, tc := range []struct {
		name string
		act  func() nn.Layer
	}{
		{"ReLU", nn.NewReLU},
		{"LeakyReLU", nn.NewLeakyReLU(0.01)},
		{"Tanh", nn.NewTanh},
	} {
		m := nn.NewMLP(tc.act, 6, 8, 7, 3)
		p := nn.NewParams(m)
		nn.XavierNormal(rng, p.Value, p.Layout)
		copy(p.Value, randn(rng, len(p.Value))) // non-zero biases too
		x := randn(rng, 5*6)
		c := randn(rng, 5*3)
		loss := func() float64 { return dot(c, m.Forward(x)) }
		loss()
		dx := m.Backward(c)
		checkGrad(t, tc.name+" input", loss, x, dx)
		checkGrad(t, tc.name+" params", loss, p.Value, p.Grad)
	}
}

func TestGradEntropyAndLogProb(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	const rows, k = 4, 5
	logits := randn(rng, rows*k)
	ls := &nn.LogSoftmax{N: k}
	actions := []int{0, 3, 4, 2}
	c := randn(rng, rows)
	d := randn(rng, rows)
	loss := func() float64 {
		lp := ls.Forward(logits)
		var s float64
		for r := range rows {
			s += c[r]*nn.Entropy(lp[r*k:r*k+k]) + d[r]*lp[r*k+actions[r]]
		}
		return s
	}
	loss()
	lp := ls.Forward(logits)
	grad := make([]float64, rows*k)
	tmp := make([]float64, k)
	for r := range rows {
		nn.EntropyGrad(tmp, lp[r*k:r*k+k])
		for j := range k {
			grad[r*k+j] += c[r] * tmp[j]
		}
		nn.LogProbGrad(tmp, lp[r*k:r*k+k], actions[r])
		for j := range k {
			grad[r*k+j] += d[r] * tmp[j]
		}
	}
	checkGrad(t, "entropy+logprob", loss, logits, grad)

	// Entropy of a uniform distribution is log k.
	u := make([]float64, k)
	for i := range u {
		u[i] = -math.Log(k)
	}
	if h := nn.Entropy(u); math.Abs(h-math.Log(k)) > 1e-14 {
		t.Errorf("Entropy(uniform) = %g, want %g", h, math.Log(k))
	}
}

func TestSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	p := []float64{0.1, 0, 0.6, 0.3}
	counts := make([]int, len(p))
	const n = 100000
	for range n {
		counts[nn.Sample(rng, p)]++
	}
	for k, c := range counts {
		f := float64(c) / n
		sd := math.Sqrt(p[k] * (1 - p[k]) / n)
		if math.Abs(f-p[k]) > 5*sd+1e-12 {
			t.Errorf("frequency of %d = %g, want %g", k, f, p[k])
		}
	}
	if counts[1] != 0 {
		t.Errorf("sampled a zero-probability index %d times", counts[1])
	}
	// Same seed, same draws.
	a, b := rand.New(rand.NewPCG(9, 9)), rand.New(rand.NewPCG(9, 9))
	for range 100 {
		if nn.Sample(a, p) != nn.Sample(b, p) {
			t.Fatal("Sample not reproducible from its seed")
		}
	}
}

func TestGumbelSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	const rows, k = 3, 6
	for _, tau := range []float64{1, 0.5, 4} {
		g := &nn.GumbelSoftmax{N: k, Temperature: tau}
		logits := randn(rng, rows*k)
		hard := g.Forward(rng, logits)
		soft := g.Soft()
		for r := range rows {
			var sum float64
			for j := range k {
				sum += hard[r*k+j]
			}
			if sum != 1 || hard[r*k+nn.Argmax(soft[r*k:r*k+k])] != 1 {
				t.Fatalf("tau=%g row %d: hard %v is not onehot(argmax soft %v)", tau, r, hard[r*k:r*k+k], soft[r*k:r*k+k])
			}
		}
		// Backward is the gradient of the soft sample at fixed noise.
		noise := randn(rng, rows*k)
		c := randn(rng, rows*k)
		loss := func() float64 {
			g.ForwardNoise(logits, noise)
			return dot(c, g.Soft())
		}
		loss()
		checkGrad(t, fmt.Sprintf("gumbel tau=%g", tau), loss, logits, g.Backward(c))
	}
}

func TestGradAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 1))
	const batch, d = 3, 4
	for _, n := range []int{1, 2, 5} {
		for _, masked := range []bool{false, true} {
			a := &nn.Attention{Dim: d, Scale: 0.7}
			q := randn(rng, batch*d)
			k := randn(rng, batch*n*d)
			var mask []bool
			if masked {
				mask = randomMask(rng, batch, n, true)
			}
			c := randn(rng, batch*n)
			loss := func() float64 { return dot(c, a.Forward(n, q, k, mask)) }
			loss()
			w := a.Weights()
			for b := range batch {
				var sum float64
				present := 0
				for j := range n {
					v := w[b*n+j]
					if math.IsNaN(v) || v < 0 {
						t.Fatalf("n=%d: weight %g", n, v)
					}
					if mask != nil && !mask[b*n+j] {
						if v != 0 {
							t.Fatalf("n=%d: absent entity has weight %g", n, v)
						}
						continue
					}
					present++
					sum += v
				}
				if present > 0 && math.Abs(sum-1) > 1e-12 {
					t.Fatalf("n=%d: weights of row %d sum to %g", n, b, sum)
				}
			}
			dq, dk := a.Backward(c)
			name := fmt.Sprintf("n=%d masked=%t", n, masked)
			checkGrad(t, name+" query", loss, q, dq)
			checkGrad(t, name+" keys", loss, k, dk)
		}
	}
}

func TestGradEntityAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	const batch, dk, dv = 3, 4, 5
	for _, n := range []int{1, 3, 6} {
		ea := nn.NewEntityAttention(dk, dv, 0.5)
		q := randn(rng, batch*dk)
		k := randn(rng, batch*n*dk)
		v := randn(rng, batch*n*dv)
		mask := randomMask(rng, batch, n, n > 1)
		c := randn(rng, batch*dv)
		cw := randn(rng, batch*n)
		loss := func() float64 {
			e := ea.Forward(n, q, k, v, mask)
			return dot(c, e) + dot(cw, ea.Weights())
		}
		loss()
		if n > 1 {
			for i := range dv {
				if e := ea.Agg.Forward(n, ea.Weights(), v)[i]; e != 0 {
					t.Fatalf("fully masked row gives output %g", e)
				}
			}
			loss()
		}
		dq, dkk, dvv := ea.Backward(c, append([]float64(nil), cw...))
		name := fmt.Sprintf("n=%d", n)
		checkGrad(t, name+" query", loss, q, dq)
		checkGrad(t, name+" keys", loss, k, dkk)
		checkGrad(t, name+" values", loss, v, dvv)
	}
}

func TestGradAggregate(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	const batch, d = 2, 3
	for _, n := range []int{1, 4} {
		g := &nn.Aggregate{Dim: d}
		w := randn(rng, batch*n)
		v := randn(rng, batch*n*d)
		c := randn(rng, batch*d)
		loss := func() float64 { return dot(c, g.Forward(n, w, v)) }
		loss()
		dw, dv := g.Backward(c)
		checkGrad(t, "weights", loss, w, dw)
		checkGrad(t, "values", loss, v, dv)
	}
}

func TestGradHeadMix(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	const batch, heads, d = 3, 4, 5
	for _, m := range []int{1, 3} {
		h := &nn.HeadMix{Heads: heads, Dim: d}
		x := randn(rng, batch*m*heads*d)
		z := softZ(rng, batch, heads)
		c := randn(rng, batch*m*d)
		loss := func() float64 { return dot(c, h.Forward(m, x, z)) }
		loss()
		dx, dz := h.Backward(c)
		checkGrad(t, "x", loss, x, dx)
		checkGrad(t, "z", loss, z, dz)
	}
	// A one-hot z selects one head.
	h := &nn.HeadMix{Heads: heads, Dim: d}
	x := randn(rng, heads*d)
	z := []float64{0, 0, 1, 0}
	y := h.Forward(1, x, z)
	for i := range d {
		if y[i] != x[2*d+i] {
			t.Fatalf("one-hot z: y[%d] = %g, want %g", i, y[i], x[2*d+i])
		}
	}
}

func TestGradRelationNet(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	const batch = 2
	for _, n := range []int{1, 2, 5} {
		for _, oneHot := range []bool{false, true} {
			rn := nn.NewRelationNet(22, 32, 6, 16)
			p := nn.NewParams(rn)
			nn.XavierNormal(rng, p.Value, p.Layout)
			for i := range p.Value {
				p.Value[i] += 0.1 * rng.NormFloat64() // non-zero biases
			}
			self := randn(rng, batch*22)
			others := randn(rng, batch*n*22)
			z := softZ(rng, batch, 6)
			if oneHot {
				z = oneHotZ(rng, batch, 6)
			}
			var mask []bool
			if n > 1 {
				mask = randomMask(rng, batch, n, false)
			}
			c := randn(rng, batch*n)
			loss := func() float64 { return dot(c, rn.Forward(n, self, others, z, mask)) }
			loss()
			p.ZeroGrad()
			dSelf, dOthers, dz := rn.Backward(c)
			name := fmt.Sprintf("n=%d onehot=%t", n, oneHot)
			checkGrad(t, name+" params", loss, p.Value, p.Grad)
			checkGrad(t, name+" self", loss, self, dSelf)
			checkGrad(t, name+" others", loss, others, dOthers)
			checkGrad(t, name+" z", loss, z, dz)
		}
	}
}

func TestRelationNetFullyMasked(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 1))
	rn := nn.NewRelationNet(4, 5, 2, 3)
	p := nn.NewParams(rn)
	nn.XavierUniform(rng, p.Value, p.Layout)
	const n = 3
	mask := make([]bool, n)
	g := rn.Forward(n, randn(rng, 4), randn(rng, n*4), []float64{1, 0}, mask)
	for _, v := range g {
		if v != 0 {
			t.Fatalf("fully masked graph %v, want zeros", g)
		}
	}
	dSelf, dOthers, dz := rn.Backward([]float64{1, 2, 3})
	for _, s := range [][]float64{dSelf, dOthers, dz, p.Grad} {
		for _, v := range s {
			if v != 0 {
				t.Fatalf("fully masked row has non-zero gradient %g", v)
			}
		}
	}
}
