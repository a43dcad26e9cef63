package mappo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/nn"
)

// Tolerances of the float32 path against float64 on the same numbers:
// float32 rounds every product and sum to 24 bits (relative 6e-8), and
// the networks' sums run over at most a few hundred terms.
const (
	f32LossTol = 1e-6 // relative difference of a loss or statistic
	f32GradTol = 1e-5 // difference of a gradient entry, relative to the largest entry
)

// TestFloat32AgainstFloat64 pins the float32 learner to the float64 one
// on the same numbers, for MAPPO and IPPO with either encoder: the same
// initial parameters (rounded), the same actions sampled on a rollout of
// ten steps, every network's parameter gradient on the rollout within
// f32GradTol, and the losses and entropy of one PPO update within
// f32LossTol.
func TestFloat32AgainstFloat64(t *testing.T) {
	for _, name := range []string{NameMAPPO, NameIPPO} {
		for _, encoder := range Encoders {
			t.Run(name+"/"+encoder, func(t *testing.T) { float32AgainstFloat64(t, name, encoder) })
		}
	}
}

func float32AgainstFloat64(t *testing.T, name, encoder string) {
	f, enc, self, ents, present := encoded(t, 4)
	s := Defaults(name)
	s.Hidden, s.Epochs, s.Minibatches, s.Encoder = 16, 1, 1, encoder
	s32 := s
	s32.Precision = PrecisionFloat32
	l64, err := NewOf[float64](s, f, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	l32, err := NewOf[float32](s32, f, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	for k, m := range l64.nets() {
		for i, v := range m.params.Value {
			if float32(v) != l32.nets()[k].params.Value[i] {
				t.Fatalf("network %d: initial parameter %d is %v in float32, %v in float64", k, i, l32.nets()[k].params.Value[i], v)
			}
		}
	}

	// A rollout of ten steps: observations moving a little each step,
	// rewards from a seeded stream, every agent playing.
	rows := enc.N
	step := make([]float64, len(self))
	reward, acted := make([]float64, rows), make([]bool, rows)
	for i := range acted {
		acted[i] = true
	}
	a64, a32 := make([]int, rows), make([]int, rows)
	graph := make([]float64, rows*enc.E)
	rewards := rand.New(rand.NewPCG(4, 4))
	l64.BeginEpisodes(0, nil, nil, nil)
	l32.BeginEpisodes(0, nil, nil, nil)
	for k := range 10 {
		for i, v := range self {
			step[i] = v + 0.05*float64(k)
		}
		l64.Act(enc, rows, step, ents, present, nil, rand.New(rand.NewPCG(uint64(k), 1)), a64, graph)
		l32.Act(enc, rows, step, ents, present, nil, rand.New(rand.NewPCG(uint64(k), 1)), a32, graph)
		for i := range a64 {
			if a64[i] != a32[i] {
				t.Fatalf("step %d: agent %d sampled action %d in float64, %d in float32", k, i, a64[i], a32[i])
			}
		}
		for i := range reward {
			reward[i] = rewards.NormFloat64()
		}
		l64.Observe(0, reward, acted, nil)
		l32.Observe(0, reward, acted, nil)
	}

	// Every network's gradient of a fixed linear function of its outputs
	// over the rollout's rows.
	total := 10 * rows
	for k := range l64.nets() {
		m64, m32 := l64.nets()[k], l32.nets()[k]
		out64 := m64.forwardSamples(enc.N, total, enc.E, l64.self, l64.ents, l64.present)
		out32 := m32.forwardSamples(enc.N, total, enc.E, l32.self, l32.ents, l32.present)
		c := rand.New(rand.NewPCG(uint64(k), 7))
		d64, d32 := make([]float64, len(out64)), make([]float32, len(out32))
		for i := range d64 {
			d64[i] = c.NormFloat64()
			d32[i] = float32(d64[i])
		}
		m64.params.ZeroGrad()
		m32.params.ZeroGrad()
		m64.backward(d64)
		m32.backward(d32)
		assertClose(t, k, m64.params.Grad, m32.params.Grad)
	}

	// One PPO update on the rollout: one step of each network on the
	// same data from the same parameters.
	var st64, st32 learner.Stats
	l64.Learn(0, nil, rand.New(rand.NewPCG(5, 5)), &st64)
	l32.Learn(0, nil, rand.New(rand.NewPCG(5, 5)), &st32)
	if l64.Err() != nil || l32.Err() != nil {
		t.Fatal(l64.Err(), l32.Err())
	}
	for _, c := range []struct {
		what     string
		got, one float64
	}{{"policy loss", st32.Policy.Mean(), st64.Policy.Mean()}, {"value loss", st32.Critic.Mean(), st64.Critic.Mean()}, {"entropy", st32.Entropy.Mean(), st64.Entropy.Mean()}} {
		t.Logf("%s: float32 %.9g, float64 %.9g", c.what, c.got, c.one)
		if st64.Critic.N == 0 || math.Abs(c.got-c.one) > f32LossTol*math.Max(1, math.Abs(c.one)) {
			t.Errorf("%s: %.9g in float32, %.9g in float64 (tolerance %g relative)", c.what, c.got, c.one, f32LossTol)
		}
	}
}

// assertClose fails unless every entry of got is within f32GradTol × the
// largest |want| of want.
func assertClose[T nn.Float](t *testing.T, net int, want []float64, got []T) {
	t.Helper()
	var scale, worst float64
	for _, v := range want {
		scale = max(scale, math.Abs(v))
	}
	for i, v := range want {
		worst = max(worst, math.Abs(float64(got[i])-v))
	}
	if scale == 0 || worst > f32GradTol*scale {
		t.Errorf("network %d: gradients differ by up to %.3g (largest entry %.3g, tolerance %g of it)", net, worst, scale, f32GradTol)
	}
	t.Logf("network %d: gradients differ by up to %.3g of the largest entry %.3g", net, worst/scale, scale)
}
