package mra

import "github.com/mrasim/mrasim/agents/nn"

// draws is a testing seam for the golden parity test: random draws
// recorded from another implementation, fed to the updates in place of
// their own, and the figures of the optimizer steps recorded back. Actions
// are keyed by (sample, agent) in the batch's row order s·N + i, so they do
// not depend on how the updates chunk or order their rows; Gumbel noise is
// consumed by the latent samples in call order. Production models leave
// Model.inj nil; the updates then draw from their own streams.
type draws struct {
	act   [numDrawKinds][]int // per kind, B·N actions; nil: draw
	noise [][]float64         // Gumbel noise of the next sampleLatents calls

	grad  [numGroups][]float64 // each group's last gradient before clipping
	norms [numGroups][]float64 // the norms each clip call of the group's last step saw
}

// Kinds of recorded action draws.
const (
	drawCritic   = iota // a' of the critic target
	drawPolicy          // a of the actor update
	drawAStar           // a* of the diversity update
	numDrawKinds        //
)

// action returns the recorded action of kind for agent i of batch sample
// s (n agents), or draw when none is recorded.
func (d *draws) action(kind, s, i, n, draw int) int {
	if d == nil || d.act[kind] == nil {
		return draw
	}
	return d.act[kind][s*n+i]
}

// gumbel returns the next recorded Gumbel noise (n values), or nil.
func (d *draws) gumbel(n int) []float64 {
	if d == nil || len(d.noise) == 0 {
		return nil
	}
	g := d.noise[0]
	if len(g) != n {
		panic("mra: recorded Gumbel noise of the wrong length")
	}
	d.noise = d.noise[1:]
	return g
}

// recordPreClip records group g's gradient before clipping into d (nil:
// no recording), as float64.
func recordPreClip[T nn.Float](d *draws, g int, grad []T) {
	if d != nil {
		d.grad[g] = d.grad[g][:0]
		for _, v := range grad {
			d.grad[g] = append(d.grad[g], float64(v))
		}
		d.norms[g] = d.norms[g][:0]
	}
}

// clipped records the norm one clip call of group g saw.
func (d *draws) clipped(g int, norm float64) {
	if d != nil {
		d.norms[g] = append(d.norms[g], norm)
	}
}
