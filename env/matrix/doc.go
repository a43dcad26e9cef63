// Package matrix holds one-shot n-player games whose Nash equilibria are
// known in closed form, built at any number of players: the linear public
// goods game, the volunteer's dilemma, the El Farol bar problem and the
// minority game. They are the correctness tests of mrasim's learning and
// league code across game sizes: a learner trained at several n should
// recover the equilibrium mixture p*(n), and the league's NashConv should be
// zero at it.
//
// Every game has one agent type, "players", plays exactly one simultaneous
// step (after it every player is Terminated), has discrete actions and
// deterministic payoffs, and registers itself with env.Register when the
// package is imported. Every game also implements env.MixedPayoffs: the exact
// expected payoff of each action against independent mixed strategies of the
// other players, computed from the distribution of the number of others
// choosing an action (a Poisson-binomial distribution, O(n²) at most) rather
// than by enumerating the 2ⁿ joint actions. NashConv turns those values into
// the NashConv of a mixed profile for any game that implements
// env.MixedPayoffs, and the *Equilibrium functions give the closed-form
// symmetric equilibria.
//
// # Observations
//
// The games are symmetric, so every player sees the same observation, which
// describes the population and the game's parameters:
//
//	self block:  [ count(n), 1/n, game parameters … ]   (per game, see each type)
//	set players: n−1 blocks of width 1, each the constant 1, all unmasked
//
// count(n) is n/10 by default, the scale of the game descriptor MRA
// conditions on, and ln n with the parameter count_encoding = "log"
// (env.CountEncoding, WithCountEncoding), which every game of the package takes:
// a network trained at a few small n reads a larger n from this entry, and
// ln n keeps it closer to the training range. The set of other players lets
// an attention network count them.
//
// Package matrix is not for repeated or sequential games, for games with
// continuous actions, or for games whose equilibria must be found
// numerically; those belong in their own packages. It is not a general
// normal-form game solver either: NashConv evaluates a given profile, it does
// not search for equilibria.
package matrix
