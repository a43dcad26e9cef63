package particle

import "math"

// The world constants of the original particle environments
// (openai/multiagent-particle-envs, multiagent/core.py).
const (
	Dt            = 0.1  // seconds per step
	Damping       = 0.25 // fraction of velocity lost per step
	ContactForce  = 100  // stiffness of the soft contact
	ContactMargin = 1e-3 // width k of the softplus contact penetration
)

// farGap is a gap between two surfaces beyond which the softplus contact
// penetration k·log(1+exp(−gap/k)) is exactly zero in float64 (exp
// underflows below −745.13), so skipping such pairs changes no bit.
const farGap = 0.746

// World is a particle world in struct-of-arrays form: NumAgents movable,
// controlled agents (entities 0 … NumAgents−1) followed by immovable
// landmarks. It reproduces one step of the original code operation for
// operation, so that trajectories agree with it to the last bit or nearly
// (the exp and log1p routines of Go and of the C library may differ by one
// unit in the last place):
//
//	F_i = u_i + 0                          for each agent
//	for every pair a < b that both collide (agents, then landmarks):
//	    Δ = p_a − p_b, d = ‖Δ‖, pen = logaddexp(0, −(d − size_a − size_b)/k)·k
//	    f = ((ContactForce·Δ)/d)·pen; F_a += f and F_b −= f if movable
//	for each agent:
//	    v ← v·(1 − Damping); v ← v + (F/m)·Dt
//	    if ‖v‖ > max_speed: v ← v/‖v‖·max_speed
//	    p ← p + v·Dt
//
// Velocity is updated first and the position moves with the new velocity
// (semi-implicit Euler), as in the original OpenAI code and PettingZoo
// before 2023. Two coincident colliding entities (d = 0) exert no force on
// each other instead of producing NaN. Inactive agents (see SetActive) are
// frozen: they neither move nor collide.
type World struct {
	NumAgents    int       // agents come first among the entities
	PX, PY       []float64 // positions, per entity
	VX, VY       []float64 // velocities, per entity (landmarks stay 0)
	Size         []float64 // radius, per entity
	Collide      []bool    // whether the entity takes part in contacts, per entity
	Mass         []float64 // per agent
	Sensitivity  []float64 // action force magnitude, per agent
	MaxSpeed     []float64 // speed limit per agent; 0 means none
	Active       []bool    // per agent: inactive agents are frozen out of the world
	fx, fy       []float64 // force per agent, scratch
	colliders    []int     // scratch: entities that collide, in order
	numColliders int
}

// NewWorld makes a world of agents and landmarks, all at the origin, with
// the original code's defaults: size 0.05, mass 1, sensitivity 5, no speed
// limit, every entity colliding and every agent active.
func NewWorld(agents, landmarks int) *World {
	n := agents + landmarks
	w := &World{
		NumAgents:   agents,
		PX:          make([]float64, n),
		PY:          make([]float64, n),
		VX:          make([]float64, n),
		VY:          make([]float64, n),
		Size:        make([]float64, n),
		Collide:     make([]bool, n),
		Mass:        make([]float64, agents),
		Sensitivity: make([]float64, agents),
		MaxSpeed:    make([]float64, agents),
		Active:      make([]bool, agents),
		fx:          make([]float64, agents),
		fy:          make([]float64, agents),
		colliders:   make([]int, n),
	}
	for e := range n {
		w.Size[e] = 0.05
		w.Collide[e] = true
	}
	for i := range agents {
		w.Mass[i], w.Sensitivity[i], w.Active[i] = 1, 5, true
	}
	return w
}

// NumEntities returns the number of agents and landmarks.
func (w *World) NumEntities() int { return len(w.PX) }

// Place sets entity e's position and velocity.
func (w *World) Place(e int, x, y, vx, vy float64) {
	w.PX[e], w.PY[e], w.VX[e], w.VY[e] = x, y, vx, vy
}

// actionX and actionY give the direction of each discrete action in the
// original one-hot encoding: 0 no-op, 1 +x, 2 −x, 3 +y, 4 −y.
var (
	actionX = [NumActions]float64{0, 1, -1, 0, 0}
	actionY = [NumActions]float64{0, 0, 0, 1, -1}
)

// NumActions is the number of discrete actions of every particle game:
// no-op, +x, −x, +y, −y, in that order (the original one-hot encoding).
const NumActions = 5

// ActionNames names the discrete actions.
var ActionNames = []string{"noop", "+x", "-x", "+y", "-y"}

// Step advances the world by Dt under one discrete action per agent
// (actions of inactive agents are ignored). It panics if an action is not
// in 0 … NumActions−1.
func (w *World) Step(actions []int) {
	na := w.NumAgents
	for i := range na {
		a := actions[i]
		if !w.Active[i] {
			a = 0
		}
		s := w.Sensitivity[i]
		// u = (e₁−e₂, e₃−e₄)·s, then F = u + noise with noise 0.0.
		w.fx[i] = actionX[a]*s + 0.0
		w.fy[i] = actionY[a]*s + 0.0
	}
	w.contacts()
	w.integrate()
}

// contacts adds the soft contact forces of every colliding pair to the
// agents' forces, in the original pair order.
func (w *World) contacts() {
	c := w.colliders[:0]
	for e := range w.PX {
		if w.Collide[e] && (e >= w.NumAgents || w.Active[e]) {
			c = append(c, e)
		}
	}
	w.numColliders = len(c)
	na := w.NumAgents
	px, py, size := w.PX, w.PY, w.Size
	fx, fy := w.fx, w.fy
	for ia, a := range c {
		if a >= na {
			break // landmark pairs: neither is movable
		}
		ax, ay, as := px[a], py[a], size[a]
		for _, b := range c[ia+1:] {
			dx, dy := ax-px[b], ay-py[b]
			dmin := as + size[b]
			d2 := float64(dx*dx) + float64(dy*dy)
			if far := dmin + farGap; d2 > far*far || d2 == 0 {
				continue
			}
			dist := math.Sqrt(d2)
			pen := softplus(-(dist-dmin)/ContactMargin) * ContactMargin
			if pen == 0 {
				continue
			}
			// force = contact_force * delta_pos / dist * penetration
			gx := ContactForce * dx / dist * pen
			gy := ContactForce * dy / dist * pen
			fx[a] = gx + fx[a]
			fy[a] = gy + fy[a]
			if b < na {
				fx[b] = -gx + fx[b]
				fy[b] = -gy + fy[b]
			}
		}
	}
}

// integrate moves every active agent: velocity first, then position.
func (w *World) integrate() {
	const keep = 1 - Damping
	for i := range w.NumAgents {
		if !w.Active[i] {
			continue
		}
		vx, vy := w.VX[i]*keep, w.VY[i]*keep
		m := w.Mass[i]
		vx += float64(float64(w.fx[i]/m) * Dt)
		vy += float64(float64(w.fy[i]/m) * Dt)
		if ms := w.MaxSpeed[i]; ms > 0 {
			if s := math.Sqrt(float64(vx*vx) + float64(vy*vy)); s > ms {
				vx, vy = vx/s*ms, vy/s*ms
			}
		}
		w.VX[i], w.VY[i] = vx, vy
		w.PX[i] += float64(vx * Dt)
		w.PY[i] += float64(vy * Dt)
	}
}

// softplus returns log(1 + eᶻ) the way NumPy's logaddexp(0, z) computes it.
func softplus(z float64) float64 {
	switch {
	case z == 0:
		return math.Ln2
	case z < 0:
		e := math.Exp(z)
		if e < 0x1p-54 {
			return e // what math.Log1p returns for such tiny arguments
		}
		return math.Log1p(e)
	default:
		return z + math.Log1p(math.Exp(-z))
	}
}

// Dist returns the distance between entities a and b.
func (w *World) Dist(a, b int) float64 {
	dx, dy := w.PX[a]-w.PX[b], w.PY[a]-w.PY[b]
	return math.Sqrt(float64(dx*dx) + float64(dy*dy))
}

// Touch reports whether entities a and b overlap: their distance is
// strictly below the sum of their sizes (the original is_collision).
func (w *World) Touch(a, b int) bool {
	return w.Dist(a, b) < w.Size[a]+w.Size[b]
}
