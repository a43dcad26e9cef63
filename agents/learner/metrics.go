package learner

import (
	"math"
)

// The trainer's log: Metrics of each interval, the mode diagnostics in
// them, and how the trainer closes an interval (Trainer.metrics).

// Metrics summarise one log interval. mean_step_reward is the mean reward
// per agent and step over the interval, per training population — the
// metric the official code logs. In a game of several agent types (predators
// and prey) that mean mixes opposed rewards, so mean_step_reward_by_type
// gives it per population and type as well.
type Metrics struct {
	Episode        int                `json:"episode"`   // episodes played per population so far
	Round          int                `json:"round"`     // rounds of parallel_envs episodes so far
	EnvSteps       int64              `json:"env_steps"` // environment steps over all copies and populations
	WallSeconds    float64            `json:"wall_seconds"`
	StepsPerSecond float64            `json:"steps_per_second"` // env steps per wall second over the interval
	MeanStepReward map[string]float64 `json:"mean_step_reward"`
	// MeanStepRewardByType[population][type] is the mean reward per agent
	// and step of the type's agents (types without agents are left out).
	MeanStepRewardByType map[string]map[string]float64 `json:"mean_step_reward_by_type,omitempty"`
	Updates              int64                         `json:"update_cycles"`  // update cycles so far
	CriticLoss           float64                       `json:"critic_loss"`    // mean over the interval's critic steps
	PolicyLoss           float64                       `json:"policy_loss"`    // mean over the interval's policy steps
	Entropy              float64                       `json:"policy_entropy"` // mean policy entropy (nats)
	MI                   float64                       `json:"mi_estimate"`    // mean r_MI, the I(z; a | o) estimate
	PriorCE              float64                       `json:"classifier_ce"`  // mean game-classifier cross-entropy
	GameMI               float64                       `json:"game_mi_bound"`  // log M − CE, the bound on I(m; z)
	// ClassifierAccuracy is the game classifier's mean accuracy on its
	// batches over the interval (absent without classifier steps): near
	// 1/M (M training populations) the latents say nothing of the game.
	ClassifierAccuracy *float64 `json:"classifier_accuracy,omitempty"`
	// PriorEntropy[population] is the entropy (nats) of the prior over the
	// latent modes at the end of the interval, for learners with a
	// ModePrior: ln K is a uniform prior, 0 one mode always.
	PriorEntropy map[string]float64 `json:"prior_entropy,omitempty"`
	// Curriculum lists the training populations playing at the end of the
	// interval, in the order a size curriculum added them (absent without
	// one).
	Curriculum []string `json:"curriculum,omitempty"`
	// Modes are the interval's mode diagnostics (ModeSums), for learners
	// that measure them.
	Modes *ModeDiagnostics `json:"mode_diagnostics,omitempty"`
}

// ModeDiagnostics are the means over an interval's update rounds of a
// learner's mode diagnostics (ModeSums); each is absent when the learner
// did not measure it in the interval (the MI terms with one mode).
type ModeDiagnostics struct {
	ActorGrad      *float64 `json:"actor_grad,omitempty"`
	MIGradActor    *float64 `json:"mi_grad_actor,omitempty"`
	MIGradRelation *float64 `json:"mi_grad_relation,omitempty"`
	RelationGrad   *float64 `json:"relation_grad,omitempty"`
	RelationDecay  *float64 `json:"relation_decay,omitempty"`
	HeadSpread     *float64 `json:"head_tv,omitempty"`
}

// modeDiagnostics returns the means of s, or nil when nothing was added.
func modeDiagnostics(s *ModeSums) *ModeDiagnostics {
	var out ModeDiagnostics
	found := false
	for i, dst := range []**float64{&out.ActorGrad, &out.MIGradActor, &out.MIGradRelation, &out.RelationGrad, &out.RelationDecay, &out.HeadSpread} {
		if sum := s.sums()[i]; sum.N > 0 {
			v := sum.Mean()
			*dst, found = &v, true
		}
	}
	if !found {
		return nil
	}
	return &out
}

// metrics closes the current log interval.
func (t *Trainer) metrics() Metrics {
	m := Metrics{
		Episode:              t.Episode(),
		Round:                t.round,
		EnvSteps:             t.envSteps,
		WallSeconds:          t.wall.Seconds(),
		MeanStepReward:       map[string]float64{},
		MeanStepRewardByType: map[string]map[string]float64{},
		Updates:              t.updates,
		CriticLoss:           t.stats.Critic.Mean(),
		PolicyLoss:           t.stats.Policy.Mean(),
		Entropy:              t.stats.Entropy.Mean(),
		MI:                   t.stats.MI.Mean(),
		PriorCE:              t.stats.CE.Mean(),
	}
	if t.stats.CE.N > 0 {
		m.GameMI = math.Log(float64(len(t.games))) - m.PriorCE
	}
	if t.stats.Accuracy.N > 0 {
		acc := t.stats.Accuracy.Mean()
		m.ClassifierAccuracy = &acc
	}
	if mp, ok := t.learner.(ModePrior); ok && t.sched.Latents > 0 {
		m.PriorEntropy = map[string]float64{}
		prior := make([]float64, t.sched.Latents)
		for _, p := range t.games {
			mp.Prior(p.desc, prior)
			m.PriorEntropy[p.label] = Entropy(prior)
		}
	}
	m.Modes = modeDiagnostics(&t.stats.Modes)
	if t.curr.cfg.On() {
		m.Curriculum = t.curr.labels()
	}
	if s := t.intervalWall.Seconds(); s > 0 {
		m.StepsPerSecond = float64(t.intervalSteps) / s
	}
	for _, p := range t.games {
		if p.agentSteps > 0 {
			m.MeanStepReward[p.label] = p.rewardSum / float64(p.agentSteps)
		}
		p.rewardSum, p.agentSteps = 0, 0
		byType := map[string]float64{}
		for k, n := range p.typeSteps {
			if n > 0 {
				byType[p.typeNames[k]] = p.typeSum[k] / float64(n)
			}
		}
		if len(byType) > 0 {
			m.MeanStepRewardByType[p.label] = byType
		}
		clear(p.typeSum)
		clear(p.typeSteps)
	}
	t.stats = Stats{}
	t.intervalSteps, t.intervalWall = 0, 0
	return m
}
