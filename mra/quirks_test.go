package mra

import (
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/env"
)

// TestCounterfactualQ checks criticNet.counterfactual against its
// definition: Q_r(a') is the Q-head entry a' of row r when the whole critic
// is run again with a' in agent r's action and every other action fixed.
// It also checks that the head row of the forward with a_r in the input
// (what the baseline used before the variants) is a different quantity.
func TestCounterfactualQ(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec func(testing.TB) *env.Spec
		self bool
	}{{"one-type", learnertest.TinySpec, false}, {"tag-two-types", learnertest.TagSpec, false}, {"one-type/critic-sees-self", learnertest.TinySpec, true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			cfg.CriticSeesSelf = tc.self
			m, enc := testModel(t, cfg, tc.spec(t), 2, 31)
			b := learnertest.RandomBatch(rand.New(rand.NewPCG(32, 32)), enc, 3, cfg.Latents)
			nets := m.newBoundNets(m.params, make([]float64, len(m.params)))
			var rs chunk.Rows[float64]
			rs.Gather(b, 0, b.Size, false)
			a := m.f.A
			nr := len(rs.Action)
			qTaken := slices.Clone(nets.critic.forward(&rs, rs.Self, rs.Ents, rs.Mask, rs.Action, rs.Graph))
			cf := slices.Clone(nets.critic.counterfactual())
			var naive float64
			for r := range nr {
				for ap := range a {
					act := slices.Clone(rs.Action)
					act[r] = ap
					q := nets.critic.forward(&rs, rs.Self, rs.Ents, rs.Mask, act, rs.Graph)
					want := q[r*a+ap]
					if got := cf[r*a+ap]; math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
						t.Errorf("row %d, a' %d: counterfactual Q %.15g, by re-running the critic %.15g", r, ap, got, want)
					}
					naive = math.Max(naive, math.Abs(qTaken[r*a+ap]-want))
				}
			}
			if naive < 1e-6 {
				t.Errorf("the head row with a_r in the input equals the counterfactual Q (max gap %g): the test cannot tell them apart", naive)
			}
		})
	}
}

// TestCriticMixSkipsMasked: an agent masked in these rows (dead at o')
// does not mix into Q, whatever weight g still gives it:
// Q equals the Q with that weight set to zero, and differs from the Q with
// the row marked present.
func TestCriticMixSkipsMasked(t *testing.T) {
	cfg := tinyConfig()
	m, enc := testModel(t, cfg, learnertest.TinySpec(t), 2, 41)
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(42, 42)), enc, 2, cfg.Latents)
	e := enc.E
	for r := range b.Size * enc.N { // agent rows 0 and 1 of every observer: row 0 masked with weight 0.5
		b.Mask[r*e], b.Mask[r*e+1] = false, true
		clear(b.Graph[r*e : (r+1)*e])
		b.Graph[r*e], b.Graph[r*e+1] = 0.5, 0.5
	}
	nets := m.newBoundNets(m.params, make([]float64, len(m.params)))
	var rs chunk.Rows[float64]
	rs.Gather(b, 0, b.Size, false)
	q := slices.Clone(nets.critic.forward(&rs, rs.Self, rs.Ents, rs.Mask, rs.Action, rs.Graph))
	g0 := slices.Clone(rs.Graph)
	for r := range len(rs.Action) {
		g0[r*e] = 0
	}
	want := slices.Clone(nets.critic.forward(&rs, rs.Self, rs.Ents, rs.Mask, rs.Action, g0))
	for i := range q {
		if q[i] != want[i] {
			t.Fatalf("Q[%d] = %v with the masked agent weighted, %v with its weight 0", i, q[i], want[i])
		}
	}
	mask := slices.Clone(rs.Mask)
	for r := range len(rs.Action) {
		mask[r*e] = true
	}
	if on := nets.critic.forward(&rs, rs.Self, rs.Ents, mask, rs.Action, rs.Graph); slices.Equal(on, want) {
		t.Error("marking the agent present changes nothing: the test cannot fail")
	}
}

// TestAbsentTypeNotStepped: a policy update on a population without one
// of the model's types leaves that type's policy parameters and Adam state
// alone (torch skips parameters without a gradient),
// while the present type's policy moves.
func TestAbsentTypeNotStepped(t *testing.T) {
	mk := func(blue int) *env.Spec {
		pop := env.Population{{Type: "red", Count: 3}, {Type: "blue", Count: blue}}
		ts := func(name string, n int) env.TypeSpec {
			return env.TypeSpec{Name: name, Count: n, NumActions: 4, Self: 3,
				Sets: []env.SetSpec{{Name: "landmarks", Width: 2, Count: 2}}}
		}
		spec, err := env.NewSpec(pop, []env.TypeSpec{ts("red", 3), ts("blue", blue)}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return spec
	}
	cfg := tinyConfig()
	m, _ := testModel(t, cfg, mk(1), 2, 51)
	enc, err := replay.NewEncoding(m.f, mk(0))
	if err != nil {
		t.Fatal(err)
	}
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(52, 52)), enc, 3, cfg.Latents)
	before := slices.Clone(m.params)
	m.UpdatePolicies(b)
	if err := m.Err(); err != nil {
		t.Fatal(err)
	}
	red, blue := m.typeSpan[0], m.typeSpan[1]
	if slices.Equal(before[red.lo:red.hi], m.params[red.lo:red.hi]) {
		t.Error("the present type's policy did not move")
	}
	if !slices.Equal(before[blue.lo:blue.hi], m.params[blue.lo:blue.hi]) {
		t.Error("the absent type's policy moved (weight decay or stale moments)")
	}
	if s0, s1 := m.typeOpt[0].Steps(), m.typeOpt[1].Steps(); s0 != 1 || s1 != 0 {
		t.Errorf("Adam steps: present type %d, absent type %d; want 1 and 0", s0, s1)
	}
}

// reptileTrainer is a small Reptile trainer on resource at 2 and 3 agents
// (12 episodes of 4 copies each, an update cycle every 10 steps), with mod
// applied to its configuration.
func reptileTrainer(t *testing.T, mod func(*Config)) *learner.Trainer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Algo = AlgoReptile
	cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates, cfg.BufferLength = 16, 10, 1, 1000
	mod(&cfg)
	setup := learner.Setup{Game: "resource", Seed: 3, Episodes: 12, ParallelEnvs: 4, Workers: 1, LogEvery: 4}
	for _, n := range []int{2, 3} {
		setup.Populations = append(setup.Populations, env.Population{{Type: "agents", Count: n}})
	}
	tr, err := learner.NewTrainer(cfg, setup)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestReptileRound: a Reptile round plays InnerCycles rounds of each
// population from θ₀ with the targets re-synced to θ₀ and fresh Adam
// moments, and leaves the targets equal to the new θ₀.
func TestReptileRound(t *testing.T) {
	tr := reptileTrainer(t, func(c *Config) { c.InnerCycles = 2 })
	defer tr.Close()
	m := TrainedModel(tr.Learner())
	// Poison the targets and the Adam moments: a round must not see them.
	for i := range m.target {
		m.target[i] = math.NaN()
	}
	played, err := tr.PlayRound()
	if err != nil {
		t.Fatal(err)
	}
	if played != 2 {
		t.Errorf("a round played %d inner rounds, want InnerCycles = 2", played)
	}
	if tr.Updates() == 0 {
		t.Fatal("no update cycle ran: the test proves nothing")
	}
	if !slices.Equal(m.target, m.params[:len(m.target)]) {
		t.Error("after the meta-step the targets differ from θ₀")
	}
	if s := m.opt[groupCritic].Steps(); s > int(tr.Updates()) || s == 0 {
		t.Errorf("critic Adam took %d steps in the last population, %d update cycles in all", s, tr.Updates())
	}
	// The budget caps the last round: 3 rounds in all, 2 played.
	if played, _ := tr.PlayRound(); played != 1 {
		t.Errorf("the last round played %d inner rounds, want the 1 left", played)
	}
}

// TestReptileKeepMoments: with KeepMoments the critic's Adam carries its
// moments and step count through every population's inner loop of a round
// (it has taken every update cycle's step), and without it the count
// restarts at each population (fewer steps than update cycles).
func TestReptileKeepMoments(t *testing.T) {
	for _, keep := range []bool{false, true} {
		tr := reptileTrainer(t, func(c *Config) { c.KeepMoments = keep })
		for range 2 {
			_, err := tr.PlayRound()
			if err != nil {
				t.Fatal(err)
			}
		}
		steps, cycles := TrainedModel(tr.Learner()).opt[groupCritic].Steps(), int(tr.Updates())
		tr.Close()
		if keep && steps != cycles {
			t.Errorf("keep: critic Adam took %d steps over %d update cycles, want all of them", steps, cycles)
		}
		if !keep && (steps == 0 || steps >= cycles) {
			t.Errorf("reset: critic Adam took %d steps over %d update cycles, want those of the last population only", steps, cycles)
		}
	}
}

// TestOfficialInit checks the by-layer initialisation of the official code
// (the golden README's table) on the resource networks:
// which layers have zero biases, which draw U(±1/√fan_in), and the spread
// of the normal draws (sample std within 5 standard errors, 5/√(2n), and
// at least 15% of the law's).
func TestOfficialInit(t *testing.T) {
	m, _ := testModel(t, DefaultConfig(), learnertest.ResourceSpec(t, 3), 2, 61)
	// testModel perturbs the parameters: rebuild them.
	m.initParams(rand.New(rand.NewPCG(62, 62)))
	n := m.proto
	std := func(x []float64) float64 {
		var s float64
		for _, v := range x {
			s += v * v
		}
		return math.Sqrt(s / float64(len(x)))
	}
	normal := func(name string, x []float64, want float64) {
		if got := std(x); math.Abs(got/want-1) > math.Max(0.15, 5/math.Sqrt(2*float64(len(x)))) {
			t.Errorf("%s: std %.4f, want %.4f", name, got, want)
		}
	}
	zero := func(name string, x []float64) {
		if slices.ContainsFunc(x, func(v float64) bool { return v != 0 }) {
			t.Errorf("%s: non-zero bias", name)
		}
	}
	uniform := func(name string, x []float64, in int) {
		a := 1 / math.Sqrt(float64(in))
		if slices.ContainsFunc(x, func(v float64) bool { return math.Abs(v) > a }) || !slices.ContainsFunc(x, func(v float64) bool { return v != 0 }) {
			t.Errorf("%s: not a non-zero draw within ±1/√%d", name, in)
		}
	}
	xavier := func(name string, mlps ...*nn.MLP) {
		for _, mlp := range mlps {
			for _, l := range mlp.Layers {
				normal(name+" W", l.W, math.Sqrt(2/float64(l.In+l.Out)))
				zero(name+" b", l.B)
			}
		}
	}
	def := func(name string, ls ...*nn.Linear) {
		for _, l := range ls {
			uniform(name+" W", l.W, l.In)
			uniform(name+" b", l.B, l.In)
		}
	}
	c := n.critic
	xavier("critic encoders", c.key, c.query, c.value)
	def("critic MLP_c", c.c.Layers...)
	def("critic MLP_s", c.s.Layers...)
	def("critic head", c.head)
	var pb []float64
	for _, l := range n.policy[0].value.Layers {
		normal("policy value W", l.W, 0.1)
		pb = append(pb, l.B...)
	}
	normal("policy value b", pb, 0.1)
	for _, l := range n.policy[0].head.Layers {
		normal("policy head W", l.W, math.Sqrt(2/float64(l.In+l.Out)))
		uniform("policy head b", l.B, l.In)
	}
	xavier("φ", n.rel.Key, n.rel.Query)
	def("ψ", n.prior.Layers...)
	def("ω", n.cls.Layers...)
	xavier("v_ω", n.clsValue)
}

// TestReptileRoundAllocs: after the first meta-round, Reptile's meta-steps
// (θ₀ and θ_k copied out, the optimizers reset, the meta-step applied)
// allocate nothing, with and without KeepMoments.
func TestReptileRoundAllocs(t *testing.T) {
	for _, keep := range []bool{false, true} {
		tr := reptileTrainer(t, func(c *Config) { c.KeepMoments = keep; c.InnerCycles = 1 })
		for range 2 {
			if _, err := tr.PlayRound(); err != nil {
				t.Fatal(err)
			}
		}
		r := tr.Learner().(*reptileTrainee)
		meta := func() {
			r.BeginRound()
			for range 2 {
				if err := r.BeginPopulation(); err != nil {
					t.Fatal(err)
				}
				r.EndPopulation()
			}
			if err := r.EndRound(2); err != nil {
				t.Fatal(err)
			}
		}
		if n := testing.AllocsPerRun(10, meta); n != 0 {
			t.Errorf("keep moments %v: a meta-round's steps allocate %v times, want 0", keep, n)
		}
		tr.Close()
	}
}
