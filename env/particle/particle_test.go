package particle_test

import (
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/envtest"
	"github.com/mrasim/mrasim/env/particle"
)

// conformance lists, per game, the populations the conformance suite runs
// at: the smallest allowed up to 64 agents.
var conformance = []struct {
	game   string
	params map[string]any
	pops   []env.Population
}{
	{particle.ResourceName, nil, []env.Population{one(1), one(3), one(12), one(64)}},
	{particle.ResourceName, map[string]any{"observe_nearest": int64(4)}, []env.Population{one(1), one(3), one(12), one(64)}},
	{particle.SpreadName, nil, []env.Population{one(1), one(3), one(12), one(64)}},
	{particle.SpreadName, map[string]any{"shared_reward": false}, []env.Population{one(5)}},
	{particle.SpreadName, map[string]any{"observe_nearest": int64(4)}, []env.Population{one(1), one(3), one(12), one(64)}},
	{particle.TagName, nil, []env.Population{two("adversaries", 1, "good", 1), two("adversaries", 3, "good", 1), two("adversaries", 8, "good", 4), two("adversaries", 48, "good", 16)}},
	{particle.TagName, map[string]any{"obstacles": int64(0)}, []env.Population{two("adversaries", 2, "good", 2)}},
	{particle.TagName, map[string]any{"observe_nearest": int64(3)}, []env.Population{two("adversaries", 1, "good", 1), two("adversaries", 8, "good", 4), two("adversaries", 48, "good", 16)}},
	{particle.TreasureName, nil, []env.Population{two("collectors", 1, "deposits", 1), two("collectors", 6, "deposits", 2), two("collectors", 12, "deposits", 4), two("collectors", 48, "deposits", 16)}},
	{particle.TreasureName, map[string]any{"observe_nearest": int64(7)}, []env.Population{two("collectors", 1, "deposits", 1), two("collectors", 12, "deposits", 4), two("collectors", 48, "deposits", 16)}},
	{particle.PacmanName, nil, []env.Population{two("pacmen", 1, "ghosts", 1), two("pacmen", 3, "ghosts", 2), two("pacmen", 8, "ghosts", 4), two("pacmen", 40, "ghosts", 24)}},
	{particle.PacmanName, map[string]any{"food": int64(3), "sight": 2.0, "bound_penalty": false}, []env.Population{two("pacmen", 4, "ghosts", 6)}},
	{particle.PacmanName, map[string]any{"observe_nearest": int64(3)}, []env.Population{two("pacmen", 1, "ghosts", 1), two("pacmen", 8, "ghosts", 4), two("pacmen", 40, "ghosts", 24)}},
}

func one(n int) env.Population { return env.Population{{Count: n}} }

func two(a string, na int, b string, nb int) env.Population {
	return env.Population{{Type: a, Count: na}, {Type: b, Count: nb}}
}

func TestConformance(t *testing.T) {
	for _, c := range conformance {
		for _, pop := range c.pops {
			t.Run(c.game+"/"+pop.String(), func(t *testing.T) {
				envtest.Check(t, func() (env.Game, error) { return env.Make(c.game, c.params, pop) })
			})
		}
	}
}
