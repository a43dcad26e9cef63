// Package league plays agents against each other at every population size
// of a game, seen and unseen in training, and says how far each is from a
// Nash equilibrium at each size.
//
// Entries are trained runs (MRA and its baselines) and built-in players
// (uniformly random). In games with one agent type an entry plays its own
// team; in games with several types every entry of one type meets every
// entry of the others, which gives payoff tables per population for the
// meta-solvers of league/meta. MRA entries are adapted to unseen sizes with
// first-order steps on their latents (mra.Adapt).
//
// NashConv per population is exact where the game gives exact expected
// payoffs of mixed profiles and the policy its exact action distribution
// (the one-shot games of env/matrix); otherwise it is estimated by training
// a best response for one agent of each type against the frozen others
// (league/br), which gives a lower bound, reported with its 95% confidence
// interval.
//
// Every job (an evaluation, an adaptation, a best response) carries its own
// seeds and runs through a Runner, so results do not depend on how many
// goroutines run them. Package league is not for training (package mra) nor
// for the command line.
package league
