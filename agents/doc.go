// Package agents holds what acts in a game: the Policy interface, simple
// policies that need no training (uniformly random, scripted), and the
// helpers learners share. Neural layers live in agents/nn and optimizers in
// agents/optim; learning algorithms such as MRA live in package mra.
package agents
