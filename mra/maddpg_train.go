package mra

// How the trainer runs MADDPG (Config.Algo = "maddpg"): the same rounds,
// round-robin over the training populations, parallel game copies, replay
// buffers (one per population, the buffer's reward normalisation) and
// update schedule as MRA, with the shared MADDPG networks in place of
// MRA's Model. An update cycle is NumUpdates pairs of critic and actor
// steps on fresh batches, each followed by its targets' Polyak step.

// ddpgCycle runs one MADDPG update cycle on population p.
func (t *Trainer) ddpgCycle(p *population) {
	for range t.cfg.NumUpdates {
		p.buf.Sample(t.sample, p.batch)
		t.critic.add(t.ddpg.UpdateCritic(p.batch))
		loss, ent := t.ddpg.UpdateActors(p.batch)
		t.policy.add(loss)
		t.entropy.add(ent)
	}
	t.updates++
}

// MADDPG returns the MADDPG networks being trained, or nil when the
// algorithm is another (see Model).
func (t *Trainer) MADDPG() *MADDPG { return t.ddpg }

// learnerErr returns the error of the networks being trained.
func (t *Trainer) learnerErr() error {
	if t.ddpg != nil {
		return t.ddpg.Err()
	}
	return t.model.Err()
}

// learnerState returns the state of the networks being trained.
func (t *Trainer) learnerState() []byte {
	if t.ddpg != nil {
		return t.ddpg.AppendState(nil)
	}
	return t.model.AppendState(nil)
}

// setLearnerState restores the networks being trained.
func (t *Trainer) setLearnerState(b []byte) error {
	if t.ddpg != nil {
		return t.ddpg.SetState(b)
	}
	return t.model.SetState(b)
}
