package natsrun

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/mrasim/mrasim/league/jobs"
)

// Test job kinds: "test.echo" returns its payload after sleeping the
// milliseconds its payload names ("ms:payload"), counting executions per
// payload; "test.fail" always fails.
var (
	execMu sync.Mutex
	execs  = map[string]int{}
)

func init() {
	jobs.Register("test.echo", func(ctx context.Context, _ jobs.Env, payload []byte) ([]byte, error) {
		ms, _, _ := strings.Cut(string(payload), ":")
		n, _ := strconv.Atoi(ms)
		time.Sleep(time.Duration(n) * time.Millisecond)
		execMu.Lock()
		execs[string(payload)]++
		execMu.Unlock()
		return append([]byte("echo "), payload...), nil
	})
	jobs.Register("test.put", func(ctx context.Context, env jobs.Env, payload []byte) ([]byte, error) {
		sum, err := env.Put(ctx, append(payload, payload...))
		return []byte(sum), err
	})
	jobs.Register("test.fail", func(context.Context, jobs.Env, []byte) ([]byte, error) {
		return nil, fmt.Errorf("boom")
	})
}

// runSeq numbers the runs of tests in this process (go test -count=N runs
// each test N times).
var runSeq atomic.Int64

// runTag is a tag unique to this run of the test t, for payloads whose
// executions the test counts: each run owns its counters, so a second run
// of the same test (-count) does not see the first run's executions.
func runTag(t testing.TB) string {
	return fmt.Sprintf("%s#%d", t.Name(), runSeq.Add(1))
}

func executions(payload string) int {
	execMu.Lock()
	defer execMu.Unlock()
	return execs[payload]
}

// echoBatch is n echo jobs sleeping ms each, their payloads unique to tag.
func echoBatch(tag string, n, ms int) jobs.Batch {
	var b jobs.Batch
	for i := range n {
		b.Jobs = append(b.Jobs, jobs.Job{ID: fmt.Sprintf("e%d", i), Kind: "test.echo", Payload: fmt.Appendf(nil, "%d:%s-%d", ms, tag, i)})
	}
	return b
}

// testSettings are DefaultSettings with times short enough for tests and
// memory or file storage.
func testSettings(file bool) Settings {
	s := DefaultSettings()
	s.AckWait = 1500 * time.Millisecond
	s.MaxDeliver = 3
	s.Retry = 20 * time.Millisecond
	s.Heartbeat = 200 * time.Millisecond
	if !file {
		s.Storage = 1 // jetstream.MemoryStorage
	}
	return s
}

// startServer starts an embedded JetStream server storing in dir; mod may
// change its options (authentication, TLS, a fixed port).
func startServer(t testing.TB, dir string, mod func(*server.Options)) *server.Server {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true}
	if mod != nil {
		mod(opts)
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("the embedded NATS server did not start")
	}
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := Connect(Dial{URL: url, Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// startWorker runs a worker on its own connection until the test ends or
// stop is called; stop waits for it to return.
func startWorker(t testing.TB, url string, s Settings, name string, concurrency int, mod func(*Worker)) (stop func()) {
	t.Helper()
	nc := connect(t, url)
	w := &Worker{Conn: nc, Settings: s, Concurrency: concurrency, Name: name}
	if mod != nil {
		mod(w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Serve(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// storedRecord reads the stored result of a job of batch b.
func storedRecord(t *testing.T, nc *nats.Conn, s Settings, b jobs.Batch, id string) record {
	t.Helper()
	ctx := context.Background()
	res, err := ensure(ctx, nc, s)
	if err != nil {
		t.Fatal(err)
	}
	e, err := res.results.Get(ctx, resultKey(batchID(b), id))
	if err != nil {
		t.Fatalf("job %s: %v", id, err)
	}
	var rec record
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		t.Fatal(err)
	}
	if e.Revision() == 0 {
		t.Fatal("revision 0")
	}
	return rec
}

// counter counts calls.
type counter struct{ n atomic.Int64 }

func (c *counter) inc() { c.n.Add(1) }
