package matrix

import (
	"fmt"

	"github.com/mrasim/mrasim/env"
)

// countEncodingParam is the count_encoding parameter every game of the
// package takes.
var countEncodingParam = env.CountEncodingParam("first entry of every self block")

// Option configures a game of this package when it is built.
type Option func(*options)

// options are the settings Options change; the zero value is the default.
type options struct {
	count env.CountEncoding
}

// WithCountEncoding makes the game write its number of players n into the
// first entry of every self block with e (env.CountLinear, n/10, by
// default; env.CountLog, ln n, is scale-free: see env.CountEncoding). A
// constructor given an unknown encoding returns an error.
func WithCountEncoding(e env.CountEncoding) Option {
	return func(o *options) { o.count = e }
}

// buildOptions applies opts to the defaults; it returns an error naming
// game for an unknown count encoding.
func buildOptions(game string, opts []Option) (options, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if !o.count.Valid() {
		return o, fmt.Errorf("%s: count encoding %d, want env.CountLinear (%q) or env.CountLog (%q)", game, int(o.count), env.CountLinear, env.CountLog)
	}
	return o, nil
}
