package mra

import (
	"bytes"

	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// TestReplayBytesPerTransition pins the goal of issue 13 in closed form:
// with the official latents (K = 6), a state-mode transition of resource
// at N = 24 takes at most 4 KB (an observation-mode one about 107 KB), and
// state mode is chosen automatically from N = 3 on. It logs the table of
// the README's performance section.
func TestReplayBytesPerTransition(t *testing.T) {
	const latents = 6
	t.Logf("| N | state bytes | observation-mode B/transition | state-mode B/transition | ratio |")
	for _, n := range []int{3, 6, 12, 24, 48} {
		reg, _ := env.Lookup("resource")
		g, err := reg.Make(nil, env.Population{{Type: "agents", Count: n}})
		if err != nil {
			t.Fatal(err)
		}
		enc, err := NewEncoding(GameFeatures(g.Spec()), g.Spec())
		if err != nil {
			t.Fatal(err)
		}
		sb := StateBytes(g)
		obs, states := ReplayBytes(enc, latents, sb, g.Spec().Horizon)
		t.Logf("| %d | %d | %.0f | %.0f | %.1f× |", n, sb, obs, states, obs/states)
		if ChooseReplay(ReplayAuto, enc, latents, sb) != ReplayStates {
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
// machine the wall time is not meaningful alone.
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
		setup := Setup{Game: "resource", Populations: []env.Population{{{Type: "agents", Count: n}}}, Seed: 1,
			Episodes: 12 * 8, ParallelEnvs: 12, Workers: 2, LogEvery: 12}
		tr, err := NewTrainer(cfg, setup)
		if err != nil {
			t.Fatal(err)
		}
		p := tr.games[0]
		// Acting: 6 rounds of 12 episodes of 20 steps, no updates.
		w0, c0 := time.Now(), cpuTime()
		steps0 := tr.envSteps
		for range 6 {
			tr.playEpisodes(0, p)
			tr.round++
		}
		act := float64(time.Since(w0).Microseconds()) / float64(tr.envSteps-steps0)
		actCPU := (cpuTime() - c0).Seconds() * 1e6 / float64(tr.envSteps-steps0)
		// One update cycle on the 1,440 transitions held.
		w0, c0 = time.Now(), cpuTime()
		tr.updateCycle(0, p)
		cycle, cycleCPU := time.Since(w0).Seconds(), (cpuTime() - c0).Seconds()
		if err := tr.learnerErr(); err != nil {
			t.Fatal(err)
		}
		// Checkpoints: now, and after one more round.
		dir := t.TempDir()
		first := ckptBytes(t, tr, dir)
		segs0 := dirBytes(t, dir)
		tr.playEpisodes(0, p)
		tr.round++
		second := ckptBytes(t, tr, dir)
		segs1 := dirBytes(t, dir)
		held := heldBytes(p.buf)
		t.Logf("| %d | %.1f (%.1f) | %.2f (%.2f) | %d | %d | %.1f | %.2f |", n, act, actCPU, cycle, cycleCPU, peakRSS()>>20,
			held/int64(p.buf.Len()), float64(first+segs0)/1e6, float64(second+segs1-first-segs0)/1e6)
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
func ckptBytes(t *testing.T, tr *Trainer, dir string) int64 {
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

// heldBytes is the memory of a buffer's storage of its transitions
// (slots and state records in use, not spare capacity).
func heldBytes(b *Buffer) int64 {
	n, e := int64(b.Enc.N), int64(b.Enc.E)
	per := n*(4+8+1+1) + n*e*4 + 8
	total := int64(b.len)*per + (b.lat.seq-b.lat.head)*n*int64(b.k)*4
	if b.st != nil {
		total += int64(b.len)*16 + (b.st.seq-b.oldestNeeded())*int64(b.st.recLen)
	} else {
		total += int64(b.len) * int64(2*b.obsLen*4+2*b.entLen)
	}
	return total
}
