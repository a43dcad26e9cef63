package nn

// HeadMix mixes Heads attention heads of width Dim with a per-batch-item
// latent vector z, for each of m set members:
//
//	y[b,j,:] = Σ_h z[b,h]·x[b,j,h,:].
//
// With a one-hot z this selects one head, as MRA's latent strategic mode
// does; a soft z (e.g. a Gumbel-softmax relaxation) blends them. Shapes: x
// batch×m×Heads×Dim (an MLP output of width Heads·Dim, reshaped), z
// batch×Heads, y batch×m×Dim. HeadMix is the float64 instantiation.
type HeadMixOf[T Float] struct {
	Heads, Dim int

	batch, m int
	x, z     []T
	y        []T
	dx, dz   []T
	dot      []T // dy·x per head of one row
}

// HeadMix is the float64 head mixing (see HeadMixOf).
type HeadMix = HeadMixOf[float64]

// Forward returns the mixed heads for m ≥ 1 set members per batch item.
// It keeps references to x and z.
func (h *HeadMixOf[T]) Forward(m int, x, z []T) []T {
	checkSetSize("HeadMix", m)
	h.batch = setBatch("HeadMix", 1, len(z), h.Heads)
	checkLen("HeadMix input", len(x), h.batch*m*h.Heads*h.Dim)
	h.m, h.x, h.z = m, x, z
	d, hd := h.Dim, h.Heads*h.Dim
	h.y = grow(h.y, h.batch*m*d)
	for b := range h.batch {
		// The m rows of item b, heads with z_h = 0 skipped.
		axpyRowsBatch(h.y[b*m*d:(b+1)*m*d], z[b*h.Heads:(b+1)*h.Heads], x[b*m*hd:(b+1)*m*hd], h.Heads, d, m, 0, hd)
	}
	return h.y
}

// Backward takes dy = ∂L/∂y (batch×m×Dim) and returns ∂L/∂x
// (batch×m×Heads×Dim) and ∂L/∂z (batch×Heads):
//
//	dx[b,j,h,:] = z[b,h]·dy[b,j,:],  dz[b,h] = Σ_j dy[b,j,:]·x[b,j,h,:].
func (h *HeadMixOf[T]) Backward(dy []T) (dx, dz []T) {
	m, d, hd := h.m, h.Dim, h.Heads*h.Dim
	checkLen("HeadMix output gradient", len(dy), h.batch*m*d)
	h.dx = grow(h.dx, h.batch*m*hd)
	h.dz = grow(h.dz, h.batch*h.Heads)
	zero(h.dz)
	h.dot = grow(h.dot, h.Heads)
	for b := range h.batch {
		zb := h.z[b*h.Heads : b*h.Heads+h.Heads]
		dzb := h.dz[b*h.Heads : b*h.Heads+h.Heads]
		for j := range m {
			row := b*m + j
			g := dy[row*d : row*d+d]
			xr := h.x[row*hd : row*hd+hd]
			dotRows(h.dot, g, xr, h.Heads, d)
			for k, s := range h.dot[:len(dzb)] {
				dzb[k] += s
			}
			scaleRows(h.dx[row*hd:row*hd+hd], zb, g, h.Heads, d, false)
		}
	}
	return h.dx, h.dz
}
