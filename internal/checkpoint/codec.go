package checkpoint

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Encoder writes values to an io.Writer in a fixed, deterministic layout:
// integers as 8-byte little-endian (int as int64), float64 and float32 bit
// for bit (8 and 4 bytes), bool as one byte 0 or 1, and strings and slices
// as a uint64 element count followed by the elements. The same values always
// give the same bytes, which Decoder reads back.
//
// Like bufio.Writer, an Encoder records the first write error; later calls
// do nothing and Err reports it, so a sequence of writes needs one check at
// the end:
//
//	e := checkpoint.NewEncoder(w)
//	e.Int(step)
//	e.Float64s(params)
//	return e.Err()
type Encoder struct {
	w       io.Writer
	scratch []byte
	err     error
}

// encoderChunk is the size of the buffer slices are encoded through.
const encoderChunk = 4096

// NewEncoder returns an Encoder writing to w. Each call hands w the bytes of
// its value before it returns, so no flush is needed; wrap an unbuffered w
// (such as an *os.File) in a bufio.Writer. WriteFile's payload writer is
// already buffered.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: w, scratch: make([]byte, 0, encoderChunk)}
}

// Err returns the first error met while writing, or nil.
func (e *Encoder) Err() error { return e.err }

// flush writes out the scratch buffer.
func (e *Encoder) flush() {
	if e.err == nil && len(e.scratch) > 0 {
		_, e.err = e.w.Write(e.scratch)
	}
	e.scratch = e.scratch[:0]
}

// room flushes the scratch buffer when fewer than n bytes are free.
func (e *Encoder) room(n int) {
	if cap(e.scratch)-len(e.scratch) < n {
		e.flush()
	}
}

// Uint64 writes v.
func (e *Encoder) Uint64(v uint64) {
	e.scratch = binary.LittleEndian.AppendUint64(e.scratch, v)
	e.flush()
}

// Int writes v as an int64.
func (e *Encoder) Int(v int) { e.Uint64(uint64(int64(v))) }

// Float64 writes v bit for bit, NaN payloads and the sign of zero included.
func (e *Encoder) Float64(v float64) { e.Uint64(math.Float64bits(v)) }

// Bool writes v as one byte, 1 for true and 0 for false.
func (e *Encoder) Bool(v bool) {
	b := byte(0)
	if v {
		b = 1
	}
	e.scratch = append(e.scratch, b)
	e.flush()
}

// String writes s with its length.
func (e *Encoder) String(s string) {
	e.length(len(s))
	for len(s) > 0 {
		e.room(1)
		n := min(len(s), cap(e.scratch)-len(e.scratch))
		e.scratch = append(e.scratch, s[:n]...)
		s = s[n:]
	}
	e.flush()
}

// Bytes writes p with its length, for example a random generator's
// MarshalBinary output.
func (e *Encoder) Bytes(p []byte) {
	e.length(len(p))
	e.flush()
	if e.err == nil && len(p) > 0 {
		_, e.err = e.w.Write(p)
	}
}

// Float64s writes xs with its length, each element bit for bit.
func (e *Encoder) Float64s(xs []float64) {
	e.length(len(xs))
	for _, v := range xs {
		e.room(8)
		e.scratch = binary.LittleEndian.AppendUint64(e.scratch, math.Float64bits(v))
	}
	e.flush()
}

// Float32s writes xs with its length, each element bit for bit in 4 bytes.
func (e *Encoder) Float32s(xs []float32) {
	e.length(len(xs))
	for _, v := range xs {
		e.room(4)
		e.scratch = binary.LittleEndian.AppendUint32(e.scratch, math.Float32bits(v))
	}
	e.flush()
}

// Ints writes xs with its length, each element as an int64.
func (e *Encoder) Ints(xs []int) {
	e.length(len(xs))
	for _, v := range xs {
		e.room(8)
		e.scratch = binary.LittleEndian.AppendUint64(e.scratch, uint64(int64(v)))
	}
	e.flush()
}

// length appends an element count to the scratch buffer without flushing.
func (e *Encoder) length(n int) {
	e.room(8)
	e.scratch = binary.LittleEndian.AppendUint64(e.scratch, uint64(n))
}

// Decoder reads values written by an Encoder from a byte slice, such as the
// payload ReadFile returns. The first read that runs past the end, meets a
// length larger than the bytes left could hold, or a bool byte other than 0
// or 1 records an error wrapping ErrDecode; that read and every later one
// return zero values (nil slices, "" and 0), as bufio.Scanner stops at its
// first error. Check Err, or Done after the last read, before using the
// values:
//
//	d := checkpoint.NewDecoder(payload)
//	step := d.Int()
//	params := d.Float64s()
//	if err := d.Done(); err != nil { ... }
//
// Slices returned by Float64s, Float32s, Ints and Bytes are new; Bytes does
// not alias the input.
type Decoder struct {
	b   []byte
	off int // bytes consumed, for error messages
	err error
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err returns the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Done returns the first error met or, when there was none, an error if
// bytes are left after the last read. Call it after reading the whole
// payload.
func (d *Decoder) Done() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes left after the last value", len(d.b))
	}
	return d.err
}

// Remaining returns the number of bytes not read yet.
func (d *Decoder) Remaining() int { return len(d.b) }

func (d *Decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrDecode, d.off, fmt.Sprintf(format, args...))
		d.b = nil
	}
}

// take consumes n bytes, or records an error and returns nil.
func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.fail("%s needs %d bytes, %d are left", what, n, len(d.b))
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	d.off += n
	return p
}

// Uint64 reads a value written by Encoder.Uint64.
func (d *Decoder) Uint64() uint64 {
	p := d.take(8, "an integer")
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

// Int reads a value written by Encoder.Int.
func (d *Decoder) Int() int {
	v := int64(d.Uint64())
	if int64(int(v)) != v {
		d.fail("integer %d does not fit in an int", v)
		return 0
	}
	return int(v)
}

// Float64 reads a value written by Encoder.Float64, bit for bit.
func (d *Decoder) Float64() float64 { return math.Float64frombits(d.Uint64()) }

// Bool reads a value written by Encoder.Bool.
func (d *Decoder) Bool() bool {
	p := d.take(1, "a bool")
	if p == nil {
		return false
	}
	if p[0] > 1 {
		d.off--
		d.fail("bool byte is %d, not 0 or 1", p[0])
		return false
	}
	return p[0] == 1
}

// count reads an element count and checks that size-byte elements of that
// count fit in the bytes left, so a damaged count never causes a huge
// allocation. It returns -1 after an error.
func (d *Decoder) count(size int, what string) int {
	start := d.off
	v := d.Uint64()
	if d.err != nil {
		return -1
	}
	if v > uint64(len(d.b)/size) {
		d.off = start
		d.fail("%s of %d elements needs %d bytes per element, %d bytes are left", what, v, size, len(d.b))
		return -1
	}
	return int(v)
}

// String reads a value written by Encoder.String.
func (d *Decoder) String() string {
	n := d.count(1, "string")
	if n < 0 {
		return ""
	}
	return string(d.take(n, "string"))
}

// Bytes reads a value written by Encoder.Bytes. It returns nil after an
// error and a non-nil empty slice for an empty value.
func (d *Decoder) Bytes() []byte {
	n := d.count(1, "byte slice")
	if n < 0 {
		return nil
	}
	return append([]byte{}, d.take(n, "byte slice")...)
}

// Float64s reads a slice written by Encoder.Float64s.
func (d *Decoder) Float64s() []float64 {
	n := d.count(8, "float64 slice")
	if n < 0 {
		return nil
	}
	xs := make([]float64, n)
	d.fillFloat64s(xs)
	return xs
}

// FillFloat64s reads into dst a slice written by Encoder.Float64s, which must
// have exactly len(dst) elements (else an error is recorded and dst is left
// unchanged). It is for restoring parameter vectors and optimizer moments
// into memory that is already allocated.
func (d *Decoder) FillFloat64s(dst []float64) {
	start := d.off
	n := d.count(8, "float64 slice")
	if n < 0 {
		return
	}
	if n != len(dst) {
		d.off = start
		d.fail("float64 slice of %d elements where %d are expected", n, len(dst))
		return
	}
	d.fillFloat64s(dst)
}

func (d *Decoder) fillFloat64s(dst []float64) {
	p := d.take(8*len(dst), "float64 slice")
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
	}
}

// Float32s reads a slice written by Encoder.Float32s.
func (d *Decoder) Float32s() []float32 {
	n := d.count(4, "float32 slice")
	if n < 0 {
		return nil
	}
	p := d.take(4*n, "float32 slice")
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
	}
	return xs
}

// Ints reads a slice written by Encoder.Ints.
func (d *Decoder) Ints() []int {
	n := d.count(8, "int slice")
	if n < 0 {
		return nil
	}
	p := d.take(8*n, "int slice")
	xs := make([]int, n)
	for i := range xs {
		v := int64(binary.LittleEndian.Uint64(p[8*i:]))
		if int64(int(v)) != v {
			d.fail("integer %d does not fit in an int", v)
			return nil
		}
		xs[i] = int(v)
	}
	return xs
}
