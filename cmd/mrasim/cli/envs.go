package cli

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/mrasim/mrasim/env"
)

// envsCommand lists the registered games.
var envsCommand = &command{
	name:     "envs",
	synopsis: "[GAME...]",
	short:    "list the registered games, their agent types, parameters and allowed populations",
	long: "Lists the registered games (or only the named ones) with their agent types and the\n" +
		"counts each allows, their parameters (kind, default, range, meaning) and any further\n" +
		"rule on populations. Use the names in a scenario's [game] table.",
	flags: func(*flag.FlagSet) runFunc { return runEnvs },
}

func runEnvs(c *context, names []string) error {
	regs := env.Registered()
	if len(names) > 0 {
		regs = regs[:0:0]
		for _, n := range names {
			r, err := env.Lookup(n)
			if err != nil {
				return badInput(err)
			}
			regs = append(regs, r)
		}
	}
	for i, r := range regs {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		describeGame(c.stdout, r)
	}
	return nil
}

func describeGame(out io.Writer, r env.Registration) {
	fmt.Fprintf(out, "%s — %s\n", r.Name, r.Doc.Summary)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  agent types:")
	for _, t := range r.Doc.Types {
		fmt.Fprintf(w, "    %s\t%d–%d agents\t%s\n", t.Name, t.Min, t.Max, t.Doc)
	}
	if r.Doc.Population != "" {
		fmt.Fprintf(w, "  population rule: %s\n", r.Doc.Population)
	}
	if len(r.Doc.Params) == 0 {
		fmt.Fprintln(w, "  parameters: none")
	} else {
		fmt.Fprintln(w, "  parameters:")
		for _, p := range r.Doc.Params {
			fmt.Fprintf(w, "    %s\t%s, default %s\t%s\n", p.Name, p.Allowed(), p.DefaultString(), p.Doc)
		}
	}
	w.Flush()
}
