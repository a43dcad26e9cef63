package env

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// StateWriter encodes a game's state for AppendState: a tag naming the game
// and its layout, the values in order, and a CRC-32 checksum so that a
// corrupt or foreign state is refused instead of half-loaded.
//
//	w := env.NewStateWriter(b, "mygame/v1")
//	w.Int(g.t)
//	w.Floats(g.pos)
//	return w.Finish()
type StateWriter struct {
	b     []byte
	start int
}

// NewStateWriter starts a state appended to b, tagged with tag.
func NewStateWriter(b []byte, tag string) *StateWriter {
	w := &StateWriter{b: b, start: len(b)}
	w.String(tag)
	return w
}

// Uint64 appends v.
func (w *StateWriter) Uint64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }

// Int appends v.
func (w *StateWriter) Int(v int) { w.Uint64(uint64(int64(v))) }

// Float64 appends v bit for bit.
func (w *StateWriter) Float64(v float64) { w.Uint64(math.Float64bits(v)) }

// Bool appends v.
func (w *StateWriter) Bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// String appends s with its length.
func (w *StateWriter) String(s string) {
	w.Int(len(s))
	w.b = append(w.b, s...)
}

// Bytes appends p with its length, for example a random generator's
// MarshalBinary output.
func (w *StateWriter) Bytes(p []byte) {
	w.Int(len(p))
	w.b = append(w.b, p...)
}

// Floats appends xs with its length.
func (w *StateWriter) Floats(xs []float64) {
	w.Int(len(xs))
	for _, v := range xs {
		w.Float64(v)
	}
}

// Bools appends bs with its length.
func (w *StateWriter) Bools(bs []bool) {
	w.Int(len(bs))
	for _, v := range bs {
		w.Bool(v)
	}
}

// Finish appends the checksum and returns the extended slice.
func (w *StateWriter) Finish() []byte {
	return binary.LittleEndian.AppendUint32(w.b, crc32.ChecksumIEEE(w.b[w.start:]))
}

// ErrState is wrapped by every error a StateReader reports.
var ErrState = errors.New("invalid game state")

// StateReader decodes a state written by a StateWriter. It checks the
// checksum and tag first; after that each read that runs past the end or
// finds a length other than the one expected records an error, reported by
// Err, and returns zero values. Decode into temporaries and commit them to
// the game only when Err is nil, so a refused state changes nothing.
type StateReader struct {
	b   []byte
	err error
}

// NewStateReader checks b's checksum and tag and returns a reader positioned
// after the tag. It is small enough to inline, so a reader that does not
// outlive its caller stays off the heap and restoring a state need not
// allocate.
func NewStateReader(b []byte, tag string) *StateReader {
	r := &StateReader{}
	r.open(b, tag)
	return r
}

func (r *StateReader) open(b []byte, tag string) {
	if len(b) < 4 {
		r.err = fmt.Errorf("%w: %d bytes is too short", ErrState, len(b))
		return
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		r.err = fmt.Errorf("%w: checksum mismatch", ErrState)
		return
	}
	r.b = body
	if got := r.Bytes(); r.err == nil && string(got) != tag {
		r.err = fmt.Errorf("%w: state of %q, want %q", ErrState, got, tag)
	}
}

func (r *StateReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated", ErrState)
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

// Uint64 reads a value written by StateWriter.Uint64.
func (r *StateReader) Uint64() uint64 {
	p := r.take(8)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

// Int reads a value written by StateWriter.Int.
func (r *StateReader) Int() int { return int(int64(r.Uint64())) }

// Float64 reads a value written by StateWriter.Float64.
func (r *StateReader) Float64() float64 { return math.Float64frombits(r.Uint64()) }

// Bool reads a value written by StateWriter.Bool.
func (r *StateReader) Bool() bool {
	p := r.take(1)
	if p == nil {
		return false
	}
	if p[0] > 1 {
		r.err = fmt.Errorf("%w: bad boolean %d", ErrState, p[0])
	}
	return p[0] == 1
}

// String reads a value written by StateWriter.String.
func (r *StateReader) String() string { return string(r.Bytes()) }

// Bytes reads a value written by StateWriter.Bytes.
func (r *StateReader) Bytes() []byte {
	n := r.Int()
	if r.err == nil && n < 0 {
		r.err = fmt.Errorf("%w: negative length", ErrState)
	}
	return r.take(n)
}

// Floats reads into dst a slice written by StateWriter.Floats, which must
// have exactly len(dst) elements.
func (r *StateReader) Floats(dst []float64) {
	if r.length(len(dst)) {
		for i := range dst {
			dst[i] = r.Float64()
		}
	}
}

// Bools reads into dst a slice written by StateWriter.Bools, which must have
// exactly len(dst) elements.
func (r *StateReader) Bools(dst []bool) {
	if r.length(len(dst)) {
		for i := range dst {
			dst[i] = r.Bool()
		}
	}
}

func (r *StateReader) length(want int) bool {
	n := r.Int()
	if r.err == nil && n != want {
		r.err = fmt.Errorf("%w: %d values where %d were expected", ErrState, n, want)
	}
	return r.err == nil
}

// Err returns the first error met, also reporting bytes left over after the
// last read when called with done = true.
func (r *StateReader) Err(done bool) error {
	if r.err == nil && done && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d bytes left over", ErrState, len(r.b))
	}
	return r.err
}
