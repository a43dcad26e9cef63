package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The parameter file format, version 1, little-endian:
//
//	magic   [8]byte  "MRASIMNN"
//	version uint32   1
//	count   uint64   number of parameters
//	values  [count]float64 (IEEE 754 bits)
//	crc     uint32   CRC-32 (IEEE) of all preceding bytes
const (
	paramMagic   = "MRASIMNN"
	paramVersion = 1
	headerLen    = 8 + 4 + 8
)

// Errors returned by Load, wrapped with details.
var (
	ErrFormat    = errors.New("nn: not a parameter file")
	ErrVersion   = errors.New("nn: unsupported parameter file version")
	ErrLength    = errors.New("nn: parameter count mismatch")
	ErrChecksum  = errors.New("nn: parameter file checksum mismatch")
	ErrNonFinite = errors.New("nn: non-finite parameter")
)

// Save writes p to w in the parameter file format.
func Save(w io.Writer, p []float64) error {
	buf := make([]byte, headerLen+8*len(p)+4)
	copy(buf, paramMagic)
	binary.LittleEndian.PutUint32(buf[8:], paramVersion)
	binary.LittleEndian.PutUint64(buf[12:], uint64(len(p)))
	for i, v := range p {
		binary.LittleEndian.PutUint64(buf[headerLen+8*i:], math.Float64bits(v))
	}
	end := headerLen + 8*len(p)
	binary.LittleEndian.PutUint32(buf[end:], crc32.ChecksumIEEE(buf[:end]))
	_, err := w.Write(buf)
	if err != nil {
		return fmt.Errorf("nn: writing parameters: %w", err)
	}
	return nil
}

// Load reads parameters saved by Save from r into dst. It returns an error,
// and leaves dst unchanged, if the data is not a version-1 parameter file,
// holds a number of parameters other than len(dst), is truncated, fails its
// checksum or contains a NaN or infinity. It reads exactly one file's bytes
// from r.
func Load(r io.Reader, dst []float64) error {
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return fmt.Errorf("%w: reading header: %w", ErrFormat, err)
	}
	if string(hdr[:8]) != paramMagic {
		return fmt.Errorf("%w: bad magic %q", ErrFormat, hdr[:8])
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != paramVersion {
		return fmt.Errorf("%w: %d (want %d)", ErrVersion, v, paramVersion)
	}
	if n := binary.LittleEndian.Uint64(hdr[12:]); n != uint64(len(dst)) {
		return fmt.Errorf("%w: file has %d parameters, want %d", ErrLength, n, len(dst))
	}
	body := make([]byte, 8*len(dst)+4)
	if _, err := io.ReadFull(r, body); err != nil {
		return fmt.Errorf("%w: reading %d parameters: %w", ErrFormat, len(dst), err)
	}
	crc := crc32.NewIEEE()
	crc.Write(hdr[:])
	crc.Write(body[:8*len(dst)])
	if got, want := binary.LittleEndian.Uint32(body[8*len(dst):]), crc.Sum32(); got != want {
		return fmt.Errorf("%w: stored %08x, computed %08x", ErrChecksum, got, want)
	}
	for i := range dst {
		v := math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: parameter %d is %v", ErrNonFinite, i, v)
		}
	}
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
	}
	return nil
}

// MarshalParams returns p in the parameter file format.
func MarshalParams(p []float64) []byte {
	var b bytes.Buffer
	_ = Save(&b, p) // bytes.Buffer writes do not fail
	return b.Bytes()
}

// UnmarshalParams decodes data, which must be exactly one parameter file,
// into dst. Errors are as for Load, plus trailing bytes.
func UnmarshalParams(data []byte, dst []float64) error {
	r := bytes.NewReader(data)
	if err := Load(r, dst); err != nil {
		return err
	}
	if r.Len() != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrFormat, r.Len())
	}
	return nil
}
