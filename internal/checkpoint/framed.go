package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
)

// ErrFrameChecksum is returned by ReadFramed when a framed state's CRC-32
// does not match its bytes: it was damaged after it was written.
var ErrFrameChecksum = errors.New("checksum mismatch (corrupted)")

// ReadFramed is the one reader of the framing AppendFramed writes. It
// checks that data starts with magic and ends with the CRC-32 of the rest,
// and returns the uint32 version word after the magic and the bytes after
// it up to the CRC (the caller's options words, if its version has any,
// then the body for a Decoder). Its errors say what is wrong without a
// package prefix, for the caller to wrap in its own: "not a WHAT" (data
// too short, or another magic) or ErrFrameChecksum.
func ReadFramed(data []byte, magic, what string) (version uint32, rest []byte, err error) {
	head := len(magic) + 4
	if len(data) < head+4 || string(data[:len(magic)]) != magic {
		return 0, nil, fmt.Errorf("not a %s", what)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return 0, nil, ErrFrameChecksum
	}
	return binary.LittleEndian.Uint32(body[len(magic):]), body[head:], nil
}

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

// ReadStateTail reads what ends every learner state's body after its
// optimizer states: a random stream (rand.PCG's MarshalBinary) as d's
// last bytes. It checks that d is done and that every value of params is
// finite, and returns the stream. Its errors have no package prefix, for
// the caller to wrap in its own state error, as ReadFramed's.
func ReadStateTail(d *Decoder, params []float64) (rand.PCG, error) {
	var pcg rand.PCG
	rs := d.Bytes()
	if err := d.Done(); err != nil {
		return pcg, err
	}
	if err := pcg.UnmarshalBinary(rs); err != nil {
		return pcg, fmt.Errorf("random stream: %w", err)
	}
	for _, v := range params {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return pcg, errors.New("non-finite parameter")
		}
	}
	return pcg, nil
}
