package env

// SubSeed derives an independent seed for stream i of seed, for example one
// per game copy and one per episode. The result depends only on (seed, i),
// never on scheduling, and nearby inputs give unrelated outputs: it is
// SplitMix64's finaliser applied to mix(seed) + (i+1)·φ, where φ is the
// golden-ratio increment.
func SubSeed(seed, i uint64) uint64 {
	return mix64(mix64(seed) + (i+1)*0x9e3779b97f4a7c15)
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
