package mra

import (
	"github.com/mrasim/mrasim/agents/replay"
	"unsafe"

	"github.com/mrasim/mrasim/agents/nn"
)

// rows holds agent rows (a chunk of a batch, or the agents Act is asked
// about) in type-major order: all rows of type 0, sample-major within the
// type, then those of type 1, and so on. The policies of type k run on the
// contiguous range typeOff[k] … typeOff[k+1]; φ and the critic run on all
// rows. With one type the order is the batch's own (row s·N + i).
type rows[T nn.Float] struct {
	samples, n, e, d int

	agentOf []int // the encoding's AgentOf: entity row i·E+e → agent or −1
	typeOff []int // H+1 row offsets
	at      []int // at[s·N+i]: the row of agent i in sample s
	agent   []int // row → agent
	sample  []int // row → sample

	self, ents         []T    // rows×D, rows·E×D
	mask               []bool // rows·E
	nextSelf, nextEnts []T
	nextMask           []bool
	graph              []T // rows×E, the stored relation graph g
	latent             []T // rows×K, the latents z (gatherLatent)
	action             []int
	reward, done       []T
	alive              []bool
}

// layout computes the row order of samples copies of enc's agents.
func (rs *rows[T]) layout(enc *replay.Encoding, samples int) {
	n, h := enc.N, len(enc.Types)
	rs.samples, rs.n, rs.e, rs.d = samples, n, enc.E, enc.D
	rs.agentOf = enc.AgentOf
	rs.typeOff = growT(rs.typeOff, h+1)
	clear(rs.typeOff)
	for _, k := range enc.Type {
		rs.typeOff[k+1] += samples
	}
	for k := range h {
		rs.typeOff[k+1] += rs.typeOff[k]
	}
	total := samples * n
	rs.at = growT(rs.at, total)
	rs.agent = growT(rs.agent, total)
	rs.sample = growT(rs.sample, total)
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
			r := rs.typeOff[k] + s*nk + rank
			rs.at[s*n+i] = r
			rs.agent[r] = i
			rs.sample[r] = s
		}
	}
}

// rowsOf returns the row range of type k.
func (rs *rows[T]) rowsOf(k int) (lo, hi int) { return rs.typeOff[k], rs.typeOff[k+1] }

// gather copies samples s0 … s1−1 of b into rs, with the o' fields when
// next is set.
func (rs *rows[T]) gather(b *replay.Batch, s0, s1 int, next bool) {
	enc := b.Enc
	rs.layout(enc, s1-s0)
	n, e, d := rs.n, rs.e, rs.d
	total := (s1 - s0) * n
	rs.self = growT(rs.self, total*d)
	rs.ents = growT(rs.ents, total*e*d)
	rs.mask = growT(rs.mask, total*e)
	rs.graph = growT(rs.graph, total*e)
	rs.action = growT(rs.action, total)
	rs.reward = growT(rs.reward, total)
	rs.done = growT(rs.done, total)
	rs.alive = growT(rs.alive, total)
	if next {
		rs.nextSelf = growT(rs.nextSelf, total*d)
		rs.nextEnts = growT(rs.nextEnts, total*e*d)
		rs.nextMask = growT(rs.nextMask, total*e)
	}
	for s := range s1 - s0 {
		for i := range n {
			src := (s0+s)*n + i
			r := rs.at[s*n+i]
			convert(rs.self[r*d:(r+1)*d], b.Self[src*d:(src+1)*d])
			convert(rs.ents[r*e*d:(r+1)*e*d], b.Ents[src*e*d:(src+1)*e*d])
			copy(rs.mask[r*e:(r+1)*e], b.Mask[src*e:(src+1)*e])
			convert(rs.graph[r*e:(r+1)*e], b.Graph[src*e:(src+1)*e])
			rs.action[r] = b.Action[src]
			rs.reward[r] = T(b.Reward[src])
			rs.done[r] = T(b.Done[src])
			rs.alive[r] = b.Alive[src]
			if next {
				convert(rs.nextSelf[r*d:(r+1)*d], b.NextSelf[src*d:(src+1)*d])
				convert(rs.nextEnts[r*e*d:(r+1)*e*d], b.NextEnts[src*e*d:(src+1)*e*d])
				copy(rs.nextMask[r*e:(r+1)*e], b.NextMask[src*e:(src+1)*e])
			}
		}
	}
}

// gatherLatent copies the K-wide latents of samples s0 … s1−1 of b into
// rs.latent, in the row order of the last gather.
func (rs *rows[T]) gatherLatent(b *replay.Batch, s0, s1, k int) {
	n := rs.n
	rs.latent = growT(rs.latent, (s1-s0)*n*k)
	for s := range s1 - s0 {
		for i := range n {
			src := (s0+s)*n + i
			r := rs.at[s*n+i]
			convert(rs.latent[r*k:(r+1)*k], b.Latent[src*k:(src+1)*k])
		}
	}
}

// convert copies src into dst (same length), rounding to T: a plain copy
// for float64, nn.ConvertFloat64 (SIMD, Go's rounding) for float32.
func convert[T nn.Float](dst []T, src []float64) {
	if is64[T]() {
		copy(asFloat64(dst), src)
		return
	}
	nn.ConvertFloat64(asFloat32(dst), src)
}

// widen copies src into dst (same length) as float64, exactly.
func widen[T nn.Float](dst []float64, src []T) {
	if is64[T]() {
		copy(dst, asFloat64(src))
		return
	}
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float64(v)
	}
}

// is64 reports whether T is float64 (a constant per instantiation).
func is64[T nn.Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 8
}

// asFloat32 views a []T of 4-byte elements as []float32 (the caller has
// checked !is64).
func asFloat32[T nn.Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// asFloat64 views a []T of 8-byte elements as []float64 (the caller has
// checked is64).
func asFloat64[T nn.Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// growT returns buf resliced to n, reallocated only when too small.
func growT[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}
