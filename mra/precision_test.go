package mra

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
)

// Tolerances of the float32 path against float64 on the same parameters
// and batch (TestFloat32MatchesFloat64), relative to the largest entry of
// the float64 value. Measured on resource occupation, N = 3, batch 64,
// default networks: see the test's log (go test -run Float32Matches -v).
const (
	f32LossTol = 1e-4 // a loss or statistic of one update
	f32GradTol = 1e-3 // a group's gradient before clipping, ‖g32 − g64‖∞ / ‖g64‖∞
)

// pairModels returns a float64 and a float32 model for spec on the same
// parameters and targets (testModel's, rounded to float32, in both) and the
// same random streams, and the encoding.
func pairModels(t testing.TB, cfg Config, spec *env.Spec, games int, seed uint64) (*Model, *ModelOf[float32], *replay.Encoding) {
	t.Helper()
	m64, enc := testModel(t, cfg, spec, games, seed)
	cfg32 := cfg
	cfg32.Precision = PrecisionFloat32
	m32, err := NewModelOf[float32](cfg32, m64.f, m64.games, rand.New(rand.NewPCG(seed, 7)))
	if err != nil {
		t.Fatal(err)
	}
	chunk.Convert(m32.params, m64.params)
	chunk.Convert(m32.target, m64.target)
	chunk.Widen(m64.params, m32.params)
	chunk.Widen(m64.target, m32.target)
	return m64, m32, enc
}

// relErr returns ‖got − want‖∞ / ‖want‖∞ (‖got − want‖∞ when want is 0).
func relErr(got, want []float64) float64 {
	var d, w float64
	for i := range want {
		d = max(d, math.Abs(got[i]-want[i]))
		w = max(w, math.Abs(want[i]))
	}
	if w == 0 {
		return d
	}
	return d / w
}

// injectDraws gives m the same recorded action draws and Gumbel noise as
// the other model of its pair, so that sampling (a comparison of a uniform
// with probabilities that differ in the last float32 bits) cannot send the
// two precisions down different branches.
func injectDraws(rng *rand.Rand, enc *replay.Encoding, size, k, resamples int) *draws {
	d := &draws{}
	for kind := range numDrawKinds {
		d.act[kind] = make([]int, size*enc.N)
		for r := range d.act[kind] {
			d.act[kind][r] = rng.IntN(enc.Actions[enc.Type[r%enc.N]])
		}
	}
	gumbel := func(n int) []float64 {
		g := make([]float64, n*k)
		for i := range g {
			g[i] = -math.Log(-math.Log(rng.Float64()))
		}
		return g
	}
	d.noise = [][]float64{gumbel(enc.N), gumbel(resamples * enc.N), gumbel(enc.N)}
	return d
}

// TestFloat32MatchesFloat64 pins the float32 path to the float64 one: on
// the same parameters, batch and draws, one update of each kind (critic,
// policies, relation, prior) gives losses within f32LossTol and pre-clip
// gradients within f32GradTol, relative; after a full official cycle
// (10 × critic+policy, relation, targets, prior) the parameters agree to
// a small fraction of the learning rate.
func TestFloat32MatchesFloat64(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec func(testing.TB) *env.Spec
		cfg  func() Config
	}{
		{"resource n=3 official", func(t testing.TB) *env.Spec { return learnertest.ResourceSpec(t, 3) }, DefaultConfig},
		{"tag corrected+self", learnertest.TagSpec, func() Config {
			c := DefaultConfig()
			if err := c.ApplyVariant(VariantCorrected); err != nil {
				panic(err)
			}
			c.PolicySeesSelf, c.CriticSeesSelf, c.RecomputeNextGraph, c.Baseline = true, true, true, true
			return c
		}},
		{"tag corrected pool-sum", learnertest.TagSpec, func() Config {
			c := DefaultConfig()
			if err := c.ApplyVariant(VariantCorrected); err != nil {
				panic(err)
			}
			c.RelationPooling, c.MIWeight = PoolingSum, 3
			return c
		}},
		{"resource n=3 corrected pool-mean+logcount+self", func(t testing.TB) *env.Spec { return learnertest.ResourceSpec(t, 3) }, func() Config {
			c := DefaultConfig()
			if err := c.ApplyVariant(VariantCorrected); err != nil {
				panic(err)
			}
			c.RelationPooling, c.PolicySeesSelf = PoolingMeanLogCount, true
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg()
			cfg.BatchSize = 64
			spec := tc.spec(t)
			m64, m32, enc := pairModels(t, cfg, spec, 2, 5)
			defer m64.Close()
			defer m32.Close()
			b := learnertest.RandomBatch(rand.New(rand.NewPCG(6, 6)), enc, cfg.BatchSize, cfg.Latents)
			inj := func() *draws {
				return injectDraws(rand.New(rand.NewPCG(8, 8)), enc, cfg.BatchSize, cfg.Latents, cfg.Resamples)
			}
			m64.inj, m32.inj = inj(), inj()
			rng64, rng32 := rand.New(rand.NewPCG(9, 9)), rand.New(rand.NewPCG(9, 9))

			type result struct{ loss, stat float64 }
			for _, u := range []struct {
				name  string
				group int
				run64 func() result
				run32 func() result
			}{
				{"critic", groupCritic,
					func() result { return result{m64.UpdateCritic(b), 0} },
					func() result { return result{m32.UpdateCritic(b), 0} }},
				{"policy", groupPolicy,
					func() result { l, e := m64.UpdatePolicies(b); return result{l, e} },
					func() result { l, e := m32.UpdatePolicies(b); return result{l, e} }},
				{"relation", groupRelation,
					func() result { return result{m64.UpdateRelation(b, m64.games[0], rng64), 0} },
					func() result { return result{m32.UpdateRelation(b, m32.games[0], rng32), 0} }},
				{"prior", groupPrior,
					func() result { return result{m64.UpdatePrior(b, 1, rng64), m64.Stats().Accuracy} },
					func() result { return result{m32.UpdatePrior(b, 1, rng32), m32.Stats().Accuracy} }},
			} {
				r64, r32 := u.run64(), u.run32()
				if m64.Err() != nil || m32.Err() != nil {
					t.Fatalf("%s: %v / %v", u.name, m64.Err(), m32.Err())
				}
				le := math.Abs(r32.loss-r64.loss) / max(math.Abs(r64.loss), 1e-12)
				se := math.Abs(r32.stat-r64.stat) / max(math.Abs(r64.stat), 1e-12)
				ge := relErr(m32.inj.grad[u.group], m64.inj.grad[u.group])
				t.Logf("%-8s loss %.6g vs %.6g: rel %.2e; stat rel %.2e; grad rel ‖·‖∞ %.2e", u.name, r32.loss, r64.loss, le, se, ge)
				if le > f32LossTol || se > f32LossTol {
					t.Errorf("%s: loss %v (float32) vs %v (float64), stat %v vs %v: beyond %g", u.name, r32.loss, r64.loss, r32.stat, r64.stat, f32LossTol)
				}
				if ge > f32GradTol {
					t.Errorf("%s: gradient relative error %.3g beyond %g", u.name, ge, f32GradTol)
				}
			}

			// A full cycle from where the updates above left both models.
			m64.inj, m32.inj = inj(), inj()
			for range cfg.NumUpdates {
				m64.UpdateCritic(b)
				m32.UpdateCritic(b)
				m64.UpdatePolicies(b)
				m32.UpdatePolicies(b)
			}
			m64.UpdateRelation(b, m64.games[0], rng64)
			m32.UpdateRelation(b, m32.games[0], rng32)
			m64.SyncTargets()
			m32.SyncTargets()
			m64.UpdatePrior(b, 0, rng64)
			m32.UpdatePrior(b, 0, rng32)
			if m64.Err() != nil || m32.Err() != nil {
				t.Fatalf("cycle: %v / %v", m64.Err(), m32.Err())
			}
			p64, p32 := m64.Params(nil), m32.Params(nil)
			var dmax float64
			for i := range p64 {
				dmax = max(dmax, math.Abs(p32[i]-p64[i]))
			}
			// Adam moves each parameter by about lr per step; 11 steps of
			// critic and policies moved them by up to ~3e-3.
			lr := cfg.PolicyLR
			t.Logf("after a cycle: max |θ32 − θ64| = %.3g = %.3g·lr", dmax, dmax/lr)
			if dmax > 0.1*lr {
				t.Errorf("after a cycle the parameters differ by %.3g (%.3g·lr), beyond 0.1·lr", dmax, dmax/lr)
			}
		})
	}
}

// TestFloat32Workers checks the float32 path gives the same state, bit for
// bit, at 1 and 3 workers.
func TestFloat32Workers(t *testing.T) {
	cfg := tinyConfig()
	cfg.BatchSize, cfg.BufferLength = 64, 64
	var states [][]byte
	for _, w := range []int{1, 3} {
		_, m32, enc := pairModels(t, cfg, learnertest.TagSpec(t), 2, 11)
		m32.SetWorkers(w)
		b := learnertest.RandomBatch(rand.New(rand.NewPCG(12, 12)), enc, cfg.BatchSize, cfg.Latents)
		rng := rand.New(rand.NewPCG(13, 13))
		for range 2 {
			cycle(m32, b, rng)
		}
		if m32.Err() != nil {
			t.Fatal(m32.Err())
		}
		states = append(states, m32.AppendState(nil))
		m32.Close()
	}
	if !bytes.Equal(states[0], states[1]) {
		t.Fatal("1 and 3 workers give different float32 states")
	}
}

// TestFloat32ZeroAllocs checks a float32 update cycle and acting allocate
// nothing once warm, at 1 and 2 workers.
func TestFloat32ZeroAllocs(t *testing.T) {
	for _, w := range []int{1, 2, 3, 4} { // 3, 4: 1 and 2 workers with a count-aware relation pooling
		cfg := tinyConfig()
		cfg.RecomputeNextGraph = true
		if w > 2 {
			w -= 2
			cfg.Variant, cfg.RelationPooling, cfg.MIWeight = VariantCorrected, PoolingMeanLogCount, 2
		}
		_, m, enc := pairModels(t, cfg, learnertest.TagSpec(t), 2, 101)
		m.SetWorkers(w)
		b := learnertest.RandomBatch(rand.New(rand.NewPCG(102, 102)), enc, 64, cfg.Latents)
		rng := rand.New(rand.NewPCG(103, 103))
		cycle(m, b, rng)
		work := slices.Clone(m.chunks.Work) // warm every worker on every update (see TestZeroAllocs)
		m.chunks.Workers = 1
		for _, wk := range work {
			m.chunks.Work[0] = wk
			cycle(m, b, rng)
		}
		copy(m.chunks.Work, work)
		m.chunks.Workers = w
		if allocs := testing.AllocsPerRun(5, func() { cycle(m, b, rng) }); allocs != 0 {
			t.Errorf("%d workers: %v allocations per float32 cycle", w, allocs)
		}
		rows := 4 * enc.N
		z := make([]float64, rows*cfg.Latents)
		actions := make([]int, rows)
		graph := make([]float64, rows*enc.E)
		act := func() {
			m.SampleLatents(m.games[0], rng, z)
			m.Act(enc, rows, b.Self[:rows*enc.D], b.Ents[:rows*enc.E*enc.D], b.Mask[:rows*enc.E], z, rng, actions, graph)
		}
		act()
		if allocs := testing.AllocsPerRun(20, act); allocs != 0 {
			t.Errorf("%d workers: %v allocations per float32 Act", w, allocs)
		}
		m.Close()
	}
}

// TestFloat32StateResume checks a float32 state round-trips exactly (a
// restored model continues bit for bit) and that a model of the other
// precision refuses it, naming the precision.
func TestFloat32StateResume(t *testing.T) {
	cfg := tinyConfig()
	cfg.BatchSize, cfg.BufferLength = 16, 16
	m64, m32, enc := pairModels(t, cfg, learnertest.TagSpec(t), 2, 21)
	defer m64.Close()
	defer m32.Close()
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(22, 22)), enc, cfg.BatchSize, cfg.Latents)
	cycle(m32, b, rand.New(rand.NewPCG(23, 23)))
	st := m32.AppendState(nil)

	_, fresh, _ := pairModels(t, cfg, learnertest.TagSpec(t), 2, 99)
	defer fresh.Close()
	if err := fresh.SetState(st); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh.AppendState(nil), st) {
		t.Fatal("float32 state does not round-trip")
	}
	cycle(m32, b, rand.New(rand.NewPCG(24, 24)))
	cycle(fresh, b, rand.New(rand.NewPCG(24, 24)))
	if !bytes.Equal(fresh.AppendState(nil), m32.AppendState(nil)) {
		t.Fatal("a restored float32 model does not continue bit for bit")
	}

	for _, tc := range []struct {
		name  string
		set   func([]byte) error
		state []byte
		want  string
	}{
		{"float32 state into float64", m64.SetState, st, `trained with algo.precision = "float32", the model is "float64"`},
		{"float64 state into float32", fresh.SetState, m64.AppendState(nil), `trained with algo.precision = "float64", the model is "float32"`},
	} {
		err := tc.set(tc.state)
		if err == nil || !errors.Is(err, ErrState) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrState containing %q", tc.name, err, tc.want)
		}
	}
}

// TestFloat64Conversion checks Float64 carries a float32 model's
// parameters and targets exactly and acts as a float64 model.
func TestFloat64Conversion(t *testing.T) {
	_, m32, _ := pairModels(t, tinyConfig(), learnertest.TagSpec(t), 2, 31)
	m64, err := m32.Float64()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m64.Params(nil), m32.Params(nil)) {
		t.Fatal("parameters differ after Float64")
	}
	for i, v := range m32.target {
		if float64(v) != m64.target[i] {
			t.Fatalf("target %d: %v vs %v", i, v, m64.target[i])
		}
	}
	if m64.Config().Precision != PrecisionFloat64 {
		t.Fatalf("precision %q", m64.Config().Precision)
	}
}

// TestPrecisionConfig checks the precision key's validation.
func TestPrecisionConfig(t *testing.T) {
	for _, tc := range []struct {
		algo, precision string
		want            string // "" for valid
	}{
		{AlgoMRA, "", ""},
		{AlgoMRA, PrecisionFloat64, ""},
		{AlgoMRA, PrecisionFloat32, ""},
		{AlgoReptile, PrecisionFloat32, ""},
		{AlgoMRA, "float16", `mra: algo.precision = "float16": want "float32" or "float64"`},
	} {
		c := DefaultConfig()
		c.Algo, c.Precision = tc.algo, tc.precision
		err := c.Validate()
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%s/%q: error %v, want %q", tc.algo, tc.precision, err, tc.want)
		}
	}
	c := DefaultConfig()
	if _, err := NewModelOf[float32](c, replay.GameFeatures(learnertest.TagSpec(t)), [][]float64{{0.2, 0.1}}, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("a float32 model was built from a float64 config")
	}
}
