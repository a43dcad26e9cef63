package mra

import (
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
)

// The stages of one golden update cycle (goldenCycle), in the official
// order. Each compares the stage's recorded forward values, then runs the
// stage's update and compares its loss, gradient and step (goldenStep).

// rollout checks p(z|m), z, g, π and the actions of the stored batch.
func (r *goldenRun) rollout() {
	t, chk, cfg, rs, e, A := r.t, r.chk, r.cfg, &r.rs, r.e, r.A
	ro := &r.gc.Rollout
	l := append([]float64(nil), r.m.priorLogits([]float64{r.gc.Config.M})...)
	chk.cmp("rollout", "prior_logits_over_4", l, ro.tensor(t, "prior_logits_over_4").Values)
	gs := nn.GumbelSoftmax{N: cfg.Latents, Temperature: 1}
	rep := make([]float64, r.n*cfg.Latents)
	for i := range r.n {
		copy(rep[i*cfg.Latents:], l)
	}
	z := append([]float64(nil), gs.ForwardNoise(rep, r.gumbel("rollout.z"))...)
	chk.cmp("rollout", "z_soft", gs.Soft(), ro.tensor(t, "z_soft").Values)
	chk.cmp("rollout", "z", z, ro.tensor(t, "z").Values)
	g := r.on.rel.Forward(e, rs.Self, rs.Ents, r.zrows(z, cfg.Latents), rs.Mask)
	chk.cmp("rollout", "g", r.am(g, e), ro.tensor(t, "g").Values)
	logits, lp := r.policyForward(r.on.policy[0], rs.Ents, g)
	chk.cmp("rollout", "policy_logits", r.am(logits, A), ro.tensor(t, "policy_logits").Values)
	chk.cmp("rollout", "policy_probs", r.am(probs(lp), A), ro.tensor(t, "policy_probs").Values)
	r.sampleCheck("rollout", "rollout.action", lp, r.choice("rollout.action"))
	chk.cmpInts("rollout", "actions = batch.actions", r.b.Action, r.choice("rollout.action"))
}

// critic checks π⁻ at o (Q1), Q⁻ at o', y, Q, the loss, the clip, the
// gradient and the Adam step.
func (r *goldenRun) critic() {
	t, chk, cfg, rs, tn, on, e, A := r.t, r.chk, r.cfg, &r.rs, r.tn, r.on, r.e, r.A
	st := &r.gc.Critic
	stage := "critic"
	logits, lp := r.policyForward(tn.policy[0], rs.Ents, rs.Graph)
	chk.cmp(stage, "target_policy_logits_at_obs", r.am(logits, A), st.tensor(t, "target_policy_logits_at_obs").Values)
	chk.cmp(stage, "target_policy_probs_at_obs", r.am(probs(lp), A), st.tensor(t, "target_policy_probs_at_obs").Values)
	next := r.choice("critic.next_action")
	r.sampleCheck(stage, "critic.next_action", lp, next)
	chk.cmp(stage, "next_log_pi", r.am(r.pick(lp, next), 1), st.tensor(t, "next_log_pi").Values)
	qh := tn.critic.forward(rs, rs.NextSelf, rs.NextEnts, rs.NextMask, next, rs.Graph)
	chk.cmp(stage, "target_q_head_next", r.am(qh, A), st.tensor(t, "target_q_head_next").Values)
	chk.cmp(stage, "next_q", r.am(r.pick(qh, next), 1), st.tensor(t, "next_q").Values)
	chk.cmp(stage, "target_critic_attention_next", r.am(tn.critic.attn.Weights(), e), st.tensor(t, "target_critic_attention_next").Values)
	chk.cmp(stage, "target_critic_embedding_next", r.am(r.embedding(tn.critic), cfg.ValueDim), st.tensor(t, "target_critic_embedding_next").Values)
	qh = on.critic.forward(rs, rs.Self, rs.Ents, rs.Mask, r.b.Action, rs.Graph)
	chk.cmp(stage, "q_head", r.am(qh, A), st.tensor(t, "q_head").Values)
	chk.cmp(stage, "q", r.am(r.pick(qh, r.b.Action), 1), st.tensor(t, "q").Values)
	chk.cmp(stage, "critic_attention", r.am(on.critic.attn.Weights(), e), st.tensor(t, "critic_attention").Values)
	chk.cmp(stage, "critic_embedding", r.am(r.embedding(on.critic), cfg.ValueDim), st.tensor(t, "critic_embedding").Values)

	loss := r.m.UpdateCritic(r.b)
	y := r.chunkRecorded(func(c int) []float64 { return r.m.rec.y[c] })
	chk.cmp(stage, "y", r.am(y, 1), st.tensor(t, "y").Values)
	chk.cmp(stage, "loss", []float64{loss}, []float64{st.scalar(t, "loss")})
	goldenStep(t, chk, stage, r.m, groupCritic, st)
}

// policy checks π at o, a, Q at (o, a, g) with the updated critic, the
// stop-gradient coefficient, the loss and the step.
func (r *goldenRun) policy() {
	t, chk, rs, on, e, A := r.t, r.chk, &r.rs, r.on, r.e, r.A
	st := &r.gc.Policy
	stage := "policy"
	logits, lp := r.policyForward(on.policy[0], rs.Ents, rs.Graph)
	chk.cmp(stage, "policy_logits", r.am(logits, A), st.tensor(t, "policy_logits").Values)
	chk.cmp(stage, "policy_probs", r.am(probs(lp), A), st.tensor(t, "policy_probs").Values)
	act := r.choice("policy.action")
	r.sampleCheck(stage, "policy.action", lp, act)
	chk.cmp(stage, "log_pi", r.am(r.pick(lp, act), 1), st.tensor(t, "log_pi").Values)
	qh := on.critic.forward(rs, rs.Self, rs.Ents, rs.Mask, act, rs.Graph)
	chk.cmp(stage, "q_head", r.am(qh, A), st.tensor(t, "q_head").Values)
	chk.cmp(stage, "q", r.am(r.pick(qh, act), 1), st.tensor(t, "q").Values)
	chk.cmp(stage, "critic_attention", r.am(on.critic.attn.Weights(), e), st.tensor(t, "critic_attention").Values)

	loss, ent := r.m.UpdatePolicies(r.b)
	coef := r.chunkRecorded(func(c int) []float64 { return r.m.rec.coef[c] })
	chk.cmp(stage, "coefficient", r.am(coef, 1), st.tensor(t, "coefficient").Values)
	chk.cmp(stage, "loss", []float64{loss}, []float64{st.scalar(t, "loss")})
	chk.cmp(stage, "entropy_logged", []float64{ent}, []float64{st.scalar(t, "entropy_logged")})
	goldenStep(t, chk, stage, r.m, groupPolicy, st)
}

// relation checks the relation net φ: p_ψ, z and the resampled z_k, g and
// g_k, π⁻ at each, a*, p0, Σpk, r_MI, the double clip and the step.
func (r *goldenRun) relation() {
	t, chk, cfg, m, rs, tn, on := r.t, r.chk, r.cfg, r.m, &r.rs, r.tn, r.on
	n, bs, kp, e, A := r.n, r.bs, r.kp, r.e, r.A
	st := &r.gc.Relation
	stage := "relation"
	k := cfg.Latents
	l := append([]float64(nil), m.priorLogits([]float64{r.gc.Config.M})...)
	chk.cmp(stage, "prior_logits_over_4", l, st.tensor(t, "prior_logits_over_4").Values)
	lse := logSumExp(l)
	logp := make([]float64, k)
	for j := range k {
		logp[j] = l[j] - lse
	}
	chk.cmp(stage, "prior_log_probs", logp, st.tensor(t, "prior_log_probs").Values)
	before := append([]float64(nil), m.params...)

	rmi := m.UpdateRelation(r.b, []float64{r.gc.Config.M}, rand.New(rand.NewPCG(0, 0)))
	chk.cmp(stage, "z", m.latent.z0, st.tensor(t, "z").Values)
	chk.cmp(stage, "z_resample", m.latent.zk, st.tensor(t, "z_resample").Values)
	chk.cmp(stage, "z_resample_soft", m.gumbel.Soft(), st.tensor(t, "z_resample_soft").Values)
	chk.cmp(stage, "r_mi", []float64{rmi}, []float64{st.scalar(t, "r_mi")})
	chk.cmp(stage, "loss", []float64{-rmi}, []float64{st.scalar(t, "loss")})

	// Forward values at φ before its step, policy after its step,
	// target policy still at init.
	rel := m.newBoundNets(before, make([]float64, len(before))).rel
	g0 := append([]float64(nil), rel.Forward(e, rs.Self, rs.Ents, r.zrows(m.latent.z0, k), rs.Mask)...)
	chk.cmp(stage, "g", r.am(g0, e), st.tensor(t, "g").Values)
	gk := make([]float64, n*bs*kp*e) // (agent, batch, resample, other) after am
	tpk := make([]float64, n*bs*kp*A)
	astar := r.choice("relation.a_star")
	sumPk := make([]float64, n*bs)
	for q := range kp {
		g := rel.Forward(e, rs.Self, rs.Ents, r.zrows(m.latent.zk[q*n*k:(q+1)*n*k], k), rs.Mask)
		_, lpk := r.policyForward(tn.policy[0], rs.Ents, g)
		for row := range n * bs {
			copy(gk[(row*kp+q)*e:(row*kp+q+1)*e], g[row*e:(row+1)*e])
			copy(tpk[(row*kp+q)*A:(row*kp+q+1)*A], probs(lpk[row*A:(row+1)*A]))
			sumPk[row] += math.Exp(lpk[row*A+astar[row]])
		}
	}
	chk.cmp(stage, "g_resample", r.am(gk, kp*e), st.tensor(t, "g_resample").Values)
	chk.cmp(stage, "target_policy_probs_at_resample", r.am(tpk, kp*A), st.tensor(t, "target_policy_probs_at_resample").Values)
	tl, tlp := r.policyForward(tn.policy[0], rs.Ents, g0)
	chk.cmp(stage, "target_policy_logits_at_z", r.am(tl, A), st.tensor(t, "target_policy_logits_at_z").Values)
	chk.cmp(stage, "target_policy_probs_at_z", r.am(probs(tlp), A), st.tensor(t, "target_policy_probs_at_z").Values)
	pl, plp := r.policyForward(on.policy[0], rs.Ents, g0)
	chk.cmp(stage, "policy_logits_at_z", r.am(pl, A), st.tensor(t, "policy_logits_at_z").Values)
	chk.cmp(stage, "policy_probs_at_z", r.am(probs(plp), A), st.tensor(t, "policy_probs_at_z").Values)
	r.sampleCheck(stage, "relation.a_star", plp, astar)
	chk.cmp(stage, "p0", r.am(probs(r.pick(tlp, astar)), 1), st.tensor(t, "p0").Values)
	chk.cmp(stage, "sum_pk", r.am(sumPk, 1), st.tensor(t, "sum_pk").Values)
	goldenStep(t, chk, stage, m, groupRelation, st)
}

// targets checks the target copy (relation_marl.py:265-272): the targets
// become the critic after its step and the policy after its step.
func (r *goldenRun) targets() {
	t, m, gc := r.t, r.m, r.gc
	m.SyncTargets()
	r.chk.cmp("targets", "critic", m.target[m.groups[groupCritic].lo:m.groups[groupCritic].hi], stageVector(t, m, groupCritic, gc.Critic.After))
	r.chk.cmp("targets", "policy", m.target[m.groups[groupPolicy].lo:m.groups[groupPolicy].hi], stageVector(t, m, groupPolicy, gc.Policy.After))
}

// task checks the prior ψ and classifier ω with its own value net: z, g in
// the official layout, the cross-paired embedding (Q5), the logits, the
// CE, ∂L/∂z, the gradient and the step.
func (r *goldenRun) task() {
	t, chk, cfg, m, rs := r.t, r.chk, r.cfg, r.m, &r.rs
	n, bs, e := r.n, r.bs, r.e
	st := &r.gc.Task
	stage := "task"
	k := cfg.Latents
	chk.cmp(stage, "prior_logits_over_4", m.priorLogits([]float64{r.gc.Config.M}), st.tensor(t, "prior_logits_over_4").Values)
	before := append([]float64(nil), m.params...)
	ce := m.UpdatePrior(r.b, r.gc.Config.TaskID, rand.New(rand.NewPCG(0, 0)))
	chk.cmp(stage, "z_soft", m.gumbel.Soft(), st.tensor(t, "z_soft").Values)
	chk.cmp(stage, "z", m.latent.z0, st.tensor(t, "z").Values)
	chk.cmp(stage, "loss", []float64{ce}, []float64{st.scalar(t, "loss")})
	chk.cmp(stage, "grad_z", m.latent.dz, st.tensor(t, "grad_z").Values)

	if !cfg.ClassifierCrossPairing {
		return // the batch ran in chunks: no whole-batch scratch to read
	}
	// The whole batch ran on worker 0 (ClassifierCrossPairing):
	// its scratch holds [e ; z] per row in sample-major order, which is
	// the official (batch, agent) layout.
	x := m.chunks.Work[0].pr.x
	w := cfg.ValueDim + k
	emb := make([]float64, n*bs*cfg.ValueDim)
	for row := range n * bs {
		copy(emb[row*cfg.ValueDim:], x[row*w:row*w+cfg.ValueDim])
	}
	chk.cmp(stage, "classifier_embedding", emb, st.tensor(t, "classifier_embedding").Values)
	pre := m.newBoundNets(before, make([]float64, len(before)))
	out := pre.cls.Forward(x[:n*bs*w])
	chk.cmp(stage, "classifier_logits_per_agent", out, st.tensor(t, "classifier_logits_per_agent").Values)
	nm := m.Games()
	logit := make([]float64, bs*nm)
	for s := range bs {
		for i := range n {
			for c := range nm {
				logit[s*nm+c] += out[(s*n+i)*nm+c]
			}
		}
	}
	chk.cmp(stage, "classifier_logits", logit, st.tensor(t, "classifier_logits").Values)
	g := pre.rel.Forward(e, rs.Self, rs.Ents, r.zrows(m.latent.z0, k), rs.Mask)
	chk.cmp(stage, "g (batch, agent, other)", g, st.tensor(t, "g").Values)
	goldenStep(t, chk, stage, m, groupPrior, st)
}
