// Command libmrasim is mrasim's shared library for Python and C, with every
// built-in game. Build it with
//
//	go build -buildmode=c-shared -o python/mrasim/libmrasim.so ./bindings/libmrasim
//
// The functions it exports are those of package bindings/capi; main is
// never run in a shared library.
package main

import (
	_ "github.com/mrasim/mrasim/bindings/capi"
	_ "github.com/mrasim/mrasim/env/matrix"
	_ "github.com/mrasim/mrasim/env/particle"
)

func main() {}
