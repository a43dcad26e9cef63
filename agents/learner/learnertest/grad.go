package learnertest

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/particle" // tag, for TagSpec
)

// TinySpec is one type of 3 agents with 4 actions observing the 2 others
// (width 2) and 2 landmarks (width 3): E = 4 entity rows, 2 of them agents.
func TinySpec(t testing.TB) *env.Spec {
	t.Helper()
	pop := env.Population{{Type: "agents", Count: 3}}
	spec, err := env.NewSpec(pop, []env.TypeSpec{{
		Name: "agents", Count: 3, NumActions: 4, Self: 3,
		Sets: []env.SetSpec{{Name: "agents", Width: 2, Count: 2}, {Name: "landmarks", Width: 3, Count: 2}},
	}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// TagSpec is a two-type population (2 adversaries, 1 good agent) of the
// particle tag game: types interleave with the batch's rows, and entity rows
// show agents of both types.
func TagSpec(t testing.TB) *env.Spec {
	t.Helper()
	pop, err := env.ParsePopulation("adversaries=2,good=1")
	if err != nil {
		t.Fatal(err)
	}
	g, err := env.Make("tag", nil, pop)
	if err != nil {
		t.Fatal(err)
	}
	return g.Spec()
}

// ResourceSpec is MRA's resource occupation game with n agents.
func ResourceSpec(t testing.TB, n int) *env.Spec {
	t.Helper()
	g, err := env.Make("resource", nil, env.Population{{Type: "agents", Count: n}})
	if err != nil {
		t.Fatal(err)
	}
	return g.Spec()
}

// RandomBatch fills a batch of size samples with random rows: about a
// quarter of the entity rows masked, agent 2 of sample 1 dead, sample 2
// terminal, relation graphs on the present rows, actions in range, and
// one-hot latents k wide (drawn last, so the other fields do not depend
// on k).
func RandomBatch(rng *rand.Rand, enc *replay.Encoding, size, k int) *replay.Batch {
	b := replay.NewBatch(enc, size, k)
	for _, x := range [][]float64{b.Self, b.NextSelf, b.Ents, b.NextEnts} {
		for i := range x {
			x[i] = rng.NormFloat64()
		}
	}
	for i := range b.Mask {
		b.Mask[i] = rng.Float64() < 0.75
		b.NextMask[i] = rng.Float64() < 0.75
	}
	n, e := enc.N, enc.E
	for r := range size * n {
		b.Alive[r] = !(r/n == 1 && r%n == 2)
		if r/n == 2 {
			b.Done[r] = 1
		}
		b.Reward[r] = rng.NormFloat64()
		b.Action[r] = rng.IntN(enc.Actions[enc.Type[r%n]])
		var sum float64
		g := b.Graph[r*e : (r+1)*e]
		for j := range g {
			if b.Mask[r*e+j] {
				g[j] = rng.Float64() + 0.1
				sum += g[j]
			}
		}
		for j := range g {
			if sum > 0 {
				g[j] /= sum
			}
		}
	}
	for r := range size * n {
		b.Latent[r*k+rng.IntN(k)] = 1
	}
	return b
}

// CheckGrad compares analytic with the central-difference gradient of f
// at x, which f reads; x is restored afterwards. It passes an entry when
// the absolute error is ≤ 1e-7 or the relative error ≤ 1e-5.
func CheckGrad(t ErrorReporter, name string, x, analytic []float64, f func() float64) {
	t.Helper()
	x0 := append([]float64(nil), x...)
	want := append([]float64(nil), analytic...)
	num := fd.Gradient(nil, func(p []float64) float64 {
		copy(x, p)
		return f()
	}, x0, &fd.Settings{Formula: fd.Central, Step: 1e-6})
	copy(x, x0)
	bad, nonzero := 0, 0
	for i := range want {
		if want[i] != 0 {
			nonzero++
		}
		d := math.Abs(want[i] - num[i])
		if d > 1e-7 && d > 1e-5*math.Max(math.Abs(want[i]), math.Abs(num[i])) {
			if bad < 5 {
				t.Errorf("%s: ∂/∂x[%d] analytic %.10g, numeric %.10g", name, i, want[i], num[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d entries differ", name, bad, len(want))
	}
	if nonzero < len(want)/3 {
		t.Errorf("%s: only %d of %d gradient entries are non-zero; the check is too weak", name, nonzero, len(want))
	}
}

// ErrorReporter is the part of testing.T CheckGrad uses.
type ErrorReporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// FailRecorder records whether Errorf was called: tests of a gradient
// check that must fail pass one to CheckGrad.
type FailRecorder struct{ Failed bool }

// Helper implements ErrorReporter.
func (f *FailRecorder) Helper() {}

// Errorf implements ErrorReporter: it records the failure.
func (f *FailRecorder) Errorf(string, ...any) { f.Failed = true }
