package learner

import "encoding/json"

// Keys is how an algorithm reads its table of a scenario file ([algo]):
// each read checks the value's type and range and reports a problem with
// the key's file:line:col, as every other key of a scenario is reported.
// A key that is absent leaves dst alone (the default stays). Keys are
// named within the table ("gamma", not "algo.gamma").
type Keys interface {
	// Has reports whether the table sets key.
	Has(key string) bool
	// Int reads an integer in [lo, hi].
	Int(key string, dst *int, lo, hi int)
	// Float reads a number between lo and hi, each end excluded when
	// open says so.
	Float(key string, dst *float64, lo, hi float64, loOpen, hiOpen bool)
	// Bool reads true or false.
	Bool(key string, dst *bool)
	// String reads a string; when allowed is not empty it must be one of
	// them.
	String(key string, dst *string, allowed ...string)
	// Fail reports a problem with key (a key of the table), or with path
	// (a key elsewhere in the file, such as "train.populations") when key
	// is "".
	Fail(key, path, format string, args ...any)
}

// Resolver is the optional ability of settings with values that a run
// fixes when it starts (MRA's precision, whose default for new runs
// changed): Resolve fills those the scenario leaves unset, for a new run
// (newRun, recorded nil) or from the settings recorded when the run started
// (recorded: the run record's JSON of the settings, nil for a run folder
// written before records existed). Settings that implement it are
// pointers, so that Resolve can set them.
type Resolver interface {
	Resolve(recorded json.RawMessage, newRun bool)
}
