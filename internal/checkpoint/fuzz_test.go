package checkpoint_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// FuzzReadFileChecksummed reads arbitrary files as checkpoints as
// FuzzReadFile does, except that with fixSum the last 32 bytes are first
// replaced by the checksum of the rest, so that the fuzzer reaches the
// header, kind, version and length checks behind it. ReadFile must never
// panic, must return a payload only for a file that round-trips, and must
// otherwise fail with one of its documented errors.
func FuzzReadFileChecksummed(f *testing.F) {
	dir := f.TempDir()
	for i, p := range [][]byte{nil, []byte("0123456789"), bytes.Repeat([]byte{0xff}, 300)} {
		path := filepath.Join(dir, "seed")
		writeBytes(f, path, "mra-run", uint32(i+1), p)
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
		f.Add(b[:len(b)-1], true)
	}
	f.Add([]byte(checkpoint.Magic), false)
	f.Add([]byte("PK\x03\x04"), false)
	work := f.TempDir() // one folder for every input: a new one each is slow
	f.Fuzz(func(t *testing.T, data []byte, fixSum bool) {
		if fixSum && len(data) >= 32 {
			data = append([]byte{}, data...)
			sum := sha256.Sum256(data[:len(data)-32])
			copy(data[len(data)-32:], sum[:])
		}
		path := filepath.Join(work, "ck")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		payload, version, err := checkpoint.ReadFile(path, "mra-run", 3)
		if err != nil {
			var kind *checkpoint.KindError
			var ver *checkpoint.VersionError
			if !errors.Is(err, checkpoint.ErrCorrupt) && !errors.Is(err, checkpoint.ErrNotCheckpoint) && !errors.As(err, &kind) && !errors.As(err, &ver) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if version > 3 || len(payload) > len(data) || !bytes.Contains(data, payload) {
			t.Fatalf("payload of %d bytes, version %d, from a file of %d bytes", len(payload), version, len(data))
		}
		// What was read writes back to the same bytes.
		again := filepath.Join(work, "again")
		writeBytes(t, again, "mra-run", version, payload)
		if b, _ := os.ReadFile(again); !bytes.Equal(b, data) {
			t.Fatal("the file read does not write back to its own bytes")
		}
	})
}

// FuzzDecoder decodes arbitrary payloads with every Decoder method: no
// panic, and no slice larger than the payload could hold.
func FuzzDecoder(f *testing.F) {
	var buf bytes.Buffer
	e := checkpoint.NewEncoder(&buf)
	e.Int(-3)
	e.String("mra")
	e.Float64s([]float64{1, 2.5})
	e.Float32s([]float32{3})
	e.Ints([]int{4, -5})
	e.Bool(true)
	e.Bytes([]byte{6, 7})
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		d := checkpoint.NewDecoder(data)
		for d.Err() == nil && d.Remaining() > 0 {
			_ = d.Int()
			_ = d.String()
			if xs := d.Float64s(); len(xs)*8 > len(data) {
				t.Fatalf("%d float64s from %d bytes", len(xs), len(data))
			}
			if xs := d.Float32s(); len(xs)*4 > len(data) {
				t.Fatalf("%d float32s from %d bytes", len(xs), len(data))
			}
			if xs := d.Ints(); len(xs)*8 > len(data) {
				t.Fatalf("%d ints from %d bytes", len(xs), len(data))
			}
			_ = d.Bool()
			if p := d.Bytes(); len(p) > len(data) {
				t.Fatalf("%d bytes from %d", len(p), len(data))
			}
			d.FillFloat64s(make([]float64, 2))
		}
		_ = d.Done()
	})
}
