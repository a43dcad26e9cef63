package natsrun

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/mrasim/mrasim/league/jobs"
)

// BenchmarkEmptyJobs measures the overhead per job of going through
// JetStream: batches of 100 empty jobs, 1 or 2 workers, on an embedded
// server with file storage (one op = one job, submit to stored result).
func BenchmarkEmptyJobs(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			srv := startServer(b, b.TempDir(), nil)
			s := DefaultSettings()
			s.Heartbeat = time.Second
			for i := range workers {
				startWorker(b, srv.ClientURL(), s, fmt.Sprintf("w%d", i), 1, nil)
			}
			r := &Runner{Conn: connect(b, srv.ClientURL()), Settings: s}
			b.ResetTimer()
			for done := 0; done < b.N; done += 100 {
				batch := echoBatch(fmt.Sprintf("bench-%d-%d-%d", workers, done, time.Now().UnixNano()), 100, 0)
				if _, err := r.Run(context.Background(), batch, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOneJobBatch measures a batch of one empty job: the latency a
// submitter sees for the smallest unit (setup, publish, pull, store, watch).
func BenchmarkOneJobBatch(b *testing.B) {
	srv := startServer(b, b.TempDir(), nil)
	s := DefaultSettings()
	startWorker(b, srv.ClientURL(), s, "w", 1, nil)
	r := &Runner{Conn: connect(b, srv.ClientURL()), Settings: s}
	for i := 0; b.Loop(); i++ {
		batch := echoBatch(fmt.Sprintf("one-%d-%d", i, time.Now().UnixNano()), 1, 0)
		if _, err := r.Run(context.Background(), batch, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlobTransfer uploads a blob of MRASIM_BLOB_MB megabytes
// (default 16) to the object store and fetches and verifies it as a worker
// does (one op = upload + fetch + SHA-256 check).
func BenchmarkBlobTransfer(b *testing.B) {
	mb := 16
	if v, err := strconv.Atoi(os.Getenv("MRASIM_BLOB_MB")); err == nil && v > 0 {
		mb = v
	}
	data := make([]byte, mb<<20)
	rand.Read(data)
	srv := startServer(b, b.TempDir(), nil)
	nc := connect(b, srv.ClientURL())
	s := DefaultSettings()
	ctx := context.Background()
	res, err := ensure(ctx, nc, s)
	if err != nil {
		b.Fatal(err)
	}
	w := &Worker{Conn: nc, Settings: s}
	r := &Runner{Conn: nc, Settings: s}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		data[0]++ // a new blob every time
		sum := jobs.BlobSum(data)
		if err := r.upload(ctx, res.blobs, map[string][]byte{sum: data}); err != nil {
			b.Fatal(err)
		}
		w.blobs = nil
		if _, err := w.blob(ctx, res, sum); err != nil {
			b.Fatal(err)
		}
		res.blobs.Delete(ctx, sum)
	}
}
