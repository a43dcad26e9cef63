package cli

import (
	stdcontext "context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/league/jobs"
)

// maxMemoryUsage is the help text of --max-memory.
const maxMemoryUsage = "refuse to start when the estimated memory need is above `SIZE` (e.g. 8GiB, 512MiB;\ndefault: the available memory, the least of MemAvailable, the room under RLIMIT_AS (ulimit -v)\nand under the cgroup's memory.max; 0: no limit)"

// availableMemory is memest.Available; tests replace it.
var availableMemory = memest.Available

// memoryLimit turns the --max-memory flag into bytes (0: no limit) and
// says where the limit comes from.
func memoryLimit(flag string) (int64, string, error) {
	if flag == "" {
		if b, source, ok := availableMemory(); ok {
			return b, source, nil
		}
		return 0, "no limit: the available memory is unknown", nil
	}
	if flag == "0" {
		return 0, "no limit", nil
	}
	b, err := memest.Parse(flag)
	if err != nil {
		return 0, "", fmt.Errorf("--max-memory: %w", err)
	}
	return b, "--max-memory", nil
}

// checkMemory prints the estimate and returns an error when it is above
// the limit. Under the limit it also sets the Go runtime's soft memory
// limit to it, so the collector works harder before the limit is reached.
func checkMemory(w io.Writer, est memest.Estimate, limit int64, source, what string) error {
	if est.None != "" {
		fmt.Fprintf(w, "memory: %s\n", est.None)
		return nil
	}
	if limit > 0 {
		fmt.Fprintf(w, "memory: about %s needed (limit %s, %s)\n", memest.Format(est.Total), memest.Format(limit), source)
	} else {
		fmt.Fprintf(w, "memory: about %s needed (%s)\n", memest.Format(est.Total), source)
	}
	if err := memest.Check(est, limit, what); err != nil {
		return err
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	return nil
}

// refused marks err as a job input that can never succeed — a scenario
// that does not parse, a run folder that does not read, a job larger than
// the worker's memory — so that a worker fails the job once instead of
// having it delivered again to fail (or die) on the next worker.
func refused(err error) error {
	if err == nil || errors.Is(err, jobs.ErrRefused) {
		return err
	}
	return fmt.Errorf("%w: %w", jobs.ErrRefused, err)
}

// memoryBudget shares a worker's memory among the jobs it runs at once: a
// job reserves its estimate before it allocates anything and gives it back
// when it ends. A job whose estimate is above the whole limit is refused;
// one that fits alone waits until the running jobs leave room for it.
type memoryBudget struct {
	limit  int64  // bytes; 0: no limit
	source string // where the limit comes from, for messages

	mu       sync.Mutex
	reserved int64
	freed    chan struct{} // closed and replaced whenever memory is given back
}

// newMemoryBudget returns the budget of --max-memory flag (see
// memoryLimit).
func newMemoryBudget(flag string) (*memoryBudget, error) {
	limit, source, err := memoryLimit(flag)
	if err != nil {
		return nil, err
	}
	return &memoryBudget{limit: limit, source: source, freed: make(chan struct{})}, nil
}

// reserve takes est for a job described by what, waiting while the jobs
// running leave too little; it returns the function that gives it back. An
// estimate above the whole limit is an error wrapping jobs.ErrRefused.
func (b *memoryBudget) reserve(ctx stdcontext.Context, est memest.Estimate, what string) (release func(), err error) {
	if b.limit <= 0 {
		return func() {}, nil
	}
	if err := memest.Check(est, b.limit, what); err != nil {
		return nil, refused(fmt.Errorf("%w (the worker's limit is %s)", err, b.source))
	}
	for {
		b.mu.Lock()
		if b.reserved+est.Total <= b.limit {
			b.reserved += est.Total
			b.mu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					b.mu.Lock()
					b.reserved -= est.Total
					close(b.freed)
					b.freed = make(chan struct{})
					b.mu.Unlock()
				})
			}, nil
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// budgetKey keys a worker's *memoryBudget in its jobs' contexts.
type budgetKey struct{}

// withBudget returns ctx carrying b, for the jobs of a worker.
func withBudget(ctx stdcontext.Context, b *memoryBudget) stdcontext.Context {
	return stdcontext.WithValue(ctx, budgetKey{}, b)
}

// budgetOf returns the memory budget a worker put in ctx, or a budget of
// the memory available now when there is none (a worker started by a
// program other than mrasim worker).
func budgetOf(ctx stdcontext.Context) *memoryBudget {
	if b, ok := ctx.Value(budgetKey{}).(*memoryBudget); ok {
		return b
	}
	b, err := newMemoryBudget("")
	if err != nil {
		return &memoryBudget{freed: make(chan struct{})}
	}
	return b
}
