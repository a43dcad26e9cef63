package cli

import (
	"errors"
	"fmt"

	"github.com/mrasim/mrasim/scenarios"
)

func runValidate(c *context, args []string) int {
	fs := c.newFlags("validate", "FILE...",
		"Checks scenario files: TOML syntax, unknown keys, value ranges, the game, its parameters\n"+
			"and every population. Prints 'ok FILE' for each valid file; reports every problem of\n"+
			"the others on stderr with file:line:col and exits 2.")
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
		if _, err := scenarios.Load(f); err != nil {
			c.reportScenarioError(err)
			code = ExitUsage
			continue
		}
		fmt.Fprintf(c.stdout, "ok %s\n", f)
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
