package natsrun

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Dial says how to reach a NATS server.
type Dial struct {
	// URL of the server(s), comma-separated: nats://host:4222,
	// nats://user:password@host:4222, nats://token@host:4222, or
	// tls:// (also written nats+tls://) for TLS.
	URL   string
	Creds string // a .creds file (user JWT and NKEY seed) or an NKEY user seed file; optional
	TLSCA string // a PEM file of the CA that signed the server's certificate; optional
	Name  string // client name shown by the server's monitoring
}

// Connect connects to the server and reconnects forever after losing it
// (a restarted server is waited for; JetStream keeps the jobs on disk).
func Connect(d Dial) (*nats.Conn, error) {
	if d.URL == "" {
		return nil, errors.New("natsrun: no server URL; want e.g. nats://localhost:4222")
	}
	urls := strings.Split(d.URL, ",")
	for i, u := range urls {
		u = strings.TrimSpace(u)
		if rest, ok := strings.CutPrefix(u, "nats+tls://"); ok {
			u = "tls://" + rest
		}
		urls[i] = u
	}
	opts := []nats.Option{
		nats.Name(d.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.Timeout(5 * time.Second),
	}
	if d.Creds != "" {
		data, err := os.ReadFile(d.Creds)
		if err != nil {
			return nil, fmt.Errorf("natsrun: credentials: %w", err)
		}
		switch {
		case strings.Contains(string(data), "BEGIN NATS USER JWT"):
			opts = append(opts, nats.UserCredentials(d.Creds))
		case strings.HasPrefix(strings.TrimSpace(string(data)), "SU"):
			o, err := nats.NkeyOptionFromSeed(d.Creds)
			if err != nil {
				return nil, fmt.Errorf("natsrun: credentials %s: %w", d.Creds, err)
			}
			opts = append(opts, o)
		default:
			return nil, fmt.Errorf("natsrun: credentials %s: neither a .creds file (user JWT and seed) nor an NKEY user seed (SU…)", d.Creds)
		}
	}
	if d.TLSCA != "" {
		if _, err := os.Stat(d.TLSCA); err != nil {
			return nil, fmt.Errorf("natsrun: TLS CA: %w", err)
		}
		opts = append(opts, nats.RootCAs(d.TLSCA))
	}
	nc, err := nats.Connect(strings.Join(urls, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("natsrun: connecting to %s: %w", redact(urls), err)
	}
	return nc, nil
}

// redact hides passwords and tokens of URLs in messages.
func redact(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		p, err := url.Parse(u)
		if err != nil {
			out[i] = "(an unparsable URL)"
			continue
		}
		if p.User != nil {
			out[i] = p.Scheme + "://***@" + p.Host + p.Path
			continue
		}
		out[i] = p.String()
	}
	return strings.Join(out, ",")
}

// Settings name the JetStream resources and set their behaviour. The
// submitter and the workers must use the same settings; DefaultSettings
// is what the command line uses.
type Settings struct {
	Stream   string // work-queue stream of jobs
	Subject  string // subject prefix: jobs on <Subject>.job.<kind>, heartbeats on <Subject>.heartbeat
	Consumer string // the durable pull consumer all workers share
	Results  string // key-value bucket of results, keyed <batch>.<job id>
	Blobs    string // object store of blobs, named by SHA-256

	// AckWait is how long a delivered job may go without an ack or an
	// InProgress before the server delivers it again; workers send
	// InProgress every AckWait/3, so only a dead or cut-off worker's job
	// is redelivered.
	AckWait time.Duration
	// MaxDeliver is how many times a job is delivered before it is given
	// up as failed.
	MaxDeliver int
	// Retry is the delay before a job whose handler failed is delivered
	// again.
	Retry time.Duration
	// ResultTTL is how long results stay in the bucket (the resume cache
	// of restarted submitters).
	ResultTTL time.Duration
	Storage   jetstream.StorageType // FileStorage survives a server restart
	Replicas  int                   // copies of each stream in a cluster (1 on a single server)
	Heartbeat time.Duration         // how often workers announce themselves
}

// DefaultSettings returns the settings of the command line.
func DefaultSettings() Settings {
	return Settings{
		Stream:     "MRASIM_JOBS",
		Subject:    "mrasim",
		Consumer:   "mrasim-workers",
		Results:    "MRASIM_RESULTS",
		Blobs:      "MRASIM_BLOBS",
		AckWait:    60 * time.Second,
		MaxDeliver: 4,
		Retry:      5 * time.Second,
		ResultTTL:  7 * 24 * time.Hour,
		Storage:    jetstream.FileStorage,
		Replicas:   1,
		Heartbeat:  2 * time.Second,
	}
}

func (s Settings) jobSubject(kind string) string { return s.Subject + ".job." + kind }
func (s Settings) heartbeatSubject() string      { return s.Subject + ".heartbeat" }
func (s Settings) maxDeliveriesAdvisory() string {
	return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + s.Stream + "." + s.Consumer
}

// resources are the JetStream resources of a submitter or a worker.
type resources struct {
	js      jetstream.JetStream
	stream  jetstream.Stream
	cons    jetstream.Consumer
	results jetstream.KeyValue
	blobs   jetstream.ObjectStore
}

// ensureTimeout bounds ensure when its context has no deadline.
const ensureTimeout = 30 * time.Second

// ensure creates the stream, the consumer, the bucket and the object store
// or updates them to s, so either side may start first.
func ensure(ctx context.Context, nc *nats.Conn, s Settings) (*resources, error) {
	if _, ok := ctx.Deadline(); !ok {
		// Without a deadline each request gets the library's 5 s, which a
		// server on a fully loaded machine has missed (CI, creating the
		// stream: "context deadline exceeded"); give the four creations
		// 30 s together instead.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ensureTimeout)
		defer cancel()
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsrun: %w", err)
	}
	r := &resources{js: js}
	r.stream, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        s.Stream,
		Description: "mrasim jobs waiting for a worker",
		Subjects:    []string{s.Subject + ".job.>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     s.Storage,
		Replicas:    s.Replicas,
		Duplicates:  10 * time.Minute,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return nil, fmt.Errorf("natsrun: stream %s: %w", s.Stream, err)
	}
	r.cons, err = r.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       s.Consumer,
		Description:   "mrasim workers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.AckWait,
		MaxDeliver:    s.MaxDeliver,
		MaxAckPending: 10_000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("natsrun: consumer %s: %w", s.Consumer, err)
	}
	r.results, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      s.Results,
		Description: "mrasim job results by <batch>.<job id>",
		History:     1,
		TTL:         s.ResultTTL,
		Storage:     s.Storage,
		Replicas:    s.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsrun: key-value bucket %s: %w", s.Results, err)
	}
	r.blobs, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      s.Blobs,
		Description: "mrasim plans and checkpoints by SHA-256",
		TTL:         s.ResultTTL,
		Storage:     s.Storage,
		Replicas:    s.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsrun: object store %s: %w", s.Blobs, err)
	}
	return r, nil
}
