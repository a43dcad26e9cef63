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

// ReplayKeys point at the [algo] settings that the replay learners (MRA's
// algorithms and MADDPG) read alike, with the same ranges: the discount,
// the learning rates and weight decay, and the schedule of the replay
// buffer and its updates. Read and CheckBatch read and check them for
// each, so the keys and their ranges are written once.
type ReplayKeys struct {
	Gamma, PolicyLR, CriticLR, WeightDecay              *float64
	BatchSize, BufferLength, StepsPerUpdate, NumUpdates *int
}

// Read reads the keys through k, in this order: gamma in (0, 1], pi_lr and
// q_lr in (0, 1], weight_decay in [0, 1], batch_size in [1, 2²⁰],
// buffer_length in [1, 10⁸], steps_per_update in [1, 10⁹] and num_updates
// in [1, 10⁶].
func (r ReplayKeys) Read(k Keys) {
	k.Float("gamma", r.Gamma, 0, 1, true, false)
	k.Float("pi_lr", r.PolicyLR, 0, 1, true, false)
	k.Float("q_lr", r.CriticLR, 0, 1, true, false)
	k.Float("weight_decay", r.WeightDecay, 0, 1, false, false)
	k.Int("batch_size", r.BatchSize, 1, 1<<20)
	k.Int("buffer_length", r.BufferLength, 1, 1e8)
	k.Int("steps_per_update", r.StepsPerUpdate, 1, 1e9)
	k.Int("num_updates", r.NumUpdates, 1, 1e6)
}

// CheckBatch reports a batch larger than the replay buffer it is sampled
// from, at batch_size.
func (r ReplayKeys) CheckBatch(k Keys) {
	if *r.BatchSize > *r.BufferLength {
		k.Fail("batch_size", "", "batch_size %d is larger than buffer_length %d", *r.BatchSize, *r.BufferLength)
	}
}
