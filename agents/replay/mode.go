package replay

// The replay modes: what a buffer stores per transition.
const (
	// ModeAuto chooses, per training population, whichever of the two
	// others takes fewer bytes per transition for the game (ChooseReplay).
	ModeAuto = "auto"
	// ModeStates stores the game's exact state, from which observations
	// are regenerated when sampling (O(N) bytes per transition).
	ModeStates = "states"
	// ModeObservations stores every agent's observation (O(N²) bytes in
	// games where agents observe each other).
	ModeObservations = "observations"
)
