// Package meta holds the meta-solvers that mrasim's league runner applies to
// empirical payoff tables: given what each entry of the league scored against
// each other entry, they say how much weight each entry deserves, how far a
// mixture of entries is from equilibrium, and how the entries rank.
//
// The package provides
//
//   - [ZeroSumNash]: an exact Nash equilibrium and the value of a two-player
//     zero-sum matrix game, by linear programming (gonum's simplex);
//   - [NashConv], [Exploitability] and [NormalForm.NashConv]: how much the
//     players of a mixed profile could gain by deviating alone, in bimatrix
//     and N-player normal-form games;
//   - [ProjectedReplicatorDynamics] and [NormalForm.ProjectedReplicatorDynamics]:
//     the PSRO meta-solver of Lanctot et al. (2017), with OpenSpiel's defaults;
//   - [AlphaRank] and [NormalForm.AlphaRank]: α-Rank's Markov chain over
//     strategy profiles and its stationary distribution, for one population
//     (a symmetric game) or several, with [StationaryDistribution] for any
//     Markov chain;
//   - [Elo], [EloUpdate] and [EloFit]: one-dimensional ratings from a list
//     of pairwise results, sequentially, or fitted to a whole win-rate table
//     (the Bradley–Terry maximum-likelihood ratings). Elo cannot represent
//     cycles such as rock–paper–scissors; use α-Rank or Nash weights beside
//     it.
//
// The league applies every solver of the meta-solver table (Solver,
// RegisterSolver, Solvers: name → function, as OpenSpiel's) to the
// payoff tables of each two-type population and its reports iterate the
// table; today it holds α-Rank ("alpharank") and projected replicator
// dynamics ("prd"). Adding a meta-solver is one file in this package: the
// function and an init that registers it.
//
// Payoff tables are row-major: in a matrix game entry (i, j) is what the row
// player gets (or, for the second table of a bimatrix game, what the column
// player gets) when the row player uses strategy i and the column player
// strategy j. A mixed strategy is a []float64 of probabilities, and a profile
// a [][]float64 with one strategy per player.
//
// Errors and panics: anything a user's data can produce — an empty table,
// tables of mismatched shapes, a NaN or infinite payoff, a strategy that is
// not a probability vector, an out-of-range setting — is reported as an error
// that wraps one of the sentinel errors below ([ErrEmpty], [ErrShape],
// [ErrNotFinite], [ErrStrategy], [ErrConfig], …), so callers can test them
// with errors.Is; the message names the table, the entry and what is allowed.
// Functions panic only on programmer errors that no data can cause, which
// their documentation states (an out-of-range player or profile index
// passed to a NormalForm accessor). Inputs are never modified, except the
// ratings that EloUpdate is asked to update.
//
// Package meta is not a game simulator and does not play matches: it works
// on payoff tables that the league runner has already estimated. It does not
// compute best responses by learning, does not solve general-sum games for
// Nash equilibria exactly (equilibrium selection makes that ill-posed for
// meta-games, so it offers replicator dynamics and α-Rank instead), and does
// not compute correlated equilibria. Exact NashConv of the one-shot n-player
// environments lives in package env/matrix.
//
// References:
//
//   - M. Lanctot et al., "A Unified Game-Theoretic Approach to Multiagent
//     Reinforcement Learning", NeurIPS 2017, arXiv 1711.00832 (NashConv,
//     PSRO, projected replicator dynamics).
//   - S. Omidshafiei et al., "α-Rank: Multi-Agent Evaluation by Evolution",
//     Scientific Reports 9, 9937 (2019), arXiv 1903.01373.
//   - OpenSpiel, python/algorithms/projected_replicator_dynamics.py and
//     python/egt/alpharank.py.
//   - A. E. Elo, "The Rating of Chessplayers, Past and Present", Arco, 1978;
//     R. A. Bradley and M. E. Terry, "Rank analysis of incomplete block
//     designs", Biometrika 39, 1952.
package meta
