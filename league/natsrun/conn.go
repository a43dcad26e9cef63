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

	"github.com/mrasim/mrasim/internal/fsutil"
)

// Dial says how to reach a NATS server.
type Dial struct {
	// URL of the server(s), comma-separated: nats://host:4222,
	// nats://user:password@host:4222, nats://token@host:4222, or
	// tls:// (also written nats+tls://) for TLS.
	URL   string
	Creds string // a .creds file (user JWT and NKEY seed) or an NKEY user seed file; optional
	// Token authenticates with a token given apart from the URL (read
	// from a file or the environment, so that `ps` does not show it);
	// optional, and not together with credentials in the URL.
	Token string
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
	if d.Token != "" {
		for _, u := range urls {
			if p, err := url.Parse(u); err == nil && p.User != nil {
				return nil, fmt.Errorf("natsrun: %s carries credentials and a token is given too: give one of them", Redact(u))
			}
		}
	}
	opts := []nats.Option{
		nats.Name(d.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.Timeout(5 * time.Second),
	}
	if d.Creds != "" {
		data, err := fsutil.ReadRegular(d.Creds, maxCredsFile)
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
	if d.Token != "" {
		opts = append(opts, nats.Token(d.Token))
	}
	if d.TLSCA != "" {
		if _, err := os.Stat(d.TLSCA); err != nil {
			return nil, fmt.Errorf("natsrun: TLS CA: %w", err)
		}
		opts = append(opts, nats.RootCAs(d.TLSCA))
	}
	nc, err := nats.Connect(strings.Join(urls, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("natsrun: connecting to %s: %w", Redact(strings.Join(urls, ",")), err)
	}
	return nc, nil
}

// Redact returns the comma-separated server URLs with every credential
// (a token, a user and password) replaced by ***, for messages: URLs are
// printed, logged and pasted into reports, secrets must not be.
func Redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		u = strings.TrimSpace(u)
		p, err := url.Parse(u)
		if err != nil {
			parts[i] = "(an unparsable URL)"
			continue
		}
		if p.User != nil {
			parts[i] = p.Scheme + "://***@" + p.Host + p.Path
			continue
		}
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
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

// ensureTimeout bounds ensure when its context has no deadline;
// ensureAttempt bounds one request of it, after which ensure asks again.
// maxCredsFile bounds a credentials file (a user JWT and seed is about a
// kilobyte).
const maxCredsFile = 64 << 10

const (
	ensureTimeout = 30 * time.Second
	ensureAttempt = 5 * time.Second
)

// ensure creates the stream, the consumer, the bucket and the object store
// or updates them to s, so either side may start first.
//
// Workers and submitters often start together and ensure the same
// resources at once. Each resource is therefore created first — a create
// with the configuration the server already has is answered with the
// existing resource and changes nothing — and updated only when the server
// says it exists with another configuration: concurrent updates of one
// stream are what the server handles worst (its race detector reports the
// file store's configuration written by an update while a consumer create
// reads it; nats.go issue 949 reports unanswered concurrent creates). A
// request left unanswered for ensureAttempt is asked again (every step is
// idempotent) until ctx ends.
func ensure(ctx context.Context, nc *nats.Conn, s Settings) (*resources, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ensureTimeout)
		defer cancel()
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsrun: %w", err)
	}
	r := &resources{js: js}
	streamCfg := jetstream.StreamConfig{
		Name:        s.Stream,
		Description: "mrasim jobs waiting for a worker",
		Subjects:    []string{s.Subject + ".job.>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     s.Storage,
		Replicas:    s.Replicas,
		Duplicates:  10 * time.Minute,
		Discard:     jetstream.DiscardOld,
	}
	r.stream, err = retryUnanswered(ctx, func(ctx context.Context) (jetstream.Stream, error) {
		st, err := js.CreateStream(ctx, streamCfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return js.UpdateStream(ctx, streamCfg)
		}
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("natsrun: stream %s: %w", s.Stream, err)
	}
	consCfg := jetstream.ConsumerConfig{
		Durable:       s.Consumer,
		Description:   "mrasim workers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.AckWait,
		MaxDeliver:    s.MaxDeliver,
		MaxAckPending: 10_000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	r.cons, err = retryUnanswered(ctx, func(ctx context.Context) (jetstream.Consumer, error) {
		c, err := r.stream.CreateConsumer(ctx, consCfg)
		if errors.Is(err, jetstream.ErrConsumerExists) {
			return r.stream.UpdateConsumer(ctx, consCfg)
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("natsrun: consumer %s: %w", s.Consumer, err)
	}
	kvCfg := jetstream.KeyValueConfig{
		Bucket:      s.Results,
		Description: "mrasim job results by <batch>.<job id>",
		History:     1,
		TTL:         s.ResultTTL,
		Storage:     s.Storage,
		Replicas:    s.Replicas,
	}
	r.results, err = retryUnanswered(ctx, func(ctx context.Context) (jetstream.KeyValue, error) {
		kv, err := js.CreateKeyValue(ctx, kvCfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			return js.UpdateKeyValue(ctx, kvCfg)
		}
		return kv, err
	})
	if err != nil {
		return nil, fmt.Errorf("natsrun: key-value bucket %s: %w", s.Results, err)
	}
	objCfg := jetstream.ObjectStoreConfig{
		Bucket:      s.Blobs,
		Description: "mrasim plans and checkpoints by SHA-256",
		TTL:         s.ResultTTL,
		Storage:     s.Storage,
		Replicas:    s.Replicas,
	}
	r.blobs, err = retryUnanswered(ctx, func(ctx context.Context) (jetstream.ObjectStore, error) {
		o, err := js.CreateObjectStore(ctx, objCfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			return js.UpdateObjectStore(ctx, objCfg)
		}
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("natsrun: object store %s: %w", s.Blobs, err)
	}
	return r, nil
}

// retryUnanswered runs f with at most ensureAttempt for each try and tries
// again while a try timed out and ctx has time left.
func retryUnanswered[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, ensureAttempt)
		v, err := f(actx)
		cancel()
		if err == nil || ctx.Err() != nil ||
			!(errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout)) {
			return v, err
		}
	}
}
