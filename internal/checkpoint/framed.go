package checkpoint

import (
	"encoding/binary"
	"hash/crc32"
)

// AppendFramed appends a framed learner state to b and returns the extended
// slice: header (the caller's magic, version and options words) as given,
// then the body that body writes through an Encoder, then the IEEE CRC-32 of
// header and body, little-endian. It is the one writer of the learner-state
// framing that every algorithm's AppendState shares.
func AppendFramed(b, header []byte, body func(e *Encoder)) []byte {
	start := len(b)
	w := &sliceWriter{b: append(b, header...)}
	body(NewEncoder(w))
	return binary.LittleEndian.AppendUint32(w.b, crc32.ChecksumIEEE(w.b[start:]))
}

// sliceWriter appends what is written to a byte slice; it never fails, so
// neither does an Encoder over it.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
