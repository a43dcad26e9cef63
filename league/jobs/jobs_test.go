package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/league/jobs"
)

func init() {
	// "jobs.square" squares the number in its payload; "jobs.put" stores
	// its payload three times over with Put and returns the sum.
	jobs.Register("jobs.square", func(_ context.Context, _ jobs.Env, payload []byte) ([]byte, error) {
		var n int
		if _, err := fmt.Sscan(string(payload), &n); err != nil {
			return nil, jobs.Refusef("payload %q is not a number", payload)
		}
		if n < 0 {
			return nil, fmt.Errorf("negative %d", n)
		}
		return fmt.Appendf(nil, "%d", n*n), nil
	})
	jobs.Register("jobs.put", func(ctx context.Context, env jobs.Env, payload []byte) ([]byte, error) {
		sum, err := env.Put(ctx, bytes.Repeat(payload, 3))
		return []byte(sum), err
	})
}

// TestLocalRunsJobs runs a batch through Local at 1 and 3 workers: every
// result by ID, failures joined in batch order whatever order jobs end in.
func TestLocalRunsJobs(t *testing.T) {
	var b jobs.Batch
	for i := -2; i < 20; i++ {
		b.Jobs = append(b.Jobs, jobs.Job{ID: fmt.Sprintf("j%d", i+2), Kind: "jobs.square", Payload: fmt.Appendf(nil, "%d", i)})
	}
	b.Jobs = append(b.Jobs, jobs.Job{ID: "nan", Kind: "jobs.square", Payload: []byte("x")}, jobs.Job{ID: "kind", Kind: "jobs.none"})
	for _, workers := range []int{1, 3} {
		var last jobs.Progress
		res, err := jobs.Local{Workers: workers}.Run(context.Background(), b, func(p jobs.Progress) { last = p })
		if len(res) != 20 || string(res["j12"]) != "100" {
			t.Errorf("%d workers: %d results, j12 = %q", workers, len(res), res["j12"])
		}
		want := []string{"job j0 (jobs.square): negative -2", "job j1 (jobs.square): negative -1", `payload "x" is not a number`, `unknown job kind "jobs.none"`}
		got := fmt.Sprint(err)
		for i, w := range want {
			at := strings.Index(got, w)
			if at < 0 || (i > 0 && at < strings.Index(got, want[i-1])) {
				t.Errorf("%d workers: error %q lacks %q in batch order", workers, got, w)
			}
		}
		var je *jobs.Error
		if !errors.As(err, &je) || !errors.Is(err, jobs.ErrRefused) {
			t.Errorf("%d workers: error %v is not an *Error wrapping ErrRefused", workers, err)
		}
		if last.Done != len(b.Jobs) || last.Total != len(b.Jobs) || last.Workers != workers {
			t.Errorf("%d workers: last progress %+v", workers, last)
		}
	}
}

func TestLocalPut(t *testing.T) {
	b := jobs.Batch{Jobs: []jobs.Job{{ID: "p", Kind: "jobs.put", Payload: []byte("ab")}}}
	var r jobs.BlobRunner = jobs.Local{}
	res, err := r.Run(context.Background(), b, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := r.Blob(context.Background(), string(res["p"]))
	if err != nil || string(data) != "ababab" {
		t.Fatalf("%q, %v", data, err)
	}
	if _, err := r.Blob(context.Background(), string(res["p"])); err == nil {
		t.Error("an output was handed over twice")
	}
}

func TestBadBatches(t *testing.T) {
	for _, tc := range []struct {
		ids  []string
		want string
	}{
		{[]string{"a", "a"}, `"a" appears twice`},
		{[]string{"a.b"}, `job ID "a.b"`},
		{[]string{""}, `job ID ""`},
		{[]string{strings.Repeat("x", 129)}, "1 to 128"},
	} {
		var b jobs.Batch
		for _, id := range tc.ids {
			b.Jobs = append(b.Jobs, jobs.Job{ID: id, Kind: "jobs.square", Payload: []byte("1")})
		}
		if _, err := (jobs.Local{}).Run(context.Background(), b, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.ids, err, tc.want)
		}
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	jobs.Register("jobs.square", func(context.Context, jobs.Env, []byte) ([]byte, error) { return nil, nil })
}
