package cli

import (
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestWorkerCredentials starts mrasim worker against embedded servers that
// require a token or a user and password, given in the URL, in a
// --token-file or in $MRASIM_NATS_TOKEN: it connects each time, and no line
// it prints holds the secret.
func TestWorkerCredentials(t *testing.T) {
	const token, password = "s3cr3t-t0ken", "p4ssw0rd-x"
	start := func(t *testing.T, mod func(*server.Options)) string {
		opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true}
		mod(opts)
		srv, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go srv.Start()
		t.Cleanup(srv.Shutdown)
		if !srv.ReadyForConnections(10 * time.Second) {
			t.Fatal("no server")
		}
		return srv.Addr().String()
	}
	tokenServer := func(o *server.Options) { o.Authorization = token }
	userServer := func(o *server.Options) { o.Username, o.Password = "mrasim", password }
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte(token+"\n"), 0o600)

	old := trainSignals
	trainSignals = []os.Signal{syscall.SIGUSR1}
	defer func() { trainSignals = old }()
	mine := make(chan os.Signal, 1)
	signal.Notify(mine, syscall.SIGUSR1) // a signal never ends the test binary
	defer signal.Stop(mine)

	for _, tc := range []struct {
		name   string
		server func(*server.Options)
		url    string // with HOST for the server's address
		args   []string
		env    string
	}{
		{"token in the URL", tokenServer, "nats://" + token + "@HOST", nil, ""},
		{"user and password in the URL", userServer, "nats://mrasim:" + password + "@HOST", nil, ""},
		{"--token-file", tokenServer, "nats://HOST", []string{"--token-file", tokenFile}, ""},
		{"environment", tokenServer, "nats://HOST", nil, token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envNATSToken, tc.env)
			url := strings.Replace(tc.url, "HOST", start(t, tc.server), 1)
			errW := &syncWriter{w: &strings.Builder{}}
			done := make(chan int)
			go func() {
				var out strings.Builder
				done <- Main(append([]string{"worker", "--nats", url, "--name", "w"}, tc.args...), &out, errW)
			}()
			for deadline := time.Now().Add(time.Minute); !strings.Contains(errW.String(), "stop with Ctrl-C"); time.Sleep(5 * time.Millisecond) {
				select {
				case code := <-done:
					t.Fatalf("the worker ended with code %d:\n%s", code, errW.String())
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("the worker did not start:\n%s", errW.String())
				}
			}
			for stopped := false; !stopped; {
				syscall.Kill(os.Getpid(), syscall.SIGUSR1)
				select {
				case <-done:
					stopped = true
				case <-time.After(50 * time.Millisecond):
				}
			}
			got := errW.String()
			if strings.Contains(got, token) || strings.Contains(got, password) || !strings.Contains(got, "from nats://") {
				t.Errorf("the worker printed a secret, or no server:\n%s", got)
			}
		})
	}
	// A token file that cannot be read, or a token given twice, is refused.
	for _, args := range [][]string{
		{"worker", "--nats", "nats://127.0.0.1:1", "--token-file", filepath.Join(t.TempDir(), "none")},
		{"worker", "--nats", "nats://" + token + "@127.0.0.1:1", "--token-file", tokenFile},
	} {
		_, errOut, code := runCLI(args...)
		if code == ExitOK || strings.Contains(errOut, token) {
			t.Errorf("%v: code %d\n%s", args[3:], code, errOut)
		}
	}
}
