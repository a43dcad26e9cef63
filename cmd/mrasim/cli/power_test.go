package cli

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/internal/stats"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/br"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/scenarios"
)

// handWritten is a deviation for one agent, written by hand for the power
// table. It lives here, in a test, and never in the estimator: the point is
// to check that the game-agnostic estimator finds at least what a one-line
// rule finds.
type handWritten struct {
	name   string
	decide func(g env.Game) func(f *env.Frame, i int) int
}

// script is a hand-written deviation that plays the game's scripted policy
// for the one agent.
func script(name string) handWritten {
	return handWritten{name: name, decide: func(g env.Game) func(f *env.Frame, i int) int {
		p, err := g.(env.ScriptedPolicies).ScriptedPolicy(name, 0)
		if err != nil {
			panic(err)
		}
		acts := make([]int, g.Spec().NumAgents())
		return func(f *env.Frame, i int) int { p.Act(f, acts); return acts[i] }
	}}
}

// towards steers to the offset (dx, dy) along its larger axis, ignoring
// the velocity (a cruder controller than the games' scripts).
func towards(dx, dy float64) int {
	switch {
	case math.Abs(dx) < 0.02 && math.Abs(dy) < 0.02:
		return 0
	case math.Abs(dx) >= math.Abs(dy) && dx > 0:
		return 1
	case math.Abs(dx) >= math.Abs(dy):
		return 2
	case dy > 0:
		return 3
	}
	return 4
}

// nearestBlock returns the first two numbers of the nearest present block
// of set k of agent i's observation.
func nearestBlock(spec *env.Spec, f *env.Frame, i, k int) (dx, dy float64, ok bool) {
	t := spec.Type(i)
	off, first := t.SetOffset(k), 0
	for _, s := range t.Sets[:k] {
		first += s.Count
	}
	best := math.Inf(1)
	o, mask := f.AgentObs(i), f.AgentEntityMask(i)
	for e := range t.Sets[k].Count {
		if !mask[first+e] {
			continue
		}
		x, y := o[off+e*t.Sets[k].Width], o[off+e*t.Sets[k].Width+1]
		if d := x*x + y*y; d < best {
			best, dx, dy, ok = d, x, y, true
		}
	}
	return dx, dy, ok
}

// deviations lists the hand-written deviations of each particle game (for
// an agent of the first type).
var deviations = map[string][]handWritten{
	particle.ResourceName: {script(particle.ScriptGreedyCover), script(particle.ScriptNearest)},
	particle.SpreadName: {script(particle.ScriptNearestFree), {name: "nearest-landmark (crude)", decide: func(g env.Game) func(f *env.Frame, i int) int {
		return func(f *env.Frame, i int) int {
			dx, dy, _ := nearestBlock(g.Spec(), f, i, 0)
			return towards(dx, dy)
		}
	}}},
	particle.TagName: {script(particle.ScriptChaseFlee), {name: "chase nearest (crude)", decide: func(g env.Game) func(f *env.Frame, i int) int {
		return func(f *env.Frame, i int) int {
			dx, dy, ok := nearestBlock(g.Spec(), f, i, 2)
			if !ok {
				return 0
			}
			return towards(dx, dy)
		}
	}}},
}

// deviationGain plays episodes paired episodes from seed: the others'
// policy for everyone, and again with agent's actions replaced by the
// deviation, on the same game seed and the same draws of the others.
func deviationGain(t *testing.T, newGame func() (env.Game, error), others agents.Policy, agent int, dev handWritten, episodes int, seed uint64) (mean, ci float64) {
	g, err := newGame()
	if err != nil {
		t.Fatal(err)
	}
	decide := dev.decide(g)
	f := env.NewFrame(g.Spec())
	acts := make([]int, g.Spec().NumAgents())
	play := func(s uint64, deviate bool) float64 {
		g.Reset(s, f)
		if r, ok := others.(br.Reseeder); ok {
			r.Reseed(env.SubSeed(s, 99))
		}
		var ret float64
		for !f.Done() {
			others.Act(f, acts)
			if deviate {
				acts[agent] = decide(f, agent)
			}
			g.Step(acts, f)
			ret += f.Reward[agent]
		}
		return ret
	}
	diff := make([]float64, episodes)
	for k := range diff {
		s := env.SubSeed(seed, uint64(k))
		diff[k] = play(s, true) - play(s, false)
	}
	mean, _, half := stats.TInterval95(diff)
	return mean, half
}

// TestPowerTable measures the power table of docs/algorithms/best-response.md: for each particle
// game and size, against uniform random play and (resource) against a
// trained run, the gain of each hand-written deviation for one agent of
// the first type over 300 paired episodes, and the gain the league's
// estimator finds with the scenario's default [eval.br] settings, with
// their 95% intervals. It is an experiment (minutes to hours), run only
// when MRASIM_POWER is set:
//
//	MRASIM_POWER=1 MRASIM_POWER_RUN=runs/resource-… go test ./cmd/mrasim/cli -run TestPowerTable -v -timeout 0
//
// MRASIM_POWER_CASES selects cases ("resource:3:random resource:24:run …"),
// MRASIM_POWER_SEARCH=0 turns the search off (the table before it),
// MRASIM_POWER_ROLLOUTS, _HORIZON, _HOLD, _BR_EPISODES, _PER_AGENT,
// _SELECT and _TEST set search_rollouts, search_horizon, search_hold,
// episodes, episodes_per_agent, select_episodes and test_episodes of
// [eval.br].
func TestPowerTable(t *testing.T) {
	if os.Getenv("MRASIM_POWER") == "" {
		t.Skip("set MRASIM_POWER=1 to measure the power table")
	}
	cases := "resource:3:random resource:6:random resource:24:random resource:3:run resource:6:run resource:24:run " +
		"spread:3:random spread:6:random tag:3,1:random tag:6,2:random"
	if v := os.Getenv("MRASIM_POWER_CASES"); v != "" {
		cases = v
	}
	var run *league.Run
	if dir := os.Getenv("MRASIM_POWER_RUN"); dir != "" {
		var err error
		if _, run, err = loadRun(dir); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Println("| game | N | others | best hand-written deviation: gain | estimator: gain (chosen; challenger) | estimator / best | time |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, c := range strings.Fields(cases) {
		parts := strings.Split(c, ":")
		game, counts, who := parts[0], strings.Split(parts[1], ","), parts[2]
		s, err := scenarios.Load("../../../scenarios/" + game + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		reg, err := env.Lookup(game)
		if err != nil {
			t.Fatal(err)
		}
		var pop env.Population
		for k, td := range reg.Doc.Types {
			n, _ := strconv.Atoi(counts[k])
			pop = append(pop, env.TypeCount{Type: td.Name, Count: n})
		}
		newGame := func() (env.Game, error) { return reg.Make(s.Game.Params, pop) }
		g, err := newGame()
		if err != nil {
			t.Fatal(err)
		}
		spec := g.Spec()
		var entry league.Entry = league.Random{}
		if who == "run" {
			if run == nil {
				t.Fatalf("case %s needs MRASIM_POWER_RUN", c)
			}
			entry = run
		}
		others, err := entry.Policy(spec, 5)
		if err != nil {
			t.Fatal(err)
		}
		best, bestCI, bestName := math.Inf(-1), 0.0, ""
		for _, d := range deviations[game] {
			m, ci := deviationGain(t, newGame, others, 0, d, 300, 11)
			if m > best {
				best, bestCI, bestName = m, ci, d.name
			}
		}
		budget := brBudget(s.Eval)
		if os.Getenv("MRASIM_POWER_SEARCH") == "0" {
			budget.Search = false
		}
		if v, err := strconv.Atoi(os.Getenv("MRASIM_POWER_ROLLOUTS")); err == nil {
			budget.SearchRollouts = v
		}
		if v, err := strconv.Atoi(os.Getenv("MRASIM_POWER_HORIZON")); err == nil {
			budget.SearchHorizon = v
		}
		budget.SearchMaxAgents = 0 // the table measures the search at every size
		if v, err := strconv.Atoi(os.Getenv("MRASIM_POWER_HOLD")); err == nil {
			budget.SearchHold = v
		}
		if v, err := strconv.Atoi(os.Getenv("MRASIM_POWER_BR_EPISODES")); err == nil {
			budget.Episodes = v
		}
		if v, err := strconv.Atoi(os.Getenv("MRASIM_POWER_PER_AGENT")); err == nil {
			budget.EpisodesPerAgent = v
		}
		if v, err := strconv.Atoi(os.Getenv("MRASIM_POWER_SELECT")); err == nil {
			budget.SelectEpisodes = v
		}
		if v, err := strconv.Atoi(os.Getenv("MRASIM_POWER_TEST")); err == nil {
			budget.TestEpisodes = v
		}
		start := time.Now()
		rep, err := league.Play([]league.Entry{entry}, league.Options{Game: game, Params: s.Game.Params, Populations: []env.Population{spec.Population},
			Episodes: 2, Seed: 3, NashConv: league.ModeBR, BR: budget, Runner: jobs.Local{Workers: 1}})
		if err != nil {
			t.Fatal(err)
		}
		d := rep.Results[0].Deviations[0]
		fmt.Printf("| %s | %s | %s | %s %.2f ± %.2f | %.2f ± %.2f (%s; %s %.2f) | %.0f%% | %v |\n", game, spec.Population, who, bestName, best, bestCI,
			d.Gain, d.GainCI95, d.Choice, d.Challenger, d.ChallengerGain, 100*d.Gain/best, time.Since(start).Round(time.Second))
	}
}
