// Command mrasim simulates, trains and evaluates agents in
// population-varying Markov games. Run `mrasim -h` for the commands.
package main

import (
	"os"

	"github.com/mrasim/mrasim/cmd/mrasim/cli"
)

func main() {
	os.Exit(cli.Run())
}
