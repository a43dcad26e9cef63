package mra

import (
	"math"
	"slices"

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
	kf, qf     []T // key_self (rows×K·HeadDim) and query_others (rows·E×K·HeadDim) outputs of the last forward
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
	mg.kf, mg.qf = kf, qf
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

// headSpread measures how different the K heads of the last forward
// attend: for each alive row r that observes at least one entity row, the
// attention of every head h over the present rows j,
//
//	a_h(j) = softmax_j(scale·key_self(self_r)_h · query_others(ent_rj)_h),
//
// (the relation graph g_r when z_r is head h's one-hot), and their mean
// pairwise total-variation distance (meanPairwiseTV). It returns the sum
// of that distance over the rows and the number of rows; dist is scratch.
// The graphs g_l of the forward are not read or changed.
func (mg *multiGraph[T]) headSpread(rel *nn.RelationNetOf[T], e int, present, alive []bool, dist *[]float64) (sum, rows float64) {
	heads, dim := rel.Heads, rel.HeadDim
	scale := rel.Scale()
	*dist = chunk.Grow(*dist, heads*e)
	d := *dist
	for r, ok := range alive {
		mask := present[r*e : (r+1)*e]
		if !ok || !slices.Contains(mask, true) {
			continue
		}
		for h := range heads {
			k := mg.kf[(r*heads+h)*dim : (r*heads+h+1)*dim]
			row := d[h*e : (h+1)*e]
			top := math.Inf(-1)
			for j, p := range mask {
				row[j] = 0
				if !p {
					continue
				}
				q := mg.qf[((r*e+j)*heads+h)*dim : ((r*e+j)*heads+h+1)*dim]
				var s float64
				for t, v := range k {
					s += float64(v) * float64(q[t])
				}
				row[j] = scale * s
				top = max(top, row[j])
			}
			var z float64
			for j, p := range mask {
				if p {
					row[j] = math.Exp(row[j] - top)
					z += row[j]
				}
			}
			for j := range row {
				row[j] /= z
			}
		}
		sum += meanPairwiseTV(d, heads, e)
		rows++
	}
	return sum, rows
}

// meanPairwiseTV returns the mean, over the k(k−1)/2 pairs h < h' of the
// k distributions p_h = p[h·n : (h+1)·n], of their total-variation
// distance ½·Σ_j |p_h(j) − p_h'(j)|: 0 when every distribution is the
// same, 1 when their supports are pairwise disjoint. It is 0 for k < 2.
func meanPairwiseTV(p []float64, k, n int) float64 {
	if k < 2 {
		return 0
	}
	var sum float64
	for h := range k {
		for h2 := h + 1; h2 < k; h2++ {
			var tv float64
			for j := range n {
				tv += math.Abs(p[h*n+j] - p[h2*n+j])
			}
			sum += tv / 2
		}
	}
	return sum / float64(k*(k-1)/2)
}
