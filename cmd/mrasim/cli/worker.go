package cli

import (
	stdcontext "context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/internal/fsutil"
	"github.com/mrasim/mrasim/league/natsrun"
)

// natsFlags are the flags that say how to reach a NATS server.
type natsFlags struct {
	url, creds, tlsCA, tokenFile *string
}

// envNATSToken is the environment variable that may hold a NATS token
// (see --token-file): a token in the URL shows in `ps`.
const envNATSToken = "MRASIM_NATS_TOKEN"

func addNATSFlags(fs *flag.FlagSet, urlHelp string) natsFlags {
	return natsFlags{
		url:       fs.String("nats", "", urlHelp),
		creds:     fs.String("creds", "", "NATS credentials: a .creds `FILE` (user JWT and NKEY seed) or an NKEY user seed file"),
		tlsCA:     fs.String("tls-ca", "", "PEM `FILE` of the CA that signed the NATS server's certificate (TLS)"),
		tokenFile: fs.String("token-file", "", "read the NATS server's token from `FILE` (its first line) instead of the URL, where ps shows it;\nwithout it the token may come from the environment variable "+envNATSToken),
	}
}

// dial says how to connect: the URL and files of the flags, and a token
// from --token-file or else from $MRASIM_NATS_TOKEN.
func (n natsFlags) dial(name string) (natsrun.Dial, error) {
	d := natsrun.Dial{URL: *n.url, Creds: *n.creds, TLSCA: *n.tlsCA, Name: name}
	if *n.tokenFile != "" {
		data, err := fsutil.ReadRegular(*n.tokenFile, 64<<10)
		if err != nil {
			return d, fmt.Errorf("--token-file: %w", err)
		}
		line, _, _ := strings.Cut(string(data), "\n")
		if d.Token = strings.TrimSpace(line); d.Token == "" {
			return d, fmt.Errorf("--token-file %s: the first line is empty; want the token", *n.tokenFile)
		}
		return d, nil
	}
	d.Token = strings.TrimSpace(os.Getenv(envNATSToken))
	return d, nil
}

// connect connects to the server the flags name, as program command
// (e.g. "mrasim eval"); its error carries the exit code.
func (n natsFlags) connect(command string) (*nats.Conn, error) {
	d, err := n.dial(command)
	if err != nil {
		return nil, badInput(err)
	}
	nc, err := natsrun.Connect(d)
	if err != nil {
		return nil, failed(err)
	}
	return nc, nil
}

// workerCommand runs jobs submitted through a NATS server.
var workerCommand = &command{
	name:     "worker",
	synopsis: "--nats URL [flags]",
	short:    "run league and sweep jobs submitted through a NATS JetStream server (eval --nats, sweep --nats)",
	long: "Runs league and sweep jobs for submitters (mrasim eval --nats, mrasim sweep --nats) through\na NATS JetStream " +
		"server until interrupted. Workers need nothing but the URL: run folders and checkpoints\n" +
		"come through the server, verified by SHA-256. A job running when the worker stops is\n" +
		"delivered again to another worker.",
	flags: func(fs *flag.FlagSet) runFunc {
		f := &workerFlags{}
		f.nats = addNATSFlags(fs, "NATS server `URL`: nats://host:4222, nats://user:password@host:4222, nats://token@host:4222, tls://host:4222\n(ps shows a URL's credentials: prefer --token-file or $"+envNATSToken+")")
		fs.IntVar(&f.concurrency, "concurrency", 1, "jobs at once (a job uses one core)")
		fs.StringVar(&f.name, "name", "", "how results and progress name this worker (default host-pid)")
		fs.StringVar(&f.maxMemory, "max-memory", "", "the memory `SIZE` the jobs running at once may use together (e.g. 8GiB; default: the available\n"+
			"memory, the least of MemAvailable, the room under RLIMIT_AS and under the cgroup's memory.max; 0: no\n"+
			"limit); a sweep job estimated above it fails at once, without being delivered to another worker")
		return f.run
	},
}

// workerFlags are worker's flags.
type workerFlags struct {
	nats        natsFlags
	concurrency int
	name        string
	maxMemory   string
}

func (f *workerFlags) run(c *context, rest []string) error {
	if len(rest) > 0 {
		return badInputf("unexpected argument %q", rest[0])
	}
	if *f.nats.url == "" {
		return badInputf("--nats URL is required, e.g. --nats nats://localhost:4222")
	}
	if f.concurrency < 1 {
		return badInputf("--concurrency must be ≥ 1")
	}
	budget, err := newMemoryBudget(f.maxMemory)
	if err != nil {
		return badInput(err)
	}
	nc, err := f.nats.connect("mrasim worker")
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(stdcontext.Background(), trainSignals...)
	defer stop()
	w := &natsrun.Worker{Conn: nc, Settings: natsrun.DefaultSettings(), Concurrency: f.concurrency, Name: f.name, Log: c.stderr}
	if w.Name == "" {
		host, _ := os.Hostname()
		w.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	fmt.Fprintf(c.stderr, "worker %s: %d job(s) at once from %s; stop with Ctrl-C\n", w.Name, f.concurrency, natsrun.Redact(nc.ConnectedUrl()))
	if budget.limit > 0 {
		fmt.Fprintf(c.stderr, "worker %s: memory limit %s (%s), shared by its jobs\n", w.Name, memest.Format(budget.limit), budget.source)
	} else {
		fmt.Fprintf(c.stderr, "worker %s: memory: %s\n", w.Name, budget.source)
	}
	served := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			stop() // a second Ctrl-C ends the process; its running jobs go to other workers
			fmt.Fprintf(c.stderr, "worker %s: finishing the running jobs; Ctrl-C again to abandon them\n", w.Name)
		case <-served:
		}
	}()
	w.Serve(withBudget(ctx, budget))
	close(served)
	fmt.Fprintf(c.stderr, "worker %s: stopped\n", w.Name)
	return nil
}
