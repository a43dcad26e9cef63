package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
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
const setUsage = "override scenario key `KEY=VALUE` (repeatable), checked as in the file: train.episodes=960, game.params.max_steps=40, algo.lr=3e-4;\nVALUE is a TOML value (a bare word is a string)"

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
		fmt.Fprintf(c.stdout, "ok %s%s\n", f, trainMemoryNote(s))
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
	note := fmt.Sprintf(" (training needs about %s of memory", memest.Format(est.Total))
	if avail, source, ok := availableMemory(); ok && est.Total > avail {
		note += fmt.Sprintf(", more than the %s of %s: train will refuse it without --max-memory", memest.Format(avail), source)
	}
	return note + ")"
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
