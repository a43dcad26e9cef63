package cli

import (
	stdcontext "context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/mrasim/mrasim/league/natsrun"
)

// natsFlags are the flags that say how to reach a NATS server.
type natsFlags struct {
	url, creds, tlsCA *string
}

func addNATSFlags(fs *flag.FlagSet, urlHelp string) natsFlags {
	return natsFlags{
		url:   fs.String("nats", "", urlHelp),
		creds: fs.String("creds", "", "NATS credentials: a .creds `FILE` (user JWT and NKEY seed) or an NKEY user seed file"),
		tlsCA: fs.String("tls-ca", "", "PEM `FILE` of the CA that signed the NATS server's certificate (TLS)"),
	}
}

func (n natsFlags) dial(name string) natsrun.Dial {
	return natsrun.Dial{URL: *n.url, Creds: *n.creds, TLSCA: *n.tlsCA, Name: name}
}

func runWorker(c *context, args []string) int {
	fs := c.newFlags("worker", "--nats URL [flags]",
		"Runs league and sweep jobs for submitters (mrasim eval --nats, mrasim sweep --nats) through\na NATS JetStream "+
			"server until interrupted. Workers need nothing but the URL: run folders and checkpoints\n"+
			"come through the server, verified by SHA-256. A job running when the worker stops is\n"+
			"delivered again to another worker.")
	nf := addNATSFlags(fs, "NATS server `URL`: nats://host:4222, nats://user:password@host:4222, nats://token@host:4222, tls://host:4222")
	concurrency := fs.Int("concurrency", 1, "jobs at once (a job uses one core)")
	name := fs.String("name", "", "how results and progress name this worker (default host-pid)")
	rest, code, done := c.parse(fs, args)
	if done {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(c.stderr, "mrasim worker: unexpected argument %q\n", rest[0])
		return ExitUsage
	}
	if *nf.url == "" {
		fmt.Fprintln(c.stderr, "mrasim worker: --nats URL is required, e.g. --nats nats://localhost:4222")
		return ExitUsage
	}
	if *concurrency < 1 {
		fmt.Fprintln(c.stderr, "mrasim worker: --concurrency must be ≥ 1")
		return ExitUsage
	}
	nc, err := natsrun.Connect(nf.dial("mrasim worker"))
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim worker: %v\n", err)
		return ExitFailure
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(stdcontext.Background(), trainSignals...)
	defer stop()
	w := &natsrun.Worker{Conn: nc, Settings: natsrun.DefaultSettings(), Concurrency: *concurrency, Name: *name, Log: c.stderr}
	if w.Name == "" {
		host, _ := os.Hostname()
		w.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	fmt.Fprintf(c.stderr, "worker %s: %d job(s) at once from %s; stop with Ctrl-C\n", w.Name, *concurrency, nc.ConnectedUrlRedacted())
	served := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			stop() // a second Ctrl-C ends the process; its running jobs go to other workers
			fmt.Fprintf(c.stderr, "worker %s: finishing the running jobs; Ctrl-C again to abandon them\n", w.Name)
		case <-served:
		}
	}()
	w.Serve(ctx)
	close(served)
	fmt.Fprintf(c.stderr, "worker %s: stopped\n", w.Name)
	return ExitOK
}
