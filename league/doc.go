// Package league plays agents against each other at every population size
// of a game, seen and unseen in training, and says how far each is from a
// Nash equilibrium at each size.
//
// Entries are trained runs (MRA and its baselines) and built-in players
// (uniformly random). In games with one agent type an entry plays its own
// team; in games with several types every entry of one type meets every
// entry of the others, which gives payoff tables per population for the
// meta-solvers of league/meta. MRA entries are adapted to unseen sizes
// (mra.Adapt with one-hot latents); zero-shot, best-mode and adapted play
// are compared on selection episodes and measured on held-out test
// episodes, and the entry plays the chosen candidate (adapt.go).
//
// NashConv per population is never negative. It is exact where the game
// gives exact expected payoffs of mixed profiles (the one-shot games of
// env/matrix) or exact best responses against Markov policies
// (env.ExactResponder), and the policy its exact action distribution;
// otherwise it is estimated (league/br): for each agent type a response,
// warm-started from the entry's own policy, is trained against the frozen
// others, chosen over the incumbent on selection episodes and measured on
// separate test episodes, and NashConv = Σ_types count·max(0, gain), with
// its 95% interval clipped at 0. Options.NashConv forces either method.
//
// Every job (an evaluation, an adaptation, a best response) is plain data
// (Job, with output JobResult), carries its own seeds and runs through a
// Runner, so results do not depend on how many goroutines or machines run
// them. Package league is not for training (package mra) nor
// for the command line.
package league
