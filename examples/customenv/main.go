// Command customenv is mrasim with one more game: it registers the line
// game of package line and then runs mrasim's own command line, so every
// command (envs, validate, rollout, …) works with the new game exactly as
// with a built-in one:
//
//	go run ./examples/customenv envs line
//	go run ./examples/customenv rollout examples/customenv/line.toml
package main

import (
	"os"

	"github.com/mrasim/mrasim/cmd/mrasim/cli"
	"github.com/mrasim/mrasim/examples/customenv/line"
)

func main() {
	line.Register()
	os.Exit(cli.Run()) // cli.Main(os.Args[1:], os.Stdout, os.Stderr)

}
