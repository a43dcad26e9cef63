// Package cli is mrasim's command line: it parses flags, reads scenario
// files and calls the packages that do the work. It is a package rather than
// part of package main so that a program which registers its own games (see
// examples/customenv) can run the very same commands with them.
//
// Each command is a value (see command) in one table; a command's run
// function returns an error carrying its exit code, and Main alone prints
// it, after the program's prefix.
//
// Importing cli registers the built-in games.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/mrasim/mrasim/scenarios"
)

// Exit codes of Main.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the command failed (I/O, a game failed)
	ExitUsage   = 2 // bad usage or bad input (flags, scenario files, populations)
)

// command is one subcommand: its name, its help, its flags and the
// function that runs it.
type command struct {
	name     string // as typed after the program's name
	synopsis string // the arguments in the usage line, after "mrasim NAME"
	short    string // the line of mrasim -h
	long     string // what mrasim NAME -h says before the flags
	// flags declares the command's flags on fs and returns the command's
	// run function, bound to their values. Each Main call declares them
	// afresh, so that calls never share flag values.
	flags func(fs *flag.FlagSet) runFunc
}

// runFunc runs a command with its positional arguments, once its flags
// are parsed. It returns nil, or an error that Main prints after the
// command's prefix; the error's exit code is ExitFailure unless it is an
// *exitError saying otherwise.
type runFunc func(c *context, args []string) error

// commands is the table of the commands, in the order mrasim -h lists them.
var commands = []*command{envsCommand, validateCommand, rolloutCommand, trainCommand, evalCommand, renderCommand, exportCommand, sweepCommand, workerCommand}

// exitError is a command's error with the exit code it ends the process
// with.
type exitError struct {
	code  int   // ExitUsage, ExitFailure, or ExitOK for a stop that is no failure
	err   error // what to print after the prefix; nil when already printed
	usage bool  // print the command's usage after err
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// badInput marks err as bad usage or bad input (ExitUsage).
func badInput(err error) error { return &exitError{code: ExitUsage, err: err} }

// badInputf is badInput of fmt.Errorf(format, args...).
func badInputf(format string, args ...any) error { return badInput(fmt.Errorf(format, args...)) }

// failed marks err as a failure of the work (ExitFailure).
func failed(err error) error { return &exitError{code: ExitFailure, err: err} }

// failedf is failed of fmt.Errorf(format, args...).
func failedf(format string, args ...any) error { return failed(fmt.Errorf(format, args...)) }

// badUsage is badInputf followed by the command's usage.
func badUsage(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...), usage: true}
}

// errorLines are several problems of one command, each printed on its
// own line(s) as a single error would be.
type errorLines []error

func (l errorLines) Error() string { return errors.Join(l...).Error() }

func (l errorLines) Unwrap() []error { return l }

// context carries the program's name and the output streams of one Main
// call.
type context struct {
	prog           string // the program's name in messages, usually "mrasim"
	stdout, stderr io.Writer
}

// Main runs the command line with args (without the program name) and
// returns the process exit code: ExitOK, ExitFailure or ExitUsage.
// Messages name the program "mrasim".
func Main(args []string, stdout, stderr io.Writer) int {
	c := &context{prog: "mrasim", stdout: stdout, stderr: stderr}
	return c.main(args)
}

// Run runs Main with the process's arguments and standard streams and
// returns the exit code; a program's main is os.Exit(cli.Run()). Messages
// name the program as it was started (os.Args[0]'s base), so that a
// program built on cli, such as examples/customenv, gives hints with its
// own name.
//
// The command runs in this process, the one the user started: every signal
// sent to its pid acts on the work (the first SIGINT or SIGTERM stops
// training with a checkpoint, a second stops at once, SIGKILL leaves
// nothing running behind). Memory is estimated before anything large is
// allocated, so the Go runtime's own fatal errors, which exit 2, are rare.
func Run() int {
	c := &context{prog: progName(os.Args[0]), stdout: os.Stdout, stderr: os.Stderr}
	return c.main(os.Args[1:])
}

// progName is the name a program started as arg0 calls itself: the base
// of arg0, or "mrasim" when that says nothing.
func progName(arg0 string) string {
	name := filepath.Base(arg0)
	if name == "." || name == string(filepath.Separator) || name == "" {
		return "mrasim"
	}
	return name
}

func (c *context) main(args []string) int {
	if len(args) == 0 {
		c.usage(c.stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		c.usage(c.stdout)
		return ExitOK
	case "-version", "--version", "version":
		fmt.Fprintln(c.stdout, versionLine(c.prog, readBuildInfo))
		return ExitOK
	}
	for _, cmd := range commands {
		if cmd.name == args[0] {
			return c.run(cmd, args[1:])
		}
	}
	fmt.Fprintf(c.stderr, "%s: unknown command %q\n", c.prog, args[0])
	c.usage(c.stderr)
	return ExitUsage
}

// run parses cmd's flags, runs it and reports its error.
func (c *context) run(cmd *command, args []string) int {
	fs := c.newFlags(cmd)
	run := cmd.flags(fs)
	rest, err := c.parse(fs, args)
	if err == nil {
		err = run(c, rest)
	}
	return c.exit(cmd.name, fs, err)
}

// exit prints err after the prefix "PROG NAME: " and returns its exit
// code: the one place where a command's error reaches the user. A
// scenario file's problems print as they are, with file:line:col and the
// offending line; errorLines print one problem each. fs, when not nil, is
// the command's flags, whose usage follows an error asking for it.
func (c *context) exit(name string, fs *flag.FlagSet, err error) int {
	if err == nil {
		return ExitOK
	}
	code := ExitFailure
	var e *exitError
	if errors.As(err, &e) {
		code = e.code
	}
	c.printError(name, err)
	if e != nil && e.usage && fs != nil {
		fs.Usage()
	}
	return code
}

// printError prints err for exit.
func (c *context) printError(name string, err error) {
	if e, ok := err.(*exitError); ok {
		if e.err == nil {
			return
		}
		err = e.err
	}
	switch err := err.(type) {
	case scenarios.ErrorList:
		for _, e := range err {
			fmt.Fprintln(c.stderr, e.Detail())
		}
	case errorLines:
		for _, e := range err {
			c.printError(name, e)
		}
	default:
		fmt.Fprintf(c.stderr, "%s %s: %v\n", c.prog, name, err)
	}
}

// scenarioProblems returns the scenario file problems err holds, to be
// printed as such (see exit), or err itself when it holds none.
func scenarioProblems(err error) error {
	var list scenarios.ErrorList
	if errors.As(err, &list) {
		return list
	}
	return err
}

func (c *context) usage(w io.Writer) {
	fmt.Fprintln(w, "mrasim simulates, trains and evaluates agents in population-varying Markov games.")
	fmt.Fprintf(w, "\nUsage:\n  %s <command> [flags] [arguments]\n\nCommands:\n", c.prog)
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", cmd.name, cmd.short)
	}
	fmt.Fprintf(w, "\nRun '%s <command> -h' for a command's flags, '%s --version' for its version.\n", c.prog, c.prog)
}

// newFlags returns the flag set of cmd, whose usage text prints the
// synopsis, the long help and the flags.
func (c *context) newFlags(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s %s %s\n\n%s\n", c.prog, cmd.name, cmd.synopsis, cmd.long)
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
// goes to stdout and the error is an *exitError of ExitOK that prints
// nothing; a bad flag gives one of ExitUsage, printed with the usage.
func (c *context) parse(fs *flag.FlagSet, args []string) (positional []string, err error) {
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
				return nil, &exitError{code: ExitOK}
			}
			usage()
			return nil, &exitError{code: ExitUsage}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagSet reports whether the command line set flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
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

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

// versionLine is what --version prints: the program's name, its module's
// version and the VCS commit it was built from (with "+dirty" when the
// work tree had changes). A build without module or VCS information (go
// build -buildvcs=false, a test binary) says "unknown" for what it lacks.
func versionLine(prog string, info func() (*debug.BuildInfo, bool)) string {
	version, commit, dirty := "unknown", "unknown", false
	if bi, ok := info(); ok && bi != nil {
		if v := bi.Main.Version; v != "" {
			version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if s.Value != "" {
					commit = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if dirty && commit != "unknown" {
		commit += "+dirty"
	}
	return fmt.Sprintf("%s %s (commit %s)", prog, version, commit)
}

// plural says n of a counted thing, in the singular for one: "1 episode",
// "2 episodes".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
