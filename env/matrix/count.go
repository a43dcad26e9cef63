package matrix

import (
	"fmt"
	"math"

	"github.com/mrasim/mrasim/env"
)

// CountEncoding is how a game of this package writes its number of players
// n into the first entry of every self block.
//
// A network reads n from that entry, and at a population it was not trained
// at it extrapolates in it; a ReLU network extrapolates about linearly in
// its inputs. CountLinear, n/10, is the official MRA code's descriptor scale:
// trained at n ∈ {2, 3, 5} it sees 0.2–0.5, and n = 16 is 1.6, more than
// three times the training span beyond it. CountLog, ln n, is scale-free: it
// takes the same step for every doubling of n, so the training span
// ln 2–ln 5 (0.69–1.61) reaches n = 16 (2.77) within 1.3 spans. It is the
// usual encoding of a count whose effect is multiplicative; it does not use
// any game's equilibrium (the volunteer's dilemma's log-odds of
// volunteering happen to be close to linear in ln(n−1), which is why it was
// measured there first; see the README's item-4 section).
type CountEncoding int

// The count encodings. CountLinear is the default and writes exactly the
// numbers the games wrote before the encoding could be chosen.
const (
	CountLinear CountEncoding = iota // n/10
	CountLog                         // ln n
)

// countEncodingNames are the encodings as scenario files spell them, in
// CountEncoding order.
var countEncodingNames = []string{"linear", "log"}

// String returns the encoding as a scenario file spells it.
func (e CountEncoding) String() string {
	if e < 0 || int(e) >= len(countEncodingNames) {
		return fmt.Sprintf("CountEncoding(%d)", int(e))
	}
	return countEncodingNames[e]
}

// Encode returns the first self entry of a game at n players: n/10 for
// CountLinear, ln n for CountLog. It panics on another encoding.
func (e CountEncoding) Encode(n int) float64 {
	switch e {
	case CountLinear:
		return float64(n) / 10
	case CountLog:
		return math.Log(float64(n))
	}
	panic(fmt.Sprintf("matrix: unknown count encoding %d", int(e)))
}

// countEncodingParam is the count_encoding parameter every game of the
// package takes.
var countEncodingParam = env.Param{
	Name: "count_encoding", Kind: env.Enum, Values: countEncodingNames, Default: float64(CountLinear),
	Doc: `first entry of every self block: "linear" n/10, "log" ln n (scale-free: n = 16 lies closer to a training range such as n ∈ {2, 3, 5})`,
}

// countEncodingOf returns the count_encoding parameter's value.
func countEncodingOf(p env.Params) CountEncoding {
	return CountEncoding(p.Enum(countEncodingParam.Name))
}

// Option configures a game of this package when it is built.
type Option func(*options)

// options are the settings Options change; the zero value is the default.
type options struct {
	count CountEncoding
}

// WithCountEncoding makes the game encode its number of players with e
// (CountLinear by default). A constructor given an unknown encoding
// returns an error.
func WithCountEncoding(e CountEncoding) Option {
	return func(o *options) { o.count = e }
}

// buildOptions applies opts to the defaults; it returns an error naming
// game for an unknown count encoding.
func buildOptions(game string, opts []Option) (options, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.count < 0 || int(o.count) >= len(countEncodingNames) {
		return o, fmt.Errorf("%s: count encoding %d, want CountLinear (%q) or CountLog (%q)", game, int(o.count), countEncodingNames[CountLinear], countEncodingNames[CountLog])
	}
	return o, nil
}
