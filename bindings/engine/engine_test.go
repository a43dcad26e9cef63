package engine_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/bindings/engine"
	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/matrix"
	_ "github.com/mrasim/mrasim/env/particle"
)

// newBound builds a batch and binds Go-allocated buffers to it.
func newBound(t testing.TB, c engine.Config) (*engine.Vec, *engine.Buffers) {
	t.Helper()
	v, err := engine.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	in := v.Info()
	n := in.Copies * in.Agents
	b := &engine.Buffers{
		Obs: make([]float32, n*in.ObsWidth), EntityMask: make([]bool, n*in.Entities), ActionMask: make([]bool, n*in.Actions),
		Reward: make([]float64, n), Alive: make([]bool, n), Terminated: make([]bool, n), Truncated: make([]bool, n),
		T: make([]int64, in.Copies), Reset: make([]bool, in.Copies), Actions: make([]int64, n),
	}
	if c.AutoReset {
		b.FinalObs, b.FinalMask = make([]float32, n*in.ObsWidth), make([]bool, n*in.Entities)
	}
	if err := v.Bind(*b); err != nil {
		t.Fatal(err)
	}
	return v, b
}

func pops(texts ...string) []env.Population {
	var out []env.Population
	for _, s := range texts {
		p, err := env.ParsePopulation(s)
		if err != nil {
			panic(err)
		}
		out = append(out, p)
	}
	return out
}

// TestStepAllocatesNothing checks the C API's inner step (engine.Step on a
// handle under engine.Guard, exactly what mrasim_env_step calls) and the
// random policy allocate nothing, with and without automatic resets and
// workers.
func TestStepAllocatesNothing(t *testing.T) {
	for _, c := range []engine.Config{
		{Game: "spread", Populations: pops("agents=3"), Copies: 1, Workers: 1},
		{Game: "resource", Populations: pops("agents=6"), Copies: 8, AutoReset: true, Workers: 2},
		{Game: "tag", Populations: pops("adversaries=3,good=1", "adversaries=2,good=2"), Copies: 2, Layout: engine.Aligned, AutoReset: true, Workers: 2},
	} {
		t.Run(c.Game, func(t *testing.T) {
			v, _ := newBound(t, c)
			h := engine.NewHandle(v)
			defer engine.Free(h)
			r := engine.NewHandle(engine.NewRandom(1))
			defer engine.Free(r)
			if err := engine.Reset(h, 7); err != nil {
				t.Fatal(err)
			}
			step := func() {
				if err := engine.RandomAct(r, h); err != nil {
					t.Fatal(err)
				}
				// As mrasim_env_step calls it: through Guard.
				if code := engine.Guard(func() error { return engine.Step(h) }); code != engine.CodeOK {
					t.Fatal(engine.LastError())
				}
				if !c.AutoReset && v.Frame(0).Done() {
					if err := engine.ResetCopy(h, 0, 3); err != nil {
						t.Fatal(err)
					}
				}
			}
			for range 200 { // past the horizon: resets included
				step()
			}
			if a := testing.AllocsPerRun(200, step); a != 0 {
				t.Errorf("%v allocations per step, want 0", a)
			}
		})
	}
}

// TestMatchesGame checks that the buffers hold exactly what the game's
// frames say, through automatic resets, seeded as env.Batch seeds copies.
func TestMatchesGame(t *testing.T) {
	const copies, seed = 3, 11
	v, b := newBound(t, engine.Config{Game: "spread", Populations: pops("agents=3"), Copies: copies, AutoReset: true, Workers: 2})
	games := make([]env.Game, copies)
	frames := make([]*env.Frame, copies)
	episode := make([]uint64, copies)
	for e := range games {
		g, err := env.Make("spread", nil, pops("agents=3")[0])
		if err != nil {
			t.Fatal(err)
		}
		games[e], frames[e] = g, env.NewFrame(g.Spec())
		g.Reset(env.SubSeed(env.SubSeed(seed, uint64(e)), 0), frames[e])
		episode[e] = 1
	}
	if err := v.Reset(seed); err != nil {
		t.Fatal(err)
	}
	in := v.Info()
	rng := rand.New(rand.NewPCG(1, 2))
	resets := 0
	for step := range 130 {
		for e := range copies {
			f := frames[e]
			for i := range 3 {
				r := e*in.Agents + i
				lo, hi := f.Spec.ObsRange(i)
				for k, x := range f.Obs[lo:hi] {
					if b.Obs[r*in.ObsWidth+k] != float32(x) {
						t.Fatalf("step %d copy %d agent %d obs[%d] = %v, game says %v", step, e, i, k, b.Obs[r*in.ObsWidth+k], float32(x))
					}
				}
			}
		}
		acts := make([][]int, copies)
		for e := range copies {
			acts[e] = make([]int, 3)
			for i := range 3 {
				acts[e][i] = rng.IntN(5)
				b.Actions[e*in.Agents+i] = int64(acts[e][i])
			}
		}
		if err := v.Step(); err != nil {
			t.Fatal(err)
		}
		for e, g := range games {
			g.Step(acts[e], frames[e])
			if !slices.Equal(b.Reward[e*in.Agents:e*in.Agents+3], frames[e].Reward) {
				t.Fatalf("step %d copy %d: rewards %v, game says %v", step, e, b.Reward[e*in.Agents:e*in.Agents+3], frames[e].Reward)
			}
			if frames[e].Done() {
				resets++
				if !b.Reset[e] || b.FinalObs[e*in.Agents*in.ObsWidth] != float32(frames[e].Obs[0]) {
					t.Fatalf("step %d copy %d: episode over but reset flag %v / final obs %v, want the last obs %v", step, e, b.Reset[e], b.FinalObs[e*in.Agents*in.ObsWidth], frames[e].Obs[0])
				}
				g.Reset(env.SubSeed(env.SubSeed(seed, uint64(e)), episode[e]), frames[e])
				episode[e]++
			} else if b.Reset[e] {
				t.Fatalf("step %d copy %d: reset flag set mid-episode", step, e)
			}
		}
	}
	if resets == 0 {
		t.Fatal("no episode ended; the test needs a horizon shorter than its steps")
	}
}

// TestAlignedLayout checks that copies at different populations put every
// entity set at the same offset, with masks marking the slots they fill.
func TestAlignedLayout(t *testing.T) {
	v, b := newBound(t, engine.Config{Game: "resource", Populations: pops("agents=3", "agents=6"), Copies: 2, Layout: engine.Aligned, Workers: 1})
	if err := v.Reset(1); err != nil {
		t.Fatal(err)
	}
	in := v.Info()
	if in.Agents != 6 {
		t.Fatalf("%d agent rows, want 6", in.Agents)
	}
	for e, n := range []int{3, 6} {
		f := v.Frame(e)
		spec := f.Spec
		for i := range in.Agents {
			r := e*in.Agents + i
			mask := b.EntityMask[r*in.Entities : (r+1)*in.Entities]
			if i >= n {
				if slices.Contains(mask, true) || b.Alive[r] {
					t.Fatalf("copy %d padding row %d: mask %v alive %v, want all false", e, i, mask, b.Alive[r])
				}
				continue
			}
			typ := spec.Type(i)
			lo, _ := spec.ObsRange(i)
			elo, _ := spec.EntityRange(i)
			for k, set := range typ.Sets {
				slot := in.Sets[slices.IndexFunc(in.Sets, func(s engine.SetSlots) bool { return s.Name == set.Name })]
				for j := range slot.Slots {
					got := mask[slot.Entity+j]
					want := j < set.Count && f.EntityMask[elo+j+entitiesBefore(typ, k)]
					if got != want {
						t.Fatalf("copy %d agent %d set %s slot %d: mask %v, want %v", e, i, set.Name, j, got, want)
					}
					if j < set.Count {
						src := f.Obs[lo+typ.SetOffset(k)+j*set.Width]
						if dst := b.Obs[r*in.ObsWidth+slot.Offset+j*slot.Width]; dst != float32(src) {
							t.Fatalf("copy %d agent %d set %s slot %d: obs %v, want %v", e, i, set.Name, j, dst, src)
						}
					}
				}
			}
		}
	}
}

func entitiesBefore(t *env.TypeSpec, k int) int {
	n := 0
	for _, s := range t.Sets[:k] {
		n += s.Count
	}
	return n
}

// TestErrors checks that mistakes come back as codes and messages, and
// change nothing.
func TestErrors(t *testing.T) {
	v, b := newBound(t, engine.Config{Game: "spread", Populations: pops("agents=3"), Copies: 1, Workers: 1})
	h := engine.NewHandle(v)
	defer engine.Free(h)
	if err := v.Reset(1); err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(b.Obs)
	b.Actions[1] = 9
	cases := []struct {
		name string
		err  error
		code engine.Code
		msg  string
	}{
		{"action out of range", v.Step(), engine.CodeArgument, "agent 1 (agents): action 9, want 0 … 4"},
		{"unknown game", func() error {
			_, err := engine.New(engine.Config{Game: "sprad", Populations: pops("3"), Copies: 1})
			return err
		}(), engine.CodeUnknownGame, `did you mean "spread"`},
		{"bad population", func() error {
			_, err := engine.New(engine.Config{Game: "spread", Populations: pops("goodies=3"), Copies: 1})
			return err
		}(), engine.CodeArgument, "refuses population"},
		{"bad params", func() error {
			_, err := engine.NewFromText("spread", `{"max_steps": 0.5}`, `["3"]`, 1, 0, false, 1)
			return err
		}(), engine.CodeArgument, "max_steps"},
		{"bad state", v.Restore(0, []byte("not a state")), engine.CodeState, "invalid game state"},
		{"stale handle", engine.Step(h + 1000), engine.CodeHandle, "not a live"},
		{"bad copy", v.ResetCopy(5, 1), engine.CodeArgument, "copy 5 of 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e *engine.Error
			if !errors.As(c.err, &e) {
				t.Fatalf("error %v (%T), want an *engine.Error", c.err, c.err)
			}
			code := engine.Guard(func() error { return c.err })
			if e.Code != c.code || code != c.code || !strings.Contains(e.Msg, c.msg) || engine.LastError() != e.Msg {
				t.Errorf("code %d (guard %d), message %q (last %q); want code %d and a message with %q", e.Code, code, e.Msg, engine.LastError(), c.code, c.msg)
			}
		})
	}
	if !slices.Equal(before, b.Obs) {
		t.Error("a refused step changed the observations")
	}
	if code := engine.Guard(func() error { panic("boom") }); code != engine.CodeInternal || !strings.Contains(engine.LastError(), "boom") {
		t.Errorf("a panic gave code %d and message %q, want CodeInternal naming it", code, engine.LastError())
	}
}

// TestMaskedActionRefused checks that an action the game masks is refused
// before the game sees it.
func TestMaskedActionRefused(t *testing.T) {
	v, b := newBound(t, engine.Config{Game: "spread", Populations: pops("agents=3"), Copies: 1, Workers: 1})
	if err := v.Reset(1); err != nil {
		t.Fatal(err)
	}
	v.Frame(0).AgentActionMask(2)[4] = false // as a game with masks would
	b.Actions[2] = 4
	if err := v.Step(); err == nil || !strings.Contains(err.Error(), "masked") {
		t.Fatalf("step with a masked action: %v, want a refusal", err)
	}
}

// TestSaveRestore checks that a restored copy continues bit for bit.
func TestSaveRestore(t *testing.T) {
	v, b := newBound(t, engine.Config{Game: "resource", Populations: pops("agents=4"), Copies: 1, Workers: 1})
	if err := v.Reset(3); err != nil {
		t.Fatal(err)
	}
	r := engine.NewRandom(5)
	for range 4 {
		r.Act(v)
		if err := v.Step(); err != nil {
			t.Fatal(err)
		}
	}
	state, _ := v.Save(0)
	obs := slices.Clone(b.Obs)
	play := func() []float32 {
		r := engine.NewRandom(9)
		for range 3 {
			r.Act(v)
			if err := v.Step(); err != nil {
				t.Fatal(err)
			}
		}
		return slices.Clone(b.Obs)
	}
	first := play()
	if err := v.Restore(0, state); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(obs, b.Obs) {
		t.Fatal("restored observations differ from the saved state's")
	}
	if again := play(); !slices.Equal(first, again) {
		t.Fatal("the restored copy does not continue as the saved one did")
	}
}
