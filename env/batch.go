package env

import (
	"fmt"
	"sync"
)

// Batch steps E copies of one game in parallel goroutines into frames it
// owns and reuses, so that stepping allocates nothing.
//
// Copy e plays its k-th episode (k = 0, 1, …) from the seed
// SubSeed(SubSeed(seed, e), k), so every copy's trajectory depends only on
// the batch seed and the actions it is given, never on the number of workers
// or on scheduling.
//
// Batch resets finished copies automatically, one step late: a Step call
// first resets every copy whose frame is Done (its final frame has been seen
// by the caller) instead of stepping it, and the new episode's first frame
// has T == 0. Actions given for such a copy are ignored.
type Batch struct {
	games   []Game
	frames  []*Frame
	actions [][]int
	seed    uint64
	episode []uint64 // episodes started per copy

	workers int
	start   []chan struct{} // one per worker goroutine: do the pending op on your copies
	wg      sync.WaitGroup
	reset   bool // the pending op: reset all copies (true) or step (false)
	closed  bool
}

// NewBatch makes a batch over games, which must be distinct copies of one
// game (equal specs), stepped by up to workers goroutines (values below 1
// mean one). Close the batch to stop its goroutines.
func NewBatch(games []Game, workers int) (*Batch, error) {
	if len(games) == 0 {
		return nil, fmt.Errorf("env: batch of no games")
	}
	spec := games[0].Spec()
	for i, g := range games {
		if !sameShape(g.Spec(), spec) {
			return nil, fmt.Errorf("env: batch copy %d has a different spec (%v) from copy 0 (%v)", i, g.Spec().Population, spec.Population)
		}
	}
	b := &Batch{
		games:   games,
		frames:  make([]*Frame, len(games)),
		actions: make([][]int, len(games)),
		episode: make([]uint64, len(games)),
		workers: min(max(workers, 1), len(games)),
	}
	for e, g := range games {
		b.frames[e] = NewFrame(g.Spec())
		b.actions[e] = make([]int, g.Spec().NumAgents())
	}
	// The calling goroutine steps the first share itself; workers-1
	// goroutines step the others.
	b.start = make([]chan struct{}, b.workers-1)
	for w := range b.start {
		b.start[w] = make(chan struct{})
		go b.work(w + 1)
	}
	return b, nil
}

func sameShape(a, b *Spec) bool {
	if !a.Population.Equal(b.Population) || a.Horizon != b.Horizon || len(a.Types) != len(b.Types) {
		return false
	}
	for k := range a.Types {
		if a.Types[k].ObsLen() != b.Types[k].ObsLen() || a.Types[k].Entities() != b.Types[k].Entities() || a.Types[k].NumActions != b.Types[k].NumActions {
			return false
		}
	}
	return true
}

// Len returns the number of copies.
func (b *Batch) Len() int { return len(b.games) }

// Spec returns the spec shared by all copies.
func (b *Batch) Spec() *Spec { return b.games[0].Spec() }

// Game returns copy e.
func (b *Batch) Game(e int) Game { return b.games[e] }

// Frame returns copy e's frame, overwritten by every Reset and Step.
func (b *Batch) Frame(e int) *Frame { return b.frames[e] }

// Actions returns copy e's action buffer: fill it before calling Step.
func (b *Batch) Actions(e int) []int { return b.actions[e] }

// Episodes returns how many episodes copy e has started since Reset.
func (b *Batch) Episodes(e int) uint64 { return b.episode[e] }

// Reset starts episode 0 of every copy from seed.
func (b *Batch) Reset(seed uint64) {
	b.seed = seed
	clear(b.episode)
	b.run(true)
}

// Step steps every copy with its actions, or resets it if its episode is
// done (see Batch).
func (b *Batch) Step() { b.run(false) }

func (b *Batch) run(reset bool) {
	if b.closed {
		panic("env: Batch used after Close")
	}
	b.reset = reset
	b.wg.Add(len(b.start))
	for _, c := range b.start {
		c <- struct{}{}
	}
	b.do(b.share(0))
	b.wg.Wait()
}

// share returns the copies worker w steps.
func (b *Batch) share(w int) (lo, hi int) {
	return w * len(b.games) / b.workers, (w + 1) * len(b.games) / b.workers
}

func (b *Batch) work(w int) {
	lo, hi := b.share(w)
	for range b.start[w-1] {
		b.do(lo, hi)
		b.wg.Done()
	}
}

func (b *Batch) do(lo, hi int) {
	for e := lo; e < hi; e++ {
		f := b.frames[e]
		if b.reset || f.Done() {
			b.games[e].Reset(SubSeed(SubSeed(b.seed, uint64(e)), b.episode[e]), f)
			b.episode[e]++
			continue
		}
		b.games[e].Step(b.actions[e], f)
	}
}

// Close stops the batch's goroutines. The batch must not be used afterwards.
func (b *Batch) Close() {
	if b.closed {
		return
	}
	b.closed = true
	for _, c := range b.start {
		close(c)
	}
}
