package checkpoint

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
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
