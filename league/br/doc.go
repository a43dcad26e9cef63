// Package br learns approximate best responses by reinforcement learning.
// The league uses it to estimate NashConv in games that have no exact
// payoffs: for each agent i it trains a response against the others' frozen
// policy and measures how much agent i gains by deviating to it,
//
//	improvementᵢ ≈ V_i(BRᵢ, π₋ᵢ) − V_i(πᵢ, π₋ᵢ),   NashConv ≈ Σᵢ improvementᵢ.
//
// A learned response is at best a best response, so in expectation the
// measured gain of the chosen deviation is a lower bound on the true
// improvement (OpenSpiel's RL response, anchors.md §D1): a small estimate
// means "no better response was found within the budget", not "none
// exists". [LowerBound95] turns a measured gain into a one-sided 95% lower
// confidence bound, and [Detectable] says how large a gain the test
// episodes would have found.
//
// Besides the PPO response, Train can try a search response (Config.Search):
// policy improvement by rollouts from copies of the game's exact state,
// which a simulator with a state codec offers cheaply. It uses no
// game-specific code, only the optional abilities env.FullyObserved and
// env.StateReseeder of the game and agents.Forker of the others' policy,
// so that it stays a policy the deviating agent could play.
//
// [Train] learns the response with PPO: clipped-ratio updates, a learned
// value baseline V(x, t), GAE advantages normalised per batch, an entropy
// bonus, global-norm gradient clipping and an optimizer of the shared core
// (Config.Optimizer). The response is a [Net]: a fresh [MLP] (uniform at
// the start) or a copy of the entry's own networks (mra.ResponseNet), which
// starts the response from the incumbent policy. Train then chooses between
// the incumbent, the response and its greedy version on selection episodes
// and measures the chosen deviation's gain on separate test episodes, both
// paired with the incumbent on common random numbers, with a 95%
// confidence interval. Everything is deterministic given the seed (and the
// state of the others' policy, see [Reseeder]).
//
// Package br is not for training agents that must generalise across game
// sizes (that is package mra), nor for exact best responses: games that
// implement env.MixedPayoffs (one-shot) or env.ExactResponder (multi-step,
// against Markov policies) get exact NashConv, which is cheaper and exact. It trains one response for one agent at one
// population per call, on one goroutine; run several calls in parallel
// (with separate games and policies) to use more cores.
package br
