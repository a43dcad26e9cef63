package mra

import (
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/nn"
)

// The relation net φ is nn.RelationNetOf[T](D, Hidden, K, HeadDim): for agent i
// with latent z_i,
//
//	k_i  = Σ_h z_ih·key_self(self_i)_h          D → Hidden → ReLU → K·HeadDim
//	q_ij = Σ_h z_ih·query_others(ent_ij)_h      same shape, per entity row
//	g_ij = softmax_j(k_i·q_ij / √(2·Hidden))    over present entity rows (1/8)
//
// Acting and the prior update call RelationNet.Forward/Backward. The
// diversity update evaluates g under 1 + K' latents per agent; the key and
// query MLPs do not depend on z, so it runs them once and mixes heads,
// attends and back-propagates per latent (multiGraph).

// multiGraph evaluates the relation graphs g_l = g_φ(o, z_l) of the same
// rows under several latent assignments z_l, sharing the key and query MLP
// passes of rel, and back-propagates a loss on all of them into φ.
type multiGraph[T nn.Float] struct {
	kmix, qmix []nn.HeadMixOf[T]
	attn       []nn.AttentionOf[T]
	dk, dq     []T // ∂L/∂key_self output (rows×K·HeadDim), ∂L/∂query_others output (rows·E×K·HeadDim)
	z          [][]T
}

// forward returns g_l (rows×E) for l = 0 … len(z)−1, with z[l] the rows×K
// latents of assignment l. It keeps references to its arguments.
func (mg *multiGraph[T]) forward(rel *nn.RelationNetOf[T], e int, self, ents []T, z [][]T, present []bool, g [][]T) {
	for len(mg.kmix) < len(z) {
		mg.kmix = append(mg.kmix, nn.HeadMixOf[T]{Heads: rel.Heads, Dim: rel.HeadDim})
		mg.qmix = append(mg.qmix, nn.HeadMixOf[T]{Heads: rel.Heads, Dim: rel.HeadDim})
		mg.attn = append(mg.attn, nn.AttentionOf[T]{Dim: rel.HeadDim, Scale: T(rel.Scale())})
	}
	mg.z = z
	kf := rel.Key.Forward(self)
	qf := rel.Query.Forward(ents)
	for l, zl := range z {
		k := mg.kmix[l].Forward(1, kf, zl)
		q := mg.qmix[l].Forward(e, qf, zl)
		g[l] = mg.attn[l].Forward(e, k, q, present)
	}
}

// backward takes ∂L/∂g_l for every assignment and accumulates φ's
// parameter gradients.
func (mg *multiGraph[T]) backward(rel *nn.RelationNetOf[T], e int, dg [][]T) {
	heads, dim := rel.Heads, rel.HeadDim
	nr := len(dg[0]) / e
	mg.dk = chunk.Grow(mg.dk, nr*heads*dim)
	mg.dq = chunk.Grow(mg.dq, nr*e*heads*dim)
	clear(mg.dk)
	clear(mg.dq)
	for l, d := range dg {
		dk, dq := mg.attn[l].Backward(d)
		headMixAdd(mg.dk, dk, mg.z[l], 1, heads, dim)
		headMixAdd(mg.dq, dq, mg.z[l], e, heads, dim)
	}
	rel.Key.Backward(mg.dk)
	rel.Query.Backward(mg.dq)
}

// headMixAdd adds the gradient of y[b,j,:] = Σ_h z[b,h]·x[b,j,h,:] with
// respect to x into dx, given dy (batch×m×dim): dx[b,j,h,:] += z[b,h]·dy[b,j,:].
// It is nn.HeadMixOf[T].Backward's input gradient, accumulated in place so the
// K'+1 assignments share one buffer.
func headMixAdd[T nn.Float](dx, dy, z []T, m, heads, dim int) {
	batch := len(z) / heads
	for b := range batch {
		zb := z[b*heads : (b+1)*heads]
		for j := range m {
			row := b*m + j
			g := dy[row*dim : (row+1)*dim]
			for h, zh := range zb {
				if zh == 0 {
					continue
				}
				d := dx[(row*heads+h)*dim : (row*heads+h+1)*dim]
				for t, v := range g {
					d[t] += zh * v
				}
			}
		}
	}
}
