package optim

import (
	"encoding/binary"
	"fmt"
	"math"

	"golang.org/x/exp/constraints"
)

// State layout shared by every Stateful optimizer, little-endian:
//
//	magic "MROPT" | format version (1 byte) | method name (uvarint length + bytes)
//	| method fields in a fixed order: uint64, float64 bits, and float64 slices
//	  prefixed by their uint64 length.
//
// Floats are stored as their IEEE-754 bits, so a round trip is bit-exact.
const (
	stateMagic   = "MROPT"
	stateVersion = 1
)

// stateWriter appends state fields to a byte slice.
type stateWriter struct{ b []byte }

func newStateWriter(name string, size int) *stateWriter {
	w := &stateWriter{b: make([]byte, 0, size+32)}
	w.b = append(w.b, stateMagic...)
	w.b = append(w.b, stateVersion)
	w.b = binary.AppendUvarint(w.b, uint64(len(name)))
	w.b = append(w.b, name...)
	return w
}

func (w *stateWriter) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }

func (w *stateWriter) f64(v float64) { w.u64(math.Float64bits(v)) }

func (w *stateWriter) bytes(p []byte) {
	w.u64(uint64(len(p)))
	w.b = append(w.b, p...)
}

// floatsOf writes x as float64 values (exact for float32).
func floatsOf[T constraints.Float](w *stateWriter, x []T) {
	w.u64(uint64(len(x)))
	for _, v := range x {
		w.f64(float64(v))
	}
}

func (w *stateWriter) floats(x []float64) {
	w.u64(uint64(len(x)))
	for _, v := range x {
		w.f64(v)
	}
}

// stateReader reads fields written by stateWriter; the first failure sticks.
type stateReader struct {
	b    []byte
	name string
	err  error
}

func newStateReader(name string, data []byte) *stateReader {
	r := &stateReader{b: data, name: name}
	if len(data) < len(stateMagic)+1 || string(data[:len(stateMagic)]) != stateMagic {
		r.fail("missing %q header", stateMagic)
		return r
	}
	if v := data[len(stateMagic)]; v != stateVersion {
		r.fail("format version %d, want %d", v, stateVersion)
		return r
	}
	r.b = data[len(stateMagic)+1:]
	n, k := binary.Uvarint(r.b)
	if k <= 0 || n > uint64(len(r.b)-k) {
		r.fail("truncated method name")
		return r
	}
	got := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	if got != name {
		r.fail("state is for method %q", got)
	}
	return r
}

func (r *stateReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: %s", ErrState, r.name, fmt.Sprintf(format, args...))
	}
}

func (r *stateReader) u64(field string) uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.fail("truncated at %s", field)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// count reads a uint64 and checks it is at most max.
func (r *stateReader) count(field string, max int) int {
	v := r.u64(field)
	if r.err == nil && v > uint64(max) {
		r.fail("%s = %d, must be ≤ %d", field, v, max)
		return 0
	}
	return int(v)
}

func (r *stateReader) f64(field string) float64 { return math.Float64frombits(r.u64(field)) }

func (r *stateReader) bytes(field string, max int) []byte {
	n := r.count(field+" length", max)
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.fail("truncated at %s", field)
		return nil
	}
	p := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return p
}

// floats reads a slice that must have exactly n entries, all finite.
func (r *stateReader) floats(field string, n int) []float64 {
	got := r.u64(field + " length")
	if r.err != nil {
		return nil
	}
	if got != uint64(n) {
		r.fail("%s has %d entries, want %d", field, got, n)
		return nil
	}
	if uint64(len(r.b)) < 8*got {
		r.fail("truncated at %s", field)
		return nil
	}
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Float64frombits(binary.LittleEndian.Uint64(r.b[8*i:]))
		if !isFinite(x[i]) {
			r.fail("%s[%d] = %v is not finite", field, i, x[i])
			return nil
		}
	}
	r.b = r.b[8*n:]
	return x
}

// finish reports trailing bytes and returns the sticky error.
func (r *stateReader) finish() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}
