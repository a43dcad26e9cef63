package particle_test

import (
	"fmt"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// Build cooperative navigation for 3 agents, play one step and look at the
// two observation views of agent 0.
func Example() {
	g, err := env.Make(particle.SpreadName, map[string]any{"max_steps": int64(25)}, env.Population{{Count: 3}})
	if err != nil {
		panic(err)
	}
	f := env.NewFrame(g.Spec())
	g.Reset(42, f)
	g.Step([]int{1, 3, 0}, f) // agent 0 pushes +x, agent 1 +y, agent 2 rests

	typ := g.Spec().Types[0]
	fmt.Println("self width:", typ.Self)
	for _, s := range typ.Sets {
		fmt.Printf("set %s: %d × %d\n", s.Name, s.Count, s.Width)
	}
	flat := make([]float64, g.(env.FlatObserver).FlatLen(0))
	g.(env.FlatObserver).FlatObs(0, flat)
	fmt.Printf("flat length: %d, velocity: (%.3f, %.3f)\n", len(flat), flat[0], flat[1])
	fmt.Println("shared reward:", f.Reward[0] == f.Reward[1] && f.Reward[1] == f.Reward[2])
	// Output:
	// self width: 4
	// set landmarks: 3 × 2
	// set agents: 2 × 4
	// flat length: 18, velocity: (0.500, 0.000)
	// shared reward: true
}
