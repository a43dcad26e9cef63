package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Job is one unit of work in serialised form, so that it can cross
// machines (a league's evaluation, adaptation or best response; a sweep's
// training or evaluation): a registered Kind says which Handler handles it
// and Payload is its whole input (with the SHA-256 sums of any blobs it
// needs). The ID names the job within its batch; a result stored under it
// makes a redelivered or resubmitted job a duplicate that is dropped.
type Job struct {
	ID      string // unique in its batch; letters, digits, '-' and '_' (usable as a key anywhere)
	Kind    string // a kind given to Register
	Payload []byte
}

// Batch is a set of jobs and the blobs they refer to.
type Batch struct {
	Jobs []Job
	// Blobs holds content jobs refer to, keyed by the hex SHA-256 of the
	// content (BlobSum); a runner that sends jobs away ships them along,
	// once per content, and its workers verify the sum.
	Blobs map[string][]byte
	// Local holds in-process values standing for blobs (same keys), so
	// that a runner in the submitting process can hand a handler the value
	// instead of the bytes to decode. Runners that send jobs away ignore
	// it.
	Local map[string]any
}

// Progress is how far a batch is.
type Progress struct {
	Done, Total int
	Workers     int // workers seen working on the batch (goroutines for Local)
}

// Runner runs a batch of jobs and returns each job's result bytes by job
// ID. Every job's result must depend on nothing but the job and the blobs
// it names (each job carries its seeds), so any order, any degree of
// parallelism and any number of machines give the same results. When jobs
// fail Run still returns the results of the others, with an error joining
// a *Error per failed job. progress, which may be nil, is called after
// each finished job, never concurrently.
type Runner interface {
	Run(ctx context.Context, b Batch, progress func(Progress)) (map[string][]byte, error)
}

// Error is the failure of one job: its handler's error, a worker's
// refusal of its payload, or its running out of deliveries.
type Error struct {
	ID, Kind string
	Worker   string // who reported it, when known
	Err      error
}

func (e *Error) Error() string {
	if e.Worker != "" {
		return fmt.Sprintf("job %s (%s) on worker %s: %v", e.ID, e.Kind, e.Worker, e.Err)
	}
	return fmt.Sprintf("job %s (%s): %v", e.ID, e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrRefused marks a payload that can never succeed (an unknown version or
// kind, a blob whose checksum does not match, a game, population or entry
// that does not validate): a runner reports it at once instead of
// retrying. Handlers wrap it with what was wrong.
var ErrRefused = errors.New("payload refused")

// Refusef returns an error wrapping ErrRefused with a message.
func Refusef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// Env is what a handler may use besides its payload.
type Env struct {
	// Blob returns the content whose hex SHA-256 is sum, verified; an
	// error wrapping ErrRefused when no such content exists or it does not
	// match its sum.
	Blob func(ctx context.Context, sum string) ([]byte, error)
	// Local returns the in-process value standing for a blob (Batch.Local)
	// when the handler runs in the submitting process.
	Local func(sum string) (any, bool)
	// Alive tells the runner the job is still making progress (long jobs
	// call it now and then; runners may also heartbeat on their own).
	Alive func()
	// Put stores content a job produced that is too large for its result
	// (a trained run's checkpoint) and returns its SHA-256, for the job to
	// name in its result; the submitter reads it back with the runner's
	// Blob method (BlobRunner).
	Put func(ctx context.Context, data []byte) (string, error)
}

// BlobRunner is a Runner whose jobs' Put content the submitter can read
// back, verified, by SHA-256.
type BlobRunner interface {
	Runner
	Blob(ctx context.Context, sum string) ([]byte, error)
}

// Handler runs one job of a kind: it decodes payload, does the work and
// returns the result bytes. It must be safe for concurrent use and
// deterministic given the payload and the blobs.
type Handler func(ctx context.Context, env Env, payload []byte) ([]byte, error)

var (
	kindsMu sync.RWMutex
	kinds   = map[string]Handler{}
)

// Register makes kind runnable by every Runner and worker of the
// process. Packages register their kinds in init, so that a worker binary
// that imports them runs their jobs. It panics when kind is registered
// twice or h is nil (programmer errors).
func Register(kind string, h Handler) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if h == nil {
		panic("jobs: Register " + kind + " with a nil handler")
	}
	if _, dup := kinds[kind]; dup {
		panic("jobs: job kind " + kind + " registered twice")
	}
	kinds[kind] = h
}

// Kinds returns the registered job kinds, sorted.
func Kinds() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Handle runs job with its registered handler: what a worker does with a
// job it received. An unregistered kind is refused.
func Handle(ctx context.Context, env Env, job Job) ([]byte, error) {
	kindsMu.RLock()
	h := kinds[job.Kind]
	kindsMu.RUnlock()
	if h == nil {
		return nil, Refusef("unknown job kind %q (this worker runs %v)", job.Kind, Kinds())
	}
	if env.Blob == nil {
		env.Blob = func(context.Context, string) ([]byte, error) { return nil, Refusef("no blobs available") }
	}
	if env.Local == nil {
		env.Local = func(string) (any, bool) { return nil, false }
	}
	if env.Alive == nil {
		env.Alive = func() {}
	}
	if env.Put == nil {
		env.Put = func(context.Context, []byte) (string, error) {
			return "", errors.New("jobs: this runner cannot store job outputs")
		}
	}
	return h(ctx, env, job.Payload)
}

// BlobSum returns the hex SHA-256 of b, the key of b in Batch.Blobs.
func BlobSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ValidID reports whether id is a usable job ID: 1 to 128 letters,
// digits, '-' or '_'.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// CheckBatch checks that b's job IDs are valid and unique.
func CheckBatch(b Batch) error {
	seen := make(map[string]bool, len(b.Jobs))
	for _, j := range b.Jobs {
		if !ValidID(j.ID) {
			return fmt.Errorf("jobs: job ID %q: want 1 to 128 letters, digits, '-' or '_'", j.ID)
		}
		if seen[j.ID] {
			return fmt.Errorf("jobs: job ID %q appears twice in a batch", j.ID)
		}
		seen[j.ID] = true
	}
	return nil
}

// localBlob verifies and returns a blob of b.
func localBlob(b Batch) func(context.Context, string) ([]byte, error) {
	return func(_ context.Context, sum string) ([]byte, error) {
		data, ok := b.Blobs[sum]
		if !ok {
			return nil, Refusef("no blob %s in the batch", sum)
		}
		if got := BlobSum(data); got != sum {
			return nil, Refusef("blob %s: checksum mismatch (content hashes to %s)", sum, got)
		}
		return data, nil
	}
}
