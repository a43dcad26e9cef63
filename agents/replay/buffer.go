package replay

import (
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/env"
)

// Buffer is the replay buffer of one training population: a ring of the
// last Capacity transitions (o, a, r, o', done, alive, g). Observations are
// stored as float32, as the official code stores them, which halves the
// memory of a full buffer; storage grows as transitions arrive, so a short
// run never allocates the whole capacity. A buffer made by NewStateBuffer
// stores game states in place of observations (see replay.go).
type Buffer struct {
	Enc      *Encoding
	Capacity int

	len, next int   // transitions held; slot the next one goes to
	total     int64 // transitions ever added; the next one's sequence number
	slots     int   // slots allocated so far, ≤ Capacity

	st   *stateStore  // state mode; nil in observation mode
	segs segmentState // what has been written to segment files

	obsLen, entLen int // per transition: all agents' observations, entity masks

	obs, nextObs   []float32 // Capacity·obsLen
	ents, nextEnts []bool    // Capacity·entLen
	action         []int32   // Capacity·N
	reward         []float64 // Capacity·N
	done, alive    []bool    // Capacity·N
	graph          []float32 // Capacity·N·E
	k              int       // K, latent width

	// Latents: an agent's latent is drawn once per episode and shared by
	// the copies, so consecutive transitions mostly carry the same N·K
	// latents. They are kept once, in a ring of entries (latentRing), and
	// each slot names its entry.
	latIdx []int64 // Capacity: the entry of each slot
	lat    latentRing

	mean, std []float64 // per-agent reward statistics of the transitions held
	// statsOK says mean and std describe the rewards held now. Adding a
	// transition clears it; a buffer built by loading starts without it.
	// The official code recomputes the statistics at every sample; the
	// rewards do not change between the samples of one update cycle, so
	// recomputing only after an addition gives the same bits at a tenth
	// of the passes (two over Capacity·N rewards per sample: 69 ms at a
	// full 10⁶-transition buffer of 6 agents, so 0.69 s a cycle before).
	statsOK bool
}

// NewBuffer makes an empty buffer for enc's population whose agents act
// with latents K wide.
func NewBuffer(enc *Encoding, capacity, latents int) *Buffer {
	n := enc.N
	_, obsLen := enc.Spec.ObsRange(n - 1)
	_, entLen := enc.Spec.EntityRange(n - 1)
	// Storage is allocated as transitions arrive.
	return &Buffer{
		Enc: enc, Capacity: capacity,
		obsLen: obsLen, entLen: entLen, k: latents,
		mean: make([]float64, n), std: make([]float64, n),
	}
}

// Len returns the number of transitions held.
func (b *Buffer) Len() int { return b.len }

// grow makes room for slot s.
func (b *Buffer) grow(s int) {
	if s < b.slots {
		return
	}
	n, e := b.Enc.N, b.Enc.E
	// Grow geometrically up to the capacity.
	want := min(max(2*(s+1), 1024), b.Capacity)
	if b.st != nil {
		b.st.prevRec = growTo(b.st.prevRec, want)
		b.st.nextRec = growTo(b.st.nextRec, want)
	} else {
		b.obs = growTo(b.obs, want*b.obsLen)
		b.nextObs = growTo(b.nextObs, want*b.obsLen)
		b.ents = growTo(b.ents, want*b.entLen)
		b.nextEnts = growTo(b.nextEnts, want*b.entLen)
	}
	b.action = growTo(b.action, want*n)
	b.reward = growTo(b.reward, want*n)
	b.done = growTo(b.done, want*n)
	b.alive = growTo(b.alive, want*n)
	b.graph = growTo(b.graph, want*n*e)
	b.latIdx = growTo(b.latIdx, want)
	b.slots = want
}

func growTo[T any](s []T, n int) []T {
	if len(s) >= n {
		return s
	}
	out := make([]T, n)
	copy(out, s)
	return out
}

// Add stores one transition of every agent: prev is the frame the agents
// acted on (o, with its alive flags), actions what they did, next the frame
// after the step (o', rewards, terminated flags), graph the relation graph
// they acted with (N·E) and z their latents (N·K). A state-mode buffer
// takes its transitions through BeginStep and Record instead.
func (b *Buffer) Add(prev *env.Frame, actions []int, next *env.Frame, graph, z []float64) {
	if b.st != nil {
		panic("replay: Buffer.Add on a state-mode buffer; use BeginStep and Record")
	}
	s := b.next
	b.grow(s)
	for i, v := range prev.Obs {
		b.obs[s*b.obsLen+i] = float32(v)
	}
	for i, v := range next.Obs {
		b.nextObs[s*b.obsLen+i] = float32(v)
	}
	copy(b.ents[s*b.entLen:(s+1)*b.entLen], prev.EntityMask)
	copy(b.nextEnts[s*b.entLen:(s+1)*b.entLen], next.EntityMask)
	b.addCommon(s, prev, actions, next, graph, z)
}

// addCommon stores the fields both modes keep into slot s and advances the
// ring.
func (b *Buffer) addCommon(s int, prev *env.Frame, actions []int, next *env.Frame, graph, z []float64) {
	n, e := b.Enc.N, b.Enc.E
	for i := range n {
		b.action[s*n+i] = int32(actions[i])
		b.reward[s*n+i] = next.Reward[i]
		b.done[s*n+i] = next.Terminated[i]
		b.alive[s*n+i] = prev.Alive[i]
	}
	for i, v := range graph[:n*e] {
		b.graph[s*n*e+i] = float32(v)
	}
	b.setLatent(s, z[:n*b.k])
	b.statsOK = false
	b.next = (s + 1) % b.Capacity
	b.len = min(b.len+1, b.Capacity)
	b.total++
}

// Sample fills batch with batch.Size transitions drawn uniformly with
// replacement, rewards normalised by the per-agent mean and standard
// deviation of all rewards held, as the official code does.
func (b *Buffer) Sample(rng *rand.Rand, batch *Batch) {
	b.rewardStats()
	if b.st != nil {
		b.sampleStates(rng, batch)
		return
	}
	enc := b.Enc
	n, e, d := enc.N, enc.E, enc.D
	spec := enc.Spec
	for k := range batch.Size {
		s := rng.IntN(b.len)
		for i := range n {
			row := k*n + i
			lo, hi := spec.ObsRange(i)
			mlo, mhi := spec.EntityRange(i)
			obs := b.obs[s*b.obsLen : (s+1)*b.obsLen]
			nobs := b.nextObs[s*b.obsLen : (s+1)*b.obsLen]
			ents := b.ents[s*b.entLen : (s+1)*b.entLen]
			nents := b.nextEnts[s*b.entLen : (s+1)*b.entLen]
			Encode(enc, i, obs[lo:hi], ents[mlo:mhi], batch.Self[row*d:(row+1)*d], batch.Ents[row*e*d:(row+1)*e*d], batch.Mask[row*e:(row+1)*e])
			Encode(enc, i, nobs[lo:hi], nents[mlo:mhi], batch.NextSelf[row*d:(row+1)*d], batch.NextEnts[row*e*d:(row+1)*e*d], batch.NextMask[row*e:(row+1)*e])
		}
		b.fillRows(k, s, batch)
	}
}

// fillRows writes the stored fields of slot s into sample k of batch.
func (b *Buffer) fillRows(k, s int, batch *Batch) {
	n, e := b.Enc.N, b.Enc.E
	lat := b.lat.entry(b.latIdx[s])
	for i := range n {
		row := k*n + i
		batch.Action[row] = int(b.action[s*n+i])
		batch.Reward[row] = (b.reward[s*n+i] - b.mean[i]) / b.std[i]
		batch.Done[row] = 0
		if b.done[s*n+i] {
			batch.Done[row] = 1
		}
		batch.Alive[row] = b.alive[s*n+i]
		for c := range e {
			batch.Graph[row*e+c] = float64(b.graph[(s*n+i)*e+c])
		}
		for c := range b.k {
			batch.Latent[row*b.k+c] = float64(lat[i*b.k+c])
		}
	}
}

// rewardStats computes each agent's reward mean and standard deviation over
// the buffer (the population standard deviation, as numpy's std; 1 where
// it is 0, so constant rewards normalise to 0 instead of NaN).
func (b *Buffer) rewardStats() {
	if b.statsOK {
		return
	}
	b.statsOK = true
	n := b.Enc.N
	for i := range n {
		var sum float64
		for s := range b.len {
			sum += b.reward[s*n+i]
		}
		mean := sum / float64(b.len)
		var ss float64
		for s := range b.len {
			d := b.reward[s*n+i] - mean
			ss += d * d
		}
		std := math.Sqrt(ss / float64(b.len))
		if std == 0 {
			std = 1
		}
		b.mean[i], b.std[i] = mean, std
	}
}

// latentRing holds the distinct latent vectors (N·K float32 each) of the
// transitions held, in the order they were first stored.
type latentRing struct {
	width     int
	buf       []float32 // cap entries; entry q at (q mod cap)·width
	cap       int64
	seq, head int64 // entries stored so far; oldest still needed
}

func (r *latentRing) entry(q int64) []float32 {
	at := int(q%r.cap) * r.width
	return r.buf[at : at+r.width]
}

// setLatent makes slot s (about to hold a new transition) name an entry
// equal to z, converted to float32 as stored: the newest entry when it is
// equal, else a new one. Slots name entries in time order, so no entry
// before the oldest slot's is needed.
func setLatentOf[T float32 | float64](b *Buffer, s int, z []T) {
	r := &b.lat
	if r.seq > r.head {
		last := r.entry(r.seq - 1)
		same := true
		for i, v := range z {
			if last[i] != float32(v) {
				same = false
				break
			}
		}
		if same {
			b.latIdx[s] = r.seq - 1
			return
		}
	}
	if r.seq-r.head >= r.cap {
		r.head = r.seq
		if b.len > 0 {
			r.head = b.latIdx[((b.next-b.len)%b.Capacity+b.Capacity)%b.Capacity]
		}
		if r.seq-r.head >= r.cap {
			old, oldCap := r.buf, r.cap
			r.width = len(z)
			r.cap = max(2*r.cap, 16)
			r.buf = make([]float32, int(r.cap)*r.width)
			for q := r.head; q < r.seq; q++ {
				at := int(q%oldCap) * r.width
				copy(r.entry(q), old[at:at+r.width])
			}
		}
	}
	e := r.entry(r.seq)
	for i, v := range z {
		e[i] = float32(v)
	}
	b.latIdx[s] = r.seq
	r.seq++
}

func (b *Buffer) setLatent(s int, z []float64) { setLatentOf(b, s, z) }

// HeldBytes returns the memory of the buffer's storage of its
// transitions (slots and state records in use, not spare capacity), for
// memory reports and tests.
func (b *Buffer) HeldBytes() int64 {
	n, e := int64(b.Enc.N), int64(b.Enc.E)
	per := n*(4+8+1+1) + n*e*4 + 8
	total := int64(b.len)*per + (b.lat.seq-b.lat.head)*n*int64(b.k)*4
	if b.st != nil {
		total += int64(b.len)*16 + (b.st.seq-b.oldestNeeded())*int64(b.st.recLen)
	} else {
		total += int64(b.len) * int64(2*b.obsLen*4+2*b.entLen)
	}
	return total
}

// Added returns the number of transitions ever added to the buffer (the
// next one's sequence number).
func (b *Buffer) Added() int64 { return b.total }
