// Package envtest checks that a game keeps the contract of env.Game: the Go
// counterpart of PettingZoo's api and seed tests. Every built-in game runs it
// at several populations, and a user's game should too:
//
//	func TestConformance(t *testing.T) {
//		envtest.Check(t, func() (env.Game, error) {
//			return env.Make("mygame", nil, env.Population{{Type: "agents", Count: 4}})
//		})
//	}
package envtest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/mrasim/mrasim/env"
)

// Factory builds a fresh copy of the game under test; every call must build
// the same game (same parameters and population).
type Factory func() (env.Game, error)

// Check runs the conformance suite on the game newGame builds, as subtests of
// t:
//
//   - spec: types match the population, frames have the spec's shapes;
//   - reset: the same seed gives the same first frame, T is 0, rewards are 0,
//     no agent is done, every live agent has a legal action;
//   - episodes: with random legal actions, T counts steps, the dead stay
//     dead, the terminated stay terminated, truncation happens exactly at the
//     horizon, everything stays finite;
//   - seeds: two copies with the same seed and actions agree bit for bit;
//   - state: AppendState/SetState round-trips on a fresh copy mid-episode and
//     the continuation agrees bit for bit; corrupt states are refused and
//     leave the game unchanged;
//   - flat: a FlatObserver's flat observations are finite and reproducible;
//   - allocs: Reset and Step allocate nothing, counted over whole episodes.
func Check(t *testing.T, newGame Factory) {
	t.Helper()
	g, err := newGame()
	if err != nil {
		t.Fatalf("building the game: %v", err)
	}
	t.Run("spec", func(t *testing.T) { checkSpec(t, g) })
	t.Run("reset", func(t *testing.T) { checkReset(t, g) })
	t.Run("episodes", func(t *testing.T) { checkEpisodes(t, g) })
	t.Run("seeds", func(t *testing.T) { checkSeeds(t, newGame) })
	t.Run("state", func(t *testing.T) { checkState(t, newGame) })
	if _, ok := g.(env.FlatObserver); ok {
		t.Run("flat", func(t *testing.T) { checkFlat(t, newGame) })
	}
	t.Run("allocs", func(t *testing.T) { checkAllocs(t, g) })
}

func checkSpec(t *testing.T, g env.Game) {
	s := g.Spec()
	if s == nil {
		t.Fatal("Spec() is nil")
	}
	if len(s.Types) != len(s.Population) {
		t.Fatalf("%d types for population %v", len(s.Types), s.Population)
	}
	if s.NumAgents() != s.Population.Total() {
		t.Fatalf("NumAgents() = %d, population %v has %d", s.NumAgents(), s.Population, s.Population.Total())
	}
	f := env.NewFrame(s)
	g.Reset(1, f)
	for i := range s.NumAgents() {
		typ := s.Type(i)
		if got := len(f.AgentObs(i)); got != typ.ObsLen() {
			t.Errorf("agent %d: observation length %d, spec says %d", i, got, typ.ObsLen())
		}
		if got := len(f.AgentActionMask(i)); got != typ.NumActions {
			t.Errorf("agent %d: action mask length %d, spec says %d", i, got, typ.NumActions)
		}
	}
}

func checkReset(t *testing.T, g env.Game) {
	s := g.Spec()
	a, b := env.NewFrame(s), env.NewFrame(s)
	for _, seed := range []uint64{0, 1, 42, math.MaxUint64} {
		fill(a)
		g.Reset(seed, a)
		g.Reset(seed, b)
		if d := diff(a, b); d != "" {
			t.Errorf("seed %d: two resets differ: %s", seed, d)
		}
		if a.T != 0 {
			t.Errorf("seed %d: T = %d after Reset", seed, a.T)
		}
		for i := range s.NumAgents() {
			if a.Reward[i] != 0 || a.Terminated[i] || a.Truncated[i] {
				t.Errorf("seed %d agent %d: reset frame has reward %v, terminated %v, truncated %v", seed, i, a.Reward[i], a.Terminated[i], a.Truncated[i])
			}
		}
		checkFrame(t, a, fmt.Sprintf("seed %d, after reset", seed))
	}
}

// checkFrame checks what must hold of every frame.
func checkFrame(t *testing.T, f *env.Frame, where string) {
	t.Helper()
	if !f.Finite() {
		t.Fatalf("%s: observation or reward not finite", where)
	}
	for i := range f.Alive {
		if !f.Alive[i] || f.Terminated[i] || f.Truncated[i] {
			continue
		}
		legal := false
		for _, ok := range f.AgentActionMask(i) {
			legal = legal || ok
		}
		if !legal {
			t.Fatalf("%s: live agent %d has no legal action", where, i)
		}
	}
}

func checkEpisodes(t *testing.T, g env.Game) {
	s := g.Spec()
	f, prev := env.NewFrame(s), env.NewFrame(s)
	rng := rand.New(rand.NewPCG(7, 7))
	actions := make([]int, s.NumAgents())
	for ep := range 5 {
		g.Reset(uint64(100+ep), f)
		for !f.Done() {
			if f.T >= s.Horizon {
				t.Fatalf("episode %d: not done at T = %d, horizon %d", ep, f.T, s.Horizon)
			}
			prev.CopyFrom(f)
			act(rng, f, actions)
			g.Step(actions, f)
			where := fmt.Sprintf("episode %d step %d", ep, f.T)
			if f.T != prev.T+1 {
				t.Fatalf("%s: T went from %d to %d", where, prev.T, f.T)
			}
			checkFrame(t, f, where)
			for i := range actions {
				if !prev.Alive[i] && f.Alive[i] {
					t.Fatalf("%s: dead agent %d came back", where, i)
				}
				if prev.Terminated[i] && !f.Terminated[i] {
					t.Fatalf("%s: agent %d was terminated and is not any more", where, i)
				}
				if f.Truncated[i] && f.T != s.Horizon {
					t.Fatalf("%s: agent %d truncated before the horizon %d", where, i, s.Horizon)
				}
				if f.T == s.Horizon && f.Alive[i] && !f.Terminated[i] && !f.Truncated[i] {
					t.Fatalf("%s: agent %d neither terminated nor truncated at the horizon", where, i)
				}
			}
		}
	}
}

// act picks a uniformly random legal action for every live agent.
func act(rng *rand.Rand, f *env.Frame, actions []int) {
	for i := range actions {
		actions[i] = 0
		if !f.Alive[i] {
			continue
		}
		mask := f.AgentActionMask(i)
		legal := 0
		for _, ok := range mask {
			if ok {
				legal++
			}
		}
		k := rng.IntN(max(legal, 1))
		for a, ok := range mask {
			if ok {
				if k == 0 {
					actions[i] = a
					break
				}
				k--
			}
		}
	}
}

// trajectory plays episodes from seed with actions from actSeed and returns
// every frame seen.
func trajectory(g env.Game, seed, actSeed uint64, episodes int) []*env.Frame {
	s := g.Spec()
	rng := rand.New(rand.NewPCG(actSeed, 1))
	actions := make([]int, s.NumAgents())
	var out []*env.Frame
	snap := func(f *env.Frame) {
		c := env.NewFrame(s)
		c.CopyFrom(f)
		out = append(out, c)
	}
	f := env.NewFrame(s)
	for ep := range episodes {
		g.Reset(env.SubSeed(seed, uint64(ep)), f)
		snap(f)
		for !f.Done() && f.T < s.Horizon {
			act(rng, f, actions)
			g.Step(actions, f)
			snap(f)
		}
	}
	return out
}

func checkSeeds(t *testing.T, newGame Factory) {
	g1, err1 := newGame()
	g2, err2 := newGame()
	if err1 != nil || err2 != nil {
		t.Fatalf("building copies: %v, %v", err1, err2)
	}
	a := trajectory(g1, 3, 5, 3)
	b := trajectory(g2, 3, 5, 3)
	if len(a) != len(b) {
		t.Fatalf("same seeds, different lengths: %d and %d frames", len(a), len(b))
	}
	for k := range a {
		if d := diff(a[k], b[k]); d != "" {
			t.Fatalf("same seeds, frame %d differs: %s", k, d)
		}
	}
}

func checkState(t *testing.T, newGame Factory) {
	g, err := newGame()
	if err != nil {
		t.Fatal(err)
	}
	s := g.Spec()
	f := env.NewFrame(s)
	rng := rand.New(rand.NewPCG(11, 11))
	actions := make([]int, s.NumAgents())
	g.Reset(9, f)
	for f.T < s.Horizon/2 && !f.Done() {
		act(rng, f, actions)
		g.Step(actions, f)
	}
	state := g.AppendState(nil)
	saved := env.NewFrame(s)
	saved.CopyFrom(f)

	// The original continues …
	var plan [][]int
	var want []*env.Frame
	for !f.Done() {
		act(rng, f, actions)
		plan = append(plan, append([]int(nil), actions...))
		g.Step(actions, f)
		c := env.NewFrame(s)
		c.CopyFrom(f)
		want = append(want, c)
	}

	// … and a fresh copy restored from the state must do the same.
	h, err := newGame()
	if err != nil {
		t.Fatal(err)
	}
	hf := env.NewFrame(s)
	h.Reset(12345, hf)
	if err := h.SetState(state); err != nil {
		t.Fatalf("SetState of an AppendState result: %v", err)
	}
	if again := h.AppendState(nil); !bytes.Equal(again, state) {
		t.Errorf("AppendState after SetState differs from the state set (%d vs %d bytes)", len(again), len(state))
	}
	// Observe must write everything the state determines (the Game
	// contract), not lean on what Reset left in the frame: scramble it.
	for i := range hf.Obs {
		hf.Obs[i] = 12345
	}
	for i := range hf.EntityMask {
		hf.EntityMask[i] = !hf.EntityMask[i]
	}
	for i := range hf.ActionMask {
		hf.ActionMask[i] = !hf.ActionMask[i]
	}
	for i := range hf.Alive {
		hf.Alive[i], hf.Terminated[i], hf.Truncated[i] = !hf.Alive[i], !hf.Terminated[i], !hf.Truncated[i]
	}
	hf.T = -1
	h.Observe(hf)
	copy(hf.Reward, saved.Reward)
	if d := diff(hf, saved); d != "" {
		t.Fatalf("restored frame differs from the saved one: %s", d)
	}
	for k, a := range plan {
		h.Step(a, hf)
		if d := diff(hf, want[k]); d != "" {
			t.Fatalf("restored game, step %d after the restore: %s", k+1, d)
		}
	}

	// Corrupt states are refused and change nothing.
	before := h.AppendState(nil)
	bad := [][]byte{nil, {}, state[:len(state)/2], append(append([]byte(nil), state...), 1, 2, 3)}
	junk := make([]byte, len(state))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	bad = append(bad, junk)
	for k, b := range bad {
		if err := h.SetState(b); err == nil {
			t.Errorf("SetState accepted corrupt state %d (%d bytes)", k, len(b))
		} else if after := h.AppendState(nil); !bytes.Equal(after, before) {
			t.Errorf("SetState refused corrupt state %d but changed the game", k)
		}
	}
}

func checkFlat(t *testing.T, newGame Factory) {
	g1, _ := newGame()
	g2, _ := newGame()
	fo1, fo2 := g1.(env.FlatObserver), g2.(env.FlatObserver)
	s := g1.Spec()
	f1, f2 := env.NewFrame(s), env.NewFrame(s)
	g1.Reset(21, f1)
	g2.Reset(21, f2)
	rng := rand.New(rand.NewPCG(21, 21))
	actions := make([]int, s.NumAgents())
	for !f1.Done() {
		for i := range s.NumAgents() {
			n := fo1.FlatLen(s.AgentType(i))
			if n < 1 {
				t.Fatalf("FlatLen(%d) = %d", s.AgentType(i), n)
			}
			a, b := make([]float64, n), make([]float64, n)
			fo1.FlatObs(i, a)
			fo2.FlatObs(i, b)
			for j := range a {
				if math.IsNaN(a[j]) || math.IsInf(a[j], 0) || math.Float64bits(a[j]) != math.Float64bits(b[j]) {
					t.Fatalf("step %d agent %d: flat observation %d is %v and %v", f1.T, i, j, a[j], b[j])
				}
			}
		}
		act(rng, f1, actions)
		g1.Step(actions, f1)
		g2.Step(actions, f2)
	}
}

func checkAllocs(t *testing.T, g env.Game) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	// The count is process-wide, so a runtime goroutine (a GC cycle or a
	// background worker woken under load) can add a stray allocation that
	// is not the game's: seen once in CI as "1 allocation over 20 episodes"
	// with the machine fully loaded. Take the least of three measurements:
	// a game that allocates in Reset or Step does so in every one (at least
	// once per episode), a stray allocation does not recur.
	var n uint64
	var steps int
	for range 3 {
		if n, steps = EpisodeAllocs(g, 20); n == 0 {
			return
		}
	}
	t.Errorf("Reset/Step allocate: %d allocations over 20 whole episodes (%d steps) in each of three measurements (the last shown), want 0", n, steps)
}

// EpisodeAllocs plays whole episodes of g with random legal actions, after
// one episode of warm-up, and returns the heap allocations they made in
// total (not an average, which rounds a few allocations down to zero) and
// the steps played. It runs on one OS thread, as testing.AllocsPerRun does.
func EpisodeAllocs(g env.Game, episodes int) (allocs uint64, steps int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s := g.Spec()
	f := env.NewFrame(s)
	actions := make([]int, s.NumAgents())
	rng := rand.New(rand.NewPCG(1, 2))
	play := func(seed uint64) int {
		g.Reset(seed, f)
		n := 0
		for !f.Done() {
			act(rng, f, actions)
			g.Step(actions, f)
			n++
		}
		return n
	}
	play(1) // warm-up: lazily built tables
	// A collection now starts the runtime's mark workers (goroutines, whose
	// creation counts as heap allocations) before the count, not during it
	// when the first collection of the process happens to fall there.
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for e := range episodes {
		steps += play(uint64(e) + 2)
	}
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs, steps
}

// fill puts garbage in every field so that a game that forgets to write one
// is caught.
func fill(f *env.Frame) {
	for i := range f.Obs {
		f.Obs[i] = math.NaN()
	}
	for i := range f.Reward {
		f.Reward[i] = math.NaN()
		f.Alive[i] = false
		f.Terminated[i] = true
		f.Truncated[i] = true
	}
	for i := range f.EntityMask {
		f.EntityMask[i] = i%2 == 0
	}
	for i := range f.ActionMask {
		f.ActionMask[i] = false
	}
	f.T = -1
}

// diff describes the first difference between two frames, or returns "".
func diff(a, b *env.Frame) string {
	if a.T != b.T {
		return fmt.Sprintf("T %d vs %d", a.T, b.T)
	}
	for i := range a.Obs {
		if math.Float64bits(a.Obs[i]) != math.Float64bits(b.Obs[i]) {
			return fmt.Sprintf("Obs[%d] %v vs %v", i, a.Obs[i], b.Obs[i])
		}
	}
	for i := range a.Reward {
		switch {
		case math.Float64bits(a.Reward[i]) != math.Float64bits(b.Reward[i]):
			return fmt.Sprintf("Reward[%d] %v vs %v", i, a.Reward[i], b.Reward[i])
		case a.Alive[i] != b.Alive[i]:
			return fmt.Sprintf("Alive[%d] %v vs %v", i, a.Alive[i], b.Alive[i])
		case a.Terminated[i] != b.Terminated[i]:
			return fmt.Sprintf("Terminated[%d] %v vs %v", i, a.Terminated[i], b.Terminated[i])
		case a.Truncated[i] != b.Truncated[i]:
			return fmt.Sprintf("Truncated[%d] %v vs %v", i, a.Truncated[i], b.Truncated[i])
		}
	}
	for i := range a.EntityMask {
		if a.EntityMask[i] != b.EntityMask[i] {
			return fmt.Sprintf("EntityMask[%d] %v vs %v", i, a.EntityMask[i], b.EntityMask[i])
		}
	}
	for i := range a.ActionMask {
		if a.ActionMask[i] != b.ActionMask[i] {
			return fmt.Sprintf("ActionMask[%d] %v vs %v", i, a.ActionMask[i], b.ActionMask[i])
		}
	}
	return ""
}
