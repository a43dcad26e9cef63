package natsrun

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/mrasim/mrasim/league/jobs"
)

// TestHelperWorkerProcess is not a test: TestKilledWorkerProcess runs the
// test binary with it as a worker process, to kill it with SIGKILL.
func TestHelperWorkerProcess(t *testing.T) {
	url := os.Getenv("NATSRUN_HELPER_URL")
	if url == "" {
		t.Skip("only run as a helper process")
	}
	nc, err := Connect(Dial{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	(&Worker{Conn: nc, Settings: testSettings(false), Name: "victim"}).Serve(context.Background())
}

// TestKilledWorkerProcess: a worker process is killed with SIGKILL in the
// middle of a job; the job is delivered again after AckWait to another
// worker and its result recorded once.
func TestKilledWorkerProcess(t *testing.T) {
	srv := startServer(t, t.TempDir(), nil)
	s := testSettings(false)
	nc := connect(t, srv.ClientURL())
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWorkerProcess$")
	cmd.Env = append(os.Environ(), "NATSRUN_HELPER_URL="+srv.ClientURL())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	payload := "2000:" + runTag(t)
	b := jobs.Batch{Jobs: []jobs.Job{{ID: "long", Kind: "test.echo", Payload: []byte(payload)}}}
	r := &Runner{Conn: nc, Settings: s}
	done := make(chan error, 1)
	var res map[string][]byte
	go func() {
		var err error
		res, err = r.Run(context.Background(), b, nil)
		done <- err
	}()
	// Wait until the victim holds the job, then kill it.
	res0, err := ensure(context.Background(), nc, s)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := res0.cons.Info(context.Background())
		if err == nil && info.NumAckPending == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker process never took the job")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
	startWorker(t, srv.ClientURL(), s, "rescuer", 1, nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if string(res["long"]) != "echo "+payload {
		t.Errorf("result %q", res["long"])
	}
	rec := storedRecord(t, nc, s, b, "long")
	if rec.Worker != "rescuer" || rec.Deliveries != 2 {
		t.Errorf("stored by %s on delivery %d; want rescuer on delivery 2", rec.Worker, rec.Deliveries)
	}
}
