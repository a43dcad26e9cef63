package natsrun

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestEnsureConcurrent: workers and a submitter starting together on a
// fresh server all create the same stream, consumer, bucket and object
// store at once; every one of them must get them, promptly. (A concurrent
// create of one stream can go unanswered by the server — nats.go issue
// 949 — and concurrent updates race inside it: under -race this test
// failed while ensure updated before creating.) Changed settings then
// update what exists.
func TestEnsureConcurrent(t *testing.T) {
	const servers, clients = 6, 6
	for k := range servers {
		srv := startServer(t, t.TempDir(), nil)
		url := srv.ClientURL()
		s := testSettings(k%2 == 0)
		var wg sync.WaitGroup
		errs := make([]error, clients)
		took := make([]time.Duration, clients)
		for i := range clients {
			nc := connect(t, url)
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				_, errs[i] = ensure(context.Background(), nc, s)
				took[i] = time.Since(start)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("server %d, client %d: %v (after %v)", k, i, err, took[i])
			} else if took[i] > 20*time.Second {
				t.Errorf("server %d, client %d: took %v", k, i, took[i])
			}
		}
		// Changed settings update what exists instead of failing.
		s2 := s
		s2.AckWait, s2.ResultTTL = 2*s.AckWait, time.Hour
		r, err := ensure(context.Background(), connect(t, url), s2)
		if err != nil {
			t.Fatalf("server %d, changed settings: %v", k, err)
		}
		ci, err := r.cons.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		st, err := r.results.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ci.Config.AckWait != s2.AckWait || st.TTL() != time.Hour {
			t.Errorf("server %d: ack wait %v, bucket TTL %v after the update; want %v, 1h", k, ci.Config.AckWait, st.TTL(), s2.AckWait)
		}
		srv.Shutdown()
	}
}
