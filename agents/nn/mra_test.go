package nn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents/nn"
)

// mraBlock is the forward path of MRA's policy (mra.md §2): the relation
// net gives the graph g over the other agents, a value MLP embeds each
// other agent, e = Σ_j g_j·v_j, and a head MLP gives action log-probs.
// The loss mixes a policy-gradient term, an entropy bonus and a direct
// term on g (as the critic's mixing uses g):
//
//	L = Σ_b adv_b·log π(a_b) + β·Σ_b H(π_b) + Σ c·g.
type mraBlock struct {
	rel   *nn.RelationNet
	value *nn.MLP
	agg   nn.Aggregate
	head  *nn.MLP
	logp  nn.LogSoftmax
	p     *nn.Params

	actions []int
	adv     []float64
	beta    float64
	cg      []float64 // batch×maxN, coefficients of the g term

	lp, dlogp, ent, dOthers []float64
}

const (
	obsWidth   = 22
	numActions = 5
)

func newMRABlock(rng *rand.Rand, batch, maxN int) *mraBlock {
	blk := &mraBlock{
		rel:   nn.NewRelationNet(obsWidth, 32, 6, 16),
		value: nn.NewMLP(nn.NewReLU, obsWidth, 32, 64),
		agg:   nn.Aggregate{Dim: 64},
		head:  nn.NewMLP(nn.NewReLU, 64, 32, numActions),
		logp:  nn.LogSoftmax{N: numActions},
		beta:  0.3,
	}
	blk.p = nn.NewParams(blk.rel, blk.value, blk.head)
	nn.XavierNormal(rng, blk.p.Value, blk.p.Layout)
	for i := range blk.p.Value {
		blk.p.Value[i] += 0.05 * rng.NormFloat64()
	}
	for range batch {
		blk.actions = append(blk.actions, rng.IntN(numActions))
	}
	blk.adv = randn(rng, batch)
	blk.cg = randn(rng, batch*maxN)
	blk.ent = make([]float64, numActions)
	return blk
}

func (blk *mraBlock) loss(n int, self, others, z []float64, present []bool) float64 {
	g := blk.rel.Forward(n, self, others, z, present)
	v := blk.value.Forward(others)
	e := blk.agg.Forward(n, g, v)
	lp := blk.logp.Forward(blk.head.Forward(e))
	blk.lp = lp
	var l float64
	for b, a := range blk.actions {
		row := lp[b*numActions : b*numActions+numActions]
		l += blk.adv[b]*row[a] + blk.beta*nn.Entropy(row)
	}
	return l + dot(blk.cg[:len(g)], g)
}

// backward returns ∂L/∂self, ∂L/∂others and ∂L/∂z after a call to loss and
// accumulates the parameter gradients.
func (blk *mraBlock) backward() (dSelf, dOthers, dz []float64) {
	lp := blk.lp
	blk.dlogp = grow(blk.dlogp, len(lp))
	for b, a := range blk.actions {
		row := blk.dlogp[b*numActions : b*numActions+numActions]
		for k := range row {
			row[k] = 0
		}
		row[a] = blk.adv[b]
	}
	dlogits := blk.logp.Backward(blk.dlogp)
	for b := range blk.actions {
		nn.EntropyGrad(blk.ent, lp[b*numActions:b*numActions+numActions])
		for k, v := range blk.ent {
			dlogits[b*numActions+k] += blk.beta * v
		}
	}
	de := blk.head.Backward(dlogits)
	dg, dv := blk.agg.Backward(de)
	for i := range dg {
		dg[i] += blk.cg[i]
	}
	dOthersV := blk.value.Backward(dv)
	dSelf, dOthersR, dz := blk.rel.Backward(dg)
	blk.dOthers = grow(blk.dOthers, len(dOthersR))
	for i, v := range dOthersR {
		blk.dOthers[i] = v + dOthersV[i]
	}
	return dSelf, blk.dOthers, dz
}

func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// TestGradMRABlock checks the gradient of the whole MRA-shaped block with
// respect to all parameters, both observation inputs and z, at several set
// sizes, with and without masked entities.
func TestGradMRABlock(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 1))
	const batch, maxN = 3, 6
	for _, tc := range []struct {
		n      int
		masked bool
		oneHot bool
	}{
		{1, false, true},
		{3, true, false},
		{6, true, true},
		{6, false, false},
	} {
		blk := newMRABlock(rng, batch, maxN)
		n := tc.n
		self := randn(rng, batch*obsWidth)
		others := randn(rng, batch*n*obsWidth)
		z := softZ(rng, batch, 6)
		if tc.oneHot {
			z = oneHotZ(rng, batch, 6)
		}
		var mask []bool
		if tc.masked {
			mask = randomMask(rng, batch, n, false)
		}
		loss := func() float64 { return blk.loss(n, self, others, z, mask) }
		loss()
		blk.p.ZeroGrad()
		dSelf, dOthers, dz := blk.backward()
		name := fmt.Sprintf("n=%d masked=%t onehot=%t", n, tc.masked, tc.oneHot)
		checkGrad(t, name+" self", loss, self, dSelf)
		checkGrad(t, name+" others", loss, others, dOthers)
		checkGrad(t, name+" z", loss, z, dz)
		checkGrad(t, name+" params", loss, blk.p.Value, blk.p.Grad)
	}
}

// TestZeroAllocs checks that forward and backward passes allocate nothing
// once the caches have grown, including at a smaller set size than the
// largest seen and with a Gumbel-softmax draw of z.
func TestZeroAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 1))
	const batch, maxN = 16, 8
	blk := newMRABlock(rng, batch, maxN)
	gumbel := &nn.GumbelSoftmax{N: 6, Temperature: 1}
	priorLogits := randn(rng, batch*6)
	self := randn(rng, batch*obsWidth)
	others := randn(rng, batch*maxN*obsWidth)
	mask := randomMask(rng, batch, maxN, true)
	step := func(n int) func() {
		return func() {
			z := gumbel.Forward(rng, priorLogits)
			blk.loss(n, self, others[:batch*n*obsWidth], z, mask[:batch*n])
			blk.p.ZeroGrad()
			_, _, dz := blk.backward()
			gumbel.Backward(dz)
		}
	}
	step(maxN)() // grow caches to the largest set size
	for _, n := range []int{maxN, 1, 5} {
		if a := testing.AllocsPerRun(20, step(n)); a != 0 {
			t.Errorf("n=%d: %g allocs per forward+backward, want 0", n, a)
		}
	}
}

// TestCacheReuse checks that a block that has served a larger set gives
// the same results at a smaller one as a fresh block.
func TestCacheReuse(t *testing.T) {
	const batch, n = 4, 3
	mk := func() *mraBlock { return newMRABlock(rand.New(rand.NewPCG(22, 1)), batch, 7) }
	used, fresh := mk(), mk()
	rng := rand.New(rand.NewPCG(23, 1))
	big := randn(rng, batch*7*obsWidth)
	z := oneHotZ(rng, batch, 6)
	self := randn(rng, batch*obsWidth)
	used.loss(7, self, big, z, nil)
	used.backward()
	used.p.ZeroGrad()

	others := randn(rng, batch*n*obsWidth)
	l1 := used.loss(n, self, others, z, nil)
	s1, o1, z1 := used.backward()
	l2 := fresh.loss(n, self, others, z, nil)
	s2, o2, z2 := fresh.backward()
	if l1 != l2 {
		t.Fatalf("loss %g after reuse, %g fresh", l1, l2)
	}
	for _, pair := range [][2][]float64{{s1, s2}, {o1, o2}, {z1, z2}, {used.p.Grad, fresh.p.Grad}} {
		for i := range pair[0] {
			if pair[0][i] != pair[1][i] {
				t.Fatalf("gradient differs at %d: %g vs %g", i, pair[0][i], pair[1][i])
			}
		}
	}
}
