// Package particle is a fast, faithful Go port of the multi-agent particle
// environments (MPE) of Lowe et al. and of the games MRA trains on, as
// population-varying env.Games that register themselves on import:
//
//	resource   MRA's resource occupation (agents)
//	spread     MPE simple_spread, cooperative navigation (agents)
//	tag        MPE simple_tag, predator-prey (adversaries, good)
//	treasure   MAAC's treasure collection (collectors, deposits)
//	pacman     EPC's grassland as a pac-man world (pacmen, ghosts)
//
// The physics (World) reproduces the original OpenAI code step for step,
// and resource, spread and tag reproduce the original scenarios' rewards
// and, through env.FlatObserver, their flat observation vectors: golden
// tests replay recorded trajectories of the Python code and agree to about
// 1e-15. Treasure and pacman follow the rules MRA's note gives for MAAC's
// and EPC's games; they have no reference data, and their flat observation
// is their entity observation.
// Every game also gives entity-structured observations whose block widths
// do not depend on the population, plus population features (agent counts
// divided by 10) in the self block, for attention policies that serve every
// population size.
// Every game takes observe_nearest = k: each entity set then shows only
// the k entities nearest to the observer, nearest first, so the networks'
// rows grow as N·k instead of N²; sets of at most k are unchanged.
//
// Stepping allocates nothing. All agents act at once with 5 discrete
// actions: 0 no-op, 1 +x, 2 −x, 3 +y, 4 −y (the original's one-hot
// encoding; PettingZoo's integer encoding flips the signs).
//
// Every game is also a Viewer: a read-only Scene snapshot (positions,
// sizes, colours, agent types, alive flags) and the entity each
// observation block shows, which package particle/render draws.
//
// Package particle is not a general 2-D physics engine (no walls, joints
// or continuous actions) and not a renderer; initial states are drawn from
// Go's PCG generator, so they cannot match NumPy's seeds: tests that need
// the original initial state set it through World.
package particle
