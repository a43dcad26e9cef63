package mra

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
)

// TestMeanPairwiseTV checks the heads' distance on hand-made
// distributions.
func TestMeanPairwiseTV(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    []float64
		k, n int
		want float64
	}{
		{"identical", []float64{0.2, 0.3, 0.5, 0.2, 0.3, 0.5, 0.2, 0.3, 0.5}, 3, 3, 0},
		{"disjoint", []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, 3, 3, 1},
		{"disjoint halves", []float64{0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5}, 2, 4, 1},
		// ½·Σ|p−q|: (0.5 + 0 + 0.5)/2 = 0.5, p–r 0.5, q–r 1: mean 2/3.
		{"three pairs", []float64{0.5, 0.5, 0, 0, 0.5, 0.5, 1, 0, 0}, 3, 3, 2.0 / 3},
		{"one head", []float64{0.1, 0.9}, 1, 2, 0},
	} {
		if got := meanPairwiseTV(tc.p, tc.k, tc.n); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestHeadSpread checks the spread of the relation update against the
// definition: the mean over alive rows observing an entity row of the
// mean pairwise total variation between the graphs g_φ(o, onehot(h)) of
// the K heads.
func TestHeadSpread(t *testing.T) {
	m, enc := testModel(t, tinyConfig(), learnertest.TinySpec(t), 2, 31)
	defer m.Close()
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(32, 32)), enc, 3, m.cfg.Latents)
	clear(b.Mask[6*enc.E : 7*enc.E]) // row 6 observes nothing; row 5 is dead
	n, e, k := enc.N, enc.E, m.cfg.Latents
	rows := b.Size * n
	var want, counted float64
	graphs := make([][]float64, k)
	for h := range k {
		z := make([]float64, rows*k)
		for r := range rows {
			z[r*k+h] = 1
		}
		graphs[h] = slices.Clone(m.proto.rel.Forward(e, b.Self[:rows*enc.D], b.Ents[:rows*e*enc.D], z, b.Mask[:rows*e]))
	}
	dist := make([]float64, k*e)
	for r := range rows {
		if !b.Alive[r] || !slices.Contains(b.Mask[r*e:(r+1)*e], true) {
			continue
		}
		for h := range k {
			copy(dist[h*e:(h+1)*e], graphs[h][r*e:(r+1)*e])
		}
		want += meanPairwiseTV(dist, k, e)
		counted++
	}
	want /= counted
	if counted > float64(rows-2) {
		t.Fatalf("%v rows counted by hand, want at most %d (one dead, one observing nothing)", counted, rows-2)
	}
	m.UpdateRelation(b, m.games[0], rand.New(rand.NewPCG(33, 33)))
	if got := m.Stats().HeadSpread; math.Abs(got-want) > 1e-12 || want == 0 {
		t.Errorf("head spread %v, want %v (by hand, > 0)", got, want)
	}
}

// numGrad returns the central-difference gradient of loss with respect
// to x (loss reads x in place).
func numGrad(x []float64, loss func() float64) []float64 {
	at := slices.Clone(x)
	g := make([]float64, len(x))
	fd.Gradient(g, func(y []float64) float64 {
		copy(x, y)
		return loss()
	}, at, &fd.Settings{Formula: fd.Central, Step: 1e-6})
	copy(x, at)
	return g
}

func vecNorm(x []float64) float64 { return norm(x) }

// TestModeDiagnosticNorms checks each gradient norm of the diagnostics
// against the norm of a central-difference gradient of the loss it names,
// on the tiny networks: ‖∂(actor loss)/∂θ‖ (UpdatePolicies),
// ‖∂r_MI/∂θ⁻‖ and ‖∂r_MI/∂φ‖ (the relation pass, with the latents and
// a* fixed), and WeightDecay·‖φ‖ by hand; with an MI weight w the
// relation net's pre-clip norm is w·‖∂r_MI/∂φ‖.
func TestModeDiagnosticNorms(t *testing.T) {
	for _, tc := range gradCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			tc.cfg(&cfg)
			m, enc := testModel(t, cfg, tc.spec(t), 2, 41)
			defer m.Close()
			b := learnertest.RandomBatch(rand.New(rand.NewPCG(42, 42)), enc, 3, m.cfg.Latents)
			near := func(what string, got, want float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-6*(1+want) || want == 0 {
					t.Errorf("%s: %v, want %v (central differences, > 0)", what, got, want)
				}
			}

			// The actor loss with its actions and coefficients recorded.
			m.rec = &recording{}
			m.run(phasePolicy, groupPolicy, b, 43, 0)
			m.rec.on = true
			theta := m.spanOf(groupPolicy, m.params)
			want := vecNorm(numGrad(theta, func() float64 { return m.run(phasePolicy, groupPolicy, b, 43, 0)[0] }))
			m.UpdatePolicies(b) // replays the recording; steps θ after measuring
			near("actor grad", m.Stats().ActorGrad, want)

			// r_MI at fixed latents with a* recorded.
			rng := rand.New(rand.NewPCG(44, 44))
			m.latent.z0 = slices.Clone(m.sampleLatents(m.games[0], rng, enc.N))
			m.latent.zk = slices.Clone(m.sampleLatents(m.games[0], rng, cfg.Resamples*enc.N))
			m.rec = &recording{}
			rmi := func() float64 { return m.run(phaseRelation, groupRelation, b, 45, 0)[0] }
			rmi()
			m.rec.on = true
			thetaT := m.target[m.groups[groupPolicy].lo:m.groups[groupPolicy].hi]
			wantActor := vecNorm(numGrad(thetaT, rmi))
			wantRel := vecNorm(numGrad(m.spanOf(groupRelation, m.params), rmi))
			rmi()
			near("MI grad wrt θ⁻", m.targetPolicyGradNorm(), wantActor)
			near("MI grad wrt φ", norm(m.spanOf(groupRelation, m.grad)), wantRel)
		})
	}
}

// TestRelationUpdateDiagnostics checks what UpdateRelation reports: the
// weight-decay term WeightDecay·‖φ‖ of the parameters it started from,
// and, with MIWeight w, the pre-clip norm of φ's gradient w times
// ‖∂r_MI/∂φ‖; r_MI itself and the MI gradients are unweighted.
func TestRelationUpdateDiagnostics(t *testing.T) {
	var stats [2]UpdateStats
	for i, w := range []float64{0, 2.5} {
		cfg := tinyConfig()
		cfg.Variant, cfg.MIWeight = VariantCorrected, w
		m, enc := testModel(t, cfg, learnertest.TinySpec(t), 2, 51)
		b := learnertest.RandomBatch(rand.New(rand.NewPCG(52, 52)), enc, 3, m.cfg.Latents)
		phi := slices.Clone(m.spanOf(groupRelation, m.params))
		m.UpdateRelation(b, m.games[0], rand.New(rand.NewPCG(53, 53)))
		stats[i] = m.Stats()
		if want := cfg.WeightDecay * vecNorm(phi); math.Abs(stats[i].RelationDecay-want) > 1e-15 {
			t.Errorf("w = %v: relation decay %v, want %v", w, stats[i].RelationDecay, want)
		}
		if want := cfg.miWeight() * stats[i].MIGradRelation; math.Abs(stats[i].RelationNorm-want) > 1e-12*want {
			t.Errorf("w = %v: relation net's gradient norm %v, want w·‖∂r_MI/∂φ‖ = %v", w, stats[i].RelationNorm, want)
		}
		m.Close()
	}
	if stats[0].MI != stats[1].MI || stats[0].MIGradRelation != stats[1].MIGradRelation || stats[0].MIGradActor != stats[1].MIGradActor || stats[0].HeadSpread != stats[1].HeadSpread {
		t.Errorf("the MI weight changed an unweighted figure: %+v and %+v", stats[0], stats[1])
	}
}

// TestMIWeight checks the weight: an explicit 1 is the official
// loss bit for bit (unset and 1 give the same state), and a weight w ≠ 1
// moves φ, and only φ, differently.
func TestMIWeight(t *testing.T) {
	state := func(w float64) (params []float64) {
		cfg := tinyConfig()
		cfg.Variant, cfg.MIWeight = VariantCorrected, w
		cfg.GradClip = 1e9 // no clip: the weight reaches Adam as it is
		m, enc := testModel(t, cfg, learnertest.TinySpec(t), 2, 71)
		defer m.Close()
		b := learnertest.RandomBatch(rand.New(rand.NewPCG(72, 72)), enc, 3, m.cfg.Latents)
		m.UpdateRelation(b, m.games[0], rand.New(rand.NewPCG(73, 73)))
		m.UpdateRelation(b, m.games[0], rand.New(rand.NewPCG(74, 74)))
		return m.Params(nil)
	}
	unset, one, ten := state(0), state(1), state(10)
	if !slices.Equal(unset, one) {
		t.Error("mi_weight 1 differs from the unset (official) weight")
	}
	m, _ := testModel(t, tinyConfig(), learnertest.TinySpec(t), 2, 71)
	rel := m.groups[groupRelation]
	m.Close()
	if slices.Equal(one[rel.lo:rel.hi], ten[rel.lo:rel.hi]) {
		t.Error("mi_weight 10 left φ's steps unchanged")
	}
	if !slices.Equal(one[:rel.lo], ten[:rel.lo]) || !slices.Equal(one[rel.hi:], ten[rel.hi:]) {
		t.Error("mi_weight moved parameters other than φ")
	}
}

// TestRelationPoolingEmbedding checks each pooling on hand-made rows: with
// the same value net, "sum" is c·(the softmax embedding) and
// "mean+logcount" appends ln(1 + c), c the present entity rows.
func TestRelationPoolingEmbedding(t *testing.T) {
	spec := learnertest.TinySpec(t)
	f := replay.GameFeatures(spec)
	e := 4
	rng := rand.New(rand.NewPCG(81, 81))
	ents := make([]float64, 2*e*f.D)
	for i := range ents {
		ents[i] = rng.NormFloat64()
	}
	g := []float64{0.1, 0.6, 0, 0.3, 0, 0, 1, 0}
	present := []bool{true, true, false, true, false, false, true, false}
	counts := []float64{3, 1}
	emb := map[string][]float64{}
	for _, mode := range RelationPoolings {
		cfg := tinyConfig()
		cfg.Variant, cfg.RelationPooling = VariantCorrected, mode
		p := newPolicyNet[float64](cfg, f.D, 4)
		params := make([]float64, p.value.NumParams())
		for i := range params {
			params[i] = rand.New(rand.NewPCG(82, uint64(i))).NormFloat64()
		}
		p.value.SetParams(params, make([]float64, len(params)))
		emb[mode] = slices.Clone(p.embed(e, ents, g, present))
		want := cfg.ValueDim
		if mode == PoolingMeanLogCount {
			want++
		}
		if p.v != want || p.head.Layers[0].In != want {
			t.Errorf("%s: embedding width %d, head input %d, want %d", mode, p.v, p.head.Layers[0].In, want)
		}
	}
	v := tinyConfig().ValueDim
	for r, c := range counts {
		soft := emb[PoolingSoftmax][r*v : (r+1)*v]
		for j, x := range soft {
			if got := emb[PoolingSum][r*v+j]; math.Abs(got-c*x) > 1e-12 {
				t.Errorf("row %d: sum pooling %v, want %v·%v", r, got, c, x)
			}
			if got := emb[PoolingMeanLogCount][r*(v+1)+j]; math.Abs(got-x) > 1e-12 {
				t.Errorf("row %d: mean+logcount mean %v, want %v", r, got, x)
			}
		}
		if got := emb[PoolingMeanLogCount][r*(v+1)+v]; math.Abs(got-math.Log(1+c)) > 1e-15 {
			t.Errorf("row %d: count feature %v, want ln(1 + %v)", r, got, c)
		}
	}
}

// TestSwitchValidation checks the corrected variant's switches are
// refused under the official variant and out of their ranges, and
// accepted otherwise.
func TestSwitchValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*Config)
		err  string
	}{
		{"official defaults", func(*Config) {}, ""},
		{"official explicit weight 1", func(c *Config) { c.MIWeight, c.RelationPooling = 1, PoolingSoftmax }, ""},
		{"official weight", func(c *Config) { c.MIWeight = 2 }, "mi_weight = 2 departs from the official code"},
		{"official pooling", func(c *Config) { c.RelationPooling = PoolingSum }, `relation_pooling = "sum" departs from the official code`},
		{"corrected", func(c *Config) {
			c.Variant, c.MIWeight, c.RelationPooling = VariantCorrected, 0.1, PoolingMeanLogCount
		}, ""},
		{"negative weight", func(c *Config) { c.Variant, c.MIWeight = VariantCorrected, -1 }, "mi_weight = -1"},
		{"infinite weight", func(c *Config) { c.Variant, c.MIWeight = VariantCorrected, math.Inf(1) }, "mi_weight = +Inf"},
		{"unknown pooling", func(c *Config) { c.Variant, c.RelationPooling = VariantCorrected, "max" }, `relation_pooling = "max"`},
	} {
		c := DefaultConfig()
		tc.set(&c)
		err := c.Validate()
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
	}
}

// TestPriorTemperatureApplies checks prior_temperature reaches the prior
// the latents are drawn from: with the same ψ, log p(z = k | m) −
// log p(z = 0 | m) = (ℓ_k − ℓ_0)/T, so the log-ratios at T = 1 are four
// times those at the official T = 4 (the prior's backward divides by T
// too: the prior gradient check runs at T = 1.5).
func TestPriorTemperatureApplies(t *testing.T) {
	var logp [2][]float64
	for i, temp := range []float64{4, 1} {
		cfg := tinyConfig()
		cfg.PriorTemperature = temp
		m, _ := testModel(t, cfg, learnertest.TinySpec(t), 2, 91)
		p := make([]float64, cfg.Latents)
		m.Prior(m.games[1], p)
		for k := range p {
			p[k] = math.Log(p[k])
		}
		logp[i] = p
		m.Close()
	}
	for k := 1; k < len(logp[0]); k++ {
		r4, r1 := logp[0][k]-logp[0][0], logp[1][k]-logp[1][0]
		if math.Abs(r1-4*r4) > 1e-12 || r4 == 0 {
			t.Errorf("mode %d: log-ratio %v at T = 1, want 4 × %v (at T = 4)", k, r1, r4)
		}
	}
}
