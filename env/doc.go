// Package env defines population-varying Markov games: the interface every
// game implements, the specs that describe its observations and actions at a
// given population, the registry that builds games by name from their
// parameters, and a batched runner that steps many copies in parallel.
//
// A population is a list of agent types with a count each, for example
// {predator: 3, prey: 1}. The same registered game can be built at many
// populations; each build is an immutable-shaped Game whose Spec says how
// wide every observation block is and how many entities each set holds.
//
// Observations are entity-structured: for every agent a self block followed
// by sets of fixed-width entity blocks (other agents of each type, landmarks,
// ...). Block widths never depend on the population, only the set sizes do,
// so one attention network serves every size. A per-entity mask marks dead or
// padded entities and an optional per-action mask marks illegal actions.
//
// Package env is not for learning: policies, buffers and trainers live in
// package agents and above. It is not for any particular game either: the
// built-in games live in env/matrix and env/particle and register themselves
// when imported.
package env
