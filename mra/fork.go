package mra

import (
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/env"
)

// Fork implements agents.Forker: the player in copies game copies at once,
// each copy with its own generator and its own latents, drawn afresh from
// the player's mode distributions (never the player's own latents of the
// current episode) after every Reseed; a type with a fixed latent plays the
// one the player had at the Fork (SetLatents). All copies' agent rows go
// through the networks in one product per Act. The copies share the
// model's networks with the player: use them on the player's goroutine
// only.
func (p *Player) Fork(copies int) agents.Copies {
	enc, k := p.enc, p.model.Config().Latents
	c := &PlayerCopies{model: p.model, enc: enc, modes: p.modes, fixed: p.fixed,
		pcg: make([]*rand.PCG, copies), rng: make([]*rand.Rand, copies),
		z: make([]float64, copies*enc.N*k), drawn: make([]bool, copies), prob: make([]float64, p.model.Features().A)}
	for i := range copies {
		c.pcg[i] = rand.NewPCG(uint64(i), 0x706c6179)
		c.rng[i] = rand.New(c.pcg[i])
	}
	return c
}

// PlayerCopies is a Player in several game copies at once (Player.Fork).
type PlayerCopies struct {
	model *Model
	enc   *replay.Encoding
	modes [][]float64
	fixed [][]float64 // the player's fixed latents at the Fork (SetLatents replaces, never edits, them)
	pcg   []*rand.PCG
	rng   []*rand.Rand
	z     []float64 // copies × N × K: each copy's latents
	drawn []bool

	self, ents, zin, graph, logp, prob []float64
	present                            []bool
}

// Reseed implements agents.Copies.
func (c *PlayerCopies) Reseed(i int, seed uint64) {
	c.pcg[i].Seed(seed, 0x706c6179)
	c.drawn[i] = false
}

// Act implements agents.Copies: the rows of every listed copy in one
// forward pass, then each copy's actions sampled from its own generator.
func (c *PlayerCopies) Act(which []int, frames []*env.Frame, actions [][]int) {
	if len(which) == 0 {
		return
	}
	enc := c.enc
	n, e, d, k, A := enc.N, enc.E, enc.D, c.model.Config().Latents, c.model.Features().A
	rows := len(which) * n
	c.self, c.ents = chunk.Grow(c.self, rows*d), chunk.Grow(c.ents, rows*e*d)
	c.present, c.graph = chunk.Grow(c.present, rows*e), chunk.Grow(c.graph, rows*e)
	c.zin, c.logp = chunk.Grow(c.zin, rows*k), chunk.Grow(c.logp, rows*A)
	for r, w := range which {
		z := c.z[w*n*k : (w+1)*n*k]
		if frames[r].T == 0 || !c.drawn[w] {
			drawLatents(z, enc.Type, c.modes, c.fixed, c.rng[w])
			c.drawn[w] = true
		}
		copy(c.zin[r*n*k:], z)
		f := frames[r]
		for i := range n {
			row := r*n + i
			replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), c.self[row*d:(row+1)*d], c.ents[row*e*d:(row+1)*e*d], c.present[row*e:(row+1)*e])
		}
	}
	c.model.act.LogProbs(enc, rows, c.self, c.ents, c.present, c.zin, c.logp, c.graph)
	for r, w := range which {
		for i := range n {
			lp := c.logp[(r*n+i)*A : (r*n+i+1)*A]
			for a, v := range lp {
				c.prob[a] = math.Exp(v)
			}
			actions[r][i] = nn.Sample(c.rng[w], c.prob)
		}
	}
}
