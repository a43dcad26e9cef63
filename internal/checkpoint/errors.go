package checkpoint

import (
	"errors"
	"fmt"
)

// ErrNotCheckpoint is wrapped by the error ReadFile returns for a file that
// is not a checkpoint at all: too short to hold the magic, a different
// magic, or not a regular file.
var ErrNotCheckpoint = errors.New("not an mrasim checkpoint")

// ErrCorrupt is wrapped by the error ReadFile returns for a checkpoint that
// was damaged after it was written: checksum mismatch, truncated, trailing
// bytes, or lengths that do not add up.
var ErrCorrupt = errors.New("checkpoint is damaged")

// ErrDecode is wrapped by every error a Decoder reports: the payload does
// not have the layout the caller expects.
var ErrDecode = errors.New("checkpoint payload does not decode")

// KindError reports a checkpoint that holds another kind of payload than the
// one asked for, for example a league file given where a training run is
// expected.
type KindError struct {
	Path string // the file read
	Want string // the kind asked for
	Got  string // the kind the file holds
}

// Error implements error.
func (e *KindError) Error() string {
	return fmt.Sprintf("checkpoint %s: holds a %q checkpoint, not %q; give the path of a %q checkpoint",
		e.Path, e.Got, e.Want, e.Want)
}

// VersionError reports a checkpoint written by a newer mrasim than the one
// reading it: either its payload version is above the caller's maximum, or
// (Container true) its container format is one this package does not know.
type VersionError struct {
	Path      string // the file read
	Got       uint32 // the version in the file
	Max       uint32 // the newest version this mrasim reads
	Container bool   // true when the container format, not the payload, is too new
}

// Error implements error.
func (e *VersionError) Error() string {
	what := "payload version"
	if e.Container {
		what = "file format version"
	}
	return fmt.Sprintf("checkpoint %s: written by a newer mrasim (%s %d, this mrasim reads up to %d); use a newer mrasim or start the run again",
		e.Path, what, e.Got, e.Max)
}

// corrupt returns the error for a damaged file.
func corrupt(path, detail string) error {
	return fmt.Errorf("checkpoint %s: %w (%s); start the run again or restore a copy", path, ErrCorrupt, detail)
}

// notCheckpoint returns the error for a file that is not a checkpoint.
func notCheckpoint(path, detail string) error {
	return fmt.Errorf("checkpoint %s: %w (%s); check the path", path, ErrNotCheckpoint, detail)
}
