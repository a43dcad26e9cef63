package mra

import (
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

// recordedTargets returns the critic targets y the last critic pass
// recorded in m.rec, in batch row order (b.s·N + i).
func recordedTargets(m *Model, b *replay.Batch) []float64 {
	n := b.Enc.N
	y := make([]float64, b.Size*n)
	var rs chunk.Rows[float64]
	for c := range chunk.Count {
		s0, s1 := chunk.Range(c, b.Size)
		if s0 == s1 {
			continue
		}
		rs.Layout(b.Enc, s1-s0)
		for s := range s1 - s0 {
			for i := range n {
				y[(s0+s)*n+i] = m.rec.y[c][rs.At[s*n+i]]
			}
		}
	}
	return y
}

// criticByHand computes the critic targets y (batch row order) and the
// critic loss of UpdateCritic with RecomputeNextGraph and the pass seed,
// from the model's network pieces:
//
//   - g'_r = g_φ(o'_r, z_r): the online relation net's plain Forward on the
//     one row r (o' rows, o' mask, the batch's latent);
//   - log π⁻(· | o'_r, g'_r): row r's type's target policy on the one row
//     (with TargetActionAtObs, log π⁻(· | o_r, g_r) with the stored g);
//   - a'_r drawn as the update draws: chunk c from PCG(seed, c), one uniform
//     per agent row, rows of type 0 first, sample-major within a type;
//   - Q⁻(o', a', g') and Q(o, a, g) with the stored g: the target and online
//     critics on the N rows of one sample at a time;
//   - y_r = r̃_r + γ·Q⁻_r·(1 − done_r) − α·log π⁻(a'_r) (the entropy term
//     times (1 − done_r) unless TerminalEntropy), and the loss of cfg's
//     form over alive rows.
func criticByHand(m *Model, b *replay.Batch, seed uint64) (y []float64, loss float64) {
	enc, cfg := b.Enc, m.cfg
	n, e, d, k, a := enc.N, enc.E, enc.D, cfg.Latents, m.f.A
	rows0 := b.Size * n
	online := m.newBoundNets(m.params, make([]float64, len(m.params)))
	target := m.newBoundNets(m.target, make([]float64, len(m.target)))

	gNext := make([]float64, rows0*e)
	lp := make([][]float64, rows0)
	for r := range rows0 {
		g := online.rel.Forward(e, b.NextSelf[r*d:(r+1)*d], b.NextEnts[r*e*d:(r+1)*e*d], b.Latent[r*k:(r+1)*k], b.NextMask[r*e:(r+1)*e])
		copy(gNext[r*e:(r+1)*e], g)
		if cfg.TargetActionAtObs { // Q1: π⁻ at o with the stored g
			lp[r] = slices.Clone(target.policy[enc.Type[r%n]].forward(e, b.Ents[r*e*d:(r+1)*e*d], b.Graph[r*e:(r+1)*e], b.Mask[r*e:(r+1)*e], b.Self[r*d:(r+1)*d]))
			continue
		}
		lp[r] = slices.Clone(target.policy[enc.Type[r%n]].forward(e, b.NextEnts[r*e*d:(r+1)*e*d], gNext[r*e:(r+1)*e], b.NextMask[r*e:(r+1)*e], b.NextSelf[r*d:(r+1)*d]))
	}

	next := make([]int, rows0)
	prob := make([]float64, a)
	for c := range chunk.Count {
		s0, s1 := chunk.Range(c, b.Size)
		rng := rand.New(rand.NewPCG(seed, uint64(c)))
		for t := range enc.Types {
			for s := s0; s < s1; s++ {
				for i := range n {
					if enc.Type[i] == t {
						r := s*n + i
						next[r] = sampleLogp(rng, lp[r], prob[:len(lp[r])])
					}
				}
			}
		}
	}

	y = make([]float64, rows0)
	var alive float64
	for _, al := range b.Alive[:rows0] {
		if al {
			alive++
		}
	}
	var rs chunk.Rows[float64]
	act := make([]int, n)
	gp := make([]float64, n*e)
	for s := range b.Size {
		rs.Gather(b, s, s+1, true)
		for i := range n {
			r0, rr := s*n+i, rs.At[i]
			act[rr] = next[r0]
			copy(gp[rr*e:(rr+1)*e], gNext[r0*e:(r0+1)*e])
		}
		qn := target.critic.forward(&rs, rs.NextSelf, rs.NextEnts, rs.NextMask, act, gp)
		for i := range n {
			r0, rr := s*n+i, rs.At[i]
			ent := -cfg.Alpha() * lp[r0][next[r0]]
			if !cfg.TerminalEntropy {
				ent *= 1 - b.Done[r0]
			}
			y[r0] = b.Reward[r0] + cfg.Gamma*qn[rr*a+next[r0]]*(1-b.Done[r0]) + ent
		}
		q := online.critic.forward(&rs, rs.Self, rs.Ents, rs.Mask, rs.Action, rs.Graph)
		var diff float64
		for i := range n {
			r0, rr := s*n+i, rs.At[i]
			if !b.Alive[r0] {
				continue
			}
			dq := q[rr*a+b.Action[r0]] - y[r0]
			diff += dq
			if cfg.PerAgentCriticLoss {
				loss += dq * dq / alive
			}
		}
		if !cfg.PerAgentCriticLoss {
			loss += diff * diff / float64(b.Size)
		}
	}
	return y, loss
}

// TestCriticRecomputeNextGraphKnownAnswer checks the critic targets and
// loss of UpdateCritic's pass with RecomputeNextGraph against criticByHand
// (g' = g_φ(o', z) with the current φ, used by the target policies and the
// target critic's mixing; Q(o, a, g) with the stored g), on one- and
// two-type games and both loss forms, also with PolicySeesSelf (π⁻ reads
// the o' self rows) and CriticSeesSelf (Q⁻ reads the o' self rows in its
// MLPs, Q those of o). It also checks the option matters:
// the targets with the stored g (option off) differ.
func TestCriticRecomputeNextGraphKnownAnswer(t *testing.T) {
	for _, variant := range []string{VariantOfficial, VariantCorrected} {
		for _, tc := range []struct {
			name     string
			spec     func(testing.TB) *env.Spec
			perAgent bool
			seesSelf bool // PolicySeesSelf: π⁻ also reads the o' self row
			critic   bool // CriticSeesSelf
		}{
			{"one-type", learnertest.TinySpec, false, false, false},
			{"one-type/per-agent", learnertest.TinySpec, true, false, false},
			{"tag-two-types", learnertest.TagSpec, false, false, false},
			{"one-type/policy-sees-self", learnertest.TinySpec, true, true, false},
			{"tag-two-types/policy-sees-self", learnertest.TagSpec, false, true, false},
			{"one-type/both-see-self", learnertest.TinySpec, true, true, true},
			{"tag-two-types/critic-sees-self", learnertest.TagSpec, false, false, true},
		} {
			t.Run(variant+"/"+tc.name, func(t *testing.T) {
				cfg := tinyConfig()
				if err := cfg.ApplyVariant(variant); err != nil {
					t.Fatal(err)
				}
				cfg.RecomputeNextGraph, cfg.PerAgentCriticLoss, cfg.PolicySeesSelf, cfg.CriticSeesSelf = true, tc.perAgent, tc.seesSelf, tc.critic
				m, enc := testModel(t, cfg, tc.spec(t), 2, 111)
				b := learnertest.RandomBatch(rand.New(rand.NewPCG(112, 112)), enc, 11, cfg.Latents)
				const seed = 113
				m.rec = &recording{}
				got := m.run(phaseCritic, groupCritic, b, seed, 0)[0]
				gotY := recordedTargets(m, b)
				wantY, want := criticByHand(m, b, seed)
				for r := range wantY {
					if math.Abs(gotY[r]-wantY[r]) > 1e-12*math.Max(1, math.Abs(wantY[r])) {
						t.Errorf("row %d: y = %.15g, by hand %.15g", r, gotY[r], wantY[r])
					}
				}
				if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Errorf("critic loss %.15g, by hand %.15g", got, want)
				}

				// The stored g gives other targets.
				m.cfg.RecomputeNextGraph = false
				m.run(phaseCritic, groupCritic, b, seed, 0)
				var maxDiff float64
				for r, v := range recordedTargets(m, b) {
					maxDiff = math.Max(maxDiff, math.Abs(v-wantY[r]))
				}
				if maxDiff < 1e-3 {
					t.Errorf("targets with the stored g differ from g'-targets by at most %g: the test cannot tell them apart", maxDiff)
				}
			})
		}
	}
}

// TestCriticRecomputeNextGraphStoredGraph checks that with
// RecomputeNextGraph the stored graph g of o does not change the targets y
// (bit for bit) but still enters Q(o, a, g): the loss and the gradient
// change. With the option off the same change of g changes y (the check
// can fail). Changing the latents z changes y. UpdateCritic leaves φ alone.
func TestCriticRecomputeNextGraphStoredGraph(t *testing.T) {
	for _, spec := range []func(testing.TB) *env.Spec{learnertest.TinySpec, learnertest.TagSpec} {
		cfg := tinyConfig()
		if err := cfg.ApplyVariant(VariantCorrected); err != nil { // a' at o': the stored g reaches y only through Q⁻'s mixing
			t.Fatal(err)
		}
		cfg.RecomputeNextGraph = true
		m, enc := testModel(t, cfg, spec(t), 2, 121)
		m.SetWorkers(1)
		b := learnertest.RandomBatch(rand.New(rand.NewPCG(122, 122)), enc, 9, cfg.Latents)
		m.rec = &recording{}
		pass := func() (y []float64, loss float64, grad []float64) {
			loss = m.run(phaseCritic, groupCritic, b, 123, 0)[0]
			if rel := m.spanOf(groupRelation, m.chunks.Work[0].grad); slices.ContainsFunc(rel, func(v float64) bool { return v != 0 }) {
				t.Error("the critic pass accumulated a gradient for φ")
			}
			return recordedTargets(m, b), loss, slices.Clone(m.spanOf(groupCritic, m.grad))
		}
		y1, loss1, grad1 := pass()

		// Another stored g: the weights of each row's present entities rotated.
		stored := slices.Clone(b.Graph)
		e := enc.E
		for r := range b.Size * enc.N {
			var idx []int
			for j := range e {
				if b.Mask[r*e+j] {
					idx = append(idx, j)
				}
			}
			for p, j := range idx {
				b.Graph[r*e+j] = stored[r*e+idx[(p+1)%len(idx)]]
			}
		}
		if slices.Equal(stored, b.Graph) {
			t.Fatal("the stored graph did not change")
		}
		y2, loss2, grad2 := pass()
		if !slices.Equal(y1, y2) {
			t.Error("with RecomputeNextGraph the stored g of o changed the targets y")
		}
		if math.Abs(loss1-loss2) < 1e-6 || slices.Equal(grad1, grad2) {
			t.Errorf("the stored g of o does not enter Q(o, a, g): loss %.15g → %.15g", loss1, loss2)
		}

		// Option off: the stored g is the target's graph too.
		m.cfg.RecomputeNextGraph = false
		y3, _, _ := pass()
		copy(b.Graph, stored)
		y4, _, _ := pass()
		if slices.Equal(y3, y4) {
			t.Error("with the stored g reused, changing it did not change y")
		}

		// Option on: the latents select g'.
		m.cfg.RecomputeNextGraph = true
		k := cfg.Latents
		for r := range b.Size * enc.N {
			z := b.Latent[r*k : (r+1)*k]
			h := slices.Index(z, 1)
			z[h], z[(h+1)%k] = 0, 1
		}
		y5, _, _ := pass()
		if slices.Equal(y1, y5) {
			t.Error("changing the latents z did not change y")
		}

		// A full update trains the critic only.
		params := m.Params(nil)
		m.UpdateCritic(b)
		if m.Err() != nil {
			t.Fatal(m.Err())
		}
		after := m.Params(nil)
		if slices.Equal(m.spanOf(groupCritic, params), m.spanOf(groupCritic, after)) {
			t.Error("UpdateCritic did not change the critic")
		}
		if !slices.Equal(params[m.groups[groupPolicy].lo:], after[m.groups[groupPolicy].lo:]) {
			t.Error("UpdateCritic changed parameters outside the critic (φ, policies, ψ, ω)")
		}
		m.Close()
	}
}

// TestCriticRecomputeNextGraphNeedsLatents: with RecomputeNextGraph a batch
// without K-wide latents is refused (panic); without the option it is fine.
func TestCriticRecomputeNextGraphNeedsLatents(t *testing.T) {
	cfg := tinyConfig()
	cfg.RecomputeNextGraph = true
	m, enc := testModel(t, cfg, learnertest.TinySpec(t), 2, 131)
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(132, 132)), enc, 3, cfg.Latents)
	b.Latent = b.Latent[:len(b.Latent)-1]
	func() {
		defer func() {
			msg, _ := recover().(string)
			if !strings.Contains(msg, "RecomputeNextGraph") {
				t.Errorf("UpdateCritic on a batch without latents: panic %q, want one naming RecomputeNextGraph", msg)
			}
		}()
		m.UpdateCritic(b)
	}()
	m.cfg.RecomputeNextGraph = false
	b.Latent = nil
	if loss := m.UpdateCritic(b); math.IsNaN(loss) {
		t.Fatal(m.Err())
	}
}
