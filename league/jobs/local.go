package jobs

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// Local runs jobs on goroutines of this process.
type Local struct {
	Workers int // at most this many jobs at once; ≤ 0 means GOMAXPROCS
}

// Run implements Runner: each job runs with its registered handler,
// which is handed the batch's in-process values (Batch.Local) where it
// asks for them.
func (l Local) Run(ctx context.Context, b Batch, progress func(Progress)) (map[string][]byte, error) {
	if err := CheckBatch(b); err != nil {
		return nil, err
	}
	env := Env{
		Blob:  localBlob(b),
		Local: func(sum string) (any, bool) { v, ok := b.Local[sum]; return v, ok },
		Put:   localOutputs.put,
	}
	workers := l.workers()
	results := make(map[string][]byte, len(b.Jobs))
	errs := make([]error, len(b.Jobs)) // in batch order, whatever order jobs finish in
	failed := 0
	var mu sync.Mutex
	l.forEach(len(b.Jobs), func(i int) {
		j := b.Jobs[i]
		var out []byte
		err := ctx.Err()
		if err == nil {
			out, err = Handle(ctx, env, j)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs[i] = &Error{ID: j.ID, Kind: j.Kind, Err: err}
			failed++
		} else {
			results[j.ID] = out
		}
		if progress != nil {
			progress(Progress{Done: len(results) + failed, Total: len(b.Jobs), Workers: min(workers, len(b.Jobs))})
		}
	})
	return results, errors.Join(errs...)
}

func (l Local) workers() int {
	if l.Workers <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return l.Workers
}

// forEach calls do(0), …, do(n−1) on at most l.Workers goroutines and
// returns when all have returned.
func (l Local) forEach(n int, do func(i int)) {
	workers := min(l.workers(), n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				do(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// Blob implements BlobRunner: it hands over content a job stored with
// Env.Put, once per store (outputs stay in memory until read).
func (Local) Blob(_ context.Context, sum string) ([]byte, error) {
	return localOutputs.take(sum)
}

// outputs holds the content jobs of Local runners stored, until read:
// content stored n times (by jobs whose outputs happen to be equal) can be
// read n times.
type outputs struct {
	mu sync.Mutex
	m  map[string]*output
}

type output struct {
	data []byte
	n    int // stores not yet read
}

var localOutputs = &outputs{m: map[string]*output{}}

func (o *outputs) put(_ context.Context, data []byte) (string, error) {
	sum := BlobSum(data)
	o.mu.Lock()
	defer o.mu.Unlock()
	if out, ok := o.m[sum]; ok {
		out.n++
		return sum, nil
	}
	o.m[sum] = &output{data: data, n: 1}
	return sum, nil
}

func (o *outputs) take(sum string) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	out, ok := o.m[sum]
	if !ok {
		return nil, fmt.Errorf("jobs: no job output %s (read already, or never stored)", sum)
	}
	if out.n--; out.n == 0 {
		delete(o.m, sum)
	}
	return out.data, nil
}
