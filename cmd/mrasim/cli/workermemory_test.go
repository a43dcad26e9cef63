package cli

import (
	stdcontext "context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/league/natsrun"
	"github.com/mrasim/mrasim/league/sweep"
	"github.com/mrasim/mrasim/scenarios"
)

// TestWorkerRefusesJobsOnce sends sweep training jobs that can never
// succeed to a worker of an embedded NATS server whose memory budget is
// 512 MiB: a run estimated above it, and a scenario that does not parse.
// Each fails once as a refusal, is not delivered again, and the worker
// goes on to run a job that fits.
func TestWorkerRefusesJobsOnce(t *testing.T) {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("no server")
	}
	s := natsrun.DefaultSettings()
	s.Retry = 10 * time.Millisecond
	ctx, cancel := stdcontext.WithCancel(stdcontext.Background())
	defer cancel()
	wnc, err := natsrun.Connect(natsrun.Dial{URL: srv.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer wnc.Close()
	var runs atomic.Int64
	w := &natsrun.Worker{Conn: wnc, Settings: s, Name: "small", Handle: func(ctx stdcontext.Context, env jobs.Env, job jobs.Job) ([]byte, error) {
		runs.Add(1)
		return jobs.Handle(ctx, env, job)
	}}
	budget := &memoryBudget{limit: 512 << 20, source: "--max-memory", freed: make(chan struct{})}
	go w.Serve(withBudget(ctx, budget))
	snc, err := natsrun.Connect(natsrun.Dial{URL: srv.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer snc.Close()
	runner := &natsrun.Runner{Conn: snc, Settings: s}

	big := "[game]\nname = \"resource\"\n[train]\npopulations = [\"agents=64\"]\nepisodes = 8\nparallel_envs = 4\n"
	for _, tc := range []struct {
		src  string
		fits bool
	}{{tinyTrain, true}, {big, false}} {
		if est, err := estimateTrain(mustParse(t, tc.src), t.TempDir(), false, 1); err != nil || (est.Total <= budget.limit) != tc.fits {
			t.Fatalf("a job meant to fit (%v) needs %s (%v)", tc.fits, memest.Format(est.Total), err)
		}
	}
	for _, tc := range []struct {
		name, source, want string
	}{
		{"too big", big, "needs about"},
		{"broken scenario", "[game\nname = 1", "tiny.toml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs.Store(0)
			b := jobs.Batch{Jobs: []jobs.Job{trainTask(t, "bad", tc.source)}}
			_, err := runner.Run(ctx, b, nil)
			if !errors.Is(err, jobs.ErrRefused) || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "payload refused") != 1 {
				t.Errorf("error %v, want a refusal saying %q", err, tc.want)
			}
			if n := runs.Load(); n != 1 {
				t.Errorf("the job ran %d times, want once", n)
			}
		})
	}
	runs.Store(0)
	res, err := runner.Run(ctx, jobs.Batch{Jobs: []jobs.Job{trainTask(t, "good", tinyTrain)}}, nil)
	if err != nil || len(res["good"]) == 0 || runs.Load() != 1 {
		t.Fatalf("the job that fits: %d runs, %v", runs.Load(), err)
	}
}

// trainTask is a shipped sweep training job of scenario source, as sweep
// --nats sends it.
func trainTask(t *testing.T, id, source string) jobs.Job {
	t.Helper()
	job, err := json.Marshal(sweep.TrainJob{Run: "tiny/mra/seed-1", File: filepath.Join("grid", "tiny.toml"), Source: []byte(source), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(map[string]any{"version": 1, "job": json.RawMessage(job), "ship": true})
	if err != nil {
		t.Fatal(err)
	}
	return jobs.Job{ID: id, Kind: sweep.KindTrain, Payload: payload}
}

// mustParse parses a scenario document.
func mustParse(t *testing.T, src string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Parse("tiny.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSweepChecksMemory: sweep, --dry-run included, estimates every run
// before anything is allocated: a run above the limit (--max-memory or
// the available memory) is refused with exit 2 and nothing written, and
// fewer runs train at once when --jobs of them do not fit side by side.
func TestSweepChecksMemory(t *testing.T) {
	dir := t.TempDir()
	sweepPlan(t, dir, sweepGrid, "out")
	grid, out := filepath.Join(dir, "grid.toml"), filepath.Join(dir, "out")
	old := availableMemory
	defer func() { availableMemory = old }()
	availableMemory = func() (int64, string, bool) { return 100 << 20, "the test's memory", true }
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"dry run, available memory", []string{"--dry-run"}, ExitUsage, "run walk/mra/seed-1 needs about"},
		{"sweep, available memory", nil, ExitUsage, "more than the 100.0 MiB allowed"},
		{"dry run, --max-memory", []string{"--dry-run", "--max-memory", "120MiB"}, ExitUsage, "run walk/single/seed-2 needs about"},
		{"fewer at once", []string{"--dry-run", "--max-memory", "300MiB", "--jobs", "4"}, ExitOK, "memory: training 2 runs at once instead of 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(append([]string{"sweep", grid, "--out", out, "--quiet"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "memory: the largest run") {
				t.Errorf("code %d, want %d with %q:\n%s", code, tc.code, tc.want, errOut)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("the refused sweep wrote %s (%v)", out, err)
			}
		})
	}
}

// TestMemoryBudget: jobs reserve their estimates from a worker's budget; a
// job that fits alone waits for room, one that never fits is refused, and
// a job waiting when the worker stops gives up.
func TestMemoryBudget(t *testing.T) {
	b := &memoryBudget{limit: 100, source: "--max-memory", freed: make(chan struct{})}
	est := func(n int64) memest.Estimate {
		return memest.Estimate{Items: []memest.Item{{What: "block", Bytes: n}}, Total: n}
	}
	ctx := stdcontext.Background()
	release, err := b.reserve(ctx, est(60), "first")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.reserve(ctx, est(150), "huge"); !errors.Is(err, jobs.ErrRefused) {
		t.Errorf("a job above the limit: %v, want a refusal", err)
	}
	got := make(chan error, 1)
	go func() {
		r, err := b.reserve(ctx, est(60), "second")
		if err == nil {
			r()
		}
		got <- err
	}()
	cancelled, cancel := stdcontext.WithCancel(ctx)
	cancel()
	if _, err := b.reserve(cancelled, est(60), "third"); !errors.Is(err, stdcontext.Canceled) {
		t.Errorf("a waiting job of a stopped worker: %v", err)
	}
	select {
	case err := <-got:
		t.Fatalf("the second job did not wait for room: %v", err)
	default:
	}
	release()
	release() // a second call gives nothing back twice
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if b.reserved != 0 {
		t.Errorf("%d bytes still reserved", b.reserved)
	}
}
