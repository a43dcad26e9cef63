package natsrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/mra"
)

// planJSON is a league plan as encoded by package league, written out by
// hand so that each case can break one thing.
func planJSON(version int, pop string, state string) []byte {
	entries := `[{"kind":"random"}]`
	if state != "" {
		cfg, _ := json.Marshal(mra.DefaultConfig())
		entries = `[{"kind":"run","label":"broken","algo":"mra","settings":` + string(cfg) + `,"setup":{"Game":"elfarol","Populations":[[{"Type":"players","Count":3}]]},"state":"` + state + `"}]`
	}
	return fmt.Appendf(nil, `{"version":%d,"options":{"Game":"elfarol","Populations":[[{"Type":"players","Count":%s}]],"Episodes":2,"Seed":1},"entries":%s}`,
		version, pop, entries)
}

func evalJob(id, plan string) jobs.Job {
	payload, _ := json.Marshal(map[string]any{"version": 1, "plan": plan, "index": 0})
	return jobs.Job{ID: id, Kind: league.KindEval, Payload: payload}
}

// opaque is an entry package league cannot send.
type opaque struct{}

func (opaque) Name() string { return "opaque" }
func (opaque) Algo() string { return "fixed" }
func (opaque) Policy(_ *env.Spec, seed uint64) (agents.Policy, error) {
	return agents.NewRandom(seed), nil
}

// TestWorkerRefuses: payloads that cannot succeed are refused on their
// first delivery and the refusal says why.
func TestWorkerRefuses(t *testing.T) {
	srv := startServer(t, t.TempDir(), nil)
	s := testSettings(false)
	startWorker(t, srv.ClientURL(), s, "w", 2, nil)
	nc := connect(t, srv.ClientURL())
	ctx := context.Background()
	res, err := ensure(ctx, nc, s)
	if err != nil {
		t.Fatal(err)
	}

	// Through the runner: league plans that do not validate.
	fixed := func(b []byte) map[string][]byte { return map[string][]byte{jobs.BlobSum(b): b} }
	good := planJSON(1, "4", "")
	garbage := []byte("not a checkpoint state")
	withState := planJSON(1, "4", jobs.BlobSum(garbage))
	tampered := planJSON(1, "5", "")
	for _, tc := range []struct {
		name  string
		plan  []byte
		blobs map[string][]byte
		setup func()
		want  string
	}{
		{"sanity: a good plan runs", good, fixed(good), nil, ""},
		{"unknown plan version", planJSON(9, "4", ""), fixed(planJSON(9, "4", "")), nil, "plan version 9"},
		{"scenario that does not validate", planJSON(1, "1", ""), fixed(planJSON(1, "1", "")), nil, "plan does not validate"},
		{"checkpoint that does not load", withState, map[string][]byte{jobs.BlobSum(withState): withState, jobs.BlobSum(garbage): garbage}, nil, "league: run broken"},
		{"checksum mismatch", tampered, fixed(tampered), func() {
			// Someone replaced the object by content of the same size.
			bad := []byte(strings.Replace(string(tampered), `"Count":5`, `"Count":6`, 1))
			if len(bad) != len(tampered) {
				t.Fatal("tampering changed the size")
			}
			if _, err := res.blobs.PutBytes(ctx, jobs.BlobSum(tampered), bad); err != nil {
				t.Fatal(err)
			}
		}, "checksum mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			b := jobs.Batch{Jobs: []jobs.Job{evalJob("j", jobs.BlobSum(tc.plan))}, Blobs: tc.blobs}
			r := &Runner{Conn: nc, Settings: s}
			_, err := r.Run(ctx, b, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, jobs.ErrRefused) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a refusal saying %q", err, tc.want)
			}
			if rec := storedRecord(t, nc, s, b, "j"); rec.Deliveries != 1 || !rec.Refused {
				t.Errorf("refused on delivery %d (refused %v), want at once", rec.Deliveries, rec.Refused)
			}
		})
	}

	t.Run("entry that cannot be sent", func(t *testing.T) {
		_, err := league.Play([]league.Entry{opaque{}}, league.Options{Game: "elfarol", Populations: []env.Population{{{Type: "players", Count: 3}}},
			Episodes: 1, Runner: &Runner{Conn: nc, Settings: s}})
		if !errors.Is(err, jobs.ErrRefused) || !strings.Contains(err.Error(), "runs only in the submitting process") {
			t.Fatalf("error %v", err)
		}
	})

	// Raw messages: what the runner would never publish.
	batch := strings.Repeat("ab", 16)
	for _, tc := range []struct {
		name   string
		body   envelope
		badSum bool
		want   string
	}{
		{"unknown message version", envelope{Version: 2, Batch: batch, ID: "v2", Kind: "test.echo"}, false, "job message version 2"},
		{"message checksum mismatch", envelope{Version: 1, Batch: batch, ID: "sum", Kind: "test.echo"}, true, "job message checksum mismatch"},
		{"unknown kind", envelope{Version: 1, Batch: batch, ID: "kind", Kind: "no.such"}, false, `unknown job kind "no.such"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(tc.body)
			msg := &nats.Msg{Subject: s.jobSubject("raw"), Data: body, Header: nats.Header{}}
			sum := jobs.BlobSum(body)
			if tc.badSum {
				sum = jobs.BlobSum(append(body, ' '))
			}
			msg.Header.Set(sumHeader, sum)
			if _, err := res.js.PublishMsg(ctx, msg); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				e, err := res.results.Get(ctx, resultKey(batch, tc.body.ID))
				if err == nil {
					var rec record
					json.Unmarshal(e.Value(), &rec)
					if !rec.Refused || !strings.Contains(rec.Error, tc.want) {
						t.Errorf("record %+v, want a refusal saying %q", rec, tc.want)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("no record: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
