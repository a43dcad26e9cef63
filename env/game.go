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

// StateReseeder is implemented by games that can replace the random
// generator of their current state. A state written by AppendState carries
// the generator, so a copy restored with SetState would draw the episode's
// future randomness (respawns, noise) exactly as the original will: a
// search that plans on restored copies would then see the future. Calling
// ReseedState after SetState gives the copy fresh randomness from seed and
// leaves everything else of the state as it was. It must not allocate.
type StateReseeder interface {
	ReseedState(seed uint64)
}

// FullyObserved is implemented by games that can say whether an agent
// knows the game's exact state: whether the state (apart from its random
// generator, see StateReseeder) is a function of what the agent has
// observed since the episode began. A policy that decides from the exact
// state is then one the agent could play. A game whose agents see only
// part of the state (a sight radius, hidden cards) returns false, or does
// not implement the interface.
type FullyObserved interface {
	FullyObserved(agent int) bool
}

// ScriptedPolicies is implemented by games that offer named hand-written
// policies, references that show where "good" play lies beside learned
// ones (stand still, go to the nearest landmark, a closed-form
// equilibrium). ScriptedPolicy returns a fresh policy for every agent of
// the game's population; it must act like the agents.Policy interface
// describes (Act(f, actions): one legal action per live agent). It is
// declared here as a function type of its own so that env does not import
// the agents package.
type ScriptedPolicies interface {
	// Scripted lists the names of the policies the game offers.
	Scripted() []string
	// ScriptedPolicy returns a fresh instance of the named policy, drawing
	// its random numbers (if any) from seed, or an error for an unknown
	// name.
	ScriptedPolicy(name string, seed uint64) (ScriptedActor, error)
}

// ScriptedActor is a policy a game offers through ScriptedPolicies: Act
// writes one legal action per live agent of frame f into actions.
type ScriptedActor interface {
	Act(f *Frame, actions []int)
}

// BehaviourStats is implemented by games that can summarise what their
// agents do beyond the return, in a few named numbers of the current state
// (the share of agents on each resource, the landmarks covered). The
// league averages them over the steps of evaluation episodes to show what
// a policy, or one latent mode of it, does differently: two modes with the
// same return and the same statistics play alike. BehaviourNames is fixed
// for a game; Behaviour writes len(BehaviourNames()) values into dst and
// must not allocate.
type BehaviourStats interface {
	BehaviourNames() []string
	Behaviour(dst []float64)
}
