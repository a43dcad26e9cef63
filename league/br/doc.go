// Package br learns approximate best responses by reinforcement learning.
// The league uses it to estimate NashConv in games that have no exact
// payoffs: for each agent i it trains a response against the others' frozen
// policy and measures how much agent i gains by deviating to it,
//
//	improvementᵢ ≈ V_i(BRᵢ, π₋ᵢ) − V_i(πᵢ, π₋ᵢ),   NashConv ≈ Σᵢ improvementᵢ.
//
// A learned response is at best a best response, so in expectation the
// estimated gain is a lower bound on the true improvement (OpenSpiel's RL
// response, anchors.md §D1): a small estimate means "no better response
// was found within the budget", not "none exists".
//
// [Train] learns the response with REINFORCE: a small MLP policy on the
// agent's observation and entity mask, masked logits for illegal actions,
// returns-to-go minus a per-time-step running-mean baseline, an entropy
// bonus, global-norm gradient clipping and Adam. It then plays the trained
// response and the frozen policy on the same evaluation episode seeds and
// reports their mean returns and the paired gain, each with a 95%
// confidence interval. Everything is deterministic given the seed (and the
// state of the others' policy, see [Reseeder]).
//
// Package br is not for training agents that must generalise across game
// sizes (that is package mra), nor for exact best responses: one-shot games
// that implement env.MixedPayoffs get exact NashConv from env/matrix,
// which is cheaper and exact. It trains one response for one agent at one
// population per call, on one goroutine; run several calls in parallel
// (with separate games and policies) to use more cores.
package br
