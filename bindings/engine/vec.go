package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/mrasim/mrasim/env"
)

// Config says what batch to build.
type Config struct {
	Game        string
	Params      map[string]any   // raw parameter values, as in a scenario's [game] table
	Populations []env.Population // one for every copy, or one for all of them
	Copies      int              // B ≥ 1
	Layout      Layout
	AutoReset   bool // reset a finished copy in the same Step, keeping its last observation in FinalObs
	Workers     int  // goroutines stepping the copies; < 1: GOMAXPROCS
}

// Buffers are the caller's memory the batch writes into and reads actions
// from; shapes are those of Info (B copies, N agent rows, row widths W, E,
// A). All are written in place by Reset and Step, never reallocated. The
// caller keeps them alive and unmoved until it binds others or frees the
// batch: the batch keeps views of them, not copies.
type Buffers struct {
	Obs        []float32 // B×N×W
	EntityMask []bool    // B×N×E
	ActionMask []bool    // B×N×A
	Reward     []float64 // B×N, of the last step
	Alive      []bool    // B×N
	Terminated []bool    // B×N
	Truncated  []bool    // B×N
	T          []int64   // B, steps into the current episode
	Reset      []bool    // B: the last Step ended the copy's episode and started the next one (AutoReset)
	FinalObs   []float32 // B×N×W: the last observation of an episode that Step reset (AutoReset; may be nil otherwise)
	FinalMask  []bool    // B×N×E: its entity mask (AutoReset; may be nil otherwise)
	Actions    []int64   // B×N, read by Step
}

// Pointers are Buffers as raw addresses of caller-owned memory (numpy
// arrays), as the C API receives them.
type Pointers struct {
	Obs, EntityMask, ActionMask, Reward, Alive, Terminated, Truncated, T, Reset, FinalObs, FinalMask, Actions unsafe.Pointer
}

// AgentInfo describes one agent row of one population.
type AgentInfo struct {
	Name     string `json:"name"` // type_k, PettingZoo style: "agents_0", "adversaries_2"
	Type     int    `json:"type"` // index into the spec's types
	ObsLen   int    `json:"obs_len"`
	Entities int    `json:"entities"`
	Actions  int    `json:"actions"`
}

// PopulationInfo describes one population the batch plays.
type PopulationInfo struct {
	Population string      `json:"population"`
	Spec       *env.Spec   `json:"spec"`
	Agents     []AgentInfo `json:"agents"`
}

// Info is what a caller needs to allocate the buffers and name agents.
type Info struct {
	Game        string           `json:"game"`
	Copies      int              `json:"copies"`     // B
	Agents      int              `json:"agents"`     // N, rows per copy
	ObsWidth    int              `json:"obs_width"`  // W
	Entities    int              `json:"entities"`   // E
	Actions     int              `json:"actions"`    // A
	Layout      string           `json:"layout"`     // "native" or "aligned"
	AutoReset   bool             `json:"auto_reset"` //
	Self        int              `json:"self"`       // aligned: width of the self block
	Sets        []SetSlots       `json:"sets"`       // aligned: the entity sets
	Populations []PopulationInfo `json:"populations"`
	CopyPop     []int            `json:"copy_population"` // per copy: index into Populations
	Renders     bool             `json:"renders"`         // the game is a particle world render can draw
}

// Vec is a batch of B copies of one game, possibly at different
// populations, writing into caller-owned buffers. It is not safe for
// concurrent use.
type Vec struct {
	info    Info
	shape   shape
	games   []env.Game
	frames  []*env.Frame
	actions [][]int
	layouts [][]agentLayout // per population
	copyPop []int
	buf     Buffers
	bound   bool
	seed    uint64
	episode []uint64
	broken  error // set by a panic inside a game: the batch refuses further use

	// workers
	start  []chan struct{}
	wg     sync.WaitGroup
	op     op
	panics []any   // per worker share, the value of a recovered panic
	errs   []error // per worker share, the first refused action (opCheck)
	closed bool

	view viewer // render state, made on first use
}

// New builds a batch. Errors name the game, parameter or population at
// fault and what is allowed.
func New(c Config) (*Vec, error) {
	v, err := newVec(c)
	if err != nil {
		return nil, classify(err)
	}
	return v, nil
}

func newVec(c Config) (*Vec, error) {
	if c.Copies < 1 || c.Copies > 1<<20 {
		return nil, errorf(CodeArgument, "mrasim: %d copies, want 1 … %d", c.Copies, 1<<20)
	}
	if len(c.Populations) != 1 && len(c.Populations) != c.Copies {
		return nil, errorf(CodeArgument, "mrasim: %d populations for %d copies, want one for all or one per copy", len(c.Populations), c.Copies)
	}
	if c.Layout != Native && c.Layout != Aligned {
		return nil, errorf(CodeArgument, "mrasim: layout %d, want 0 (native) or 1 (aligned)", int(c.Layout))
	}
	reg, err := env.Lookup(c.Game)
	if err != nil {
		return nil, err
	}
	v := &Vec{games: make([]env.Game, c.Copies), frames: make([]*env.Frame, c.Copies), actions: make([][]int, c.Copies),
		copyPop: make([]int, c.Copies), episode: make([]uint64, c.Copies)}
	var specs []*env.Spec
	var pops []env.Population
	for e := range c.Copies {
		pop := c.Populations[0]
		if len(c.Populations) > 1 {
			pop = c.Populations[e]
		}
		g, err := reg.Make(c.Params, pop)
		if err != nil {
			return nil, err
		}
		spec := g.Spec()
		k := -1
		for j, p := range pops {
			if p.Equal(spec.Population) {
				k = j
			}
		}
		if k < 0 {
			k = len(pops)
			pops = append(pops, spec.Population)
			specs = append(specs, spec)
		}
		v.games[e], v.copyPop[e] = g, k
		v.frames[e] = env.NewFrame(spec)
		v.actions[e] = make([]int, spec.NumAgents())
	}
	v.shape = shapeOf(specs, c.Layout)
	v.info = Info{Game: reg.Name, Copies: c.Copies, Agents: v.shape.agents, ObsWidth: v.shape.obs, Entities: v.shape.entities,
		Actions: v.shape.actions, Layout: c.Layout.String(), AutoReset: c.AutoReset, Self: v.shape.self, Sets: v.shape.sets,
		CopyPop: v.copyPop, Renders: isViewer(v.games[0])}
	for k, spec := range specs {
		v.layouts = append(v.layouts, layoutOf(spec, c.Layout, v.shape))
		pi := PopulationInfo{Population: pops[k].String(), Spec: spec}
		counts := map[int]int{}
		for i := range spec.NumAgents() {
			t := spec.Type(i)
			ti := spec.AgentType(i)
			pi.Agents = append(pi.Agents, AgentInfo{Name: fmt.Sprintf("%s_%d", t.Name, counts[ti]), Type: ti, ObsLen: t.ObsLen(), Entities: t.Entities(), Actions: t.NumActions})
			counts[ti]++
		}
		v.info.Populations = append(v.info.Populations, pi)
	}
	workers := c.Workers
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, c.Copies)
	v.panics = make([]any, workers)
	v.errs = make([]error, workers)
	v.start = make([]chan struct{}, workers-1)
	for w := range v.start {
		v.start[w] = make(chan struct{})
		go v.work(w+1, workers)
	}
	return v, nil
}

// Info describes the batch.
func (v *Vec) Info() *Info { return &v.info }

// InfoJSON returns Info as JSON.
func (v *Vec) InfoJSON() []byte {
	b, err := json.Marshal(&v.info)
	if err != nil {
		panic(err) // every field is plain data
	}
	return b
}

// Bind makes the batch write into bufs (and read actions from them),
// checking their lengths against Info, and zeroes them. Padding (rows of
// absent agents, columns past an agent's observation) stays zero from then
// on: the batch writes only the values it owns.
func (v *Vec) Bind(bufs Buffers) error {
	b, n := v.info.Copies, v.info.Copies*v.info.Agents
	check := []struct {
		name      string
		got, want int
		optional  bool
	}{
		{"observations", len(bufs.Obs), n * v.info.ObsWidth, false},
		{"entity masks", len(bufs.EntityMask), n * v.info.Entities, false},
		{"action masks", len(bufs.ActionMask), n * v.info.Actions, false},
		{"rewards", len(bufs.Reward), n, false},
		{"alive flags", len(bufs.Alive), n, false},
		{"terminated flags", len(bufs.Terminated), n, false},
		{"truncated flags", len(bufs.Truncated), n, false},
		{"step counts", len(bufs.T), b, false},
		{"reset flags", len(bufs.Reset), b, false},
		{"final observations", len(bufs.FinalObs), n * v.info.ObsWidth, !v.info.AutoReset},
		{"final entity masks", len(bufs.FinalMask), n * v.info.Entities, !v.info.AutoReset},
		{"actions", len(bufs.Actions), n, false},
	}
	for _, c := range check {
		if c.got != c.want && !(c.optional && c.got == 0) {
			return errorf(CodeArgument, "mrasim: %s buffer of %d values, want %d (copies %d × agents %d × width)", c.name, c.got, c.want, b, v.info.Agents)
		}
	}
	clear(bufs.Obs)
	clear(bufs.EntityMask)
	clear(bufs.ActionMask)
	clear(bufs.Reward)
	clear(bufs.Alive)
	clear(bufs.Terminated)
	clear(bufs.Truncated)
	clear(bufs.T)
	clear(bufs.Reset)
	clear(bufs.FinalObs)
	clear(bufs.FinalMask)
	clear(bufs.Actions)
	v.buf, v.bound = bufs, true
	return nil
}

// BindPointers binds caller-owned memory at the given addresses, with the
// lengths Info implies (final buffers may be nil without AutoReset). The
// memory must not be Go memory: the batch keeps the addresses.
func (v *Vec) BindPointers(p Pointers) error {
	n := v.info.Copies * v.info.Agents
	b := v.info.Copies
	w, e, a := v.info.ObsWidth, v.info.Entities, v.info.Actions
	for _, q := range []unsafe.Pointer{p.Obs, p.EntityMask, p.ActionMask, p.Reward, p.Alive, p.Terminated, p.Truncated, p.T, p.Reset, p.Actions} {
		if q == nil {
			return errorf(CodeArgument, "mrasim: a buffer address is null; every buffer but the final ones is required")
		}
	}
	bufs := Buffers{
		Obs:        unsafe.Slice((*float32)(p.Obs), n*w),
		EntityMask: unsafe.Slice((*bool)(p.EntityMask), n*e),
		ActionMask: unsafe.Slice((*bool)(p.ActionMask), n*a),
		Reward:     unsafe.Slice((*float64)(p.Reward), n),
		Alive:      unsafe.Slice((*bool)(p.Alive), n),
		Terminated: unsafe.Slice((*bool)(p.Terminated), n),
		Truncated:  unsafe.Slice((*bool)(p.Truncated), n),
		T:          unsafe.Slice((*int64)(p.T), b),
		Reset:      unsafe.Slice((*bool)(p.Reset), b),
		Actions:    unsafe.Slice((*int64)(p.Actions), n),
	}
	if p.FinalObs != nil && p.FinalMask != nil {
		bufs.FinalObs = unsafe.Slice((*float32)(p.FinalObs), n*w)
		bufs.FinalMask = unsafe.Slice((*bool)(p.FinalMask), n*e)
	}
	return v.Bind(bufs)
}

func (v *Vec) ready() error {
	switch {
	case v.closed:
		return errorf(CodeHandle, "mrasim: the environment is closed")
	case v.broken != nil:
		return errorf(CodeInternal, "mrasim: the environment is unusable after an internal error: %v", v.broken)
	case !v.bound:
		return errorf(CodeArgument, "mrasim: no buffers bound; bind them before reset or step")
	}
	return nil
}

// Reset starts episode 0 of every copy: copy e's k-th episode is seeded
// SubSeed(SubSeed(seed, e), k), as in env.Batch, so a copy's trajectory
// depends only on the seed and its actions.
func (v *Vec) Reset(seed uint64) error {
	if err := v.ready(); err != nil {
		return err
	}
	v.seed = seed
	clear(v.episode)
	return v.run(opReset)
}

// ResetCopy starts a new episode of copy e from exactly seed (as
// env.Game.Reset does), for callers that seed episodes themselves (the
// PettingZoo API). Later automatic resets of the copy continue from the
// batch seed's streams.
func (v *Vec) ResetCopy(e int, seed uint64) error {
	if err := v.ready(); err != nil {
		return err
	}
	if e < 0 || e >= len(v.games) {
		return errorf(CodeArgument, "mrasim: copy %d of %d", e, len(v.games))
	}
	v.games[e].Reset(seed, v.frames[e])
	v.writeAll(e)
	v.buf.Reset[e] = false
	return nil
}

// Step checks every copy's actions and then steps all copies in parallel.
// A live agent's action must be one of its type's actions and legal under
// its action mask; entries of agents that left the episode and of padding
// rows are ignored. Without AutoReset, stepping a finished copy is an
// error; with it, a copy whose episode ends is reset at once (its last
// observation kept in FinalObs, its Reset flag set). On an error nothing is
// stepped. Step allocates nothing.
func (v *Vec) Step() error {
	if err := v.ready(); err != nil {
		return err
	}
	if err := v.run(opCheck); err != nil {
		return err
	}
	for w, err := range v.errs {
		if err != nil {
			clear(v.errs[w:])
			return err
		}
	}
	return v.run(opStep)
}

// op is what the workers do to their copies.
type op int

const (
	opReset op = iota // start episode 0
	opCheck           // check and copy the actions
	opStep            // step (and reset finished copies when AutoReset)
)

// readActions checks copy e's actions and copies them for the game.
func (v *Vec) readActions(e int) error {
	f := v.frames[e]
	if !v.info.AutoReset && f.Done() {
		return errorf(CodeArgument, "mrasim: copy %d: the episode is over (every agent terminated, truncated or gone); reset before stepping", e)
	}
	spec := f.Spec
	row := v.buf.Actions[e*v.info.Agents : e*v.info.Agents+spec.NumAgents()]
	acts := v.actions[e]
	for i, a := range row {
		t := spec.Type(i)
		if !f.Alive[i] || f.Terminated[i] || f.Truncated[i] {
			if a < 0 || a >= int64(t.NumActions) {
				a = 0
			}
			acts[i] = int(a)
			continue
		}
		if a < 0 || a >= int64(t.NumActions) {
			return errorf(CodeArgument, "mrasim: copy %d agent %d (%s): action %d, want 0 … %d", e, i, t.Name, a, t.NumActions-1)
		}
		if !f.AgentActionMask(i)[a] {
			return errorf(CodeArgument, "mrasim: copy %d agent %d (%s): action %d is masked (illegal) in this state", e, i, t.Name, a)
		}
		acts[i] = int(a)
	}
	return nil
}

// run does the pending operation on every copy, the calling goroutine
// taking the first share, and turns a panic of a game into an error.
func (v *Vec) run(o op) error {
	v.op = o
	v.wg.Add(len(v.start))
	for _, c := range v.start {
		c <- struct{}{}
	}
	v.do(0, len(v.panics))
	v.wg.Wait()
	for w, p := range v.panics {
		if p != nil {
			v.broken = fmt.Errorf("%v", p)
			v.panics[w] = nil
			return errorf(CodeInternal, "mrasim: internal error in game %s (please report): %v", v.info.Game, p)
		}
	}
	return nil
}

func (v *Vec) work(w, workers int) {
	for range v.start[w-1] {
		v.do(w, workers)
		v.wg.Done()
	}
}

// do runs worker w's share of the copies.
func (v *Vec) do(w, workers int) {
	defer func() {
		if r := recover(); r != nil {
			v.panics[w] = r
		}
	}()
	lo, hi := w*len(v.games)/workers, (w+1)*len(v.games)/workers
	for e := lo; e < hi; e++ {
		f := v.frames[e]
		switch v.op {
		case opReset:
			v.games[e].Reset(env.SubSeed(env.SubSeed(v.seed, uint64(e)), 0), f)
			v.episode[e] = 1
			v.writeAll(e)
			v.buf.Reset[e] = false
		case opCheck:
			if err := v.readActions(e); err != nil {
				v.errs[w] = err
				return
			}
		case opStep:
			v.games[e].Step(v.actions[e], f)
			v.writeFlags(e)
			v.buf.Reset[e] = false
			if v.info.AutoReset && f.Done() {
				if v.buf.FinalObs != nil {
					v.writeObs(e, v.buf.FinalObs, v.buf.FinalMask, nil)
				}
				v.games[e].Reset(env.SubSeed(env.SubSeed(v.seed, uint64(e)), v.episode[e]), f)
				v.episode[e]++
				v.buf.Reset[e] = true
			}
			v.writeObs(e, v.buf.Obs, v.buf.EntityMask, v.buf.ActionMask)
			v.buf.T[e] = int64(f.T)
		}
	}
}

// writeAll writes everything copy e's frame holds.
func (v *Vec) writeAll(e int) {
	v.writeFlags(e)
	v.writeObs(e, v.buf.Obs, v.buf.EntityMask, v.buf.ActionMask)
	v.buf.T[e] = int64(v.frames[e].T)
}

// writeFlags writes copy e's rewards and flags.
func (v *Vec) writeFlags(e int) {
	f := v.frames[e]
	base := e * v.info.Agents
	n := len(f.Reward)
	copy(v.buf.Reward[base:base+n], f.Reward)
	copy(v.buf.Alive[base:base+n], f.Alive)
	copy(v.buf.Terminated[base:base+n], f.Terminated)
	copy(v.buf.Truncated[base:base+n], f.Truncated)
}

// writeObs writes copy e's observations and entity masks (and action
// masks, when act is not nil) into the given buffers, in the batch's
// layout.
func (v *Vec) writeObs(e int, obs []float32, ent, act []bool) {
	f := v.frames[e]
	w, ew, aw := v.info.ObsWidth, v.info.Entities, v.info.Actions
	for i, al := range v.layouts[v.copyPop[e]] {
		r := e*v.info.Agents + i
		orow := obs[r*w : (r+1)*w]
		for _, s := range al.obs {
			dst := orow[s.dst : s.dst+s.n]
			for k, x := range f.Obs[s.src : s.src+s.n] {
				dst[k] = float32(x)
			}
		}
		erow := ent[r*ew : (r+1)*ew]
		for _, s := range al.ent {
			copy(erow[s.dst:s.dst+s.n], f.EntityMask[s.src:s.src+s.n])
		}
		if act != nil {
			copy(act[r*aw:(r+1)*aw], f.AgentActionMask(i))
		}
	}
}

// Frame returns copy e's current frame (for tests and the random policy).
func (v *Vec) Frame(e int) *env.Frame { return v.frames[e] }

// Save returns copy e's full game state (env.Game.AppendState).
func (v *Vec) Save(e int) ([]byte, error) {
	if e < 0 || e >= len(v.games) {
		return nil, errorf(CodeArgument, "mrasim: copy %d of %d", e, len(v.games))
	}
	return v.games[e].AppendState(nil), nil
}

// Restore puts copy e back into a state Save returned (from this batch or
// another built with the same game, parameters and population) and writes
// its observations; rewards keep their values. A state of another game or
// population is refused with CodeState, and the copy is left unchanged.
func (v *Vec) Restore(e int, state []byte) error {
	if err := v.ready(); err != nil {
		return err
	}
	if e < 0 || e >= len(v.games) {
		return errorf(CodeArgument, "mrasim: copy %d of %d", e, len(v.games))
	}
	if err := v.games[e].SetState(bytes.Clone(state)); err != nil {
		return &Error{Code: CodeState, Msg: fmt.Sprintf("mrasim: restoring copy %d: %v", e, err), Err: err}
	}
	v.games[e].Observe(v.frames[e])
	v.writeAll(e)
	return nil
}

// Close stops the batch's goroutines; the batch refuses use afterwards.
func (v *Vec) Close() {
	if v.closed {
		return
	}
	v.closed = true
	for _, c := range v.start {
		close(c)
	}
}
