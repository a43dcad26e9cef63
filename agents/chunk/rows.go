package chunk

import (
	"github.com/mrasim/mrasim/agents/replay"
	"unsafe"

	"github.com/mrasim/mrasim/agents/nn"
)

// Rows holds agent rows (a chunk of a batch, or the agents Act is asked
// about) in type-major order: all rows of type 0, sample-major within the
// type, then those of type 1, and so on. The policies of type k run on the
// contiguous range typeOff[k] … typeOff[k+1]; φ and the critic run on all
// rows. With one type the order is the batch's own (row s·N + i).
type Rows[T nn.Float] struct {
	Samples, N, E, D int

	AgentOf []int // the encoding's AgentOf: entity row i·E+e → agent or −1
	TypeOff []int // H+1 row offsets
	At      []int // at[s·N+i]: the row of agent i in sample s
	Agent   []int // row → agent
	Sample  []int // row → sample

	Self, Ents         []T    // rows×D, rows·E×D
	Mask               []bool // rows·E
	NextSelf, NextEnts []T
	NextMask           []bool
	Graph              []T // rows×E, the stored relation graph g
	Latent             []T // rows×K, the latents z (gatherLatent)
	Action             []int
	Reward, Done       []T
	Alive              []bool
}

// Layout computes the row order of samples copies of enc's agents.
func (rs *Rows[T]) Layout(enc *replay.Encoding, samples int) {
	n, h := enc.N, len(enc.Types)
	rs.Samples, rs.N, rs.E, rs.D = samples, n, enc.E, enc.D
	rs.AgentOf = enc.AgentOf
	rs.TypeOff = Grow(rs.TypeOff, h+1)
	clear(rs.TypeOff)
	for _, k := range enc.Type {
		rs.TypeOff[k+1] += samples
	}
	for k := range h {
		rs.TypeOff[k+1] += rs.TypeOff[k]
	}
	total := samples * n
	rs.At = Grow(rs.At, total)
	rs.Agent = Grow(rs.Agent, total)
	rs.Sample = Grow(rs.Sample, total)
	for i, k := range enc.Type {
		nk, rank := 0, 0
		for j, kj := range enc.Type {
			if kj == k {
				if j < i {
					rank++
				}
				nk++
			}
		}
		for s := range samples {
			r := rs.TypeOff[k] + s*nk + rank
			rs.At[s*n+i] = r
			rs.Agent[r] = i
			rs.Sample[r] = s
		}
	}
}

// RowsOf returns the row range of type k.
func (rs *Rows[T]) RowsOf(k int) (lo, hi int) { return rs.TypeOff[k], rs.TypeOff[k+1] }

// Gather copies samples s0 … s1−1 of b into rs, with the o' fields when
// next is set.
func (rs *Rows[T]) Gather(b *replay.Batch, s0, s1 int, next bool) {
	enc := b.Enc
	rs.Layout(enc, s1-s0)
	n, e, d := rs.N, rs.E, rs.D
	total := (s1 - s0) * n
	rs.Self = Grow(rs.Self, total*d)
	rs.Ents = Grow(rs.Ents, total*e*d)
	rs.Mask = Grow(rs.Mask, total*e)
	rs.Graph = Grow(rs.Graph, total*e)
	rs.Action = Grow(rs.Action, total)
	rs.Reward = Grow(rs.Reward, total)
	rs.Done = Grow(rs.Done, total)
	rs.Alive = Grow(rs.Alive, total)
	if next {
		rs.NextSelf = Grow(rs.NextSelf, total*d)
		rs.NextEnts = Grow(rs.NextEnts, total*e*d)
		rs.NextMask = Grow(rs.NextMask, total*e)
	}
	for s := range s1 - s0 {
		for i := range n {
			src := (s0+s)*n + i
			r := rs.At[s*n+i]
			Convert(rs.Self[r*d:(r+1)*d], b.Self[src*d:(src+1)*d])
			Convert(rs.Ents[r*e*d:(r+1)*e*d], b.Ents[src*e*d:(src+1)*e*d])
			copy(rs.Mask[r*e:(r+1)*e], b.Mask[src*e:(src+1)*e])
			Convert(rs.Graph[r*e:(r+1)*e], b.Graph[src*e:(src+1)*e])
			rs.Action[r] = b.Action[src]
			rs.Reward[r] = T(b.Reward[src])
			rs.Done[r] = T(b.Done[src])
			rs.Alive[r] = b.Alive[src]
			if next {
				Convert(rs.NextSelf[r*d:(r+1)*d], b.NextSelf[src*d:(src+1)*d])
				Convert(rs.NextEnts[r*e*d:(r+1)*e*d], b.NextEnts[src*e*d:(src+1)*e*d])
				copy(rs.NextMask[r*e:(r+1)*e], b.NextMask[src*e:(src+1)*e])
			}
		}
	}
}

// GatherLatent copies the K-wide latents of samples s0 … s1−1 of b into
// rs.latent, in the row order of the last gather.
func (rs *Rows[T]) GatherLatent(b *replay.Batch, s0, s1, k int) {
	n := rs.N
	rs.Latent = Grow(rs.Latent, (s1-s0)*n*k)
	for s := range s1 - s0 {
		for i := range n {
			src := (s0+s)*n + i
			r := rs.At[s*n+i]
			Convert(rs.Latent[r*k:(r+1)*k], b.Latent[src*k:(src+1)*k])
		}
	}
}

// Convert copies src into dst (same length), rounding to T: a plain copy
// for float64, nn.ConvertFloat64 (SIMD, Go's rounding) for float32.
func Convert[T nn.Float](dst []T, src []float64) {
	if Is64[T]() {
		copy(asFloat64(dst), src)
		return
	}
	nn.ConvertFloat64(asFloat32(dst), src)
}

// Widen copies src into dst (same length) as float64, exactly.
func Widen[T nn.Float](dst []float64, src []T) {
	if Is64[T]() {
		copy(dst, asFloat64(src))
		return
	}
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float64(v)
	}
}

// Is64 reports whether T is float64 (a constant per instantiation).
func Is64[T nn.Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 8
}

// asFloat32 views a []T of 4-byte elements as []float32 (the caller has
// checked !Is64).
func asFloat32[T nn.Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// asFloat64 views a []T of 8-byte elements as []float64 (the caller has
// checked Is64).
func asFloat64[T nn.Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// TypeSlices returns the entity rows and graph rows of type k's agents.
func (rs *Rows[T]) TypeSlices(k int, ents, g []T) (entsK, gK []T) {
	lo, hi := rs.RowsOf(k)
	e, d := rs.E, rs.D
	return ents[lo*e*d : hi*e*d], g[lo*e : hi*e]
}

// TypeSelf returns the self rows of type k's agents.
func (rs *Rows[T]) TypeSelf(k int, self []T) []T {
	lo, hi := rs.RowsOf(k)
	return self[lo*rs.D : hi*rs.D]
}

// Global returns the sample-major batch row of row r of a chunk that
// starts at sample s0.
func (rs *Rows[T]) Global(s0, r int) int { return (s0+rs.Sample[r])*rs.N + rs.Agent[r] }
