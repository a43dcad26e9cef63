// Command pylib is mrasim's shared library for Python with the line game of
// examples/customenv registered beside the built-in ones. Build it with
//
//	go build -buildmode=c-shared -o libline.so ./examples/customenv/pylib
//
// and load it in Python with mrasim.load_library("libline.so") (or
// MRASIM_LIBRARY=libline.so): mrasim.parallel_env("line", agents=2) then
// plays the line game. A shared library runs its packages' init functions
// but never main, so the game is registered in init; blank-importing
// bindings/capi is what exports the C API.
package main

import (
	_ "github.com/mrasim/mrasim/bindings/capi"
	_ "github.com/mrasim/mrasim/env/matrix"
	_ "github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/examples/customenv/line"
)

func init() { line.Register() }

func main() {}
