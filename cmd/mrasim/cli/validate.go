package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/scenarios"
)

func runValidate(c *context, args []string) int {
	fs := c.newFlags("validate", "FILE...",
		"Checks scenario files: TOML syntax, unknown keys, value ranges, the game, its parameters\n"+
			"and every population. Prints 'ok FILE' and the memory its training needs for each valid\n"+
			"file; reports every problem of the others on stderr with file:line:col and exits 2.")
	files, code, done := c.parse(fs, args)
	if done {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintln(c.stderr, "mrasim validate: name at least one scenario file")
		fs.Usage()
		return ExitUsage
	}
	code = ExitOK
	for _, f := range files {
		s, err := scenarios.Load(f)
		if err != nil {
			c.reportScenarioError(err)
			code = ExitUsage
			continue
		}
		fmt.Fprintf(c.stdout, "ok %s%s\n", f, trainMemoryNote(s))
	}
	return code
}

// reportScenarioError prints every problem of a scenario file, with the
// offending line where known.
func (c *context) reportScenarioError(err error) {
	var list scenarios.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(c.stderr, e.Detail())
		}
		return
	}
	fmt.Fprintf(c.stderr, "mrasim: %v\n", err)
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
