package particle

import (
	"image/color"
	"strconv"
)

// Scene is a read-only snapshot of what a particle game looks like at one
// moment, for renderers and other tools that show a world without knowing
// its rules: where every entity is, how large, in which colour, which
// agent type it belongs to and whether it is still in the game.
//
// Entities lists the agents first, in agent order (entity i is agent i),
// then the other entities (landmarks, resources, obstacles, treasures,
// food) in the world's order.
type Scene struct {
	Entities    []Entity
	TypeColours []color.RGBA // per agent type, in population order: the colour that marks the type
}

// Entity is one disc of a Scene.
type Entity struct {
	X, Y   float64    // position in world units (the games start entities in [−1, 1]²)
	Size   float64    // radius in world units
	Colour color.RGBA // fill: what the entity looks like now (a carried treasure, an accepted colour)
	Type   int        // agent type index in population order, or −1 for an entity that is not an agent
	Alive  bool       // false for agents out of the game (caught pac-men); always true for the others
	Label  string     // a short text drawn on a non-agent, such as a resource's value; "" for none
}

// Viewer is implemented by every particle game; it is how tools see a
// world without reaching into its rules. Neither method changes the game,
// and neither is called by Step, so stepping stays allocation-free.
type Viewer interface {
	// Scene writes the current snapshot into dst, reusing its slices
	// (it allocates only when they are too short).
	Scene(dst *Scene)
	// Observed appends to dst, for each entity block of agent i's
	// observation in block order (set by set, as the spec lays them out),
	// the index in Scene.Entities of the entity the block shows, and
	// returns the extended slice. It is what maps a per-block quantity,
	// such as an attention weight, back onto the world.
	Observed(i int, dst []int) []int
}

// The colours of the games. Where the original particle environments
// define a colour (simple_spread, simple_tag) it is theirs, rounded to
// 8 bits; the others are ours.
var (
	colourAgent     = rgb(0.35, 0.35, 0.85) // spread and resource agents (MPE)
	colourLandmark  = rgb(0.25, 0.25, 0.25) // spread landmarks and tag obstacles (MPE)
	colourResource  = rgb(0.85, 0.75, 0.45) // resource occupation's resources
	colourAdversary = rgb(0.85, 0.35, 0.35) // tag's adversaries (MPE)
	colourGood      = rgb(0.35, 0.85, 0.35) // tag's good agents (MPE)
	colourCollector = rgb(0.55, 0.55, 0.55) // treasure: empty collectors
	colourDepositT  = rgb(0.15, 0.15, 0.15) // treasure: the deposits' type mark
	colourTreasure  = [treasureColours]color.RGBA{rgb(0.95, 0.5, 0.1), rgb(0.1, 0.6, 0.95)}
	colourDeposit   = [treasureColours]color.RGBA{rgb(0.6, 0.3, 0.05), rgb(0.05, 0.35, 0.6)}
	colourPacman    = rgb(0.95, 0.8, 0.1)
	colourGhost     = rgb(0.6, 0.3, 0.85)
	colourFood      = rgb(0.35, 0.7, 0.35)
)

// Colours returns every colour the built-in games' scenes use, so that a
// renderer can build a fixed palette in which each of them is exact.
func Colours() []color.RGBA {
	return []color.RGBA{
		colourAgent, colourLandmark, colourResource, colourAdversary, colourGood,
		colourCollector, colourDepositT, colourTreasure[0], colourTreasure[1],
		colourDeposit[0], colourDeposit[1], colourPacman, colourGhost, colourFood,
	}
}

func rgb(r, g, b float64) color.RGBA {
	return color.RGBA{uint8(r*255 + 0.5), uint8(g*255 + 0.5), uint8(b*255 + 0.5), 255}
}

// sceneOf fills the positions and sizes of every entity of w into dst,
// marks them alive, non-agent and in colour c, and sets the type colours.
func sceneOf(dst *Scene, w *World, c color.RGBA, types ...color.RGBA) {
	n := w.NumEntities()
	if cap(dst.Entities) < n {
		dst.Entities = make([]Entity, n)
	}
	dst.Entities = dst.Entities[:n]
	for e := range dst.Entities {
		dst.Entities[e] = Entity{X: w.PX[e], Y: w.PY[e], Size: w.Size[e], Colour: c, Type: -1, Alive: true}
	}
	dst.TypeColours = append(dst.TypeColours[:0], types...)
}

// agentsOf gives agents lo … hi−1 of the scene type k and colour c.
func agentsOf(dst *Scene, lo, hi, k int, c color.RGBA) {
	for i := lo; i < hi; i++ {
		dst.Entities[i].Type, dst.Entities[i].Colour = k, c
	}
}

// Scene implements Viewer: agents in MPE's blue over resources in sand.
// Each resource is labelled with its value, what the agents on it share
// each step (10·size).
func (g *Resource) Scene(dst *Scene) {
	sceneOf(dst, g.w, colourResource, colourAgent)
	agentsOf(dst, 0, g.n, 0, colourAgent)
	if len(g.labels) != g.l {
		g.labels = make([]string, g.l)
		for l := range g.l {
			g.labels[l] = strconv.FormatFloat(10*g.w.Size[g.n+l], 'g', 3, 64)
		}
	}
	for l, text := range g.labels {
		dst.Entities[g.n+l].Label = text
	}
}

// Observed implements Viewer: the other agents (the nearest with
// observe_nearest), in block order.
func (g *Resource) Observed(i int, dst []int) []int { return append(dst, g.observed(i)...) }

// Scene implements Viewer: MPE's blue agents and dark landmarks.
func (g *Spread) Scene(dst *Scene) {
	sceneOf(dst, g.w, colourLandmark, colourAgent)
	agentsOf(dst, 0, g.n, 0, colourAgent)
}

// Observed implements Viewer: the landmarks, then the other agents (the
// nearest with observe_nearest).
func (g *Spread) Observed(i int, dst []int) []int {
	dst = append(dst, g.pick.pick(g.w, i, g.n, 2*g.n, -1, nil)...)
	return append(dst, g.pick.pick(g.w, i, 0, g.n, i, nil)...)
}

// Scene implements Viewer: MPE's red adversaries, green good agents and
// dark obstacles.
func (t *Tag) Scene(dst *Scene) {
	sceneOf(dst, t.w, colourLandmark, colourAdversary, colourGood)
	agentsOf(dst, 0, t.a, 0, colourAdversary)
	agentsOf(dst, t.a, t.a+t.g, 1, colourGood)
}

// Observed implements Viewer: the obstacles, then the other adversaries
// and good agents (the nearest of each with observe_nearest).
func (t *Tag) Observed(i int, dst []int) []int {
	n := t.a + t.g
	dst = append(dst, t.pick.pick(t.w, i, n, n+t.o, -1, nil)...)
	dst = append(dst, t.pick.pick(t.w, i, 0, t.a, i, nil)...)
	return append(dst, t.pick.pick(t.w, i, t.a, n, i, nil)...)
}

// Scene implements Viewer: collectors grey when empty and in the colour
// they carry otherwise, deposits in a dark shade of the colour they
// accept, treasures in their colour.
func (g *Treasure) Scene(dst *Scene) {
	n := g.c + g.d
	sceneOf(dst, g.w, colourLandmark, colourCollector, colourDepositT)
	for i := range g.c {
		c := colourCollector
		if col := g.carry[i]; col >= 0 {
			c = colourTreasure[col]
		}
		dst.Entities[i].Type, dst.Entities[i].Colour = 0, c
	}
	for j := range g.d {
		dst.Entities[g.c+j].Type, dst.Entities[g.c+j].Colour = 1, colourDeposit[g.DepositColour(j)]
	}
	for k := range g.k {
		dst.Entities[n+k].Colour = colourTreasure[g.colour[k]]
	}
}

// Observed implements Viewer: the other collectors, deposits, then the
// treasures (the nearest of each with observe_nearest).
func (g *Treasure) Observed(i int, dst []int) []int {
	n := g.c + g.d
	dst = append(dst, g.pick.pick(g.w, i, 0, g.c, i, nil)...)
	dst = append(dst, g.pick.pick(g.w, i, g.c, n, i, nil)...)
	return append(dst, g.pick.pick(g.w, i, n, n+g.k, -1, nil)...)
}

// Scene implements Viewer: yellow pac-men (dead ones not Alive), purple
// ghosts, green food.
func (g *Pacman) Scene(dst *Scene) {
	n := g.p + g.g
	sceneOf(dst, g.w, colourFood, colourPacman, colourGhost)
	agentsOf(dst, 0, g.p, 0, colourPacman)
	agentsOf(dst, g.p, n, 1, colourGhost)
	for i := range n {
		dst.Entities[i].Alive = g.alive[i]
	}
}

// Observed implements Viewer: the other pac-men, ghosts, then the food
// (the nearest of each with observe_nearest, dead pac-men last).
func (g *Pacman) Observed(i int, dst []int) []int {
	n := g.p + g.g
	dst = append(dst, g.pick.pick(g.w, i, 0, g.p, i, g.alive)...)
	dst = append(dst, g.pick.pick(g.w, i, g.p, n, i, nil)...)
	return append(dst, g.pick.pick(g.w, i, n, n+g.food, -1, nil)...)
}
