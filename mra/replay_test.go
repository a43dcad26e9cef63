package mra_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/mra"
)

// TestStateReplayIsBitIdentical trains the same run with the replay buffer
// storing observations and storing game states (regenerated with SetState
// + Observe, by one and by three sampling workers): networks, optimizers
// and metrics must agree bit for bit after several update cycles. Resource
// has no deaths, pacman has agents leaving the episode (alive flags, masked
// entities, terminal states), publicgoods is one-shot (every transition
// starts and ends an episode). The small buffer wraps, so record eviction
// is exercised too.
func TestStateReplayIsBitIdentical(t *testing.T) {
	cases := []struct {
		game     string
		pops     []string
		episodes int
		buffer   int
	}{
		{"resource", []string{"agents=2", "agents=3"}, 12, 400},
		{"pacman", []string{"pacmen=2,ghosts=2", "pacmen=3,ghosts=1"}, 12, 400},
		{"publicgoods", []string{"players=2", "players=4"}, 96, 40},
	}
	for _, c := range cases {
		t.Run(c.game, func(t *testing.T) {
			cfg := smallConfig(mra.AlgoMRA)
			cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates, cfg.BufferLength = 16, 10, 2, c.buffer
			cfg.Replay = replay.ModeObservations
			obs := learnertest.NewTrainer(t, cfg, c.game, nil, c.pops, c.episodes, 4, 1)
			want := learnertest.Run(t, obs)
			if want[len(want)-1].Updates < 3 {
				t.Fatalf("only %d update cycles: the test proves little", want[len(want)-1].Updates)
			}
			for _, workers := range []int{1, 3} {
				cfg.Replay = replay.ModeStates
				st := learnertest.NewTrainer(t, cfg, c.game, nil, c.pops, c.episodes, 4, workers)
				if modes := st.ReplayModes(); !slices.Equal(modes, []string{replay.ModeStates, replay.ModeStates}) {
					t.Fatalf("replay modes %v, want states", modes)
				}
				got := learnertest.Run(t, st)
				if !bytes.Equal(mra.TrainedModel(obs.Learner()).AppendState(nil), mra.TrainedModel(st.Learner()).AppendState(nil)) {
					t.Fatalf("%d workers: networks trained from game states differ from those trained from observations", workers)
				}
				learnertest.SameMetrics(t, want, got)
			}
		})
	}
}

// TestReplayModeAuto checks that the automatic choice takes the smaller
// buffer: game states in the particle games at N = 6, observations in a
// matrix game (whose observation is smaller than its state).
func TestReplayModeAuto(t *testing.T) {
	cfg := smallConfig(mra.AlgoMRA)
	cfg.Replay = replay.ModeAuto
	tr := learnertest.NewTrainer(t, cfg, "resource", nil, []string{"agents=6"}, 1, 1, 1)
	if got := tr.ReplayModes()[0]; got != replay.ModeStates {
		t.Errorf("resource at 6 agents: replay %s, want states", got)
	}
	tr = learnertest.NewTrainer(t, cfg, "publicgoods", nil, []string{"players=2"}, 1, 1, 1)
	if got := tr.ReplayModes()[0]; got != replay.ModeObservations {
		t.Errorf("publicgoods: replay %s, want observations", got)
	}
}

// fillReplay plays episodes of game at pop with fixed actions into a
// buffer of the given mode and returns it with its encoding.
func fillReplay(tb testing.TB, game, pop, mode string, transitions, workers int) (*replay.Buffer, *replay.Encoding) {
	tb.Helper()
	reg, err := env.Lookup(game)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := env.ParsePopulation(pop)
	if err != nil {
		tb.Fatal(err)
	}
	make1 := func() env.Game {
		g, err := reg.Make(nil, p)
		if err != nil {
			tb.Fatal(err)
		}
		return g
	}
	g := make1()
	enc, err := replay.NewEncoding(replay.GameFeatures(g.Spec()), g.Spec())
	if err != nil {
		tb.Fatal(err)
	}
	const latents = 2
	var buf *replay.Buffer
	if mode == replay.ModeStates {
		var games []env.Game
		for range workers {
			games = append(games, make1())
		}
		if buf, err = replay.NewStateBuffer(enc, transitions, latents, games, 1); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(buf.Close)
	} else {
		buf = replay.NewBuffer(enc, transitions, latents)
	}
	n := enc.N
	prev, next := env.NewFrame(g.Spec()), env.NewFrame(g.Spec())
	actions := make([]int, n)
	graph, z := make([]float64, n*enc.E), make([]float64, n*latents)
	g.Reset(1, next)
	for step := 0; buf.Len() < transitions; step++ {
		if next.Done() {
			g.Reset(uint64(step), next)
		}
		prev.CopyFrom(next)
		for i := range actions {
			actions[i] = (step + i) % g.Spec().Type(i).NumActions
		}
		buf.BeginStep(0, g, prev)
		g.Step(actions, next)
		buf.Record(0, g, prev, actions, next, graph, z)
	}
	return buf, enc
}

// BenchmarkSample draws batches of 1024 from a full buffer of each mode
// (resource, 6 agents); state mode regenerates observations with one or
// two workers. Sampling must not allocate.
func BenchmarkSample(b *testing.B) {
	for _, c := range []struct {
		mode    string
		workers int
	}{{replay.ModeObservations, 1}, {replay.ModeStates, 1}, {replay.ModeStates, 2}} {
		b.Run(fmt.Sprintf("%s/workers=%d", c.mode, c.workers), func(b *testing.B) {
			buf, enc := fillReplay(b, "resource", "agents=6", c.mode, 4096, c.workers)
			batch := replay.NewBatch(enc, 1024, 2)
			rng := rand.New(rand.NewPCG(1, 2))
			buf.Sample(rng, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				buf.Sample(rng, batch)
			}
		})
	}
}

// TestSampleAllocatesNothing pins BenchmarkSample's 0 allocs/op.
func TestSampleAllocatesNothing(t *testing.T) {
	for _, game := range []struct{ name, pop string }{{"resource", "agents=3"}, {"pacman", "pacmen=2,ghosts=2"}} {
		buf, enc := fillReplay(t, game.name, game.pop, replay.ModeStates, 300, 2)
		batch := replay.NewBatch(enc, 64, 2)
		rng := rand.New(rand.NewPCG(1, 2))
		buf.Sample(rng, batch)
		if a := testing.AllocsPerRun(20, func() { buf.Sample(rng, batch) }); a != 0 {
			t.Errorf("%s: sampling a state buffer allocates %v times per batch", game.name, a)
		}
		if err := buf.Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// saveTo writes tr's state with its replay buffers in segment files in dir
// and prunes the segments it no longer needs.
func saveTo(t testing.TB, tr *learner.Trainer, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := checkpoint.NewEncoder(&buf)
	if err := tr.SaveTo(e, dir); err != nil {
		t.Fatal(err)
	}
	if err := tr.PruneSegments(dir); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func segmentFiles(t testing.TB, dir string) map[string]int64 {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, p := range names {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = fi.Size()
	}
	return out
}

// TestSegmentedResumeIsExact: 32 episodes in one go equal 16, a
// checkpoint with the buffers in segment files, a resume into a new trainer
// and 16 more, bit for bit, in both replay modes; checkpoints after the
// first add only new segments; with a buffer small enough to wrap, the
// segments of overwritten transitions are pruned and the resume is still
// exact.
func TestSegmentedResumeIsExact(t *testing.T) {
	pops := []string{"agents=2", "agents=3"}
	for _, c := range []struct {
		mode   string
		buffer int
	}{{replay.ModeStates, 5000}, {replay.ModeObservations, 5000}, {replay.ModeStates, 100}, {replay.ModeObservations, 100}} {
		t.Run(fmt.Sprintf("%s/buffer=%d", c.mode, c.buffer), func(t *testing.T) {
			cfg := smallConfig(mra.AlgoMRA)
			cfg.Replay, cfg.BufferLength = c.mode, c.buffer
			whole := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 32, 4, 2)
			want := learnertest.Run(t, whole)

			dir := t.TempDir()
			first := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 16, 4, 2)
			var got []learner.Metrics
			if err := first.Run(context.Background(), func(m learner.Metrics) error { got = append(got, m); return nil }, func() error {
				if first.Episode() == 8 {
					saveTo(t, first, dir)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			before := segmentFiles(t, dir)
			state := saveTo(t, first, dir)
			after := segmentFiles(t, dir)
			// The second checkpoint keeps the first's segments that are
			// still needed, byte for byte, and adds one per population.
			added := 0
			for name, size := range after {
				if old, ok := before[name]; ok {
					if old != size {
						t.Fatalf("segment %s rewritten (%d → %d bytes)", name, old, size)
					}
				} else {
					added++
				}
			}
			if added != len(pops) {
				t.Fatalf("the second checkpoint added %d segments, want %d: before %v, after %v", added, len(pops), before, after)
			}
			if c.buffer < 160 && len(after) >= len(before)+added {
				t.Fatalf("buffer of %d wrapped, but no segment was pruned: before %v, after %v", c.buffer, before, after)
			}

			second := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 32, 4, 1)
			if err := second.LoadFrom(state, dir); err != nil {
				t.Fatal(err)
			}
			got = append(got, learnertest.Run(t, second)...)
			if !bytes.Equal(mra.TrainedModel(whole.Learner()).AppendState(nil), mra.TrainedModel(second.Learner()).AppendState(nil)) {
				t.Fatal("networks after 16 + resume + 16 episodes differ from 32 in one go")
			}
			learnertest.SameMetrics(t, want, got)
		})
	}
}

// TestDamagedSegmentIsRefused: a checkpoint whose segment file is damaged,
// missing or replaced by another checkpoint's is refused with an error
// naming the file; Load without the folder says to use LoadFrom.
func TestDamagedSegmentIsRefused(t *testing.T) {
	cfg := smallConfig(mra.AlgoMRA)
	cfg.Replay = replay.ModeStates
	pops := []string{"agents=2"}
	tr := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 8, 4, 1)
	learnertest.Run(t, tr)
	dir := t.TempDir()
	state := saveTo(t, tr, dir)
	files := segmentFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("segments %v, want one", files)
	}
	var name string
	for n := range files {
		name = n
	}
	path := filepath.Join(dir, name)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	tr2 := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 12, 4, 1)
	learnertest.Run(t, tr2)
	saveTo(t, tr2, other)
	var foreign []byte
	for n := range segmentFiles(t, other) {
		foreign, _ = os.ReadFile(filepath.Join(other, n))
	}
	damaged := slices.Clone(good)
	damaged[len(damaged)/2] ^= 1
	for _, c := range []struct {
		what  string
		bytes []byte // nil: missing
		want  string
	}{
		{"damaged", damaged, name},
		{"missing", nil, name},
		{"foreign", foreign, name},
	} {
		t.Run(c.what, func(t *testing.T) {
			if c.bytes == nil {
				os.Remove(path)
			} else if err := os.WriteFile(path, c.bytes, 0o644); err != nil {
				t.Fatal(err)
			}
			fresh := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 16, 4, 1)
			err := fresh.LoadFrom(state, dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LoadFrom = %v, want an error naming %s", err, c.want)
			}
		})
	}
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 16, 4, 1)
	if err := fresh.Load(state); err == nil || !strings.Contains(err.Error(), "LoadFrom") {
		t.Fatalf("Load without the folder = %v, want an error pointing to LoadFrom", err)
	}
	if err := fresh.LoadFrom(state, dir); err != nil {
		t.Fatalf("the restored segment: %v", err)
	}
}

// TestResumeKeepsObservationMode: a run saved with an observation buffer
// resumes with one, bit for bit, even where the scenario would now choose
// game states (as a run resumed from a version 2 checkpoint does).
func TestResumeKeepsObservationMode(t *testing.T) {
	pops := []string{"agents=3"}
	cfg := smallConfig(mra.AlgoMRA)
	cfg.Replay = replay.ModeObservations
	whole := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 16, 4, 1)
	learnertest.Run(t, whole)
	first := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 8, 4, 1)
	learnertest.Run(t, first)
	dir := t.TempDir()
	state := saveTo(t, first, dir)
	cfg.Replay = replay.ModeAuto
	second := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 16, 4, 1)
	if err := second.LoadFrom(state, dir); err != nil {
		t.Fatal(err)
	}
	if got := second.ReplayModes()[0]; got != replay.ModeObservations {
		t.Fatalf("resumed with a %s buffer", got)
	}
	learnertest.Run(t, second)
	if !bytes.Equal(mra.TrainedModel(whole.Learner()).AppendState(nil), mra.TrainedModel(second.Learner()).AppendState(nil)) {
		t.Fatal("networks after 8 + resume + 8 episodes differ from 16 in one go")
	}
}
