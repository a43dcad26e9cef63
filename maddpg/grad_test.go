package maddpg

import (
	"bytes"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/env"
)

// tinySettings are the gradient checks' MADDPG: networks a few units wide
// and a batch of 3.
func tinySettings() Settings {
	s := DefaultSettings()
	s.Hidden, s.ValueDim, s.CriticKey = 4, 3, 2
	s.BatchSize, s.BufferLength = 3, 3
	return s
}

// testDDPG builds MADDPG for spec with the gradient checks' tiny networks,
// perturbed parameters (biases lifted so most ReLUs of the tiny networks
// are alive) and targets that differ from the online networks.
func testDDPG(t testing.TB, spec *env.Spec, seed uint64) (*MADDPG, *replay.Encoding) {
	t.Helper()
	cfg := tinySettings()
	f := replay.GameFeatures(spec)
	enc, err := replay.NewEncoding(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	m, err := NewMADDPG(cfg, f, rng)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.params {
		m.params[i] += 0.2 * rng.NormFloat64()
	}
	for g := range numGroups {
		for _, s := range m.layout[g] {
			for i := range s.Bias(m.params) {
				s.Bias(m.params)[i] += 0.3
			}
		}
	}
	for i := range m.target {
		m.target[i] = m.params[i] + 0.2*rng.NormFloat64()
	}
	return m, enc
}

func gumbelNoise(rng *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = -math.Log(-math.Log(rng.Float64()))
	}
	return out
}

func ddpgSpan(m *MADDPG, g int, v []float64) []float64 { return v[m.groups[g].lo:m.groups[g].hi] }

// TestDDPGCriticGrad checks the critic's gradient of L_Q against central
// differences, on one population of one type and on a two-type population
// (tag), with dead and terminal rows: the targets y depend only on the
// target networks and the fixed Gumbel noise, so L_Q is a smooth function
// of the critic's parameters.
func TestDDPGCriticGrad(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec func(testing.TB) *env.Spec
	}{{"one type", learnertest.TinySpec}, {"two types", learnertest.TagSpec}} {
		t.Run(tc.name, func(t *testing.T) {
			m, enc := testDDPG(t, tc.spec(t), 3)
			rng := rand.New(rand.NewPCG(5, 5))
			b := learnertest.RandomBatch(rng, enc, 3, 1)
			noise := gumbelNoise(rng, b.Size*enc.N*enc.A)
			m.criticLoss(b, noise)
			analytic := append([]float64(nil), ddpgSpan(m, groupCritic, m.grad)...)
			learnertest.CheckGrad(t, "critic", ddpgSpan(m, groupCritic, m.params), analytic, func() float64 { return m.criticLoss(b, noise) })
		})
	}
}

// TestDDPGActorGrad checks the actor's straight-through gradient of L_μ
// against central differences of its surrogate: the loss with the agents'
// own actions â = soft(θ) + (hard − soft)(θ₀), the stop-gradient term
// frozen at the parameters θ₀ of the check. At θ₀ the surrogate is the
// loss with the hard actions, and its exact gradient is what the
// straight-through estimator returns — through the Gumbel-softmax, the
// critic's embedding and its attention over the other agents.
func TestDDPGActorGrad(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec func(testing.TB) *env.Spec
	}{{"one type", learnertest.TinySpec}, {"two types", learnertest.TagSpec}} {
		t.Run(tc.name, func(t *testing.T) {
			m, enc := testDDPG(t, tc.spec(t), 4)
			rng := rand.New(rand.NewPCG(6, 6))
			b := learnertest.RandomBatch(rng, enc, 3, 1)
			noise := gumbelNoise(rng, b.Size*enc.N*enc.A)
			// Record hard − soft of every row at θ₀, then freeze it.
			m.st = &stSeam{record: true}
			hardLoss := m.actorLoss(b, noise)
			analytic := append([]float64(nil), ddpgSpan(m, groupActor, m.grad)...)
			m.st.record = false
			if sur := m.actorLoss(b, noise); math.Abs(sur-hardLoss) > 1e-12 {
				t.Fatalf("surrogate at θ₀ is %v, the hard loss %v", sur, hardLoss)
			}
			learnertest.CheckGrad(t, "actor", ddpgSpan(m, groupActor, m.params), analytic, func() float64 { return m.actorLoss(b, noise) })
		})
	}
}

// TestDDPGCriticLossClosedForms checks y = r at terminal rows (sample 2 of the
// random batch) and that the target actions follow the target actor: with
// γ = 0 every y is the reward, so L_Q is the same for any noise.
func TestDDPGCriticLossClosedForms(t *testing.T) {
	m, enc := testDDPG(t, learnertest.TinySpec(t), 8)
	rng := rand.New(rand.NewPCG(9, 9))
	b := learnertest.RandomBatch(rng, enc, 3, 1)
	m.criticLoss(b, gumbelNoise(rng, b.Size*enc.N*enc.A))
	n := enc.N
	for r := 2 * n; r < 3*n; r++ {
		if m.y[r] != b.Reward[r] {
			t.Errorf("terminal row %d: y = %v, want the reward %v", r, m.y[r], b.Reward[r])
		}
	}
	m.cfg.Gamma = 0
	l1 := m.criticLoss(b, gumbelNoise(rng, b.Size*enc.N*enc.A))
	l2 := m.criticLoss(b, gumbelNoise(rng, b.Size*enc.N*enc.A))
	if l1 != l2 {
		t.Errorf("γ = 0: loss %v and %v under different target noise", l1, l2)
	}
	// By hand: mean over alive rows of (Q − r)², Q from the forward pass.
	var want float64
	alive := 0
	for r := range b.Size * n {
		if b.Alive[r] {
			d := m.q[r] - b.Reward[r]
			want += d * d
			alive++
		}
	}
	want /= float64(alive)
	if math.Abs(l2-want) > 1e-12*math.Max(1, want) {
		t.Errorf("γ = 0: loss %v, by hand %v", l2, want)
	}
}

// TestDDPGOneStep checks one whole UpdateCritic and UpdateActors against
// their closed form: Adam's first step θ₁ = θ₀ − η·g/(|g| + ε) with the
// gradient g of the loss (no clipping, no weight decay), and the Polyak
// step θ⁻₁ = (1 − τ)·θ⁻₀ + τ·θ₁ of the same group only.
func TestDDPGOneStep(t *testing.T) {
	for _, group := range []int{groupCritic, groupActor} {
		t.Run(groupNames[group], func(t *testing.T) {
			m, enc := testDDPG(t, learnertest.TinySpec(t), 12)
			m.cfg.WeightDecay, m.cfg.GradClip, m.cfg.Tau = 0, 1e12, 0.25
			m.cfg.CriticLR, m.cfg.PolicyLR = 0.01, 0.02
			for g := range numGroups {
				o, err := m.newOptimizer(g)
				if err != nil {
					t.Fatal(err)
				}
				m.opt[g] = o
			}
			rng := rand.New(rand.NewPCG(13, 13))
			b := learnertest.RandomBatch(rng, enc, 3, 1)

			// The noise the update will draw, from a copy of its stream.
			saved, _ := m.pcg.MarshalBinary()
			noise := append([]float64(nil), m.drawNoise(b.Size*enc.N)...)
			if err := m.pcg.UnmarshalBinary(saved); err != nil {
				t.Fatal(err)
			}
			p0, t0 := append([]float64(nil), m.params...), append([]float64(nil), m.target...)
			lr := m.cfg.CriticLR
			if group == groupCritic {
				m.criticLoss(b, noise)
			} else {
				lr = m.cfg.PolicyLR
				m.actorLoss(b, noise)
			}
			grad := append([]float64(nil), m.grad...)
			if group == groupCritic {
				m.UpdateCritic(b)
			} else {
				m.UpdateActors(b)
			}
			if m.Err() != nil {
				t.Fatal(m.Err())
			}
			sp := m.groups[group]
			for i := range m.params {
				want, wantT := p0[i], t0[i]
				if i >= sp.lo && i < sp.hi {
					g := grad[i]
					want = p0[i] - lr*g/(math.Abs(g)+1e-8)
					wantT = (1-m.cfg.Tau)*t0[i] + m.cfg.Tau*want
				}
				if math.Abs(m.params[i]-want) > 1e-15 || math.Abs(m.target[i]-wantT) > 1e-15 {
					t.Fatalf("parameter %d: θ %v, target %v; want %v, %v", i, m.params[i], m.target[i], want, wantT)
				}
			}
		})
	}
}

// TestDDPGZeroAllocs: once warm, the updates and acting allocate nothing.
func TestDDPGZeroAllocs(t *testing.T) {
	m, enc := testDDPG(t, learnertest.TagSpec(t), 21)
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(22, 22)), enc, 64, 1)
	rng := rand.New(rand.NewPCG(23, 23))
	rows := 4 * enc.N
	self, ents := make([]float64, rows*enc.D), make([]float64, rows*enc.E*enc.D)
	present, graph, actions := make([]bool, rows*enc.E), make([]float64, rows*enc.E), make([]int, rows)
	for i := range self {
		self[i] = rng.NormFloat64()
	}
	for i := range ents {
		ents[i] = rng.NormFloat64()
	}
	for i := range present {
		present[i] = i%3 != 0
	}
	step := func() {
		m.UpdateCritic(b)
		m.UpdateActors(b)
		m.Act(enc, rows, self, ents, present, rng, actions, graph)
	}
	for _, w := range []int{1, 2} {
		m.SetWorkers(w)
		// Warm every worker up on both updates: which worker runs which
		// chunk varies.
		step()
		work := slices.Clone(m.chunks.Work)
		m.chunks.Workers = 1
		for _, wk := range work {
			m.chunks.Work[0] = wk
			step()
		}
		copy(m.chunks.Work, work)
		m.chunks.Workers = w
		if allocs := testing.AllocsPerRun(5, step); allocs != 0 {
			t.Errorf("%d workers: %v allocations per critic, actor and act step", w, allocs)
		}
		m.Close()
	}
	if m.Err() != nil {
		t.Fatal(m.Err())
	}
}

// TestDDPGWorkersDeterminism: updates with 1, 2 and 5 workers give the
// same learner bit for bit, on a two-type population.
func TestDDPGWorkersDeterminism(t *testing.T) {
	var states [][]byte
	for _, w := range []int{1, 2, 5} {
		m, enc := testDDPG(t, learnertest.TagSpec(t), 31)
		m.SetWorkers(w)
		b := learnertest.RandomBatch(rand.New(rand.NewPCG(32, 32)), enc, 37, 1)
		for range 3 {
			m.UpdateCritic(b)
			m.UpdateActors(b)
		}
		m.Close()
		if m.Err() != nil {
			t.Fatal(m.Err())
		}
		states = append(states, m.AppendState(nil))
	}
	for i := 1; i < len(states); i++ {
		if !bytes.Equal(states[0], states[i]) {
			t.Errorf("worker counts 1 and %d give different learners", []int{1, 2, 5}[i])
		}
	}
}

// BenchmarkDDPGUpdate times one critic and one actor step on a batch of
// 256 at resource occupation with 3, 6 and 24 agents.
func BenchmarkDDPGUpdate(b *testing.B) {
	for _, n := range []int{3, 6, 24} {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			spec := learnertest.ResourceSpec(b, n)
			cfg := DefaultSettings()
			cfg.BatchSize = 256
			f := replay.GameFeatures(spec)
			enc, err := replay.NewEncoding(f, spec)
			if err != nil {
				b.Fatal(err)
			}
			m, err := NewMADDPG(cfg, f, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			batch := learnertest.RandomBatch(rand.New(rand.NewPCG(2, 2)), enc, 256, 1)
			m.UpdateCritic(batch)
			m.UpdateActors(batch)
			b.ReportAllocs()
			for b.Loop() {
				m.UpdateCritic(batch)
				m.UpdateActors(batch)
			}
		})
	}
}
