package checkpoint

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
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
// version, after checking, in this order, that the file starts with the magic
// (else an error wrapping ErrNotCheckpoint), that its checksum and lengths
// are right (else ErrCorrupt), that the container format is one this package
// reads (else *VersionError with Container set), that it holds kind (else
// *KindError) and that its payload version is at most maxVersion (else
// *VersionError). No payload byte is returned unless every check passed.
//
// A file shorter than the magic is ErrNotCheckpoint; a file with the magic
// that is cut anywhere after it is ErrCorrupt. Memory is allocated from the
// file's size as reported by the file system, never from a length read in
// the file, and only after the magic matched.
func ReadFile(path, kind string, maxVersion uint32) (payload []byte, version uint32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read checkpoint: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("read checkpoint: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, 0, notCheckpoint(path, "not a regular file")
	}
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
	if size > math.MaxInt {
		return nil, 0, corrupt(path, fmt.Sprintf("%d bytes is too large to read", size))
	}
	buf := make([]byte, size)
	copy(buf, magic[:])
	if _, err := io.ReadFull(f, buf[len(Magic):]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, 0, corrupt(path, "the file shrank while it was read")
		}
		return nil, 0, fmt.Errorf("read checkpoint: %w", err)
	}
	var extra [1]byte
	if n, _ := f.Read(extra[:]); n != 0 {
		return nil, 0, corrupt(path, "the file grew while it was read")
	}
	return parse(path, buf, kind, maxVersion)
}

// parse checks a whole checkpoint file held in buf (at least minFileSize
// bytes, starting with the magic) and returns its payload.
func parse(path string, buf []byte, kind string, maxVersion uint32) ([]byte, uint32, error) {
	body, sum := buf[:len(buf)-sumLen], buf[len(buf)-sumLen:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, 0, corrupt(path, "checksum mismatch")
	}
	le := binary.LittleEndian
	format := le.Uint32(body[8:])
	if format > FormatVersion {
		return nil, 0, &VersionError{Path: path, Got: format, Max: FormatVersion, Container: true}
	}
	if format != FormatVersion {
		return nil, 0, corrupt(path, fmt.Sprintf("unknown file format version %d", format))
	}
	kindLen := int(le.Uint16(body[12:]))
	headerLen := fixedHeader + kindLen
	if headerLen > len(body) {
		return nil, 0, corrupt(path, "the header runs past the end of the file")
	}
	gotKind := string(body[14 : 14+kindLen])
	version := le.Uint32(body[14+kindLen:])
	n := le.Uint64(body[18+kindLen:])
	if have := uint64(len(body) - headerLen); n != have {
		if n > have {
			return nil, 0, corrupt(path, fmt.Sprintf("truncated: the payload should have %d bytes, the file holds %d", n, have))
		}
		return nil, 0, corrupt(path, fmt.Sprintf("%d bytes after the payload", have-n))
	}
	if gotKind != kind {
		return nil, 0, &KindError{Path: path, Want: kind, Got: gotKind}
	}
	if version > maxVersion {
		return nil, 0, &VersionError{Path: path, Got: version, Max: maxVersion}
	}
	return body[headerLen:], version, nil
}
