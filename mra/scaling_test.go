package mra

import (
	"bytes"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"

	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// TestReplayBytesPerTransition pins the goal of the scaling work in closed form:
// with the official latents (K = 6), a state-mode transition of resource
// at N = 24 takes at most 4 KB (an observation-mode one about 107 KB), and
// state mode is chosen automatically from N = 3 on. It logs the table of
// docs/performance.md.
func TestReplayBytesPerTransition(t *testing.T) {
	const latents = 6
	t.Logf("| N | state bytes | observation-mode B/transition | state-mode B/transition | ratio |")
	for _, n := range []int{3, 6, 12, 24, 48} {
		reg, _ := env.Lookup("resource")
		g, err := reg.Make(nil, env.Population{{Type: "agents", Count: n}})
		if err != nil {
			t.Fatal(err)
		}
		enc, err := replay.NewEncoding(replay.GameFeatures(g.Spec()), g.Spec())
		if err != nil {
			t.Fatal(err)
		}
		sb := replay.StateBytes(g)
		obs, states := replay.ReplayBytes(enc, latents, sb, g.Spec().Horizon)
		t.Logf("| %d | %d | %.0f | %.0f | %.1f× |", n, sb, obs, states, obs/states)
		if replay.ChooseReplay(replay.ModeAuto, enc, latents, sb) != replay.ModeStates {
			t.Errorf("N = %d: auto does not choose states (%.0f vs %.0f bytes)", n, states, obs)
		}
		if n == 24 && states > 4096 {
			t.Errorf("N = 24: %.0f bytes per transition, the goal is ≤ 4 KB", states)
		}
	}
}

// TestScaling measures, for resource at the N in MRASIM_SCALING (a comma
// list, e.g. "3,6,12,24"; the test is skipped without it), with the
// official hyper-parameters (batch 1024, buffer_length 1e6, 12 copies):
// acting time per env-step, update-cycle time, the process's peak resident
// memory so far, replay bytes per transition held, and checkpoint sizes
// (the first and what a second, one round later, adds). Wall and CPU time
// (user + system of the whole process) are both reported: on a shared
// machine the wall time is not meaningful alone. MRASIM_NEAREST=k sets
// resource's observe_nearest; MRASIM_BATCH=b replaces the batch of 1024
// (to measure a size whose cycle would not fit in memory, and scale).
func TestScaling(t *testing.T) {
	list := os.Getenv("MRASIM_SCALING")
	if list == "" {
		t.Skip("set MRASIM_SCALING=3,6,12,24 to measure")
	}
	t.Logf("| N | acting µs/env-step (CPU) | update cycle s wall (CPU) | peak RSS MB | replay B/transition held | checkpoint MB (main + segments) | second checkpoint adds MB |")
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.StepsPerUpdate = math.MaxInt32 // updates are timed on their own
		if b := os.Getenv("MRASIM_BATCH"); b != "" {
			if cfg.BatchSize, err = strconv.Atoi(b); err != nil {
				t.Fatal(err)
			}
		}
		setup := learner.Setup{Game: "resource", Populations: []env.Population{{{Type: "agents", Count: n}}}, Seed: 1,
			Episodes: 12 * 8, ParallelEnvs: 12, Workers: 2, LogEvery: 12}
		if k := os.Getenv("MRASIM_NEAREST"); k != "" {
			near, err := strconv.Atoi(k)
			if err != nil {
				t.Fatal(err)
			}
			setup.Params = map[string]any{"observe_nearest": int64(near)}
		}
		tr, err := learner.NewTrainer(cfg, setup)
		if err != nil {
			t.Fatal(err)
		}
		buf := tr.Buffer(0)
		// Acting: 6 rounds of 12 episodes of 20 steps, no updates.
		w0, c0 := time.Now(), cpuTime()
		steps0 := tr.EnvSteps()
		for range 6 {
			if err := tr.PlayEpisodes(0); err != nil {
				t.Fatal(err)
			}
		}
		act := float64(time.Since(w0).Microseconds()) / float64(tr.EnvSteps()-steps0)
		actCPU := (cpuTime() - c0).Seconds() * 1e6 / float64(tr.EnvSteps()-steps0)
		// One update cycle on the 1,440 transitions held.
		w0, c0 = time.Now(), cpuTime()
		err = tr.UpdateCycle(0)
		cycle, cycleCPU := time.Since(w0).Seconds(), (cpuTime() - c0).Seconds()
		if err != nil {
			t.Fatal(err)
		}
		// Checkpoints: now, and after one more round.
		dir := t.TempDir()
		first := ckptBytes(t, tr, dir)
		segs0 := dirBytes(t, dir)
		if err := tr.PlayEpisodes(0); err != nil {
			t.Fatal(err)
		}
		second := ckptBytes(t, tr, dir)
		segs1 := dirBytes(t, dir)
		held := buf.HeldBytes()
		t.Logf("| %d | %.1f (%.1f) | %.2f (%.2f) | %d | %d | %.1f | %.2f |", n, act, actCPU, cycle, cycleCPU, peakRSS()>>20,
			held/int64(buf.Len()), float64(first+segs0)/1e6, float64(second+segs1-first-segs0)/1e6)
		_ = second
		tr.Close()
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func peakRSS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss << 10
}

// ckptBytes writes tr's checkpoint with segments into dir and returns the
// size of the main file.
func ckptBytes(t *testing.T, tr *learner.Trainer, dir string) int64 {
	var buf bytes.Buffer
	e := checkpoint.NewEncoder(&buf)
	if err := tr.SaveTo(e, dir); err != nil {
		t.Fatal(err)
	}
	if err := tr.PruneSegments(dir); err != nil {
		t.Fatal(err)
	}
	return int64(buf.Len())
}

func dirBytes(t *testing.T, dir string) int64 {
	names, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	var total int64
	for _, p := range names {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	return total
}

// TestMillionTransitions fills a state-mode buffer of buffer_length 1e6
// (the default) at resource N = 3 and 6 with episodes of 20 steps from 12
// interleaved copies, as a run does, and reports the heap it holds (run
// with MRASIM_SCALING set; the goal of the scaling work is ≤ 2 GB).
func TestMillionTransitions(t *testing.T) {
	if os.Getenv("MRASIM_SCALING") == "" {
		t.Skip("set MRASIM_SCALING to measure")
	}
	for _, n := range []int{3, 6} {
		const capacity, latents, copies = 1_000_000, 6, 12
		reg, _ := env.Lookup("resource")
		pop := env.Population{{Type: "agents", Count: n}}
		mk := func() env.Game {
			g, err := reg.Make(nil, pop)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		var games []env.Game
		for range copies {
			games = append(games, mk())
		}
		enc, _ := replay.NewEncoding(replay.GameFeatures(games[0].Spec()), games[0].Spec())
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		buf, err := replay.NewStateBuffer(enc, capacity, latents, []env.Game{mk()}, copies)
		if err != nil {
			t.Fatal(err)
		}
		prev, next := make([]*env.Frame, copies), make([]*env.Frame, copies)
		for c := range copies {
			prev[c], next[c] = env.NewFrame(games[c].Spec()), env.NewFrame(games[c].Spec())
		}
		actions, graph, z := make([]int, n), make([]float64, n*enc.E), make([]float64, n*latents)
		for ep := 0; buf.Len() < capacity || ep%2 == 0; ep++ {
			z[ep%len(z)] = float64(ep) // a new latent per round, as a run draws
			for c := range copies {
				games[c].Reset(uint64(ep*copies+c), next[c])
			}
			for step := range 20 {
				for c := range copies {
					prev[c].CopyFrom(next[c])
					for i := range actions {
						actions[i] = (step + i + c) % 5
					}
					buf.BeginStep(c, games[c], prev[c])
					games[c].Step(actions, next[c])
					buf.Record(c, games[c], prev[c], actions, next[c], graph, z)
				}
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		t.Logf("resource N = %d, buffer_length 1e6 full (%d added): heap held %.2f GB (%d bytes per transition), peak RSS so far %d MB",
			n, buf.Added(), float64(held)/1e9, held/capacity, peakRSS()>>20)
		buf.Close()
	}
}
