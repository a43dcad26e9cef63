package natsrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mrasim/mrasim/league/jobs"
)

// Runner submits batches to workers through JetStream: it implements
// jobs.Runner.
type Runner struct {
	Conn     *nats.Conn
	Settings Settings
	// Log, when set, receives one line per notable event (results found
	// from an earlier run, jobs given up, a resync).
	Log io.Writer

	mu      sync.Mutex
	workers map[string]bool
}

// Workers returns how many distinct workers were seen (announcing
// themselves or storing a result) since the runner started.
func (r *Runner) Workers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.workers)
}

func (r *Runner) sawWorker(name string) {
	if name == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.workers == nil {
		r.workers = map[string]bool{}
	}
	r.workers[name] = true
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, "natsrun: "+format+"\n", args...)
	}
}

// resync is the longest the submitter waits without news before it reads
// all of its batch's results again and audits its jobs' messages (a safety
// net under the watch and the advisories); a variable for tests.
var resync = 15 * time.Second

// Run implements jobs.Runner: it uploads the batch's blobs, takes the
// results already stored for this batch (an earlier, interrupted run of
// the same jobs), publishes the other jobs and waits for their results.
// Stored failures are retried. It returns when every job has a result or
// has failed, or when ctx ends.
func (r *Runner) Run(ctx context.Context, b jobs.Batch, progress func(jobs.Progress)) (map[string][]byte, error) {
	if err := jobs.CheckBatch(b); err != nil {
		return nil, err
	}
	s := r.Settings
	res, err := ensure(ctx, r.Conn, s)
	if err != nil {
		return nil, err
	}
	if err := r.upload(ctx, res.blobs, b.Blobs); err != nil {
		return nil, err
	}
	hb, err := r.Conn.Subscribe(s.heartbeatSubject(), func(m *nats.Msg) { r.sawWorker(string(m.Data)) })
	if err != nil {
		return nil, fmt.Errorf("natsrun: %w", err)
	}
	defer hb.Unsubscribe()
	advisories := make(chan *nats.Msg, 64)
	adv, err := r.Conn.ChanSubscribe(s.maxDeliveriesAdvisory(), advisories)
	if err != nil {
		return nil, fmt.Errorf("natsrun: %w", err)
	}
	defer adv.Unsubscribe()
	reconnected := r.Conn.StatusChanged(nats.CONNECTED)
	defer r.Conn.RemoveStatusListener(reconnected)

	batch := batchID(b)
	st := &batchState{
		batch: batch, jobs: map[string]jobs.Job{},
		results: map[string][]byte{}, failed: map[string]error{}, bySeq: map[uint64]string{},
	}
	for _, j := range b.Jobs {
		st.jobs[j.ID] = j
	}

	w, err := r.resume(ctx, res, st, len(b.Jobs))
	if err != nil {
		return nil, err
	}
	report := func() {
		if progress != nil {
			progress(jobs.Progress{Done: len(st.results) + len(st.failed), Total: len(b.Jobs), Workers: r.Workers()})
		}
	}
	report()
	if err := r.publish(ctx, res.js, res.stream, st, b.Jobs); err != nil {
		w.Stop()
		return nil, err
	}

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	quiet := time.Now()
	for !st.complete() {
		select {
		case <-ctx.Done():
			w.Stop()
			return st.results, ctx.Err()
		case e, open := <-w.Updates():
			if !open {
				w, err = r.rewatch(ctx, res.results, batch)
				if err != nil {
					return st.results, err
				}
				continue
			}
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			quiet = time.Now()
			if rec, id, ok := st.decode(e); ok && st.pending(id) {
				r.sawWorker(rec.Worker)
				if rec.Error != "" {
					st.failed[id] = &jobs.Error{ID: id, Kind: st.jobs[id].Kind, Worker: rec.Worker, Err: recordError(rec)}
				} else {
					st.results[id] = rec.Result
				}
				report()
			}
		case m := <-advisories:
			r.advisory(ctx, res, st, m, report)
		case <-reconnected:
			w.Stop()
			if w, err = r.rewatch(ctx, res.results, batch); err != nil {
				return st.results, err
			}
		case <-tick.C:
			report()
			if time.Since(quiet) > resync {
				quiet = time.Now()
				w.Stop()
				if w, err = r.rewatch(ctx, res.results, batch); err != nil {
					return st.results, err
				}
				if err := r.audit(ctx, res, st); err != nil {
					return st.results, err
				}
				report()
			}
		}
	}
	w.Stop()
	report()
	var errs []error
	for _, j := range b.Jobs {
		if err := st.failed[j.ID]; err != nil {
			errs = append(errs, err)
		}
	}
	return st.results, errors.Join(errs...)
}

// resume watches the batch's results and takes those stored so far by an
// earlier run: it keeps successes and deletes failures, to be retried.
func (r *Runner) resume(ctx context.Context, res *resources, st *batchState, total int) (jetstream.KeyWatcher, error) {
	batch := st.batch
	w, err := res.results.Watch(ctx, batch+".*")
	if err != nil {
		return nil, fmt.Errorf("natsrun: watching results: %w", err)
	}
	var retry []string
	for e := range w.Updates() {
		if e == nil {
			break
		}
		if e.Operation() != jetstream.KeyValuePut {
			continue
		}
		rec, id, ok := st.decode(e)
		if !ok {
			continue
		}
		if rec.Error != "" {
			retry = append(retry, e.Key())
			continue
		}
		st.results[id] = rec.Result
		r.sawWorker(rec.Worker)
	}
	for _, key := range retry {
		if err := res.results.Delete(ctx, key); err != nil {
			w.Stop()
			return nil, fmt.Errorf("natsrun: clearing the failed result %s: %w", key, err)
		}
	}
	if n := len(st.results); n > 0 {
		r.logf("batch %s: %d of %d results found from an earlier run; %d failures retried", batch, n, total, len(retry))
	}
	return w, nil
}

// advisory handles a MaxDeliver advisory m: the job it names, if still
// pending, fails unless a worker stored its result just before.
func (r *Runner) advisory(ctx context.Context, res *resources, st *batchState, m *nats.Msg, report func()) {
	batch := st.batch
	var a struct {
		StreamSeq  uint64 `json:"stream_seq"`
		Deliveries uint64 `json:"deliveries"`
	}
	if json.Unmarshal(m.Data, &a) != nil {
		return
	}
	id, ok := st.bySeq[a.StreamSeq]
	if !ok || !st.pending(id) {
		return
	}
	// A worker may have stored the result just before; look.
	if e, err := res.results.Get(ctx, resultKey(batch, id)); err == nil {
		if rec, _, ok := st.decode(e); ok && rec.Error == "" {
			st.results[id] = rec.Result
			report()
			return
		}
	}
	st.failed[id] = &jobs.Error{ID: id, Kind: st.jobs[id].Kind,
		Err: fmt.Errorf("delivered %d times (MaxDeliver) and no worker finished it: workers died or lost their connection while running it", a.Deliveries)}
	// The work queue keeps a message that ran out of deliveries:
	// remove it, so a later run may submit the job again.
	if err := res.stream.DeleteMsg(ctx, a.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		r.logf("removing the given-up job %s: %v", id, err)
	}
	report()
}

// audit looks at the stream messages of the jobs still waiting: a message
// that is gone without a result (removed by hand, or lost) is published
// again; messages still there while the consumer has nothing undelivered
// or in flight ran out of deliveries while no submitter watched for the
// advisory, and their jobs are given up.
func (r *Runner) audit(ctx context.Context, res *resources, st *batchState) error {
	info, err := res.cons.Info(ctx)
	if err != nil {
		return nil // the server is away; the next resync looks again
	}
	idle := info.NumPending == 0 && info.NumAckPending == 0 // NumRedelivered keeps counting exhausted messages
	var lost []jobs.Job
	for seq, id := range st.bySeq {
		if !st.pending(id) {
			continue
		}
		_, err := res.stream.GetMsg(ctx, seq)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			delete(st.bySeq, seq)
			lost = append(lost, st.jobs[id])
		case err == nil && idle:
			st.failed[id] = &jobs.Error{ID: id, Kind: st.jobs[id].Kind,
				Err: fmt.Errorf("delivered %d times (MaxDeliver) and no worker finished it, while no submitter was watching", r.Settings.MaxDeliver)}
			res.stream.DeleteMsg(ctx, seq)
		}
	}
	if len(lost) > 0 {
		r.logf("%d jobs lost their messages without a result; publishing them again", len(lost))
		return r.publish(ctx, res.js, res.stream, st, lost)
	}
	return nil
}

// rewatch starts the watch of a batch's results again, retrying while the
// server is away; the new watch replays every stored result.
func (r *Runner) rewatch(ctx context.Context, kv jetstream.KeyValue, batch string) (jetstream.KeyWatcher, error) {
	for {
		w, err := kv.Watch(ctx, batch+".*")
		if err == nil {
			return w, nil
		}
		r.logf("watching results again: %v", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func recordError(rec record) error {
	if rec.Refused {
		// The stored message of a handler's refusal starts with the
		// sentinel's text already: say it once.
		return fmt.Errorf("%w: %s", jobs.ErrRefused, strings.TrimPrefix(rec.Error, jobs.ErrRefused.Error()+": "))
	}
	return fmt.Errorf("failed after %d deliveries: %s", rec.Deliveries, rec.Error)
}

// upload puts each blob into the object store unless an object of that
// name and size is there already.
func (r *Runner) upload(ctx context.Context, store jetstream.ObjectStore, blobs map[string][]byte) error {
	for sum, data := range blobs {
		if jobs.BlobSum(data) != sum {
			return fmt.Errorf("natsrun: blob %s does not hash to its name", sum)
		}
		if err := putBlob(ctx, store, sum, data); err != nil {
			return err
		}
	}
	return nil
}

// putBlob stores data under its SHA-256 sum unless an object of that name
// and size is there already.
func putBlob(ctx context.Context, store jetstream.ObjectStore, sum string, data []byte) error {
	if info, err := store.GetInfo(ctx, sum); err == nil && info.Size == uint64(len(data)) && !info.Deleted {
		return nil
	}
	if _, err := store.PutBytes(ctx, sum, data); err != nil {
		return fmt.Errorf("natsrun: uploading blob %s (%d bytes): %w", sum, len(data), err)
	}
	return nil
}

// Blob implements jobs.BlobRunner: it fetches content a job stored with
// jobs.Env.Put and verifies its SHA-256.
func (r *Runner) Blob(ctx context.Context, sum string) ([]byte, error) {
	res, err := ensure(ctx, r.Conn, r.Settings)
	if err != nil {
		return nil, err
	}
	data, err := res.blobs.GetBytes(ctx, sum)
	if err != nil {
		return nil, fmt.Errorf("natsrun: job output %s: %w", sum, err)
	}
	if got := jobs.BlobSum(data); got != sum {
		return nil, fmt.Errorf("natsrun: job output %s: checksum mismatch (content hashes to %s)", sum, got)
	}
	return data, nil
}

// publish sends every job without a result, retrying while the server is
// away; the message ID makes a repeated publish a duplicate the stream
// drops.
func (r *Runner) publish(ctx context.Context, js jetstream.JetStream, stream jetstream.Stream, st *batchState, batch []jobs.Job) error {
	for _, j := range batch {
		if _, done := st.results[j.ID]; done {
			continue
		}
		body, err := json.Marshal(envelope{Version: wireVersion, Batch: st.batch, ID: j.ID, Kind: j.Kind, Payload: j.Payload})
		if err != nil {
			return fmt.Errorf("natsrun: job %s: %w", j.ID, err)
		}
		if limit := r.Conn.MaxPayload(); int64(len(body))+512 > limit {
			return fmt.Errorf("natsrun: job %s is %d bytes; the server takes messages of at most %d: put large inputs in the batch's blobs", j.ID, len(body), limit)
		}
		msg := &nats.Msg{Subject: r.Settings.jobSubject(j.Kind), Data: body, Header: nats.Header{}}
		msg.Header.Set(sumHeader, jobs.BlobSum(body))
		msg.Header.Set(jetstream.MsgIDHeader, resultKey(st.batch, j.ID))
		for attempt := 1; ; attempt++ {
			ack, err := js.PublishMsg(ctx, msg)
			if err == nil && ack.Duplicate {
				// The stream saw this job within its duplicate window. If
				// the message is gone (run and failed, or given up) the
				// job must go again, under a new message ID.
				if _, gerr := stream.GetMsg(ctx, ack.Sequence); errors.Is(gerr, jetstream.ErrMsgNotFound) {
					msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s.%d.%d", resultKey(st.batch, j.ID), time.Now().UnixNano(), attempt))
					continue
				}
			}
			if err == nil {
				st.bySeq[ack.Sequence] = j.ID
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.logf("publishing job %s: %v; retrying", j.ID, err)
			time.Sleep(250 * time.Millisecond)
		}
	}
	return nil
}

// batchState is what the submitter knows of a batch.
type batchState struct {
	batch   string
	jobs    map[string]jobs.Job
	results map[string][]byte
	failed  map[string]error
	bySeq   map[uint64]string // stream sequence → job ID, for MaxDeliver advisories
}

func (st *batchState) complete() bool { return len(st.results)+len(st.failed) == len(st.jobs) }

func (st *batchState) pending(id string) bool {
	_, ok := st.results[id]
	_, bad := st.failed[id]
	_, known := st.jobs[id]
	return known && !ok && !bad
}

// decode reads a stored record of this batch.
func (st *batchState) decode(e jetstream.KeyValueEntry) (record, string, bool) {
	var rec record
	if json.Unmarshal(e.Value(), &rec) != nil || rec.Version != wireVersion {
		return rec, "", false
	}
	if e.Key() != resultKey(st.batch, rec.ID) {
		return rec, "", false
	}
	_, known := st.jobs[rec.ID]
	return rec, rec.ID, known
}
