// Package maddpg is the MADDPG baseline of the MRA paper: multi-agent deep
// deterministic policy gradient (Lowe et al. 2017) for discrete actions,
// with one attention actor per agent type and one centralised attention
// critic shared by every agent and, by default, every training population
// (type MADDPG).
//
// It registers the algorithm "maddpg" with agents/learner when imported
// (learner.go: Settings as learner.Settings, the trainee running its update
// cycles for the shared Trainer, the trained networks as learner.Trained).
// Its settings are its own: the [algo] keys gamma, pi_lr, q_lr,
// weight_decay, batch_size, buffer_length, steps_per_update, num_updates,
// grad_clip, tau, replay, precision (float64 only) and sharing (one set
// of networks for every training population, or one per population as
// the MADDPG paper trains: populations.go); other keys are refused with
// their file:line:col.
//
// It uses the encoding and buffers of agents/replay, the layers and Adam
// of agents/nn and agents/optim, and agents/chunk's deterministic parallel
// update machinery, which it shares with mra without importing it.
package maddpg
