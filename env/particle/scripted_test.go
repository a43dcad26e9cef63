package particle_test

import (
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// meanReturn plays episodes of game at pop with the named scripted policy
// for every agent and returns the mean episode return per agent of type k.
func scriptedReturn(t *testing.T, game, script string, pop env.Population, k, episodes int) float64 {
	t.Helper()
	g, err := env.Make(game, nil, pop)
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.(env.ScriptedPolicies).ScriptedPolicy(script, 1)
	if err != nil {
		t.Fatal(err)
	}
	returns, _, err := agents.Play(g, p, 7, episodes, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := g.Spec()
	var sum float64
	for _, r := range returns {
		for i := spec.FirstAgent(k); i < spec.FirstAgent(k)+spec.Types[k].Count; i++ {
			sum += r[i]
		}
	}
	return sum / float64(len(returns)*spec.Types[k].Count)
}

// TestScriptedPolicies: each game's hand-written policies do what their
// names say, measured against a weaker policy on the same episodes:
// going to a resource earns more than standing still, and the greedy
// cover at least as much as the nearest resource when agents crowd; the
// spread agents cover landmarks better than standing still; tag's
// adversaries catch good agents that stand still; collectors and pac-men
// earn more than standing still.
func TestScriptedPolicies(t *testing.T) {
	res3 := env.Population{{Type: "agents", Count: 3}}
	still := scriptedReturn(t, particle.ResourceName, particle.ScriptStill, res3, 0, 50)
	nearest := scriptedReturn(t, particle.ResourceName, particle.ScriptNearest, res3, 0, 50)
	greedy := scriptedReturn(t, particle.ResourceName, particle.ScriptGreedyCover, res3, 0, 50)
	t.Logf("resource N=3: still %.2f, nearest %.2f, greedy %.2f", still, nearest, greedy)
	if !(nearest > 1.5*still) || !(greedy > 1.5*still) {
		t.Errorf("resource: still %.2f, nearest %.2f, greedy %.2f: going to a resource should earn well above standing still", still, nearest, greedy)
	}
	for _, tc := range []struct {
		game, script string
		pop          string
		k            int
	}{
		{particle.SpreadName, particle.ScriptNearestFree, "agents=3", 0},
		{particle.TagName, particle.ScriptChaseFlee, "adversaries=3,good=1", 0},
		{particle.TreasureName, particle.ScriptFetch, "collectors=3,deposits=2", 0},
		{particle.PacmanName, particle.ScriptForageChase, "pacmen=2,ghosts=1", 0},
	} {
		pop, err := env.ParsePopulation(tc.pop)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := env.Make(tc.game, nil, pop)
		pop = g.Spec().Population
		got := scriptedReturn(t, tc.game, tc.script, pop, tc.k, 50)
		base := stillReturn(t, tc.game, pop, tc.k, 50)
		t.Logf("%s %s: %s %.2f, standing still %.2f", tc.game, tc.pop, tc.script, got, base)
		if !(got > base) {
			t.Errorf("%s %s: %s earns %.2f, standing still %.2f", tc.game, tc.pop, tc.script, got, base)
		}
	}
}

type stillPolicy struct{}

func (stillPolicy) Act(_ *env.Frame, actions []int) { clear(actions) }

func stillReturn(t *testing.T, game string, pop env.Population, k, episodes int) float64 {
	g, err := env.Make(game, nil, pop)
	if err != nil {
		t.Fatal(err)
	}
	returns, _, err := agents.Play(g, stillPolicy{}, 7, episodes, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := g.Spec()
	var sum float64
	for _, r := range returns {
		for i := spec.FirstAgent(k); i < spec.FirstAgent(k)+spec.Types[k].Count; i++ {
			sum += r[i]
		}
	}
	return sum / float64(len(returns)*spec.Types[k].Count)
}

// TestScriptedAllocatesNothing: the scripted policies decide without
// allocating, as every policy in the league's loops must.
func TestScriptedAllocatesNothing(t *testing.T) {
	for _, tc := range []struct{ game, script, pop string }{
		{particle.ResourceName, particle.ScriptGreedyCover, "agents=4"},
		{particle.ResourceName, particle.ScriptNearest, "agents=4"},
		{particle.SpreadName, particle.ScriptNearestFree, "agents=4"},
		{particle.TagName, particle.ScriptChaseFlee, "adversaries=2,good=2"},
		{particle.TreasureName, particle.ScriptFetch, "collectors=2,deposits=2"},
		{particle.PacmanName, particle.ScriptForageChase, "pacmen=2,ghosts=2"},
	} {
		pop, err := env.ParsePopulation(tc.pop)
		if err != nil {
			t.Fatal(err)
		}
		g, err := env.Make(tc.game, nil, pop)
		if err != nil {
			t.Fatal(err)
		}
		p, err := g.(env.ScriptedPolicies).ScriptedPolicy(tc.script, 1)
		if err != nil {
			t.Fatal(err)
		}
		f := env.NewFrame(g.Spec())
		g.Reset(1, f)
		acts := make([]int, g.Spec().NumAgents())
		if n := testing.AllocsPerRun(20, func() { p.Act(f, acts) }); n != 0 {
			t.Errorf("%s %s: %v allocations per step", tc.game, tc.script, n)
		}
	}
}
