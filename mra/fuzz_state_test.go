package mra

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// fuzzRun is a small trained run for the fuzz targets: its trainer, the
// trainer state written with SaveTo into dir (replay buffers in segment
// files) and the payloads of those segment files.
type fuzzRun struct {
	cfg      Config
	setup    Setup
	trainer  *Trainer
	state    []byte // SaveTo's state
	inline   []byte // Save's state
	dir      string
	segments [][]byte
}

// newFuzzRun trains a few rounds of a small run whose buffer wraps, in
// replay mode, checkpointing into a folder of its own twice.
func newFuzzRun(tb testing.TB, mode string) *fuzzRun {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates, cfg.BufferLength = 16, 40, 1, 60
	cfg.Hidden, cfg.Latents, cfg.HeadDim, cfg.ValueDim, cfg.CriticKey = 4, 2, 2, 4, 2
	cfg.Replay = mode
	setup := Setup{Game: "resource", Params: map[string]any{"max_steps": 6}, Seed: 3, Episodes: 16, ParallelEnvs: 2, LogEvery: 2}
	for _, s := range []string{"agents=2", "agents=3"} {
		p, err := env.ParsePopulation(s)
		if err != nil {
			tb.Fatal(err)
		}
		setup.Populations = append(setup.Populations, p)
	}
	tr, err := NewTrainer(cfg, setup)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(tr.Close)
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
	var buf bytes.Buffer
	tr.Save(checkpoint.NewEncoder(&buf))
	r.inline = buf.Bytes()
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".seg") {
			p, _, err := checkpoint.ReadFile(filepath.Join(r.dir, e.Name()), SegmentKind, SegmentVersion)
			if err != nil {
				tb.Fatal(err)
			}
			r.segments = append(r.segments, p)
		}
	}
	if len(r.segments) < 2 {
		tb.Fatalf("%d segment files, want some", len(r.segments))
	}
	return r
}

// FuzzReplaySegment reads arbitrary segment payloads (seeded with real
// ones) into a buffer shaped as a trained run's, in both replay modes:
// never a panic, and never an allocation from a count in the data.
func FuzzReplaySegment(f *testing.F) {
	runs := map[bool]*fuzzRun{true: newFuzzRun(f, ReplayStates), false: newFuzzRun(f, ReplayObservations)}
	for states, r := range runs {
		for _, s := range r.segments {
			f.Add(s, states, uint8(0))
			f.Add(s, states, uint8(1))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, states bool, pop uint8) {
		r := runs[states]
		b := r.trainer.games[int(pop)%len(r.trainer.games)].buf
		h := header{mode: b.Mode(), total: b.total, length: b.len, next: b.next}
		if b.st != nil {
			h.recLen, h.seq, h.recsFrom = b.st.recLen, b.st.seq, b.recordsFrom()
		}
		fresh := b.fresh(h)
		d := checkpoint.NewDecoder(data)
		if err := fresh.readBody(d); err == nil {
			_ = d.Done()
		}
	})
}

// FuzzTrainerState loads arbitrary trainer states (seeded with real ones,
// inline and with segment files) into a fresh trainer of the run, and reads
// their networks and rounds as eval and resume do: never a panic.
func FuzzTrainerState(f *testing.F) {
	r := newFuzzRun(f, ReplayStates)
	f.Add(r.state)
	f.Add(r.inline)
	f.Add(r.state[:len(r.state)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := NewTrainer(r.cfg, r.setup)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		_ = tr.LoadFrom(data, r.dir)
		if m, err := LoadModel(r.cfg, r.setup, data); err == nil {
			m.Close()
		}
		_, _ = StateRound(r.cfg, r.setup, data)
		_, _ = ModelState(data)
	})
}

// TestFuzzSeedsLoad: the fuzz targets' seeds are real, loadable states.
func TestFuzzSeedsLoad(t *testing.T) {
	for _, mode := range []string{ReplayStates, ReplayObservations} {
		r := newFuzzRun(t, mode)
		for _, state := range [][]byte{r.state, r.inline} {
			tr, err := NewTrainer(r.cfg, r.setup)
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
