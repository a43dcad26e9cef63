// Command customlearner is mrasim with one more algorithm: it registers
// independent REINFORCE (package reinforce, algo.name = "reinforce") and
// then runs mrasim's own command line, so train, eval, sweep, validate and
// every other command work with it exactly as with a built-in algorithm:
//
//	go run . train resource.toml --out runs/reinforce
//	go run . eval --run runs/reinforce
package main

import (
	"os"

	"example.com/customlearner/reinforce"
	"github.com/mrasim/mrasim/cmd/mrasim/cli"
)

func main() {
	reinforce.Register()
	os.Exit(cli.Run())
}
