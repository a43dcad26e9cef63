package league

import (
	"runtime"
	"sync"
)

// Runner runs n independent jobs, each identified by its index: job(i) must
// depend on nothing but i (each job derives its seeds from it), so any
// order and any degree of parallelism give the same results. A runner that
// sends jobs to other machines can implement it.
type Runner interface {
	Run(n int, job func(i int))
}

// Local runs jobs on goroutines of this process.
type Local struct {
	Workers int // at most this many jobs at once; ≤ 0 means GOMAXPROCS
}

// Run implements Runner.
func (l Local) Run(n int, job func(i int)) {
	workers := l.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				job(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
