package natsrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mrasim/mrasim/league/jobs"
)

// Worker pulls jobs from the shared consumer and runs them with the
// handlers registered in this process (jobs.Handle), the same code
// jobs.Local runs.
type Worker struct {
	Conn        *nats.Conn
	Settings    Settings
	Concurrency int    // jobs at once (≤ 0: one)
	Name        string // how results and progress name this worker (default host-pid)
	Log         io.Writer
	// Handle runs one job; nil means jobs.Handle. Tests replace it to
	// inject faults.
	Handle func(ctx context.Context, env jobs.Env, job jobs.Job) ([]byte, error)

	inProgressEvery time.Duration // tests: 0 means AckWait/3, < 0 none (a worker that looks dead)

	blobMu sync.Mutex
	blobs  map[string][]byte // verified blobs by SHA-256, this process's cache
	cached int               // bytes in blobs
}

// maxCachedBytes bounds the worker's blob cache (a run's checkpoint state
// with its replay buffer is tens to hundreds of MB).
const maxCachedBytes = 1 << 30

func (w *Worker) logf(format string, args ...any) {
	if w.Log != nil {
		fmt.Fprintf(w.Log, "worker %s: "+format+"\n", append([]any{w.Name}, args...)...)
	}
}

// Serve runs jobs until ctx ends; then it pulls no more and returns once
// the running jobs end. A job that finishes has its result stored; one
// whose handler gave up on ctx is left unacknowledged, and another worker
// gets it after AckWait.
func (w *Worker) Serve(ctx context.Context) error {
	if w.Name == "" {
		host, _ := os.Hostname()
		w.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if w.Handle == nil {
		w.Handle = jobs.Handle
	}
	var res *resources
	for {
		var err error
		if res, err = ensure(ctx, w.Conn, w.Settings); err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.logf("%v; retrying", err)
		time.Sleep(time.Second)
	}
	go w.heartbeat(ctx)
	slots := max(w.Concurrency, 1)
	var wg sync.WaitGroup
	for range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				msg, err := res.cons.Next(jetstream.FetchMaxWait(2 * time.Second))
				if err != nil {
					if !errors.Is(err, jetstream.ErrNoMessages) && ctx.Err() == nil && !errors.Is(err, nats.ErrTimeout) {
						w.logf("pulling: %v", err)
						time.Sleep(250 * time.Millisecond)
					}
					continue
				}
				w.handle(ctx, res, msg)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func (w *Worker) heartbeat(ctx context.Context) {
	t := time.NewTicker(w.Settings.Heartbeat)
	defer t.Stop()
	for {
		w.Conn.Publish(w.Settings.heartbeatSubject(), []byte(w.Name))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// handle runs one delivered job and stores its result before the ack.
func (w *Worker) handle(ctx context.Context, res *resources, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		w.logf("a message without metadata: %v", err)
		msg.Term()
		return
	}
	env, err := parseJob(msg.Data(), msg.Headers().Get(sumHeader))
	rec := record{Version: wireVersion, ID: env.ID, Worker: w.Name, Deliveries: meta.NumDelivered}
	if err != nil {
		w.logf("refused job %q of batch %q: %v", env.ID, env.Batch, err)
		if jobs.ValidID(env.ID) && validBatch(env.Batch) {
			rec.Error, rec.Refused = err.Error(), true
			w.store(ctx, res, msg, resultKey(env.Batch, env.ID), rec)
			return
		}
		msg.TermWithReason("refused: " + err.Error())
		return
	}
	key := resultKey(env.Batch, env.ID)
	if e, err := res.results.Get(ctx, key); err == nil {
		var old record
		if json.Unmarshal(e.Value(), &old) == nil && old.Error == "" {
			w.logf("job %s is done already (by %s): duplicate dropped", key, old.Worker)
			msg.DoubleAck(ctx)
			return
		}
	}

	jobCtx, cancel := context.WithCancel(ctx)
	alive := make(chan struct{})
	every := w.inProgressEvery
	if every == 0 {
		every = w.Settings.AckWait / 3
	}
	go func() {
		if every < 0 {
			<-alive
			return
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-alive:
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	start := time.Now()
	jenv := jobs.Env{
		Blob:  func(ctx context.Context, sum string) ([]byte, error) { return w.blob(ctx, res, sum) },
		Alive: func() { msg.InProgress() },
		Put: func(ctx context.Context, data []byte) (string, error) {
			sum := jobs.BlobSum(data)
			return sum, putBlob(ctx, res.blobs, sum, data)
		},
	}
	out, err := w.Handle(jobCtx, jenv, jobs.Job{ID: env.ID, Kind: env.Kind, Payload: env.Payload})
	close(alive)
	cancel()
	rec.Seconds = time.Since(start).Seconds()
	if ctx.Err() != nil {
		if err != nil {
			return // shutting down mid-job: leave the job to be delivered again
		}
		// Shutting down, but the job finished: keep its result.
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer stop()
	}
	switch {
	case err == nil:
		rec.Result = out
		w.logf("job %s (%s) done in %.2f s", key, env.Kind, rec.Seconds)
	case errors.Is(err, jobs.ErrRefused):
		rec.Error, rec.Refused = err.Error(), true
		w.logf("refused job %s: %v", key, err)
	case int(meta.NumDelivered) >= w.Settings.MaxDeliver:
		rec.Error = err.Error()
		w.logf("job %s failed on its last delivery (%d of %d): %v", key, meta.NumDelivered, w.Settings.MaxDeliver, err)
	default:
		w.logf("job %s failed (delivery %d of %d): %v; it will be delivered again", key, meta.NumDelivered, w.Settings.MaxDeliver, err)
		msg.NakWithDelay(w.Settings.Retry)
		return
	}
	w.store(ctx, res, msg, key, rec)
}

// store writes rec under key unless a result is there already (a
// duplicate, dropped), then acknowledges the message. A write that fails
// (the server is away) is retried while the job is kept alive; if it
// never succeeds the message is not acknowledged and is delivered again.
func (w *Worker) store(ctx context.Context, res *resources, msg jetstream.Msg, key string, rec record) {
	data, err := json.Marshal(rec)
	if err != nil {
		w.logf("job %s: %v", key, err)
		return
	}
	if limit := w.Conn.MaxPayload(); int64(len(data))+512 > limit {
		rec.Result = nil
		rec.Error = fmt.Sprintf("the result is %d bytes, more than a message holds (%d): store large outputs with jobs.Env.Put", len(data), limit)
		w.logf("job %s: %s", key, rec.Error)
		data, _ = json.Marshal(rec)
	}
	for attempt := 0; ; attempt++ {
		_, err = res.results.Create(ctx, key, data)
		if err == nil || errors.Is(err, jetstream.ErrKeyExists) {
			break
		}
		if ctx.Err() != nil || attempt > 200 {
			w.logf("job %s: storing the result: %v; leaving it to be delivered again", key, err)
			return
		}
		msg.InProgress()
		time.Sleep(250 * time.Millisecond)
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		// Stored by another delivery, or a failure of an earlier run the
		// submitter has not cleared: replace only a stored failure by a
		// success.
		if e, gerr := res.results.Get(ctx, key); gerr == nil && rec.Error == "" {
			var old record
			if json.Unmarshal(e.Value(), &old) == nil && old.Error != "" {
				if _, uerr := res.results.Update(ctx, key, data, e.Revision()); uerr != nil {
					w.logf("job %s: replacing a stored failure: %v", key, uerr)
				}
			} else {
				w.logf("job %s is done already: duplicate dropped", key)
			}
		}
	}
	for attempt := 0; attempt < 20; attempt++ {
		if err := msg.DoubleAck(ctx); err == nil || ctx.Err() != nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// blob returns a verified blob from the cache or the object store.
func (w *Worker) blob(ctx context.Context, res *resources, sum string) ([]byte, error) {
	w.blobMu.Lock()
	if b, ok := w.blobs[sum]; ok {
		w.blobMu.Unlock()
		return b, nil
	}
	w.blobMu.Unlock()
	data, err := res.blobs.GetBytes(ctx, sum)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, jobs.Refusef("no blob %s in object store %s", sum, w.Settings.Blobs)
	}
	if err != nil {
		return nil, fmt.Errorf("natsrun: fetching blob %s: %w", sum, err)
	}
	if got := jobs.BlobSum(data); got != sum {
		return nil, jobs.Refusef("blob %s: checksum mismatch (content hashes to %s)", sum, got)
	}
	w.blobMu.Lock()
	defer w.blobMu.Unlock()
	if w.blobs == nil || w.cached+len(data) > maxCachedBytes {
		w.blobs, w.cached = map[string][]byte{}, 0 // start afresh: plans come one league at a time
	}
	if _, dup := w.blobs[sum]; !dup {
		w.blobs[sum] = data
		w.cached += len(data)
	}
	return data, nil
}
