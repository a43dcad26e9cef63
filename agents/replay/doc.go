// Package replay holds what every off-policy learner shares between acting
// and learning: the uniform entity encoding of a game's observations
// (Features, Encoding, Encode), the replay buffer of one training
// population (Buffer, in observation or game-state mode) with its
// checkpoint sections and segment files, and the minibatch the updates
// consume (Batch).
//
// It sits below the algorithms (mra, maddpg) and the shared trainer
// (agents/learner) and above env: it knows games and checkpoints, never an
// algorithm.
package replay
