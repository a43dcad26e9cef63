// Command mrasim simulates, trains and evaluates agents in
// population-varying Markov games. Run `mrasim -h` for the commands.
package main

import (
	"os"

	"github.com/mrasim/mrasim/cmd/mrasim/cli"
	"github.com/mrasim/mrasim/internal/supervise"
)

func main() {
	// Supervised, so that the Go runtime's fatal errors (out of memory, a
	// goroutine's panic), which exit 2, exit 1: 2 means bad input.
	os.Exit(supervise.Run(func() int { return cli.Main(os.Args[1:], os.Stdout, os.Stderr) }))
}
