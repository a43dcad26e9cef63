package checkpoint

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestAppendFramed: what is before b stays, the header and the Encoder's
// body follow in order, and the last four bytes are the CRC-32 of header
// and body alone (not of what b held before).
func TestAppendFramed(t *testing.T) {
	prefix := []byte("before")
	got := AppendFramed(append([]byte(nil), prefix...), []byte("HEAD"), func(e *Encoder) {
		e.Uint64(7)
		e.Bytes([]byte("xy"))
	})
	var body bytes.Buffer
	e := NewEncoder(&body)
	e.Uint64(7)
	e.Bytes([]byte("xy"))
	framed := append([]byte("HEAD"), body.Bytes()...)
	want := binary.LittleEndian.AppendUint32(append(append([]byte(nil), prefix...), framed...), crc32.ChecksumIEEE(framed))
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendFramed = %x, want %x", got, want)
	}
}

// TestReadFramed: ReadFramed returns the version and the bytes between it
// and the CRC of what AppendFramed wrote, and refuses a short state,
// another magic and any damaged byte.
func TestReadFramed(t *testing.T) {
	header := binary.LittleEndian.AppendUint32([]byte("MAGICNUM"), 3)
	good := AppendFramed(nil, header, func(e *Encoder) { e.Uint64(42) })
	flipped := func(i int) []byte {
		b := append([]byte(nil), good...)
		b[i] ^= 1
		return b
	}
	for _, tc := range []struct {
		name    string
		data    []byte
		magic   string
		wantErr string
	}{
		{"round trip", good, "MAGICNUM", ""},
		{"empty", nil, "MAGICNUM", "not a test state"},
		{"header and no CRC", header, "MAGICNUM", "not a test state"},
		{"other magic", good, "OTHERMAG", "not a test state"},
		{"damaged version", flipped(8), "MAGICNUM", ErrFrameChecksum.Error()},
		{"damaged body", flipped(12), "MAGICNUM", ErrFrameChecksum.Error()},
		{"damaged CRC", flipped(len(good) - 1), "MAGICNUM", ErrFrameChecksum.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, rest, err := ReadFramed(tc.data, tc.magic, "test state")
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := NewDecoder(rest)
			if got := d.Uint64(); v != 3 || got != 42 || d.Done() != nil {
				t.Fatalf("version %d, body %d (%v), want 3 and 42", v, got, d.Done())
			}
		})
	}
}

// TestReadStateTail: the tail reader returns the stream it was given and
// refuses trailing bytes, a damaged stream and a non-finite parameter.
func TestReadStateTail(t *testing.T) {
	src := rand.NewPCG(3, 4)
	src.Uint64()
	st, err := src.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	body := func(rs []byte) *Decoder {
		b := AppendFramed(nil, []byte("x"), func(e *Encoder) { e.Bytes(rs) })
		return NewDecoder(b[1 : len(b)-4])
	}
	pcg, err := ReadStateTail(body(st), []float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pcg.Uint64(), src.Uint64(); got != want {
		t.Errorf("stream gives %d, want %d", got, want)
	}
	for name, tc := range map[string]struct {
		rs     []byte
		params []float64
		want   string
	}{
		"damaged stream": {rs: st[:len(st)-1], params: []float64{1}, want: "random stream"},
		"NaN parameter":  {rs: st, params: []float64{1, math.NaN()}, want: "non-finite parameter"},
		"Inf parameter":  {rs: st, params: []float64{math.Inf(-1)}, want: "non-finite parameter"},
	} {
		if _, err := ReadStateTail(body(tc.rs), tc.params); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}
