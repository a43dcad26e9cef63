package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"math"
	"strings"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/scenarios"
)

// validateCommand checks scenario files.
var validateCommand = &command{
	name:     "validate",
	synopsis: "FILE...",
	short:    "check scenario files and report every problem with file:line:col",
	long: "Checks scenario files: TOML syntax, unknown keys, value ranges, the game, its parameters\n" +
		"and every population. Prints 'ok FILE' and the memory its training needs for each valid\n" +
		"file; reports every problem of the others on stderr with file:line:col and exits 2.",
	flags: func(fs *flag.FlagSet) runFunc {
		var sets multiFlag
		fs.Var(&sets, "set", setUsage)
		return func(c *context, files []string) error { return runValidate(c, files, sets) }
	},
}

// setUsage is the help of the --set flag of the commands that read a
// scenario file.
const setUsage = "override scenario key `KEY=VALUE` (repeatable), checked as in the file: train.episodes=960, game.params.max_steps=40, algo.pi_lr=3e-4;\nVALUE is a TOML value (a bare word is a string)"

func runValidate(c *context, files []string, sets []string) error {
	if len(files) == 0 {
		return badUsage("name at least one scenario file")
	}
	var problems errorLines
	for _, f := range files {
		s, err := loadSet(f, sets)
		if errors.Is(err, scenarios.ErrGrid) {
			problems = append(problems, fmt.Errorf("%s: this is a grid: use `%s sweep %s --dry-run`", f, c.prog, f))
			continue
		}
		if err != nil {
			problems = append(problems, err)
			continue
		}
		notes := []string{}
		for _, n := range []string{trainTimeNote(s), trainMemoryNote(s)} {
			if n != "" {
				notes = append(notes, n)
			}
		}
		if len(notes) == 0 {
			fmt.Fprintf(c.stdout, "ok %s\n", f)
		} else {
			fmt.Fprintf(c.stdout, "ok %s (%s)\n", f, strings.Join(notes, "; "))
		}
	}
	if len(problems) > 0 {
		return badInput(problems)
	}
	return nil
}

// trainMemoryNote says how much memory training scenario s needs, and
// whether that is more than the machine has available.
func trainMemoryNote(s *scenarios.Scenario) string {
	if _, ok := s.Algo.(learner.Resolver); ok {
		// Resolve a copy for a new run: validate leaves s as it read it.
		c := *s
		c.Algo = cloneSettings(s.Algo)
		c.Algo.(learner.Resolver).Resolve(nil, true)
		s = &c
	}
	est, err := memest.Train(trainConfig(s))
	if err != nil {
		return ""
	}
	if est.None != "" {
		return est.None
	}
	note := fmt.Sprintf("training needs about %s of memory", memest.Format(est.Total))
	if avail, source, ok := availableMemory(); ok && est.Total > avail {
		note += fmt.Sprintf(", more than the %s of %s: train will refuse it without --max-memory", memest.Format(avail), source)
	}
	return note
}

// cloneSettings returns a copy of s through its algorithm's JSON form (s
// itself when that fails, which a registered algorithm's settings never
// do).
func cloneSettings(s learner.Settings) learner.Settings {
	algo, err := learner.Lookup(s.Algorithm())
	if err != nil {
		return s
	}
	data, err := json.Marshal(s)
	if err != nil {
		return s
	}
	c, err := algo.DecodeJSON(data)
	if err != nil {
		return s
	}
	return c
}

// loadSet reads scenario file and checks it with the --set overrides.
func loadSet(file string, sets []string) (*scenarios.Scenario, error) {
	src, err := scenarios.ReadFile(file)
	if err != nil {
		return nil, err
	}
	s, _, err := scenarios.ParseSet(file, src, sets)
	return s, err
}

// trainCost is an algorithm's measured training cost, in CPU seconds on
// a shared 2-core x86-64 machine, in two parts: acting and stepping the
// games, per agent-step (one agent acting in one step of one episode), and
// the replay update cycles, per row of a gradient step (one agent of one
// sampled transition: cycles × num_updates × batch_size × agents). Both
// are fitted to the user time of `mrasim train FILE --episodes 240` of the
// shipped resource scenarios (max_steps 20, batch_size 256,
// steps_per_update 100) at num_updates 10 and 2: the difference of the
// two gives the cost of a row, the rest the cost of an agent-step
// (measured on 2026-12-07 at a load of 11–16). Checked on full runs of
// scenarios/volunteer.toml (6000 episodes, a one-shot game): estimated
// 27.5 s at num_updates 40, measured 27.7 s (ratio 0.99); 7.9 s at 10,
// measured 6.5 s (1.21); and resource.toml at num_updates 40 and 240
// episodes: 19.8 s against 20.0 s (0.99). The networks are the
// scenarios' (their default sizes); a much larger or smaller network, or a
// game whose step costs much more, moves the estimate. An algorithm that
// is not listed takes MRA's costs (reptile: resource-reptile.toml at 240
// episodes estimated 5.7 s, measured 4.8 s).
type trainCost struct {
	step, row float64
}

// trainCosts are the measured trainCost of each algorithm; the comments
// give the user times fitted (mra: 240 × (3 + 6) × 20 agent-steps and
// 48 cycles × U × 256 × (3 + 6) rows at U = 10 and 2).
var trainCosts = map[string]trainCost{
	"mra":    mraCost,                       // 5.67 s at U = 10, 1.91 s at U = 2
	"single": {step: 1.16e-5, row: 3.42e-6}, // 1.43 s and 0.42 s (240 × 3 × 20 agent-steps, 48 × U × 256 × 3 rows)
	"maddpg": {step: 3.8e-6, row: 1.19e-5},  // 13.30 s and 2.79 s
	// On-policy: learning is per round, in the cost of an agent-step
	// (240 × (3 + 6) × 20 agent-steps of resource-mappo.toml).
	"mappo": {step: 1.23e-4}, // 5.30 s
	"ippo":  {step: 1.12e-4}, // 4.82 s
}

// mraCost is MRA's entry of trainCosts.
var mraCost = trainCost{step: 2.25e-5, row: 4.25e-6}

// trainWork is the work of training scenario s: agent-steps (episodes ×
// agents × horizon summed over the training populations) and gradient-step
// rows (update cycles — episodes × horizon / steps_per_update — ×
// num_updates × batch_size × agents, summed likewise; 0 for a learner
// without replay updates).
func trainWork(s *scenarios.Scenario) (agentSteps, rows float64, err error) {
	sched := s.Algo.Schedule()
	for _, pop := range s.Train.Populations {
		g, err := env.Make(s.Game.Name, s.Game.Params, pop)
		if err != nil {
			return 0, 0, err
		}
		n, steps := float64(pop.Total()), float64(s.Train.Episodes)*float64(max(g.Spec().Horizon, 1))
		agentSteps += steps * n
		if sched.GradientSteps > 0 && sched.StepsPerUpdate > 0 {
			rows += math.Floor(steps/float64(sched.StepsPerUpdate)) * float64(sched.GradientSteps) * float64(sched.BatchSize) * n
		}
	}
	return agentSteps, rows, nil
}

// trainSeconds estimates the CPU seconds of training scenario s from
// trainCosts and trainWork, and names whose costs it used.
func trainSeconds(s *scenarios.Scenario) (seconds float64, source string, err error) {
	algo := s.Algo.Algorithm()
	source = algo + "'s"
	cost, ok := trainCosts[algo]
	if !ok {
		cost, source = mraCost, "mra's (none measured for "+algo+")"
	}
	agentSteps, rows, err := trainWork(s)
	if err != nil {
		return 0, "", err
	}
	return agentSteps*cost.step + rows*cost.row, source, nil
}

// trainTimeNote estimates how long training scenario s takes (see
// trainSeconds). It is an estimate: games differ in the cost of a step,
// and machines in speed.
func trainTimeNote(s *scenarios.Scenario) string {
	seconds, source, err := trainSeconds(s)
	if err != nil {
		return ""
	}
	note := fmt.Sprintf("%s per population, training an estimated %s of CPU time (%s measured CPU cost per agent-step × episodes × agents × steps, plus per gradient-step row × update cycles × num_updates × batch_size × agents; machines and games vary)",
		plural(s.Train.Episodes, "episode"), formatSeconds(seconds), source)
	if s.Train.EpisodesDefault {
		note += "; no train.episodes: the paper's default of " + thousands(scenarios.DefaultEpisodes) + " applies"
	}
	return note
}
