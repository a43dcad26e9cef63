package checkpoint

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/mrasim/mrasim/internal/fsutil"
)

// Magic is the first eight bytes of every checkpoint file.
const Magic = "MRASIMCK"

// FormatVersion is the version of the container layout this package writes
// and the only one it reads.
const FormatVersion uint32 = 1

const (
	fixedHeader = len(Magic) + 4 + 2 + 4 + 8 // header without the kind bytes
	sumLen      = sha256.Size
	minFileSize = fixedHeader + sumLen // empty kind, empty payload
)

// WriteFile atomically replaces the file at path with a checkpoint holding
// the payload that payload writes, tagged with kind (at most 65535 bytes,
// e.g. "mra-run") and the payload's own layout version. The payload is
// streamed to a temporary file in the same folder through a buffered writer
// and is never held in memory; the SHA-256 checksum is then computed by
// reading the temporary file back (the payload length precedes the payload
// in the format, so it cannot be hashed in the same pass). The temporary file
// is fsynced and renamed over path, and the folder is fsynced, as in
// WriteAtomic. When payload returns an error, or any step fails, the
// temporary file is removed and an existing file at path is left untouched;
// the returned error wraps payload's error.
func WriteFile(path, kind string, version uint32, payload func(w io.Writer) error) error {
	if len(kind) > math.MaxUint16 {
		return fmt.Errorf("checkpoint %s: kind is %d bytes, at most %d are allowed", path, len(kind), math.MaxUint16)
	}
	return writeAtomic(path, func(f *os.File) error {
		header := appendHeader(nil, kind, version, 0)
		bw := bufio.NewWriterSize(f, 1<<16)
		if _, err := bw.Write(header); err != nil {
			return err
		}
		cw := &countingWriter{w: bw}
		if err := payload(cw); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], cw.n)
		if _, err := f.WriteAt(n[:], int64(len(header)-8)); err != nil {
			return err
		}
		h := sha256.New()
		body := int64(len(header)) + int64(cw.n)
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, body)); err != nil {
			return err
		}
		// WriteAt does not move the file offset, which is still at the end.
		_, err := f.Write(h.Sum(nil))
		return err
	})
}

// appendHeader appends the container header for a payload of n bytes to b.
func appendHeader(b []byte, kind string, version uint32, n uint64) []byte {
	b = append(b, Magic...)
	b = binary.LittleEndian.AppendUint32(b, FormatVersion)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(kind)))
	b = append(b, kind...)
	b = binary.LittleEndian.AppendUint32(b, version)
	return binary.LittleEndian.AppendUint64(b, n)
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n uint64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

// ReadFile reads the checkpoint at path and returns its payload and payload
// version, after checking, in this order, that the file is a regular file
// starting with the magic (else an error wrapping ErrNotCheckpoint), that
// its lengths add up to the file's size and its checksum is right (else
// ErrCorrupt), that the container format is one this package reads (else
// *VersionError with Container set), that it holds kind (else *KindError)
// and that its payload version is at most maxVersion (else *VersionError).
// No payload byte is returned unless every check passed.
//
// A file shorter than the magic is ErrNotCheckpoint; a file with the magic
// that is cut anywhere after it is ErrCorrupt. A FIFO or device is refused
// without blocking (fsutil.OpenRegular). Memory is bounded by what the file
// proves, never by a length it claims: the header must agree with the
// file's size, and the checksum is verified by streaming the file through
// a small buffer before the payload is allocated, so a damaged or sparse
// file whose header claims gigabytes is refused without holding them. The
// payload is then read and hashed again, so a file that changed between
// the two passes is refused too.
func ReadFile(path, kind string, maxVersion uint32) (payload []byte, version uint32, err error) {
	f, st, err := fsutil.OpenRegular(path)
	if errors.Is(err, fsutil.ErrNotRegular) {
		return nil, 0, notCheckpoint(path, fmt.Sprintf("not a regular file (%v)", st.Mode().Type()))
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read checkpoint: %w", err)
	}
	defer f.Close()
	size := st.Size()
	var magic [len(Magic)]byte
	if n, err := io.ReadFull(f, magic[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, 0, notCheckpoint(path, fmt.Sprintf("%d bytes, too short to be a checkpoint", n))
		}
		return nil, 0, fmt.Errorf("read checkpoint: %w", err)
	}
	if string(magic[:]) != Magic {
		return nil, 0, notCheckpoint(path, "it does not start with "+Magic)
	}
	if size < int64(minFileSize) {
		return nil, 0, corrupt(path, fmt.Sprintf("truncated: %d bytes, a checkpoint has at least %d", size, minFileSize))
	}
	// The header: at most fixedHeader+65535 bytes, bounded by the file.
	head := make([]byte, min(size, int64(fixedHeader+math.MaxUint16)))
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, 0, readErr(path, err)
	}
	h, err := parseHeader(path, head, size)
	if err != nil {
		return nil, 0, err
	}
	// First pass: the checksum, through a small buffer.
	sum := make([]byte, sumLen)
	if _, err := f.ReadAt(sum, size-sumLen); err != nil {
		return nil, 0, readErr(path, err)
	}
	hash := sha256.New()
	if _, err := io.Copy(hash, io.NewSectionReader(f, 0, size-sumLen)); err != nil {
		return nil, 0, readErr(path, err)
	}
	if !bytes.Equal(hash.Sum(nil), sum) {
		return nil, 0, corrupt(path, "checksum mismatch")
	}
	if err := h.check(path, kind, maxVersion); err != nil {
		return nil, 0, err
	}
	if h.payload > math.MaxInt {
		return nil, 0, corrupt(path, fmt.Sprintf("a payload of %d bytes is too large to read", h.payload))
	}
	// Second pass: the payload, whose size the checksum now vouches for.
	payload = make([]byte, h.payload)
	if _, err := f.ReadAt(payload, int64(h.headerLen)); err != nil {
		return nil, 0, readErr(path, err)
	}
	hash.Reset()
	hash.Write(head[:h.headerLen])
	hash.Write(payload)
	if !bytes.Equal(hash.Sum(nil), sum) {
		return nil, 0, corrupt(path, "the file changed while it was read")
	}
	if st2, err := f.Stat(); err != nil || st2.Size() != size {
		return nil, 0, corrupt(path, "the file changed size while it was read")
	}
	return payload, h.version, nil
}

// readErr is the error of a read that failed or ran short.
func readErr(path string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return corrupt(path, "the file shrank while it was read")
	}
	return fmt.Errorf("read checkpoint %s: %w", path, err)
}

// header is a parsed container header.
type header struct {
	format    uint32
	kind      string
	version   uint32
	headerLen int    // bytes before the payload
	payload   uint64 // payload length
}

// parseHeader parses the header at the start of head (the file's first
// bytes, at least minFileSize, starting with the magic) of a file of size
// bytes, and checks that its lengths add up to size.
func parseHeader(path string, head []byte, size int64) (header, error) {
	le := binary.LittleEndian
	var h header
	h.format = le.Uint32(head[8:])
	kindLen := int(le.Uint16(head[12:]))
	h.headerLen = fixedHeader + kindLen
	if int64(h.headerLen)+sumLen > size {
		return h, corrupt(path, "the header runs past the end of the file")
	}
	h.kind = string(head[14 : 14+kindLen])
	h.version = le.Uint32(head[14+kindLen:])
	h.payload = le.Uint64(head[18+kindLen:])
	if have := uint64(size) - uint64(h.headerLen) - sumLen; h.payload != have {
		if h.payload > have {
			return h, corrupt(path, fmt.Sprintf("truncated: the payload should have %d bytes, the file holds %d", h.payload, have))
		}
		return h, corrupt(path, fmt.Sprintf("%d bytes after the payload", have-h.payload))
	}
	return h, nil
}

// check refuses a header of another format, kind or a newer version.
func (h header) check(path, kind string, maxVersion uint32) error {
	if h.format > FormatVersion {
		return &VersionError{Path: path, Got: h.format, Max: FormatVersion, Container: true}
	}
	if h.format != FormatVersion {
		return corrupt(path, fmt.Sprintf("unknown file format version %d", h.format))
	}
	if h.kind != kind {
		return &KindError{Path: path, Want: kind, Got: h.kind}
	}
	if h.version > maxVersion {
		return &VersionError{Path: path, Got: h.version, Max: maxVersion}
	}
	return nil
}
