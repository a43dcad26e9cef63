package cli

import (
	stdcontext "context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/mrasim/mrasim/league/natsrun"
	"github.com/mrasim/mrasim/league/sweep"
)

// TestEvalThroughNATS evaluates a trained run locally and through two
// workers of an embedded NATS server: the same results.json.
func TestEvalThroughNATS(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyTrain+"[eval]\npopulations = [2, 4]\nepisodes = 3\nadapt_steps = 1\nadapt_episodes = 2\nbr_episodes = 8\n"), 0o644)
	run := filepath.Join(dir, "run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "8"); code != ExitOK {
		t.Fatal(errOut)
	}
	local := filepath.Join(dir, "local.json")
	if _, errOut, code := runCLI("eval", "--run", run, "--out", filepath.Join(dir, "l"), "--quiet", "--workers", "1", "--json", local); code != ExitOK {
		t.Fatal(errOut)
	}

	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("no server")
	}
	ctx, cancel := stdcontext.WithCancel(stdcontext.Background())
	defer cancel()
	for _, name := range []string{"a", "b"} {
		nc, err := natsrun.Connect(natsrun.Dial{URL: srv.ClientURL()})
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		go (&natsrun.Worker{Conn: nc, Settings: natsrun.DefaultSettings(), Name: name}).Serve(ctx)
	}
	remote := filepath.Join(dir, "remote.json")
	if _, errOut, code := runCLI("eval", "--run", run, "--out", filepath.Join(dir, "r"), "--quiet", "--nats", srv.ClientURL(), "--json", remote); code != ExitOK {
		t.Fatal(errOut)
	}
	a, _ := os.ReadFile(local)
	b, _ := os.ReadFile(remote)
	if len(a) == 0 || string(a) != string(b) {
		t.Fatalf("local and NATS results differ:\n%s\n%s", a, b)
	}
}

func TestWorkerBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"worker"}, ExitUsage, "--nats URL is required"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--concurrency", "0"}, ExitUsage, "--concurrency must be ≥ 1"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1"}, ExitFailure, "connecting to nats://127.0.0.1:1"},
		{[]string{"worker", "--nats", "nats://u:secret@127.0.0.1:1"}, ExitFailure, "nats://***@127.0.0.1:1"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--creds", "/no/such.creds"}, ExitFailure, "no such file"},
	} {
		_, errOut, code := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "secret") {
			t.Errorf("%v: code %d\n%s", tc.args, code, errOut)
		}
	}
}

// TestSweepThroughNATS interrupts a sweep locally (4 of 16 episodes), lets
// two workers of an embedded NATS server resume it (the run folders travel
// to them and back through the object store), and checks that the rows
// and every run's results.json equal those of a straight local sweep; a
// third sweep through NATS skips every run and reuses every evaluation.
func TestSweepThroughNATS(t *testing.T) {
	dir := t.TempDir()
	c := &context{stdout: io.Discard, stderr: io.Discard}
	bg := stdcontext.Background()
	straight := sweepPlan(t, dir, sweepGrid, "local")
	want, err := c.sweep(bg, straight, sweepSettings{jobs: 2, workers: 1, quiet: true})
	if err != nil {
		t.Fatal(err)
	}

	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("no server")
	}
	ctx, cancel := stdcontext.WithCancel(bg)
	defer cancel()
	for _, name := range []string{"a", "b"} {
		nc, err := natsrun.Connect(natsrun.Dial{URL: srv.ClientURL()})
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		go (&natsrun.Worker{Conn: nc, Settings: natsrun.DefaultSettings(), Name: name}).Serve(ctx)
	}
	nc, err := natsrun.Connect(natsrun.Dial{URL: srv.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	remote := &natsrun.Runner{Conn: nc, Settings: natsrun.DefaultSettings()}

	plan := sweepPlan(t, dir, sweepGrid, "remote")
	if _, err := c.sweep(bg, plan, sweepSettings{jobs: 2, workers: 1, stopAt: 4, quiet: true}); !errors.Is(err, sweep.ErrUnfinished) {
		t.Fatalf("stopped sweep: %v", err)
	}
	got, err := c.sweep(bg, plan, sweepSettings{jobs: 2, workers: 1, quiet: true, remote: remote})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got.Runs {
		if !r.Finished || !r.Resumed || r.Episodes != 16 {
			t.Errorf("after resuming through NATS: %+v", r)
		}
		if log, _ := os.ReadFile(filepath.Join(r.Dir, sweepTrainLog)); !strings.Contains(string(log), "resuming at episode 4,") {
			t.Errorf("%s did not resume from its checkpoint:\n%s", r.Dir, log)
		}
		a, _ := os.ReadFile(filepath.Join(want.Runs[i].Dir, "eval", "results.json"))
		b, _ := os.ReadFile(filepath.Join(r.Dir, "eval", "results.json"))
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("%s: results.json differs from the local sweep's:\n%s\n%s", r.Dir, a, b)
		}
		if !exists(filepath.Join(r.Dir, runCheckpoint)) || exists(filepath.Join(r.Dir, ".lock")) {
			t.Errorf("%s: the checkpoint did not come back, or the lock did", r.Dir)
		}
	}
	if !reflect.DeepEqual(got.Rows, want.Rows) {
		t.Errorf("rows differ from the local sweep's:\n%+v\n%+v", got.Rows, want.Rows)
	}
	again, err := c.sweep(bg, plan, sweepSettings{jobs: 2, workers: 1, quiet: true, remote: remote})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again.Runs {
		if !r.Skipped || !r.EvalReused {
			t.Errorf("a finished run was redone through NATS: %+v", r)
		}
	}
	if !reflect.DeepEqual(again.Rows, want.Rows) {
		t.Error("rows changed when nothing was run")
	}
}
