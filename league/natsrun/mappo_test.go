package natsrun

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/mappo"
)

// TestMAPPOLeagueLocalAndNATS evaluates a trained MAPPO run (float32, an
// attention encoder) against random play in resource occupation, at a
// training and an unseen population, with best responses to both: the
// league's jobs (evaluation episodes and best responses) give the same
// results.json on one local worker and on three NATS workers.
func TestMAPPOLeagueLocalAndNATS(t *testing.T) {
	s := mappo.Defaults(mappo.NameMAPPO)
	s.Hidden, s.Epochs, s.Encoder, s.Precision = 8, 2, mappo.EncoderAttention, mappo.PrecisionFloat32
	setup := learner.Setup{Game: "resource", Populations: []env.Population{{{Type: "agents", Count: 2}}, {{Type: "agents", Count: 3}}},
		Seed: 3, Episodes: 8, ParallelEnvs: 4, LogEvery: 4}
	state := learnertest.MustTrain(t, s, setup)
	entries := []league.Entry{&league.Run{Label: "mappo", Settings: s, Setup: setup, State: state}, league.Random{}}
	opts := league.Options{Game: "resource", Populations: []env.Population{{{Type: "agents", Count: 3}}, {{Type: "agents", Count: 4}}},
		Episodes: 3, Seed: 11, BR: tinyBR}

	srv := startServer(t, t.TempDir(), nil)
	ts := testSettings(false)
	for i := range 3 {
		startWorker(t, srv.ClientURL(), ts, fmt.Sprintf("w%d", i), 1, nil)
	}
	opts.Runner = jobs.Local{Workers: 1}
	local := resultsJSON(t, entries, opts)
	opts.Runner = &Runner{Conn: connect(t, srv.ClientURL()), Settings: ts}
	remote := resultsJSON(t, entries, opts)
	if !bytes.Equal(local, remote) {
		t.Fatalf("results.json differs:\nlocal: %s\nNATS: %s", local, remote)
	}
	for _, want := range []string{`"mappo"`, `"agents=4"`, league.NashConvBR} {
		if !bytes.Contains(local, []byte(want)) {
			t.Errorf("the league lacks %s:\n%s", want, local)
		}
	}
}
