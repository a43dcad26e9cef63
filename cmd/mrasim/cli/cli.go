// Package cli is mrasim's command line: it parses flags, reads scenario
// files and calls the packages that do the work. It is a package rather than
// part of package main so that a program which registers its own games (see
// examples/customenv) can run the very same commands with them.
//
// Importing cli registers the built-in games.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes of Main.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the command failed (I/O, a game failed)
	ExitUsage   = 2 // bad usage or bad input (flags, scenario files, populations)
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(c *context, args []string) int
}

// context carries the output streams of one Main call.
type context struct {
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{"envs", "list the registered games, their agent types, parameters and allowed populations", runEnvs},
		{"validate", "check scenario files and report every problem with file:line:col", runValidate},
		{"rollout", "play random agents in a scenario's game and write steps as JSON lines", runRollout},
		{"train", "train agents with MRA or a baseline as a scenario says; checkpoints, metrics, curves", runTrain},
		{"eval", "play runs against each other at every population size; adaptation, NashConv, reports", runEval},
		{"render", "draw episodes of a particle game as an animated GIF, with MRA's relation graphs", runRender},
		{"export", "write a trained run's policy networks as a numpy .npz for mrasim.load_policy in Python", runExport},
		{"sweep", "train and evaluate a grid of scenarios × algorithms × seeds; mean ± 95% interval across seeds", runSweep},
		{"worker", "run league and sweep jobs submitted through a NATS JetStream server (eval --nats, sweep --nats)", runWorker},
	}
}

// Main runs the command line with args (without the program name) and
// returns the process exit code: ExitOK, ExitFailure or ExitUsage.
func Main(args []string, stdout, stderr io.Writer) int {
	c := &context{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		c.usage(stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		c.usage(stdout)
		return ExitOK
	}
	for _, cmd := range commands() {
		if cmd.name == args[0] {
			return cmd.run(c, args[1:])
		}
	}
	fmt.Fprintf(stderr, "mrasim: unknown command %q\n", args[0])
	c.usage(stderr)
	return ExitUsage
}

func (c *context) usage(w io.Writer) {
	fmt.Fprintln(w, "mrasim simulates, trains and evaluates agents in population-varying Markov games.")
	fmt.Fprintln(w, "\nUsage:\n  mrasim <command> [flags] [arguments]\n\nCommands:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(w, "\nRun 'mrasim <command> -h' for a command's flags.")
}

// newFlags returns a flag set for a subcommand whose usage text prints the
// synopsis and the flags.
func (c *context) newFlags(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: mrasim %s %s\n\n%s\n", name, synopsis, about)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses flags that may stand before, between or after positional
// arguments, and returns the positional ones. A -h asks for help: the usage
// goes to stdout and done is true with code ExitOK; a bad flag gives done
// with ExitUsage.
func (c *context) parse(fs *flag.FlagSet, args []string) (positional []string, code int, done bool) {
	// The flag package prints the usage itself on -h and on a bad flag;
	// silence it during Parse so that the usage prints once: to stdout for
	// -h, to stderr after the error message otherwise.
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(c.stdout)
				usage()
				return nil, ExitOK, true
			}
			usage()
			return nil, ExitUsage, true
		}
		if fs.NArg() == 0 {
			return positional, 0, false
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// multiFlag collects the values of a flag given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// progressOut is where a progress display writes: w, or nowhere with
// --quiet (a plain-lines reporter would otherwise still print its first and
// last lines when w is not a terminal).
func progressOut(w io.Writer, quiet bool) io.Writer {
	if quiet {
		return io.Discard
	}
	return w
}

// Run runs Main with the process's arguments and standard streams and
// returns the exit code; a program's main is os.Exit(cli.Run()).
//
// The command runs in this process, the one the user started: every signal
// sent to its pid acts on the work (the first SIGINT or SIGTERM stops
// training with a checkpoint, a second stops at once, SIGKILL leaves
// nothing running behind). Memory is estimated before anything large is
// allocated, so the Go runtime's own fatal errors, which exit 2, are rare.
func Run() int {
	return Main(os.Args[1:], os.Stdout, os.Stderr)
}
