// Package checkpoint writes and reads crash-safe, self-checking files: the
// trainer's checkpoints, and any other output that must never be seen half
// written.
//
// WriteFile replaces a file atomically (temporary file in the same folder,
// fsync, rename, fsync of the folder), so a crash leaves either the old file
// or the new one, never a mixture. ReadFile verifies the whole file — magic,
// checksum, length, kind and version — before it returns a single payload
// byte, and reports what is wrong with an error a caller can test with
// errors.Is and errors.As. WriteAtomic gives the same atomic replacement to
// files without the container, such as PNG curves and reports.
//
// A checkpoint file is, in order (all integers little-endian):
//
//	magic            8 bytes   "MRASIMCK"
//	format version   uint32    1, the version of this container layout
//	kind length      uint16    length of the kind in bytes
//	kind             bytes     what the payload is, e.g. "mra-run"
//	payload version  uint32    version of the payload's own layout
//	payload length   uint64    n
//	payload          n bytes
//	checksum         32 bytes  SHA-256 of every byte before it
//
// Every later format version keeps the magic and the format version first
// and the SHA-256 of everything before it last, so a reader checks the
// checksum before trusting any field, and a file written by a newer mrasim
// is told apart from a damaged one.
//
// Encoder and Decoder encode a payload deterministically (fixed-width
// little-endian integers, floats bit for bit, length-prefixed slices); the
// Encoder streams to an io.Writer so large payloads such as replay buffers
// are never held twice in memory.
//
// The package is not a serialisation framework: it knows nothing of the
// trainer's types, carries no schema, and does not migrate old payload
// versions — the caller reads the version ReadFile returns and decodes
// accordingly. It does not lock files: two processes writing the same path
// both succeed and the last rename wins.
package checkpoint
