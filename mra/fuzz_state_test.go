package mra

import (
	"bytes"
	"context"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// fuzzRun is a small trained run for the fuzz targets: its trainer, the
// trainer state written with SaveTo into dir (replay buffers in segment
// files) and the payloads of those segment files.
type fuzzRun struct {
	cfg     Config
	setup   learner.Setup
	trainer *learner.Trainer
	state   []byte // SaveTo's state
	inline  []byte // Save's state
	dir     string
}

// newFuzzRun trains a few rounds of a small run whose buffer wraps, in
// replay mode, checkpointing into a folder of its own twice.
func newFuzzRun(tb testing.TB, mode string) *fuzzRun {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates, cfg.BufferLength = 16, 40, 1, 60
	cfg.Hidden, cfg.Latents, cfg.HeadDim, cfg.ValueDim, cfg.CriticKey = 4, 2, 2, 4, 2
	cfg.Replay = mode
	setup := learner.Setup{Game: "resource", Params: map[string]any{"max_steps": 6}, Seed: 3, Episodes: 16, ParallelEnvs: 2, LogEvery: 2,
		Populations: learnertest.Pops(tb, "agents=2", "agents=3")}
	tr := learnertest.Start(tb, cfg, setup)
	r := &fuzzRun{cfg: cfg, setup: setup, trainer: tr, dir: tb.TempDir()}
	save := func() {
		var buf bytes.Buffer
		if err := tr.SaveTo(checkpoint.NewEncoder(&buf), r.dir); err != nil {
			tb.Fatal(err)
		}
		if err := tr.PruneSegments(r.dir); err != nil {
			tb.Fatal(err)
		}
		r.state = buf.Bytes()
	}
	if err := tr.Run(context.Background(), nil, func() error {
		if tr.Round() == 4 {
			save()
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	save()
	r.inline = learnertest.Save(tb, tr)
	return r
}

// FuzzTrainerState loads arbitrary trainer states (seeded with real ones,
// inline and with segment files) into a fresh trainer of the run, and reads
// their networks and rounds as eval and resume do: never a panic.
func FuzzTrainerState(f *testing.F) {
	r := newFuzzRun(f, replay.ModeStates)
	f.Add(r.state)
	f.Add(r.inline)
	f.Add(r.state[:len(r.state)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := learner.NewTrainer(r.cfg, r.setup)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		_ = tr.LoadFrom(data, r.dir)
		if m, err := LoadModel(r.cfg, r.setup, data); err == nil {
			m.Close()
		}
		_, _ = learner.StateRound(r.cfg, r.setup, data)
		_, _ = learner.ModelState(data)
	})
}

// TestFuzzSeedsLoad: the fuzz targets' seeds are real, loadable states.
func TestFuzzSeedsLoad(t *testing.T) {
	for _, mode := range []string{replay.ModeStates, replay.ModeObservations} {
		r := newFuzzRun(t, mode)
		for _, state := range [][]byte{r.state, r.inline} {
			tr, err := learner.NewTrainer(r.cfg, r.setup)
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.LoadFrom(state, r.dir); err != nil {
				t.Errorf("%s: %v", mode, err)
			}
			tr.Close()
		}
	}
}
