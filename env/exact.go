package env

// ExactResponder is implemented by finite-horizon games whose best
// responses can be computed exactly, by dynamic programming over the
// game's finite state space, against other agents that play Markov
// policies: policies whose action distribution at a frame depends on that
// frame only (no hidden per-episode state such as a latent drawn at the
// start). The league uses it for exact NashConv in multi-step games.
type ExactResponder interface {
	// ExactResponse returns agent i's expected episode return under its
	// best response (best) and under its own policy (current), when every
	// agent j ≠ i plays probs(f, j, ·) at every frame f and agent i plays
	// probs(f, i, ·) for current. probs writes agent j's action
	// distribution at frame f into dst (length: j's number of actions); it
	// is called on frames the game builds, which the caller must not keep.
	// best ≥ current up to rounding.
	ExactResponse(probs func(f *Frame, j int, dst []float64), i int) (best, current float64)
}
