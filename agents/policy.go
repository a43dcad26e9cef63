package agents

import (
	"math/rand/v2"

	"github.com/mrasim/mrasim/env"
)

// Policy chooses an action for every live agent of a game from its current
// frame. Act writes one action per agent into actions (entries of dead
// agents are left as they are) and must respect the frame's action masks.
type Policy interface {
	Act(f *env.Frame, actions []int)
}

// Distribution is implemented by policies that can give the exact
// probability of each action of an agent in a frame, which lets the league
// compute exact NashConv in games with exact payoffs. dst has the agent's
// number of actions and must sum to 1.
type Distribution interface {
	ActionProbs(f *env.Frame, i int, dst []float64)
}

// Random plays uniformly among the legal actions of each agent. It draws from
// its own generator, so two Random policies with the same seed choose alike.
type Random struct {
	rng *rand.Rand
}

// NewRandom returns a uniformly random policy seeded with seed.
func NewRandom(seed uint64) *Random {
	return &Random{rng: rand.New(rand.NewPCG(seed, 0x6d72617369))}
}

// Reseed restarts the policy's generator from seed, as NewRandom(seed)
// would. It implements league/br's Reseeder, so that paired evaluations
// play random agents on common random numbers.
func (r *Random) Reseed(seed uint64) {
	r.rng = rand.New(rand.NewPCG(seed, 0x6d72617369))
}

// Act implements Policy. An agent with no legal action keeps action 0.
func (r *Random) Act(f *env.Frame, actions []int) {
	for i := range actions {
		if !f.Alive[i] {
			continue
		}
		actions[i] = SampleLegal(r.rng, f.AgentActionMask(i))
	}
}

// ActionProbs implements Distribution: uniform over the legal actions.
func (r *Random) ActionProbs(f *env.Frame, i int, dst []float64) {
	mask := f.AgentActionMask(i)
	legal := 0
	for _, ok := range mask {
		if ok {
			legal++
		}
	}
	for a := range dst {
		dst[a] = 0
		if legal == 0 {
			dst[a] = 1 / float64(len(dst))
		} else if mask[a] {
			dst[a] = 1 / float64(legal)
		}
	}
}

// SampleLegal returns an action drawn uniformly among those mask allows, or 0
// when it allows none.
func SampleLegal(rng *rand.Rand, mask []bool) int {
	legal := 0
	for _, ok := range mask {
		if ok {
			legal++
		}
	}
	if legal == 0 {
		return 0
	}
	k := rng.IntN(legal)
	for a, ok := range mask {
		if ok {
			if k == 0 {
				return a
			}
			k--
		}
	}
	return 0
}

// Forker is implemented by policies that can play in many game copies at
// once, each copy with its own random numbers and per-episode state: a
// search that plans by rollouts from copies of the current state plays the
// others' policy in every rollout, and a network policy then evaluates all
// the copies' rows in one product instead of one copy at a time.
type Forker interface {
	// Fork returns a policy for copies game copies, sharing nothing
	// mutable with the receiver: in particular none of its hidden
	// per-episode state (latents drawn), which each copy draws afresh.
	Fork(copies int) Copies
}

// Copies is a policy that acts in several game copies at once (see
// Forker). It is not safe for concurrent use.
type Copies interface {
	// Reseed restarts copy c's random numbers from seed and makes it draw
	// fresh per-episode state (latents) at its next Act, as at the start
	// of an episode.
	Reseed(c int, seed uint64)
	// Act writes, for each k, the actions of copy which[k] in frame
	// frames[k] into actions[k], as Policy.Act does for one game.
	Act(which []int, frames []*env.Frame, actions [][]int)
}

// Fork implements Forker: every copy is a Random policy of its own, on a
// generator that Reseed restarts in place (no allocation).
func (r *Random) Fork(copies int) Copies {
	c := randomCopies{pcg: make([]*rand.PCG, copies), pol: make([]Random, copies)}
	for k := range copies {
		c.pcg[k] = rand.NewPCG(uint64(k), 0x6d72617369)
		c.pol[k].rng = rand.New(c.pcg[k])
	}
	return c
}

type randomCopies struct {
	pcg []*rand.PCG
	pol []Random
}

// Reseed restarts copy k as NewRandom(seed) would start.
func (c randomCopies) Reseed(k int, seed uint64) { c.pcg[k].Seed(seed, 0x6d72617369) }

func (c randomCopies) Act(which []int, frames []*env.Frame, actions [][]int) {
	for k, w := range which {
		c.pol[w].Act(frames[k], actions[k])
	}
}

// Reseedable is a policy whose random numbers and per-episode state can be
// restarted from a seed (as at the start of an episode).
type Reseedable interface {
	Policy
	Reseed(seed uint64)
}

// CopiesOf returns Copies made of independent policies, copy k playing
// ps[k]: the simple way for a policy without a batched forward pass to
// implement Forker (make copies fresh instances, so that they share no
// state with the receiver).
func CopiesOf[P Reseedable](ps []P) Copies { return policyCopies[P](ps) }

type policyCopies[P Reseedable] []P

func (c policyCopies[P]) Reseed(k int, seed uint64) { c[k].Reseed(seed) }

func (c policyCopies[P]) Act(which []int, frames []*env.Frame, actions [][]int) {
	for k, w := range which {
		c[w].Act(frames[k], actions[k])
	}
}
