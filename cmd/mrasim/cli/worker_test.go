package cli

import (
	stdcontext "context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/mrasim/mrasim/league/natsrun"
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
