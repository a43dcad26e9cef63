// Package mra trains agents with MRA, Meta Representations for Agents
// (Zhang, Shen, Han and Shen, arXiv 2108.12988), as its authors' code does,
// and two of the paper's baselines that share its networks: the same
// networks trained on a single population, and Reptile across populations
// with one unimodal policy. (The paper's third baseline has a package of
// its own beside this one.)
//
// The pieces, in the paper's notation (see mra.md in the design documents):
//
//   - the game descriptor m, per-type agent counts / 10 (Descriptor);
//   - the relation net φ: K latent-selected attention heads giving each
//     agent i its relation graph g_i over the entities it observes;
//   - the policies θ, one per agent type, acting on e_i = Σ_j g_ij v_j;
//   - the centralised soft critic Q with its own attention, whose per-agent
//     outputs are mixed by the relation graph, and target networks;
//   - the prior p_ψ(z|m) over K latent modes, sampled per agent and
//     episode with straight-through Gumbel-softmax;
//   - the game classifier q_ω(m | e, z), trained by cross-entropy: the
//     Barber–Agakov bound on I(m; z);
//   - the diversity estimator of I(z; a | o) with K' resampled latents,
//     which alone updates φ.
//
// Observations of any game are put in one uniform entity encoding
// (replay.Encoding), so the same networks serve every population of a
// game; the official code's untagged 22-wide rows are replay.PlainFeatures.
//
// The package registers its algorithms (mra, single and reptile)
// with agents/learner, whose shared Trainer drives them through the
// Learner interface (learner.go here: Config as learner.Settings, the
// trainees running the update cycles, Reptile's meta-steps as
// learner.Meta, the trained networks as learner.Trained with the Modal,
// Adapter and Responder abilities the league uses).
//
// Config.Variant selects the official code's behaviour number for number
// (VariantOfficial, the default, pinned by the golden parity test against
// the official code's recorded tensors) or the same method with its
// defects fixed (VariantCorrected); ApplyVariant sets the quirk switches.
// Notably the official critic samples its target action at o, not o'
// (TargetActionAtObs).
//
// Package mra is not for environments (package env), generic layers and
// optimizers (agents/nn, agents/optim), replay buffers (agents/replay), the
// parallel update's chunks and rows (agents/chunk) nor the training loop
// (agents/learner); it composes them.
package mra
