package replay

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/mrasim/mrasim/env"
)

// State-compressed replay.
//
// In state mode a Buffer stores, instead of every agent's observation at o
// and o' (O(N²) numbers per transition in the particle games), the game's
// compact state (env.Game.AppendState: positions, velocities, counters,
// generator; O(N) bytes) and regenerates the observations of a sampled
// batch with SetState + Observe on game copies of its own, one per sampling
// worker. Actions, rewards, done and alive flags, relation weights and
// latents are stored as in observation mode, and observations are rounded
// through float32 exactly as observation mode stores them, so a batch is
// bit for bit the same under either mode.
//
// States live in a ring of records separate from the ring of transitions.
// A transition refers to two records: the state it acted in and the state
// it led to. Within an episode the state a transition led to is the state
// the copy's next transition acts in, so consecutive transitions of a copy
// share that record (chaining): an episode of T steps stores T+1 records,
// not 2T. The first transition of an episode (T == 0, after the game
// batch's automatic reset or a round's reset) stores its initial state as
// a record of its own; a terminal or truncated state is the record of the
// episode's last transition and is never chained to.
//
// Records are appended in time order and freed when no live transition
// refers to them. The transitions of one parallel step (at most copies of
// them) may refer to records out of order, those of different steps never
// do, so the oldest record still needed is the smallest reference among the
// `copies` oldest transitions: the record ring keeps everything from there.
// It grows (unwrapping) when it runs out of room, by a factor 2 while it
// holds fewer records than the buffer's capacity and by 1/8 after, so it
// settles at about capacity·(1 + 1/episode length) records.

// stateStore is the state-mode part of a Buffer.
type stateStore struct {
	recLen int    // bytes of one game state (constant for a game and population)
	rec    []byte // recCap records; record q at (q mod recCap)·recLen
	recCap int64
	seq    int64 // records appended so far
	head   int64 // no record before head is needed

	prevRec, nextRec []int64 // per transition slot: the records of o and o'
	cur              []int64 // per game copy: the record of its current state, or −1
	scratch          []byte  // AppendState output

	smp *sampler // shared by a buffer and the fresh one a Load makes

	err error // first error met (a game whose state size changes, a state refused)
}

// sampler regenerates a batch's observations on worker goroutines.
type sampler struct {
	idx   []int // the slots drawn
	wks   []*stateWorker
	start []chan struct{}
	wg    sync.WaitGroup
	st    *stateStore // the buffer being sampled
	b     *Buffer
	batch *Batch
}

// stateWorker regenerates observations on a game copy of its own.
type stateWorker struct {
	g     env.Game
	f     *env.Frame
	obs32 []float32 // the frame's observations rounded to float32, as observation mode stores them
	err   error
}

// NewStateBuffer makes an empty state-mode buffer for enc's population
// whose agents act with latents K wide. games are copies of the game at
// that population, one per sampling worker, used only to regenerate
// observations (at least one; several regenerate a batch in parallel, with
// the same result at any count); copies is the number of game copies that
// feed the buffer (Record's c is below it). Call Close to stop the workers.
func NewStateBuffer(enc *Encoding, capacity, latents int, games []env.Game, copies int) (*Buffer, error) {
	if len(games) == 0 || copies < 1 {
		return nil, fmt.Errorf("replay: a state replay buffer needs at least one game copy to regenerate observations and one feeding it")
	}
	b := NewBuffer(enc, capacity, latents)
	st := &stateStore{cur: make([]int64, copies)}
	for i := range st.cur {
		st.cur[i] = -1
	}
	f := env.NewFrame(games[0].Spec())
	games[0].Reset(0, f)
	st.recLen = len(games[0].AppendState(nil))
	smp := &sampler{}
	for _, g := range games {
		smp.wks = append(smp.wks, &stateWorker{g: g, f: env.NewFrame(g.Spec()), obs32: make([]float32, b.obsLen)})
	}
	smp.start = make([]chan struct{}, len(games)-1)
	for w := range smp.start {
		smp.start[w] = make(chan struct{})
		// The channel is passed, not looked up by the goroutine: Close
		// may clear smp.start before the goroutine first runs.
		go smp.work(w+1, smp.start[w])
	}
	st.smp = smp
	b.st = st
	return b, nil
}

// StateBytes returns the bytes of one game state for spec's game made by
// reg with params, the record a state-mode buffer stores per transition.
func StateBytes(g env.Game) int {
	f := env.NewFrame(g.Spec())
	g.Reset(0, f)
	return len(g.AppendState(nil))
}

// ReplayBytes returns the bytes a buffer stores per transition of enc's
// population with latents K wide: in observation mode, and in state mode
// for game states of stateLen bytes and episodes of horizon steps (one
// extra state per episode). Both count every per-transition field; the
// latents, shared by an episode's transitions, count one N·K entry per
// episode.
func ReplayBytes(enc *Encoding, latents, stateLen, horizon int) (obs, states float64) {
	n, e := enc.N, enc.E
	_, obsLen := enc.Spec.ObsRange(n - 1)
	_, entLen := enc.Spec.EntityRange(n - 1)
	perEpisode := 1 / float64(max(horizon, 1))
	common := float64(n*(4+8+1+1)+n*e*4+8) + float64(n*latents*4)*perEpisode
	obs = common + float64(2*obsLen*4+2*entLen)
	states = common + 16 + float64(stateLen)*(1+perEpisode)
	return obs, states
}

// ChooseReplay resolves Config.Replay for a population: ModeAuto (or "")
// becomes whichever mode stores fewer bytes per transition.
func ChooseReplay(mode string, enc *Encoding, latents, stateLen int) string {
	if mode == ModeStates || mode == ModeObservations {
		return mode
	}
	obs, states := ReplayBytes(enc, latents, stateLen, enc.Spec.Horizon)
	if states < obs {
		return ModeStates
	}
	return ModeObservations
}

// Mode returns ModeStates or ModeObservations.
func (b *Buffer) Mode() string {
	if b.st != nil {
		return ModeStates
	}
	return ModeObservations
}

// Err returns the first error the buffer met: a game whose state changed
// size, or a stored state the game refused.
func (b *Buffer) Err() error {
	if b.st == nil {
		return nil
	}
	return b.st.err
}

// Close stops the sampling workers of a state-mode buffer.
func (b *Buffer) Close() {
	if b.st == nil {
		return
	}
	for _, c := range b.st.smp.start {
		close(c)
	}
	b.st.smp.start = nil
}

// Detach forgets which record holds each copy's current state; call it
// when the copies are reset outside the buffer's view (a new round).
func (b *Buffer) Detach() {
	if b.st == nil {
		return
	}
	for i := range b.st.cur {
		b.st.cur[i] = -1
	}
}

// BeginStep is called before copy c, showing prev, is stepped: in state
// mode it stores g's state as a record unless it is the state copy c's last
// transition led to (the same episode continues). Observation mode ignores
// it.
func (b *Buffer) BeginStep(c int, g env.Game, prev *env.Frame) {
	st := b.st
	if st == nil {
		return
	}
	if st.cur[c] >= 0 && prev.T > 0 {
		return
	}
	st.cur[c] = b.appendState(g)
}

// Record stores one transition of copy c, whose game g has just been
// stepped from prev (the frame the agents acted on) to next: in state mode
// g's state is stored as the record of o' (BeginStep stored or chained the
// record of o); in observation mode it is Add.
func (b *Buffer) Record(c int, g env.Game, prev *env.Frame, actions []int, next *env.Frame, graph, z []float64) {
	st := b.st
	if st == nil {
		b.Add(prev, actions, next, graph, z)
		return
	}
	p := st.cur[c]
	if p < 0 && st.err == nil {
		st.err = fmt.Errorf("replay: replay: transition of copy %d recorded without BeginStep", c)
	}
	q := b.appendState(g)
	s := b.next
	b.grow(s)
	st.prevRec[s], st.nextRec[s] = p, q
	st.cur[c] = q
	b.addCommon(s, prev, actions, next, graph, z)
}

// appendState stores g's current state as a new record and returns it.
func (b *Buffer) appendState(g env.Game) int64 {
	st := b.st
	st.scratch = g.AppendState(st.scratch[:0])
	if len(st.scratch) != st.recLen && st.err == nil {
		st.err = fmt.Errorf("replay: replay: the game's state is %d bytes, earlier %d; state replay needs a constant size (set algo.replay = %q)", len(st.scratch), st.recLen, ModeObservations)
	}
	b.makeRoom()
	q := st.seq
	copy(st.record(q), st.scratch)
	st.seq++
	return q
}

// record returns the bytes of record q.
func (st *stateStore) record(q int64) []byte {
	at := int(q%st.recCap) * st.recLen
	return st.rec[at : at+st.recLen]
}

// makeRoom makes room for one more record, freeing the records no live
// transition refers to and growing the ring when that is not enough.
func (b *Buffer) makeRoom() {
	st := b.st
	if st.seq-st.head < st.recCap {
		return
	}
	st.head = b.oldestNeeded()
	if st.seq-st.head < st.recCap {
		return
	}
	grown := max(2*st.recCap, 64)
	if st.recCap >= int64(b.Capacity) {
		grown = st.recCap + st.recCap/8 + 1
	}
	st.resize(grown)
}

// resize moves the live records [head, seq) into a ring of n records.
func (st *stateStore) resize(n int64) {
	old, oldCap := st.rec, st.recCap
	st.rec, st.recCap = make([]byte, int(n)*st.recLen), n
	for q := st.head; q < st.seq; q++ {
		at := int(q%oldCap) * st.recLen
		copy(st.record(q), old[at:at+st.recLen])
	}
}

// oldestNeeded returns the oldest record a live transition or a copy's
// current state refers to (seq when there is none).
func (b *Buffer) oldestNeeded() int64 {
	st := b.st
	least := st.seq
	for _, q := range st.cur {
		if q >= 0 {
			least = min(least, q)
		}
	}
	oldest := 0
	if b.len == b.Capacity {
		oldest = b.next
	}
	// The transitions of one step are at most len(cur) consecutive slots;
	// later steps refer to later records.
	for j := range min(len(st.cur), b.len) {
		s := (oldest + j) % b.Capacity
		least = min(least, st.prevRec[s])
	}
	return least
}

// sampleStates fills batch with the transitions of the slots drawn, in the
// same order of draws as observation mode, regenerating observations on
// the workers' game copies.
func (b *Buffer) sampleStates(rng *rand.Rand, batch *Batch) {
	st, smp := b.st, b.st.smp
	if cap(smp.idx) < batch.Size {
		smp.idx = make([]int, batch.Size)
	}
	smp.idx = smp.idx[:batch.Size]
	for k := range smp.idx {
		smp.idx[k] = rng.IntN(b.len)
	}
	smp.st, smp.b, smp.batch = st, b, batch
	smp.wg.Add(len(smp.start))
	for _, c := range smp.start {
		c <- struct{}{}
	}
	smp.do(0)
	smp.wg.Wait()
	smp.st, smp.b, smp.batch = nil, nil, nil
	for _, wk := range smp.wks {
		if wk.err != nil && st.err == nil {
			st.err = wk.err
		}
	}
}

// work regenerates worker w's share of each batch start signals, until
// start is closed.
func (smp *sampler) work(w int, start <-chan struct{}) {
	for range start {
		smp.do(w)
		smp.wg.Done()
	}
}

// do regenerates worker w's share of the batch: a fixed contiguous range
// of samples, so the result does not depend on the number of workers.
func (smp *sampler) do(w int) {
	st, b, batch, wk := smp.st, smp.b, smp.batch, smp.wks[w]
	lo, hi := w*batch.Size/len(smp.wks), (w+1)*batch.Size/len(smp.wks)
	enc := b.Enc
	n, e, d := enc.N, enc.E, enc.D
	spec := enc.Spec
	for k := lo; k < hi; k++ {
		s := smp.idx[k]
		for pass, q := range [2]int64{st.prevRec[s], st.nextRec[s]} {
			if err := wk.g.SetState(st.record(q)); err != nil {
				if wk.err == nil {
					wk.err = fmt.Errorf("replay: replay: a stored state was refused: %w", err)
				}
				continue
			}
			wk.g.Observe(wk.f) // writes the masks too (env.Game's contract, checked by envtest)
			for i, v := range wk.f.Obs {
				wk.obs32[i] = float32(v)
			}
			self, ents, mask := batch.Self, batch.Ents, batch.Mask
			if pass == 1 {
				self, ents, mask = batch.NextSelf, batch.NextEnts, batch.NextMask
			}
			for i := range n {
				row := k*n + i
				lo, hi := spec.ObsRange(i)
				mlo, mhi := spec.EntityRange(i)
				Encode(enc, i, wk.obs32[lo:hi], wk.f.EntityMask[mlo:mhi], self[row*d:(row+1)*d], ents[row*e*d:(row+1)*e*d], mask[row*e:(row+1)*e])
			}
		}
		b.fillRows(k, s, batch)
	}
}
