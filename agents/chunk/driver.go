package chunk

import "runtime"

// Driver runs an update's chunks on an algorithm's workers: on the calling
// goroutine when there is one worker, else on a Pool it starts at the
// first Run and stops on Close. Worker w's own state (its network
// instances, gradient and scratch buffers) is Work[w], made with the
// algorithm's newWorker when first needed. MRA and MADDPG drive their
// updates with one each. A Driver is used by one goroutine at a time.
type Driver[W any] struct {
	// Work holds each worker's state; worker 0 is the goroutine calling
	// Run.
	Work []W
	// Workers is how many workers Run uses, 1 … Count: change it with
	// SetWorkers, which stops a running pool. (Tests lower it for a while
	// to run every chunk on Work[0], warming each worker's buffers.)
	Workers int

	newWorker func() W
	run       func(w, c int)
	pool      *Pool
}

// NewDriver returns a driver of min(GOMAXPROCS, Count) workers that makes a
// worker's state with newWorker and runs chunk c on worker w with run(w, c).
func NewDriver[W any](newWorker func() W, run func(w, c int)) Driver[W] {
	return Driver[W]{Workers: min(runtime.GOMAXPROCS(0), Count), newWorker: newWorker, run: run}
}

// Run runs every chunk once and returns when all are done.
func (d *Driver[W]) Run() {
	for len(d.Work) < d.Workers {
		d.Work = append(d.Work, d.newWorker())
	}
	if d.Workers == 1 {
		for c := range Count {
			d.run(0, c)
		}
		return
	}
	if d.pool == nil {
		d.pool = NewPool(d.Workers, d.run)
	}
	d.pool.RunAll()
}

// First returns worker 0's state, made if there is none yet, for work the
// caller runs on one instance (a whole batch at once).
func (d *Driver[W]) First() W {
	if len(d.Work) == 0 {
		d.Work = append(d.Work, d.newWorker())
	}
	return d.Work[0]
}

// SetWorkers sets how many workers Run uses (at least 1, at most Count),
// stopping a running pool if the number changes.
func (d *Driver[W]) SetWorkers(n int) {
	n = max(1, min(n, Count))
	if n == d.Workers {
		return
	}
	d.Close()
	d.Workers = n
}

// Close stops the pool's goroutines. The driver stays usable: the next Run
// starts them again.
func (d *Driver[W]) Close() {
	if d.pool != nil {
		d.pool.Stop()
		d.pool = nil
	}
}
