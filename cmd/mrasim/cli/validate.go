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

// trainSeconds estimates the CPU seconds of training scenario s from its
// algorithm's measured cost (learner.Algorithm.Cost) and trainWork; ok is
// false when the algorithm registered no cost.
func trainSeconds(s *scenarios.Scenario) (seconds float64, ok bool, err error) {
	a, err := learner.Lookup(s.Algo.Algorithm())
	if err != nil || a.Cost == nil {
		return 0, false, nil
	}
	agentSteps, rows, err := trainWork(s)
	if err != nil {
		return 0, false, err
	}
	return agentSteps*a.Cost.StepSeconds + rows*a.Cost.RowSeconds, true, nil
}

// trainTimeNote estimates how long training scenario s takes (see
// trainSeconds). It is an estimate: games differ in the cost of a step,
// and machines in speed.
func trainTimeNote(s *scenarios.Scenario) string {
	seconds, ok, err := trainSeconds(s)
	if err != nil {
		return ""
	}
	algo := s.Algo.Algorithm()
	note := fmt.Sprintf("%s per population, training an estimated %s of CPU time (%s's measured CPU cost per agent-step × episodes × agents × steps, plus per gradient-step row × update cycles × num_updates × batch_size × agents; machines and games vary)",
		plural(s.Train.Episodes, "episode"), formatSeconds(seconds), algo)
	if !ok {
		note = fmt.Sprintf("%s per population (no time estimate: algorithm %s registers no measured cost)", plural(s.Train.Episodes, "episode"), algo)
	}
	if s.Train.EpisodesDefault {
		note += "; no train.episodes: the paper's default of " + thousands(scenarios.DefaultEpisodes) + " applies"
	}
	return note
}
