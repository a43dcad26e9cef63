package env

import (
	"fmt"
	"math"
)

// CountEncoding is how a game writes a number of agents n into an
// observation feature, for the games that tell their networks the
// population's size (the matrix games' self blocks, the particle games'
// count_feature).
//
// A network reads n from that feature, and at a population it was not
// trained at it extrapolates in it; a ReLU network extrapolates about
// linearly in its inputs. CountLinear, n/10, is the official MRA code's
// descriptor scale: trained at n ∈ {2, 3, 5} it sees 0.2–0.5, and n = 16 is
// 1.6, more than three times the training span beyond it. CountLog, ln n, is
// scale-free: it takes the same step for every doubling of n, so the
// training span ln 2–ln 5 (0.69–1.61) reaches n = 16 (2.77) within 1.3
// spans. It is the usual encoding of a count whose effect is multiplicative
// and uses no game's equilibrium.
type CountEncoding int

// The count encodings. CountLinear is the default of every game that takes
// one and writes exactly the numbers the games wrote before the encoding
// could be chosen.
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

// Valid reports whether e is one of the encodings above.
func (e CountEncoding) Valid() bool { return e >= 0 && int(e) < len(countEncodingNames) }

// Encode returns the feature of n agents: n/10 for CountLinear, ln n for
// CountLog. It panics on another encoding.
func (e CountEncoding) Encode(n int) float64 {
	switch e {
	case CountLinear:
		return float64(n) / 10
	case CountLog:
		return math.Log(float64(n))
	}
	panic(fmt.Sprintf("env: unknown count encoding %d", int(e)))
}

// CountEncodingParam returns the documentation of a game's count_encoding
// parameter, an Enum of "linear" (the default) and "log"; what says which
// features it encodes. Read its value with Params.CountEncoding.
func CountEncodingParam(what string) Param {
	return Param{Name: CountEncodingKey, Kind: Enum, Values: countEncodingNames, Default: float64(CountLinear),
		Doc: what + `: "linear" n/10, "log" ln n (scale-free: n = 16 lies closer to a training range such as n ∈ {2, 3, 5})`}
}

// CountEncodingKey is the name of the count_encoding parameter.
const CountEncodingKey = "count_encoding"

// CountEncoding returns the value of the count_encoding parameter; it
// panics if the game did not document one (see Float).
func (p Params) CountEncoding() CountEncoding { return CountEncoding(p.Enum(CountEncodingKey)) }
