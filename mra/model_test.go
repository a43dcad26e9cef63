package mra

import (
	"bytes"
	"errors"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/env"
)

// lastSegment returns the last layer of group g (the critic's Q-head, or
// the last type's policy output layer).
func (m *ModelOf[T]) lastSegment(g int) nn.Segment { return m.layout[g][len(m.layout[g])-1] }

// TestCriticTargetKnownAnswer builds networks whose outputs are known by
// hand: target critic Q⁻ ≡ c, target policy uniform over its A actions,
// online critic Q ≡ q0. Then y_i = r_i + γ·c·(1 − done_i) + α·log A and
// the official loss is mean_b (Σ_alive (q0 − y_i))²; the per-agent loss
// is Σ_alive (q0 − y_i)² / #alive.
func TestCriticTargetKnownAnswer(t *testing.T) {
	for _, perAgent := range []bool{false, true} {
		cfg := tinyConfig()
		cfg.PerAgentCriticLoss = perAgent
		m, enc := testModel(t, cfg, learnertest.TinySpec(t), 2, 21)
		b := learnertest.RandomBatch(rand.New(rand.NewPCG(22, 22)), enc, 3, m.cfg.Latents)
		const c, q0 = 0.7, -0.4
		head := m.lastSegment(groupCritic)
		clear(head.Weights(m.target))
		for i := range head.Bias(m.target) {
			head.Bias(m.target)[i] = c
		}
		clear(head.Weights(m.params))
		for i := range head.Bias(m.params) {
			head.Bias(m.params)[i] = q0
		}
		pol := m.lastSegment(groupPolicy)
		clear(pol.Weights(m.target))
		clear(pol.Bias(m.target))

		a := float64(enc.Actions[0])
		var want, alive float64
		for s := range b.Size {
			var diff float64
			for i := range enc.N {
				r := s*enc.N + i
				if !b.Alive[r] {
					continue
				}
				y := b.Reward[r] + cfg.Gamma*c*(1-b.Done[r]) + cfg.Alpha()*math.Log(a)
				diff += q0 - y
				if perAgent {
					want += (q0 - y) * (q0 - y)
				}
				alive++
			}
			if !perAgent {
				want += diff * diff / float64(b.Size)
			}
		}
		if perAgent {
			want /= alive
		}
		got := m.run(phaseCritic, groupCritic, b, 3, 0)[0]
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("per-agent %v: critic loss %.15g, want %.15g", perAgent, got, want)
		}
	}
}

// TestMIEstimate computes r_MI from its definition with the plain relation
// net forward (one pass per latent assignment) and the target policy, and
// compares it with the diversity update's estimate:
//
//	r_MI = (1/B) Σ_b Σ_{i alive} [ log(K'·p0_i) − log Σ_k pk_i ],
//
// with and without PolicySeesSelf.
func TestMIEstimate(t *testing.T) {
	for _, seesSelf := range []bool{false, true} {
		cfg := tinyConfig()
		cfg.Resamples = 3
		cfg.PolicySeesSelf = seesSelf
		m, enc := testModel(t, cfg, learnertest.TinySpec(t), 2, 31)
		b := learnertest.RandomBatch(rand.New(rand.NewPCG(32, 32)), enc, 5, m.cfg.Latents)
		rng := rand.New(rand.NewPCG(33, 33))
		n, k, e, kp := enc.N, cfg.Latents, enc.E, cfg.Resamples
		m.latent.z0 = slices.Clone(m.sampleLatents(m.games[0], rng, n))
		m.latent.zk = slices.Clone(m.sampleLatents(m.games[0], rng, kp*n))
		m.rec = &recording{}
		got := m.run(phaseRelation, groupRelation, b, 34, 0)[0]

		// The actions a*, in batch row order (one type: chunk rows are batch rows).
		rows := b.Size * n
		astar := make([]int, rows)
		for c := range chunk.Count {
			s0, s1 := chunk.Range(c, b.Size)
			copy(astar[s0*n:s1*n], m.rec.act[c])
		}
		online := m.newBoundNets(m.params, make([]float64, len(m.params)))
		target := m.newBoundNets(m.target, make([]float64, len(m.target)))
		prob := make([][]float64, kp+1) // π⁻(a* | o, g_l) per row
		for l := range kp + 1 {
			z := make([]float64, rows*k)
			for r := range rows {
				i := r % n
				src := m.latent.z0[i*k : (i+1)*k]
				if l > 0 {
					src = m.latent.zk[((l-1)*n+i)*k : ((l-1)*n+i+1)*k]
				}
				copy(z[r*k:], src)
			}
			g := slices.Clone(online.rel.Forward(e, b.Self, b.Ents, z, b.Mask))
			lp := target.policy[0].forward(e, b.Ents, g, b.Mask, b.Self)
			prob[l] = make([]float64, rows)
			for r := range rows {
				prob[l][r] = math.Exp(lp[r*enc.Actions[0]+astar[r]])
			}
		}
		var want float64
		for r := range rows {
			if !b.Alive[r] {
				continue
			}
			var sum float64
			for l := 1; l <= kp; l++ {
				sum += prob[l][r]
			}
			want += (math.Log(float64(kp)*prob[0][r]) - math.Log(sum)) / float64(b.Size)
		}
		if math.Abs(got-want) > 1e-12 || got == 0 {
			t.Errorf("policy sees self %v: r_MI %.15g, from the definition %.15g", seesSelf, got, want)
		}
	}
}

// TestPriorSoftmax checks p(z | m) = softmax(ℓ / 4) with ℓ computed by
// hand from ψ's weights: ℓ = W2·relu(W1·m + b1) + b2.
func TestPriorSoftmax(t *testing.T) {
	m, _ := testModel(t, DefaultConfig(), learnertest.TagSpec(t), 3, 41)
	seg := m.layout[groupPrior]
	l1, l2 := seg[0], seg[1]
	desc := []float64{0.4, 0.2}
	h := make([]float64, l1.Rows)
	for o := range h {
		s := l1.Bias(m.params)[o]
		for i, x := range desc {
			s += l1.Weights(m.params)[o*l1.Cols+i] * x
		}
		h[o] = max(s, 0)
	}
	k := m.cfg.Latents
	want := make([]float64, k)
	var sum float64
	for o := range k {
		s := l2.Bias(m.params)[o]
		for i, x := range h {
			s += l2.Weights(m.params)[o*l2.Cols+i] * x
		}
		want[o] = math.Exp(s / 4)
		sum += want[o]
	}
	got := make([]float64, k)
	m.Prior(desc, got)
	for o := range want {
		if math.Abs(got[o]-want[o]/sum) > 1e-14 {
			t.Fatalf("p(z|m) = %v, want %v/%v", got, want, sum)
		}
	}
	// Sampling matches the prior: frequencies of 60 000 draws within 5σ.
	z := make([]float64, 3*k)
	count := make([]float64, k)
	rng := rand.New(rand.NewPCG(1, 2))
	const draws = 20000
	for range draws {
		m.SampleLatents(desc, rng, z)
		for r := range 3 {
			count[nn.Argmax(z[r*k:(r+1)*k])]++
		}
	}
	for o, c := range count {
		p := got[o]
		if sd := math.Sqrt(3 * draws * p * (1 - p)); math.Abs(c-3*draws*p) > 5*sd {
			t.Errorf("latent %d drawn %v times of %d, p = %v", o, c, 3*draws, p)
		}
	}
}

// TestSyncTargets checks the targets equal the online critic and policies
// after SyncTargets, and that the target critic then gives the same Q.
func TestSyncTargets(t *testing.T) {
	m, enc := testModel(t, tinyConfig(), learnertest.TinySpec(t), 2, 51)
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(52, 52)), enc, 3, m.cfg.Latents)
	m.UpdateCritic(b)
	m.UpdatePolicies(b)
	if slices.Equal(m.target, m.params[:len(m.target)]) {
		t.Fatal("targets equal before the sync")
	}
	m.SyncTargets()
	if !slices.Equal(m.target, m.params[:len(m.target)]) {
		t.Fatal("targets differ from the online networks after SyncTargets")
	}
	wk := m.newWorker()
	wk.rs.Gather(b, 0, b.Size, false)
	q := slices.Clone(wk.n.critic.forward(&wk.rs, wk.rs.Self, wk.rs.Ents, wk.rs.Mask, wk.rs.Action, wk.rs.Graph))
	qt := wk.t.critic.forward(&wk.rs, wk.rs.Self, wk.rs.Ents, wk.rs.Mask, wk.rs.Action, wk.rs.Graph)
	if !slices.Equal(q, qt) {
		t.Fatal("Q⁻ differs from Q after SyncTargets")
	}
}

// cycle runs one update cycle as the trainer does.
func cycle[T nn.Float](m *ModelOf[T], b *replay.Batch, rng *rand.Rand) {
	for range 2 {
		m.UpdateCritic(b)
		m.UpdatePolicies(b)
	}
	m.UpdateRelation(b, m.games[0], rng)
	m.SyncTargets()
	m.UpdatePrior(b, 1, rng)
}

// TestWorkersDeterminism checks that 1, 2 and 3 workers give the same
// state, bit for bit, on both game shapes, with and without
// RecomputeNextGraph, PolicySeesSelf and CriticSeesSelf.
func TestWorkersDeterminism(t *testing.T) {
	for _, tc := range []struct {
		spec                                func(testing.TB) *env.Spec
		recompute, seesSelf, criticSeesSelf bool
	}{{learnertest.TinySpec, false, false, false}, {learnertest.TagSpec, false, false, false}, {learnertest.TinySpec, true, false, false}, {learnertest.TagSpec, true, false, false},
		{learnertest.TinySpec, false, true, false}, {learnertest.TagSpec, true, true, false},
		{learnertest.TinySpec, false, false, true}, {learnertest.TinySpec, false, true, true}, {learnertest.TagSpec, true, true, true}} {
		var params [][]byte
		for _, w := range []int{1, 2, 3} {
			cfg := tinyConfig()
			cfg.RecomputeNextGraph, cfg.PolicySeesSelf, cfg.CriticSeesSelf = tc.recompute, tc.seesSelf, tc.criticSeesSelf
			m, enc := testModel(t, cfg, tc.spec(t), 2, 61)
			m.SetWorkers(w)
			b := learnertest.RandomBatch(rand.New(rand.NewPCG(62, 62)), enc, 37, m.cfg.Latents)
			rng := rand.New(rand.NewPCG(63, 63))
			for range 3 {
				cycle(m, b, rng)
			}
			if m.Err() != nil {
				t.Fatal(m.Err())
			}
			params = append(params, m.AppendState(nil))
			m.Close()
		}
		for i := 1; i < len(params); i++ {
			if !bytes.Equal(params[0], params[i]) {
				t.Errorf("recompute %v, policy sees self %v, critic sees self %v: state after 3 cycles differs between 1 and %d workers", tc.recompute, tc.seesSelf, tc.criticSeesSelf, i+1)
			}
		}
	}
}

// TestStateRoundTrip checks SetState(AppendState()) continues bit for bit,
// and that damaged or mismatched states are refused with the model left
// unchanged.
func TestStateRoundTrip(t *testing.T) {
	cfg := tinyConfig()
	a, enc := testModel(t, cfg, learnertest.TinySpec(t), 2, 71)
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(72, 72)), enc, 9, a.cfg.Latents)
	cycle(a, b, rand.New(rand.NewPCG(1, 1)))
	state := a.AppendState(nil)

	c, _ := testModel(t, cfg, learnertest.TinySpec(t), 2, 999)
	if err := c.SetState(state); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.AppendState(nil), state) {
		t.Fatal("AppendState after SetState differs")
	}
	cycle(a, b, rand.New(rand.NewPCG(2, 2)))
	cycle(c, b, rand.New(rand.NewPCG(2, 2)))
	if !bytes.Equal(a.AppendState(nil), c.AppendState(nil)) {
		t.Fatal("restored model diverges from the original")
	}

	before := c.AppendState(nil)
	corrupt := slices.Clone(state)
	corrupt[len(corrupt)/2] ^= 1
	other := tinyConfig()
	other.Hidden = 5
	d, _ := testModel(t, other, learnertest.TinySpec(t), 2, 1)
	three, _ := testModel(t, cfg, learnertest.TinySpec(t), 3, 1)
	for _, tc := range []struct {
		name, data, want string
	}{
		{"corrupted", string(corrupt), "checksum"},
		{"truncated", string(state[:len(state)-9]), "checksum"},
		{"empty", "", "not a model state"},
		{"hidden width", string(d.AppendState(nil)), "hidden width is 5 in the state, the model has 4"},
		{"games", string(three.AppendState(nil)), "number of training games M is 3"},
	} {
		err := c.SetState([]byte(tc.data))
		if err == nil || !errors.Is(err, ErrState) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if !bytes.Equal(c.AppendState(nil), before) {
			t.Errorf("%s: refused state changed the model", tc.name)
		}
	}
}

// TestParams checks Params/SetParams round-trip and the group table.
func TestParams(t *testing.T) {
	m, _ := testModel(t, tinyConfig(), learnertest.TinySpec(t), 2, 81)
	p := m.Params(nil)
	if len(p) != m.ParamCount() {
		t.Fatalf("Params has %d entries, ParamCount %d", len(p), m.ParamCount())
	}
	off := 0
	for _, g := range m.ParamGroups() {
		if g.Offset != off || g.Len <= 0 {
			t.Fatalf("groups %+v do not tile the vector", m.ParamGroups())
		}
		off += g.Len
	}
	if off != len(p) {
		t.Fatalf("groups cover %d of %d", off, len(p))
	}
	for i := range p {
		p[i] = float64(i)
	}
	if err := m.SetParams(p); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Params(nil), p) {
		t.Fatal("SetParams/Params round trip")
	}
	if err := m.SetParams(p[1:]); err == nil {
		t.Fatal("short vector accepted")
	}
}

// TestAct checks the stored graph is g_φ(o, z) (a distribution over the
// present rows) and the actions are in each type's range, on two types.
func TestAct(t *testing.T) {
	m, enc := testModel(t, tinyConfig(), learnertest.TagSpec(t), 2, 91)
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(92, 92)), enc, 4, m.cfg.Latents)
	rows := 4 * enc.N
	z := make([]float64, rows*m.cfg.Latents)
	m.SampleLatents(m.games[0], rand.New(rand.NewPCG(3, 3)), z)
	actions := make([]int, rows)
	graph := make([]float64, rows*enc.E)
	m.Act(enc, rows, b.Self, b.Ents, b.Mask, z, rand.New(rand.NewPCG(4, 4)), actions, graph)
	for r := range rows {
		if a := actions[r]; a < 0 || a >= enc.Actions[enc.Type[r%enc.N]] {
			t.Fatalf("row %d: action %d", r, a)
		}
		var sum float64
		anyPresent := false
		for j, g := range graph[r*enc.E : (r+1)*enc.E] {
			if !b.Mask[r*enc.E+j] && g != 0 {
				t.Fatalf("row %d: weight %v on an absent row", r, g)
			}
			anyPresent = anyPresent || b.Mask[r*enc.E+j]
			sum += g
		}
		if anyPresent && math.Abs(sum-1) > 1e-12 {
			t.Fatalf("row %d: graph sums to %v", r, sum)
		}
	}
	want := m.proto.rel.Forward(enc.E, b.Self, b.Ents, z, b.Mask)
	if !slices.Equal(want, graph) {
		t.Fatal("stored graph differs from g_φ(o, z)")
	}
}

// TestZeroAllocs checks a full update cycle allocates nothing once warm,
// with 1 and 2 workers, with and without RecomputeNextGraph, with
// PolicySeesSelf (together with RecomputeNextGraph), and with
// CriticSeesSelf too.
func TestZeroAllocs(t *testing.T) {
	// 1: RecomputeNextGraph; 2: and PolicySeesSelf; 3: and CriticSeesSelf;
	// 4, 5: the count-aware relation poolings with an MI weight.
	for _, opts := range []int{0, 1, 2, 3, 4, 5} {
		for _, w := range []int{1, 2} {
			cfg := tinyConfig()
			cfg.RecomputeNextGraph, cfg.PolicySeesSelf, cfg.CriticSeesSelf = opts > 0, opts >= 2, opts == 3
			if opts >= 4 {
				cfg.Variant, cfg.RelationPooling, cfg.MIWeight = VariantCorrected, RelationPoolings[opts-3], 0.5
			}
			m, enc := testModel(t, cfg, learnertest.TagSpec(t), 2, 101)
			m.SetWorkers(w)
			b := learnertest.RandomBatch(rand.New(rand.NewPCG(102, 102)), enc, 64, cfg.Latents)
			rng := rand.New(rand.NewPCG(103, 103))
			// Warm every worker up on every kind of chunk: which worker runs
			// which chunk varies, so a plain warm-up cycle may leave a
			// worker that has not yet run some update (it then allocates its
			// buffers once, later).
			cycle(m, b, rng)
			work := slices.Clone(m.chunks.Work)
			m.chunks.Workers = 1
			for _, wk := range work {
				m.chunks.Work[0] = wk
				cycle(m, b, rng)
			}
			copy(m.chunks.Work, work)
			m.chunks.Workers = w
			allocs := testing.AllocsPerRun(5, func() { cycle(m, b, rng) })
			if allocs != 0 {
				t.Errorf("%d workers, options %d: %v allocations per cycle", w, opts, allocs)
			}
			m.Close()
		}
	}
}
