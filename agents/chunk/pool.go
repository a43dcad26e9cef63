package chunk

import "sync"

// Count is the fixed number of pieces every update splits its batch into.
// Chunk gradients are reduced in chunk order, so results do not depend on
// how many workers run the chunks.
const Count = 8

// Range returns chunk c's samples s0 … s1−1 of a batch of size bs.
func Range(c, bs int) (s0, s1 int) { return c * bs / Count, (c + 1) * bs / Count }

// Pool runs chunks on workers 1 … w−1; the goroutine calling RunAll is
// worker 0. Each algorithm binds its own chunk function when it starts the
// pool. A Pool is driven by one goroutine at a time.
type Pool struct {
	run  func(w, c int)
	jobs chan int
	wg   sync.WaitGroup
	quit sync.WaitGroup
}

// NewPool starts workers−1 goroutines that run chunks with run(w, c),
// w being the worker's index (its own network instance and buffers).
func NewPool(workers int, run func(w, c int)) *Pool {
	p := &Pool{run: run, jobs: make(chan int, Count)}
	for w := 1; w < workers; w++ {
		p.quit.Add(1)
		go func() {
			defer p.quit.Done()
			for c := range p.jobs {
				p.run(w, c)
				p.wg.Done()
			}
		}()
	}
	return p
}

// Stop ends the pool's goroutines; the pool is not used after.
func (p *Pool) Stop() {
	close(p.jobs)
	p.quit.Wait()
}

// RunAll runs every chunk once, the calling goroutine taking its share as
// worker 0, and returns when all are done.
func (p *Pool) RunAll() {
	p.wg.Add(Count)
	for c := range Count {
		p.jobs <- c
	}
	for done := false; !done; {
		select {
		case c := <-p.jobs:
			p.run(0, c)
			p.wg.Done()
		default:
			done = true
		}
	}
	p.wg.Wait()
}

// Grow returns buf resliced to n, reallocated only when too small, so
// that the hot loops reuse their buffers.
func Grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}
