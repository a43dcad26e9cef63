package env

// Game is one population-varying Markov game built at one population. It is
// the plug-in point for every game, built-in or a user's: implement it,
// register a constructor with Register, and the game works from scenario
// files and every command.
//
// All agents act at once (a parallel game). Agents are numbered type by type
// as in the population. A Game is not safe for concurrent use; run copies to
// go faster (see Batch).
type Game interface {
	// Spec describes the game's agents, observations and horizon. It never
	// changes during the life of the game and must not be modified.
	Spec() *Spec

	// Reset starts a new episode whose randomness is fully determined by
	// seed, and writes the initial frame into f (Reward zero, T zero).
	Reset(seed uint64, f *Frame)

	// Step applies one action per agent (actions of dead agents are ignored;
	// the others must be legal under the last action mask) and writes the
	// resulting frame into f: rewards, flags, new observations and masks,
	// with f.T advanced by one. Step must not allocate.
	Step(actions []int, f *Frame)

	// Observe writes everything the current state determines into f: Obs,
	// the masks, Alive, Terminated, Truncated and T. It leaves Reward alone.
	// Call it after SetState.
	Observe(f *Frame)

	// AppendState appends the full state, including step count and random
	// generator state, to b and returns the extended slice. Restoring it with
	// SetState, on this game or on a fresh game built with the same
	// parameters and population, continues the episode bit for bit.
	AppendState(b []byte) []byte

	// SetState restores a state written by AppendState. It returns an error,
	// leaving the game unchanged, when b is not such a state for this game.
	SetState(b []byte) error
}

// FlatObserver is implemented by games that also offer an agent's
// observation as one flat vector in a reference implementation's order (for
// example the original particle-world code), for parity tests and for
// policies that do not use entity structure.
type FlatObserver interface {
	// FlatLen returns the length of a flat observation of an agent of type k.
	FlatLen(k int) int
	// FlatObs writes agent i's flat observation of the current state to dst,
	// which has length FlatLen of the agent's type.
	FlatObs(i int, dst []float64)
}

// MixedPayoffs is implemented by one-shot games that can compute exact
// expected payoffs of mixed strategy profiles, which lets the league compute
// exact NashConv instead of estimating it with trained best responses.
type MixedPayoffs interface {
	// ActionValues writes to dst[a] the expected payoff of agent i playing
	// action a while every other agent j plays the mixed strategy profile[j]
	// (a probability vector over agent j's actions; profile[i] is ignored).
	// len(dst) is agent i's number of actions.
	ActionValues(profile [][]float64, i int, dst []float64)
}
