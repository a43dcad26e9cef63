package checkpoint_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// sample is a payload exercising every Encoder method, with values a lossy
// or reordering encoding would change: NaN with a payload, −0, subnormals,
// negative integers, and slices longer than the encoder's chunk.
type sample struct {
	u     uint64
	i     int
	f     float64
	nan   float64
	negZ  float64
	t, fl bool
	s     string
	f64s  []float64
	f32s  []float32
	ints  []int
	raw   []byte
	empty []float64
}

func newSample() sample {
	f64s := make([]float64, 1500) // 12000 bytes, three encoder chunks
	for i := range f64s {
		f64s[i] = math.Sin(float64(i)) * math.Pow(10, float64(i%40-20))
	}
	f64s[3] = math.SmallestNonzeroFloat64
	f64s[4] = math.Inf(-1)
	return sample{
		u: math.MaxUint64 - 5, i: -123456789, f: math.Pi,
		nan:  math.Float64frombits(0x7ff8_dead_beef_0001),
		negZ: math.Copysign(0, -1),
		t:    true, fl: false,
		s:    "agents=3 ünïcode",
		f64s: f64s,
		f32s: []float32{1.5, -0, float32(math.SmallestNonzeroFloat32), math.MaxFloat32},
		ints: []int{0, -1, math.MaxInt, math.MinInt},
		raw:  bytes.Repeat([]byte{0xab, 0x00}, 5000),
	}
}

func (s sample) encode(e *checkpoint.Encoder) {
	e.Uint64(s.u)
	e.Int(s.i)
	e.Float64(s.f)
	e.Float64(s.nan)
	e.Float64(s.negZ)
	e.Bool(s.t)
	e.Bool(s.fl)
	e.String(s.s)
	e.Float64s(s.f64s)
	e.Float32s(s.f32s)
	e.Ints(s.ints)
	e.Bytes(s.raw)
	e.Float64s(s.empty)
}

func encodeSample(t *testing.T) []byte {
	var buf bytes.Buffer
	e := checkpoint.NewEncoder(&buf)
	newSample().encode(e)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func bitsEqual(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

func TestCodecRoundTrip(t *testing.T) {
	b := encodeSample(t)
	want := newSample()
	d := checkpoint.NewDecoder(b)
	if got := d.Uint64(); got != want.u {
		t.Errorf("Uint64 %d, want %d", got, want.u)
	}
	if got := d.Int(); got != want.i {
		t.Errorf("Int %d, want %d", got, want.i)
	}
	for _, w := range []float64{want.f, want.nan, want.negZ} {
		if got := d.Float64(); math.Float64bits(got) != math.Float64bits(w) {
			t.Errorf("Float64 bits %#x, want %#x", math.Float64bits(got), math.Float64bits(w))
		}
	}
	if d.Bool() != true || d.Bool() != false {
		t.Error("bools differ")
	}
	if got := d.String(); got != want.s {
		t.Errorf("String %q, want %q", got, want.s)
	}
	if got := d.Float64s(); !bitsEqual(got, want.f64s) {
		t.Error("Float64s differ")
	}
	got32 := d.Float32s()
	if !slices.EqualFunc(got32, want.f32s, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
		t.Errorf("Float32s %v, want %v", got32, want.f32s)
	}
	if got := d.Ints(); !slices.Equal(got, want.ints) {
		t.Errorf("Ints %v, want %v", got, want.ints)
	}
	if got := d.Bytes(); !bytes.Equal(got, want.raw) {
		t.Error("Bytes differ")
	}
	if got := d.Float64s(); got == nil || len(got) != 0 {
		t.Errorf("empty Float64s decoded as %#v, want a non-nil empty slice", got)
	}
	if err := d.Done(); err != nil {
		t.Fatal(err)
	}
}

func TestEncoderLayout(t *testing.T) {
	var buf bytes.Buffer
	e := checkpoint.NewEncoder(&buf)
	e.Int(-2)
	e.Bool(true)
	e.String("ab")
	e.Float32s([]float32{1})
	want := []byte{
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // -2
		1,                      // true
		2, 0, 0, 0, 0, 0, 0, 0, // len 2
		'a', 'b',
		1, 0, 0, 0, 0, 0, 0, 0, // len 1
		0x00, 0x00, 0x80, 0x3f, // 1.0f
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("layout\n got %x\nwant %x", buf.Bytes(), want)
	}
}

func TestEncoderDeterministic(t *testing.T) {
	a, b := encodeSample(t), encodeSample(t)
	if !bytes.Equal(a, b) {
		t.Fatal("the same values encoded to different bytes")
	}
}

func TestDecoderTruncated(t *testing.T) {
	b := encodeSample(t)
	want := newSample()
	// Every strict prefix must fail without panicking, and all reads after
	// the failure return zero values.
	step := func(n int) int {
		if n < 100 || n > len(b)-40 {
			return n + 1
		}
		return n + 1 + n/50
	}
	for n := 0; n < len(b); n = step(n) {
		d := checkpoint.NewDecoder(b[:n])
		var s sample
		s.u, s.i, s.f, s.nan, s.negZ = d.Uint64(), d.Int(), d.Float64(), d.Float64(), d.Float64()
		s.t, s.fl, s.s = d.Bool(), d.Bool(), d.String()
		s.f64s, s.f32s, s.ints, s.raw, s.empty = d.Float64s(), d.Float32s(), d.Ints(), d.Bytes(), d.Float64s()
		err := d.Done()
		if !errors.Is(err, checkpoint.ErrDecode) {
			t.Fatalf("prefix of %d bytes: Done %v, want ErrDecode", n, err)
		}
		if s.empty != nil || (n < len(b)-8 && s.raw != nil) {
			t.Fatalf("prefix of %d bytes: reads after the failure returned values", n)
		}
		if n >= 8 && s.u != want.u {
			t.Fatalf("prefix of %d bytes: first value lost", n)
		}
	}
}

func TestDecoderSticky(t *testing.T) {
	d := checkpoint.NewDecoder([]byte{1, 2, 3})
	if v := d.Uint64(); v != 0 {
		t.Errorf("short Uint64 returned %d", v)
	}
	first := d.Err()
	if first == nil {
		t.Fatal("no error on a short read")
	}
	d.Bool()
	if d.Err() != first {
		t.Error("a later read replaced the first error")
	}
}

func TestDecoderRefusesHugeLengths(t *testing.T) {
	for _, tc := range []struct {
		name string
		read func(d *checkpoint.Decoder)
		n    uint64
	}{
		{"Float64s", func(d *checkpoint.Decoder) { d.Float64s() }, 2}, // 16 bytes, 15 left
		{"Float32s", func(d *checkpoint.Decoder) { d.Float32s() }, 4},
		{"Ints", func(d *checkpoint.Decoder) { d.Ints() }, math.MaxUint64 / 8},
		{"Bytes", func(d *checkpoint.Decoder) { d.Bytes() }, 16},
		{"String", func(d *checkpoint.Decoder) { _ = d.String() }, math.MaxUint64},
	} {
		b := binary.LittleEndian.AppendUint64(nil, tc.n)
		b = append(b, make([]byte, 15)...)
		d := checkpoint.NewDecoder(b)
		tc.read(d)
		if !errors.Is(d.Err(), checkpoint.ErrDecode) {
			t.Errorf("%s with length %d over 15 bytes: error %v, want ErrDecode", tc.name, tc.n, d.Err())
		}
	}
}

func TestDecoderBadBoolAndLeftover(t *testing.T) {
	d := checkpoint.NewDecoder([]byte{2})
	if d.Bool() || !errors.Is(d.Err(), checkpoint.ErrDecode) {
		t.Errorf("bool byte 2: error %v, want ErrDecode", d.Err())
	}
	d = checkpoint.NewDecoder([]byte{1, 0})
	if !d.Bool() || d.Err() != nil {
		t.Fatal("bool byte 1 not read as true")
	}
	if d.Remaining() != 1 {
		t.Errorf("Remaining %d, want 1", d.Remaining())
	}
	if !errors.Is(d.Done(), checkpoint.ErrDecode) {
		t.Error("Done did not report the byte left over")
	}
}

func TestFillFloat64s(t *testing.T) {
	var buf bytes.Buffer
	e := checkpoint.NewEncoder(&buf)
	e.Float64s([]float64{1, 2, 3})
	dst := []float64{9, 9, 9}
	d := checkpoint.NewDecoder(buf.Bytes())
	d.FillFloat64s(dst)
	if err := d.Done(); err != nil || !slices.Equal(dst, []float64{1, 2, 3}) {
		t.Fatalf("FillFloat64s gave %v, %v", dst, err)
	}
	short := []float64{7, 7}
	d = checkpoint.NewDecoder(buf.Bytes())
	d.FillFloat64s(short)
	if !errors.Is(d.Err(), checkpoint.ErrDecode) || !slices.Equal(short, []float64{7, 7}) {
		t.Fatalf("length mismatch: %v, dst %v; want ErrDecode and dst unchanged", d.Err(), short)
	}
}

// failWriter fails after limit bytes.
type failWriter struct{ limit int }

var errDiskFull = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, errDiskFull
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestEncoderStickyError(t *testing.T) {
	w := &failWriter{limit: 20}
	e := checkpoint.NewEncoder(w)
	newSample().encode(e)
	if !errors.Is(e.Err(), errDiskFull) {
		t.Fatalf("Err %v, want the writer's error", e.Err())
	}
}

func TestCodecThroughCheckpoint(t *testing.T) {
	// The intended use: an Encoder on WriteFile's writer, a Decoder on
	// ReadFile's payload.
	path := filepath.Join(t.TempDir(), "ck")
	want := newSample()
	err := checkpoint.WriteFile(path, "mra-run", 1, func(w io.Writer) error {
		e := checkpoint.NewEncoder(w)
		want.encode(e)
		return e.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := checkpoint.ReadFile(path, "mra-run", 1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	want.encode(checkpoint.NewEncoder(bw))
	bw.Flush()
	if !bytes.Equal(p, buf.Bytes()) {
		t.Fatal("payload through a checkpoint differs from the direct encoding")
	}
}
