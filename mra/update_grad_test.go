package mra

import (
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/env"
)

// The gradient checks run each update's gradient pass (Model.run, which
// reduces the chunk gradients but takes no optimizer step) and compare the
// gradient of its group with central differences of the loss the same pass
// reports, on the tiny network, a batch of 3 samples of 3 agents with
// masked entity rows, a dead agent and a terminal sample.

type gradCase struct {
	name string
	spec func(testing.TB) *env.Spec
	cfg  func(*Config)
}

func gradCases() []gradCase {
	return []gradCase{
		{"one-type", learnertest.TinySpec, func(*Config) {}},
		{"one-type/per-agent-baseline", learnertest.TinySpec, func(c *Config) { c.PerAgentCriticLoss, c.Baseline = true, true }},
		{"tag-two-types", learnertest.TagSpec, func(*Config) {}},
		{"one-type/recompute-next-graph", learnertest.TinySpec, func(c *Config) { c.RecomputeNextGraph = true }},
		{"tag-two-types/recompute-next-graph", learnertest.TagSpec, func(c *Config) { c.RecomputeNextGraph = true }},
		{"one-type/policy-sees-self", learnertest.TinySpec, func(c *Config) { c.PolicySeesSelf = true }},
		{"one-type/policy-sees-self-per-agent-baseline", learnertest.TinySpec, func(c *Config) {
			c.PolicySeesSelf, c.PerAgentCriticLoss, c.Baseline = true, true, true
		}},
		{"tag-two-types/policy-sees-self", learnertest.TagSpec, func(c *Config) { c.PolicySeesSelf = true }},
		{"tag-two-types/policy-sees-self-recompute", learnertest.TagSpec, func(c *Config) { c.PolicySeesSelf, c.RecomputeNextGraph = true, true }},
		{"one-type/critic-sees-self", learnertest.TinySpec, func(c *Config) { c.CriticSeesSelf = true }},
		{"one-type/both-see-self-per-agent-baseline", learnertest.TinySpec, func(c *Config) {
			c.PolicySeesSelf, c.CriticSeesSelf, c.PerAgentCriticLoss, c.Baseline = true, true, true, true
		}},
		{"tag-two-types/critic-sees-self", learnertest.TagSpec, func(c *Config) { c.CriticSeesSelf = true }},
		{"tag-two-types/both-see-self-recompute", learnertest.TagSpec, func(c *Config) {
			c.PolicySeesSelf, c.CriticSeesSelf, c.RecomputeNextGraph = true, true, true
		}},
		{"one-type/prior-temperature-1.5", learnertest.TinySpec, func(c *Config) { c.PriorTemperature = 1.5 }},
		{"one-type/pool-sum", learnertest.TinySpec, func(c *Config) { c.Variant, c.RelationPooling = VariantCorrected, PoolingSum }},
		{"one-type/pool-mean+logcount", learnertest.TinySpec, func(c *Config) { c.Variant, c.RelationPooling = VariantCorrected, PoolingMeanLogCount }},
		{"tag-two-types/pool-sum-recompute", learnertest.TagSpec, func(c *Config) {
			c.Variant, c.RelationPooling, c.RecomputeNextGraph = VariantCorrected, PoolingSum, true
		}},
		{"tag-two-types/pool-mean+logcount-policy-sees-self", learnertest.TagSpec, func(c *Config) {
			c.Variant, c.RelationPooling, c.PolicySeesSelf = VariantCorrected, PoolingMeanLogCount, true
		}},
	}
}

// TestGradCritic: ∂(critic loss)/∂(critic parameters). The target y does
// not depend on the critic's parameters (targets are a separate vector),
// and the next actions are drawn from a fixed seed by the target policies.
func TestGradCritic(t *testing.T) {
	for _, tc := range gradCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			tc.cfg(&cfg)
			m, enc := testModel(t, cfg, tc.spec(t), 2, 1)
			b := learnertest.RandomBatch(rand.New(rand.NewPCG(2, 2)), enc, 3, m.cfg.Latents)
			loss := func() float64 { return m.run(phaseCritic, groupCritic, b, 99, 0)[0] }
			loss()
			learnertest.CheckGrad(t, "critic", m.spanOf(groupCritic, m.params), m.spanOf(groupCritic, m.grad), loss)
		})
	}
}

// TestGradPolicy: ∂(actor loss)/∂(policy parameters) of the surrogate the
// update follows, Σ_i mean_b log π(a_i) · c_i, with the sampled actions a
// and the stop-gradient coefficients c = α·log π(a) − Q (or Q − baseline)
// recorded at the base point and replayed (Model.rec).
func TestGradPolicy(t *testing.T) {
	for _, tc := range gradCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			tc.cfg(&cfg)
			m, enc := testModel(t, cfg, tc.spec(t), 2, 3)
			b := learnertest.RandomBatch(rand.New(rand.NewPCG(4, 4)), enc, 3, m.cfg.Latents)
			m.rec = &recording{}
			loss := func() float64 { return m.run(phasePolicy, groupPolicy, b, 5, 0)[0] }
			loss()
			m.rec.on = true
			learnertest.CheckGrad(t, "policy", m.spanOf(groupPolicy, m.params), m.spanOf(groupPolicy, m.grad), loss)
		})
	}
}

// TestGradRelation: ∂(−r_MI)/∂φ with the latents fixed and the actions a*
// recorded and replayed. The target policies are frozen; the gradient goes
// through the 1 + K' relation graphs.
func TestGradRelation(t *testing.T) {
	for _, tc := range gradCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			tc.cfg(&cfg)
			m, enc := testModel(t, cfg, tc.spec(t), 2, 5)
			b := learnertest.RandomBatch(rand.New(rand.NewPCG(6, 6)), enc, 3, m.cfg.Latents)
			rng := rand.New(rand.NewPCG(7, 7))
			n, k := enc.N, cfg.Latents
			m.latent.z0 = slices.Clone(m.sampleLatents(m.games[0], rng, n))
			m.latent.zk = slices.Clone(m.sampleLatents(m.games[0], rng, cfg.Resamples*n))
			_ = k
			m.rec = &recording{}
			loss := func() float64 { return -m.run(phaseRelation, groupRelation, b, 8, 0)[0] }
			loss()
			m.rec.on = true
			learnertest.CheckGrad(t, "relation", m.spanOf(groupRelation, m.params), m.spanOf(groupRelation, m.grad), loss)
		})
	}
}

// TestGradPrior checks the classifier update in three parts:
//
//  1. ∂CE/∂ω at fixed one-hot latents z;
//  2. ∂CE/∂z, the gradient with respect to the latents as continuous
//     inputs (through the classifier input and through g_φ(o, z) and e),
//     evaluated at the hard z: the quantity the straight-through estimator
//     passes on;
//  3. ∂/∂ψ: with the Gumbel noise fixed, the update's ψ gradient equals the
//     gradient of S(ψ) = Σ_{i,k} dz_ik · soft_ik(ψ), where dz is part 2's
//     gradient (held fixed) and soft = softmax(ℓ(ψ)/T + noise) is the
//     relaxed sample; that is, the loss linearised in z, computed through
//     the soft sample. The noise is recovered as log soft₀ − ℓ₀/T.
func TestGradPrior(t *testing.T) {
	for _, tc := range gradCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			tc.cfg(&cfg)
			m, enc := testModel(t, cfg, tc.spec(t), 3, 9)
			b := learnertest.RandomBatch(rand.New(rand.NewPCG(10, 10)), enc, 3, m.cfg.Latents)
			n, k := enc.N, cfg.Latents
			const game = 1

			// Full pass: latents drawn, ψ and ω gradients.
			m.priorGrad(b, game, rand.New(rand.NewPCG(11, 11)))
			grad := slices.Clone(m.grad)
			z := slices.Clone(m.latent.z0)
			soft0 := slices.Clone(m.gumbel.Soft())
			l0 := slices.Clone(m.priorLogits(m.games[game]))
			dz := slices.Clone(m.latent.dz)

			// 1. ω, at the drawn z.
			ce := func() float64 { return m.runPrior(b, 0, game)[0] }
			psi := m.proto.prior.NumParams()
			omega := m.spanOf(groupPrior, m.params)[psi:]
			learnertest.CheckGrad(t, "ω", omega, m.spanOf(groupPrior, grad)[psi:], ce)

			// 2. z as a continuous input.
			learnertest.CheckGrad(t, "z", m.latent.z0, dz, ce)
			if !slices.Equal(m.latent.z0, z) {
				t.Fatal("z not restored")
			}

			// 3. ψ through the soft sample with the noise fixed.
			surrogate := func() float64 {
				l := m.priorLogits(m.games[game])
				var s float64
				for i := range n {
					row := make([]float64, k)
					for j := range k {
						row[j] = l[j] + math.Log(soft0[i*k+j]) - l0[j]
					}
					lse := logSumExp(row)
					for j := range k {
						s += dz[i*k+j] * math.Exp(row[j]-lse)
					}
				}
				return s
			}
			learnertest.CheckGrad(t, "ψ", m.spanOf(groupPrior, m.params)[:psi], m.spanOf(groupPrior, grad)[:psi], surrogate)
		})
	}
}

// TestGradCheckCanFail shows the checks catch a wrong gradient: a critic
// gradient scaled by 1 + 1e-4 in one entry is reported.
func TestGradCheckCanFail(t *testing.T) {
	m, enc := testModel(t, tinyConfig(), learnertest.TinySpec(t), 2, 1)
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(2, 2)), enc, 3, m.cfg.Latents)
	loss := func() float64 { return m.run(phaseCritic, groupCritic, b, 99, 0)[0] }
	loss()
	g := slices.Clone(m.spanOf(groupCritic, m.grad))
	for i := range g {
		if math.Abs(g[i]) > 1e-2 {
			g[i] *= 1 + 1e-4
			break
		}
	}
	var ft learnertest.FailRecorder
	learnertest.CheckGrad(&ft, "critic", m.spanOf(groupCritic, m.params), g, loss)
	if !ft.Failed {
		t.Error("a perturbed gradient passed the check")
	}
}
