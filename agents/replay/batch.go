package replay

// Batch is a minibatch of transitions of one population in the uniform
// encoding, as the updates consume it. Rows are sample-major: the data of
// agent i in sample b is at row b·N + i.
type Batch struct {
	Size int       // B, samples
	Enc  *Encoding // the population's encoding (N, E, D, A, AgentOf, Type)

	Self, NextSelf []float64 // B·N rows of D: self rows at o and o'
	Ents, NextEnts []float64 // B·N·E rows of D: entity rows at o and o'
	Mask, NextMask []bool    // B·N·E: entity present at o and o'
	Action         []int     // B·N: action taken at o
	Reward         []float64 // B·N: reward, normalised by the buffer's per-agent mean and std
	Done           []float64 // B·N: 1 where o' is terminal for the agent (no bootstrap), else 0
	Alive          []bool    // B·N: the agent was alive at o (dead agents' rows carry no loss)
	Graph          []float64 // B·N·E: the relation graph g stored when acting at o
	Latent         []float64 // B·N·K: the latent z each agent acted with (for RecomputeNextGraph)
}

// NewBatch allocates a batch of size samples for enc and latents K-wide
// latents.
func NewBatch(enc *Encoding, size, latents int) *Batch {
	rows := size * enc.N
	return &Batch{
		Size: size, Enc: enc,
		Self: make([]float64, rows*enc.D), NextSelf: make([]float64, rows*enc.D),
		Ents: make([]float64, rows*enc.E*enc.D), NextEnts: make([]float64, rows*enc.E*enc.D),
		Mask: make([]bool, rows*enc.E), NextMask: make([]bool, rows*enc.E),
		Action: make([]int, rows), Reward: make([]float64, rows), Done: make([]float64, rows),
		Alive: make([]bool, rows), Graph: make([]float64, rows*enc.E), Latent: make([]float64, rows*latents),
	}
}
