package natsrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/matrix"
	_ "github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/br"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/mra"
)

var (
	tinyOnce    sync.Once
	tinyEntries []league.Entry
	tinyErr     error
)

// tinyLeague is a trained tiny MRA run and the random player in the El
// Farol bar (a repeated game: evaluation, adaptation at the unseen size
// and best-response jobs).
func tinyLeague(t *testing.T) ([]league.Entry, league.Options) {
	t.Helper()
	pop := func(s string) env.Population {
		p, err := env.ParsePopulation(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tinyOnce.Do(func() {
		cfg := mra.DefaultConfig()
		cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates, cfg.BufferLength = 16, 10, 1, 1000
		setup := learner.Setup{Game: "elfarol", Populations: []env.Population{pop("players=3"), pop("players=4")}, Seed: 1, Episodes: 4, ParallelEnvs: 2, LogEvery: 4}
		var state []byte
		if state, tinyErr = learnertest.Train(cfg, setup); tinyErr != nil {
			return
		}
		tinyEntries = []league.Entry{&league.Run{Label: "tiny", Settings: cfg, Setup: setup, State: state}, league.Random{}}
	})
	if tinyErr != nil {
		t.Fatal(tinyErr)
	}
	return tinyEntries, league.Options{
		Game: "elfarol", Populations: []env.Population{pop("players=4"), pop("players=6")},
		Episodes: 3, Seed: 7, AdaptSteps: 1, AdaptEpisodes: 2, NashConv: league.ModeBR, BR: tinyBR,
	}
}

// tinyBR is a best-response budget of a few episodes (warm-started
// responses, so that the entry's networks matter on the workers too).
var tinyBR = league.BRBudget{Config: br.Config{Episodes: 4, SelectEpisodes: 2, TestEpisodes: 4, Batch: 2}, EpisodesPerAgent: 1}

func resultsJSON(t *testing.T, entries []league.Entry, opts league.Options) []byte {
	t.Helper()
	rep, err := league.Play(entries, opts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSameResultsLocalAndNATS plays two leagues (a trained run and the
// random player in a repeated game, with adaptation at the unseen size and
// best responses to both, NashConv forced to estimates; the random player
// in a particle game, with best responses) with 1 and 2 local workers and
// with 3 NATS workers: results.json is byte for byte the same.
func TestSameResultsLocalAndNATS(t *testing.T) {
	srv := startServer(t, t.TempDir(), nil)
	s := testSettings(false)
	for i := range 3 {
		startWorker(t, srv.ClientURL(), s, fmt.Sprintf("w%d", i), 1, nil)
	}
	r := &Runner{Conn: connect(t, srv.ClientURL()), Settings: s}

	entries, opts := tinyLeague(t)
	particle := league.Options{Game: "resource", Populations: []env.Population{{{Type: "agents", Count: 2}}, {{Type: "agents", Count: 3}}},
		Episodes: 2, Seed: 5, BR: tinyBR}
	for _, lg := range []struct {
		name    string
		entries []league.Entry
		opts    league.Options
		want    []string
	}{
		{"elfarol", entries, opts, []string{`"adaptation"`, `"warm_start": "entry"`, `"nashconv_exact"`}},
		{"resource", []league.Entry{league.Random{}}, particle, []string{league.NashConvBR, `"deviations"`}},
	} {
		t.Run(lg.name, func(t *testing.T) {
			opts := lg.opts
			opts.Runner = jobs.Local{Workers: 1}
			one := resultsJSON(t, lg.entries, opts)
			opts.Runner = jobs.Local{Workers: 2}
			two := resultsJSON(t, lg.entries, opts)
			var last jobs.Progress
			opts.Runner = progressSpy{r, &last}
			three := resultsJSON(t, lg.entries, opts)
			if !bytes.Equal(one, two) || !bytes.Equal(one, three) {
				t.Fatalf("results.json differs:\n1 local: %s\n2 local: %s\n3 NATS: %s", one, two, three)
			}
			for _, want := range lg.want {
				if !bytes.Contains(one, []byte(want)) {
					t.Errorf("the league lacks %s:\n%s", want, one)
				}
			}
			if last.Done != last.Total || last.Total == 0 || last.Workers < 1 || last.Workers > 3 {
				t.Errorf("last progress %+v, want all done by 1 to 3 workers", last)
			}
		})
	}
}

// progressSpy records the runner's last progress report.
type progressSpy struct {
	r    *Runner
	last *jobs.Progress
}

func (p progressSpy) Run(ctx context.Context, b jobs.Batch, progress func(jobs.Progress)) (map[string][]byte, error) {
	return p.r.Run(ctx, b, func(pr jobs.Progress) {
		*p.last = pr
		if progress != nil {
			progress(pr)
		}
	})
}

// TestWorkerDiesMidJob: a worker takes a job and dies (its connection cut,
// no ack); the job is delivered again after AckWait to another worker and
// its result recorded once.
func TestWorkerDiesMidJob(t *testing.T) {
	srv := startServer(t, t.TempDir(), nil)
	s := testSettings(false)
	b := echoBatch(runTag(t), 1, 0)
	took := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	var doomed *Worker
	stopDoomed := startWorker(t, srv.ClientURL(), s, "doomed", 1, func(w *Worker) {
		doomed = w
		w.Handle = func(ctx context.Context, env jobs.Env, job jobs.Job) ([]byte, error) {
			close(took)
			<-release
			return nil, errors.New("never stored")
		}
	})
	r := &Runner{Conn: connect(t, srv.ClientURL()), Settings: s}
	done := make(chan error, 1)
	var res map[string][]byte
	go func() {
		var err error
		res, err = r.Run(context.Background(), b, nil)
		done <- err
	}()
	<-took
	doomed.Conn.Close() // the worker is gone: no heartbeat, no ack
	go stopDoomed()
	start := time.Now()
	startWorker(t, srv.ClientURL(), s, "rescuer", 1, nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < s.AckWait/2 {
		t.Errorf("redelivered after %v, before AckWait %v", waited, s.AckWait)
	}
	payload := string(b.Jobs[0].Payload)
	if got := string(res["e0"]); got != "echo "+payload {
		t.Errorf("result %q", got)
	}
	rec := storedRecord(t, connect(t, srv.ClientURL()), s, b, "e0")
	if rec.Worker != "rescuer" || rec.Deliveries != 2 || executions(payload) != 1 {
		t.Errorf("stored by %s on delivery %d, %d executions; want rescuer, 2, 1", rec.Worker, rec.Deliveries, executions(payload))
	}
}

// TestSubmitterRestartResumes: the submitter stops after some results;
// run again with the same jobs it takes the stored results and every job
// runs exactly once over both runs.
func TestSubmitterRestartResumes(t *testing.T) {
	srv := startServer(t, t.TempDir(), nil)
	s := testSettings(false)
	b := echoBatch(runTag(t), 12, 40)
	startWorker(t, srv.ClientURL(), s, "w", 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{Conn: connect(t, srv.ClientURL()), Settings: s}
	_, err := r.Run(ctx, b, func(p jobs.Progress) {
		if p.Done >= 4 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v, want cancelled", err)
	}
	var log bytes.Buffer
	r2 := &Runner{Conn: connect(t, srv.ClientURL()), Settings: s, Log: &log}
	var first jobs.Progress
	res, err := r2.Run(context.Background(), b, func(p jobs.Progress) {
		if first.Total == 0 {
			first = p
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if first.Done < 4 {
		t.Errorf("the restarted submitter started at %d of %d done, want ≥ 4 found", first.Done, first.Total)
	}
	if !strings.Contains(log.String(), "results found from an earlier run") {
		t.Errorf("log: %s", log.String())
	}
	for _, j := range b.Jobs {
		if string(res[j.ID]) != "echo "+string(j.Payload) || executions(string(j.Payload)) != 1 {
			t.Errorf("%s: result %q, %d executions", j.ID, res[j.ID], executions(string(j.Payload)))
		}
	}
}

// TestGivenUpJobs: a job whose handler always fails, and a job whose
// workers all die, are reported with their errors after MaxDeliver
// deliveries, not retried forever.
func TestGivenUpJobs(t *testing.T) {
	srv := startServer(t, t.TempDir(), nil)
	s := testSettings(false)
	s.AckWait = 500 * time.Millisecond
	t.Run("failing handler", func(t *testing.T) {
		stop := startWorker(t, srv.ClientURL(), s, "w", 1, nil)
		defer stop()
		b := jobs.Batch{Jobs: []jobs.Job{{ID: "bad", Kind: "test.fail"}, {ID: "good", Kind: "test.echo", Payload: []byte("0:given-up")}}}
		r := &Runner{Conn: connect(t, srv.ClientURL()), Settings: s}
		res, err := r.Run(context.Background(), b, nil)
		var je *jobs.Error
		if !errors.As(err, &je) || je.ID != "bad" || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), fmt.Sprintf("after %d deliveries", s.MaxDeliver)) {
			t.Fatalf("error %v", err)
		}
		if string(res["good"]) != "echo 0:given-up" {
			t.Errorf("the good job's result %q", res["good"])
		}
	})
	t.Run("dying workers", func(t *testing.T) {
		// A worker that takes jobs and never answers nor heartbeats.
		stop := startWorker(t, srv.ClientURL(), s, "zombie", s.MaxDeliver+1, func(w *Worker) {
			w.inProgressEvery = -1
			w.Handle = func(ctx context.Context, _ jobs.Env, _ jobs.Job) ([]byte, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}
		})
		defer stop()
		b := jobs.Batch{Jobs: []jobs.Job{{ID: "lost", Kind: "test.echo", Payload: []byte("0:lost")}}}
		r := &Runner{Conn: connect(t, srv.ClientURL()), Settings: s}
		_, err := r.Run(context.Background(), b, nil)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("delivered %d times", s.MaxDeliver)) {
			t.Fatalf("error %v", err)
		}
	})
}

// TestServerRestart: the server stops in the middle of a run and comes
// back on the same port and store; the run completes with every result.
func TestServerRestart(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir, nil)
	port := srv.Addr().(*net.TCPAddr).Port
	url := srv.ClientURL()
	s := testSettings(true)
	b := echoBatch(runTag(t), 10, 100)
	startWorker(t, url, s, "w1", 1, nil)
	startWorker(t, url, s, "w2", 1, nil)
	r := &Runner{Conn: connect(t, url), Settings: s}
	restarted := make(chan struct{})
	var once sync.Once
	res, err := r.Run(context.Background(), b, func(p jobs.Progress) {
		if p.Done >= 3 {
			once.Do(func() {
				srv.Shutdown()
				srv.WaitForShutdown()
				time.Sleep(300 * time.Millisecond)
				startServer(t, dir, func(o *server.Options) { o.Port = port })
				close(restarted)
			})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-restarted:
	default:
		t.Fatal("the server was not restarted")
	}
	for _, j := range b.Jobs {
		if string(res[j.ID]) != "echo "+string(j.Payload) {
			t.Errorf("%s: %q", j.ID, res[j.ID])
		}
	}
}

// TestJobOutputs: a job stores a large output with Put; the submitter
// reads it back, verified, through the runner.
func TestJobOutputs(t *testing.T) {
	srv := startServer(t, t.TempDir(), nil)
	s := testSettings(false)
	startWorker(t, srv.ClientURL(), s, "w", 1, nil)
	big := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB: beyond a message's limit
	var r jobs.BlobRunner = &Runner{Conn: connect(t, srv.ClientURL()), Settings: s}
	res, err := r.Run(context.Background(), jobs.Batch{Jobs: []jobs.Job{{ID: "out", Kind: "test.put", Payload: big}}}, nil)
	if err == nil {
		t.Fatal("a 3 MB payload was published; want the message size limit to refuse it")
	}
	res, err = r.Run(context.Background(), jobs.Batch{Jobs: []jobs.Job{{ID: "out", Kind: "test.put", Payload: big[:400_000]}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := r.Blob(context.Background(), string(res["out"]))
	if err != nil || !bytes.Equal(data, append(big[:400_000:400_000], big[:400_000]...)) {
		t.Fatalf("%d bytes, %v", len(data), err)
	}
}

// TestGivenUpWhileNoSubmitter: a job runs out of deliveries while no
// submitter is watching; the submitter started later reports it instead of
// waiting forever.
func TestGivenUpWhileNoSubmitter(t *testing.T) {
	defer func(d time.Duration) { resync = d }(resync)
	resync = 300 * time.Millisecond
	srv := startServer(t, t.TempDir(), nil)
	s := testSettings(false)
	s.AckWait = 300 * time.Millisecond
	nc := connect(t, srv.ClientURL())
	ctx := context.Background()
	res, err := ensure(ctx, nc, s)
	if err != nil {
		t.Fatal(err)
	}
	stop := startWorker(t, srv.ClientURL(), s, "zombie", s.MaxDeliver+1, func(w *Worker) {
		w.inProgressEvery = -1
		w.Handle = func(ctx context.Context, _ jobs.Env, _ jobs.Job) ([]byte, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
	})
	b := jobs.Batch{Jobs: []jobs.Job{{ID: "orphan", Kind: "test.echo", Payload: []byte("0:orphan")}}}
	// What a submitter that died right after publishing left behind.
	r := &Runner{Conn: nc, Settings: s}
	st := &batchState{batch: batchID(b), jobs: map[string]jobs.Job{"orphan": b.Jobs[0]}, results: map[string][]byte{}, failed: map[string]error{}, bySeq: map[uint64]string{}}
	if err := r.publish(ctx, res.js, res.stream, st, b.Jobs); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := res.cons.Info(ctx)
		if err == nil && info.Delivered.Consumer >= uint64(s.MaxDeliver) && info.NumAckPending == 0 && info.NumPending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not run out of deliveries: %+v", info)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	_, err = r.Run(ctx, b, nil)
	if err == nil || !strings.Contains(err.Error(), "while no submitter was watching") {
		t.Fatalf("error %v", err)
	}
}

// TestShutdownKeepsFinishedJob: a worker told to stop while a job runs
// pulls nothing more but stores the job's result when it finishes.
func TestShutdownKeepsFinishedJob(t *testing.T) {
	srv := startServer(t, t.TempDir(), nil)
	s := testSettings(false)
	took := make(chan struct{})
	stop := startWorker(t, srv.ClientURL(), s, "leaving", 1, func(w *Worker) {
		w.Handle = func(ctx context.Context, env jobs.Env, task jobs.Job) ([]byte, error) {
			close(took)
			// The job finishes once the worker was told to stop (its
			// context ends with the worker's), whatever the timing.
			<-ctx.Done()
			return []byte("finished"), nil
		}
	})
	b := jobs.Batch{Jobs: []jobs.Job{{ID: "last", Kind: "test.echo", Payload: []byte("0:last")}}}
	r := &Runner{Conn: connect(t, srv.ClientURL()), Settings: s}
	done := make(chan error, 1)
	var res map[string][]byte
	go func() {
		var err error
		res, err = r.Run(context.Background(), b, nil)
		done <- err
	}()
	<-took
	stop()
	select {
	case err := <-done:
		if err != nil || string(res["last"]) != "finished" {
			t.Fatalf("%q, %v", res["last"], err)
		}
	case <-time.After(s.AckWait / 2):
		t.Fatal("the finished job's result was not stored before the worker stopped")
	}
}
