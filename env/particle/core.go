package particle

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/env"
)

// core is what every particle game shares: its spec, its world, the step
// count and the episode's random generator.
type core struct {
	spec *env.Spec
	w    *World
	t    int
	pcg  *rand.PCG
	rng  *rand.Rand
	read *coreState // SetState's scratch, so restoring a state allocates nothing
}

func newCore(spec *env.Spec, w *World) core {
	pcg := rand.NewPCG(0, 0)
	n := w.NumEntities()
	read := &coreState{px: make([]float64, n), py: make([]float64, n), vx: make([]float64, n), vy: make([]float64, n)}
	return core{spec: spec, w: w, pcg: pcg, rng: rand.New(pcg), read: read}
}

// Spec implements env.Game.
func (c *core) Spec() *env.Spec { return c.spec }

// World returns the game's world. Tests and tools may set positions and
// velocities through it (for example a recorded initial state) and then
// call Observe; anything else about the world is the game's business.
func (c *core) World() *World { return c.w }

// begin seeds the generator and zeroes the clock and every velocity.
func (c *core) begin(seed uint64) {
	c.pcg.Seed(seed, 0)
	c.t = 0
	clear(c.w.VX)
	clear(c.w.VY)
}

// uniform draws from U(lo, hi).
func (c *core) uniform(lo, hi float64) float64 { return lo + (hi-lo)*c.rng.Float64() }

// scatter places entities lo … hi−1 uniformly in the square [−r, r]² at rest.
func (c *core) scatter(lo, hi int, r float64) {
	for e := lo; e < hi; e++ {
		c.w.Place(e, c.uniform(-r, r), c.uniform(-r, r), 0, 0)
	}
}

// flags writes Alive, Terminated, Truncated and T into f from the clock:
// particle games never terminate an episode early, so every agent alive
// (given by alive, or all when nil) is truncated at the horizon.
func (c *core) flags(f *env.Frame, alive []bool) {
	// These games mask nothing: every entity is observed and every action
	// legal in every state, and Observe says so (the Game contract), so a
	// frame restored with SetState + Observe equals the stepped one.
	for i := range f.EntityMask {
		f.EntityMask[i] = true
	}
	for i := range f.ActionMask {
		f.ActionMask[i] = true
	}
	f.T = c.t
	trunc := c.t >= c.spec.Horizon
	for i := range f.Alive {
		a := alive == nil || alive[i]
		f.Alive[i] = a
		f.Terminated[i] = false
		f.Truncated[i] = a && trunc
	}
}

// appendCore writes the shared state: generator, clock, positions and
// velocities.
func (c *core) appendCore(w *env.StateWriter) {
	var rs [32]byte
	p, _ := c.pcg.AppendBinary(rs[:0]) // never fails
	w.Bytes(p)
	w.Int(c.t)
	w.Floats(c.w.PX)
	w.Floats(c.w.PY)
	w.Floats(c.w.VX)
	w.Floats(c.w.VY)
}

// coreState is a decoded shared state, committed only once it is valid.
type coreState struct {
	pcg            rand.PCG
	t              int
	px, py, vx, vy []float64
}

func (c *core) readCore(r *env.StateReader) (*coreState, error) {
	s := c.read
	rs := r.Bytes()
	s.t = r.Int()
	r.Floats(s.px)
	r.Floats(s.py)
	r.Floats(s.vx)
	r.Floats(s.vy)
	if err := r.Err(false); err != nil {
		return nil, err
	}
	if err := s.pcg.UnmarshalBinary(rs); err != nil {
		return nil, fmt.Errorf("%w: random generator: %v", env.ErrState, err)
	}
	if s.t < 0 || s.t > c.spec.Horizon {
		return nil, fmt.Errorf("%w: step %d outside 0 … %d", env.ErrState, s.t, c.spec.Horizon)
	}
	for _, xs := range [...][]float64{s.px, s.py, s.vx, s.vy} {
		for _, v := range xs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: non-finite position or velocity", env.ErrState)
			}
		}
	}
	return s, nil
}

func (c *core) commitCore(s *coreState) {
	*c.pcg = s.pcg
	c.t = s.t
	copy(c.w.PX, s.px)
	copy(c.w.PY, s.py)
	copy(c.w.VX, s.vx)
	copy(c.w.VY, s.vy)
}

// teamSum returns the sum of rewards the way NumPy's np.sum adds a short
// vector: the first element plus the sum of the rest.
func teamSum(r []float64) float64 {
	if len(r) == 0 {
		return 0
	}
	rest := math.Copysign(0, -1)
	for _, v := range r[1:] {
		rest += v
	}
	return r[0] + rest
}

// share replaces every reward by the team's sum.
func share(r []float64) {
	s := teamSum(r)
	for i := range r {
		r[i] = s
	}
}

// maxAgents bounds every agent type's count: large enough for any
// experiment in the paper, small enough that observations stay in memory.
const maxAgents = 256

// countFeatureParam is the count_feature parameter of the games whose
// self block can end with N/10: off, the observation
// carries no population size, as in the official code, and N reaches MRA's
// networks only through the prior p(z | m).
var countFeatureParam = env.Param{Name: "count_feature", Kind: env.Bool, Default: 0,
	Doc: "end each agent's self block with N/10 per agent type, the population size (ln N with count_encoding = \"log\"; not in the official code; it leaks N into every observation)"}

// countEncodingParam is the count_encoding parameter of the games with
// count_feature: how the feature writes each type's count n (n/10 by
// default, ln n with "log"; see env.CountEncoding).
var countEncodingParam = env.CountEncodingParam("how the count_feature entries encode each type's count n (with count_feature = true)")

// countFeature returns the values of count_feature and count_encoding for
// game; it refuses a "log" encoding without the feature, which it would
// otherwise silently ignore.
func countFeature(game string, p env.Params) (bool, env.CountEncoding, error) {
	on, enc := p.Bool(countFeatureParam.Name), p.CountEncoding()
	if !on && enc != env.CountLinear {
		return false, enc, &env.ParamError{Game: game, Param: env.CountEncodingKey,
			Msg: fmt.Sprintf("%q encodes the count_feature entries, which are off; set count_feature = true or leave count_encoding out", enc)}
	}
	return on, enc, nil
}

// horizonParam documents the max_steps parameter with the given default.
func horizonParam(def float64, why string) env.Param {
	return env.Param{Name: "max_steps", Kind: env.Int, Default: def, Min: 1, Max: 100000,
		Doc: "steps after which the episode is truncated (" + why + ")"}
}

// ReseedState implements env.StateReseeder: the episode's generator
// restarts from seed (positions, velocities and the clock stay), so a
// restored copy draws randomness of its own (treasure and pellet respawns)
// instead of the episode's future.
func (c *core) ReseedState(seed uint64) { c.pcg.Seed(seed, 0x7265736565640a) }
