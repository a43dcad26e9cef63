package checkpoint_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// writeBytes writes a checkpoint whose payload is p.
func writeBytes(t testing.TB, path, kind string, version uint32, p []byte) {
	t.Helper()
	err := checkpoint.WriteFile(path, kind, version, func(w io.Writer) error {
		_, err := w.Write(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLayout(t *testing.T) {
	// The layout is part of the file format: pin it byte by byte against an
	// independent construction.
	path := filepath.Join(t.TempDir(), "ck")
	writeBytes(t, path, "mra-run", 7, []byte("hello"))
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	want = append(want, "MRASIMCK"...)
	want = append(want, 1, 0, 0, 0)
	want = append(want, 7, 0)
	want = append(want, "mra-run"...)
	want = append(want, 7, 0, 0, 0)
	want = append(want, 5, 0, 0, 0, 0, 0, 0, 0)
	want = append(want, "hello"...)
	sum := sha256.Sum256(want)
	want = append(want, sum[:]...)
	if !bytes.Equal(got, want) {
		t.Fatalf("file bytes\n got %x\nwant %x", got, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o644 {
		t.Errorf("permissions %o, want 644", perm)
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, 300_000) // larger than the write buffer
	for i := range big {
		big[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name, kind string
		version    uint32
		payload    []byte
	}{
		{"empty", "mra-run", 1, nil},
		{"small", "mra-run", 3, []byte{0, 1, 2, 255}},
		{"big", "replay", math.MaxUint32, big},
		{"empty kind", "", 0, []byte("x")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			writeBytes(t, path, tc.kind, tc.version, tc.payload)
			p, v, err := checkpoint.ReadFile(path, tc.kind, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			if v != tc.version {
				t.Errorf("version %d, want %d", v, tc.version)
			}
			if !bytes.Equal(p, tc.payload) {
				t.Errorf("payload of %d bytes differs from the %d written", len(p), len(tc.payload))
			}
		})
	}
}

func TestOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ck")
	writeBytes(t, path, "k", 1, []byte("first, longer payload"))
	writeBytes(t, path, "k", 2, []byte("second"))
	p, v, err := checkpoint.ReadFile(path, "k", 2)
	if err != nil || v != 2 || string(p) != "second" {
		t.Fatalf("ReadFile = %q, %d, %v; want \"second\", 2, nil", p, v, err)
	}
	assertNoTemp(t, filepath.Dir(path))
}

// assertNoTemp fails when dir holds a temporary file.
func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestFailingPayloadLeavesFileUnchanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ck")
	writeBytes(t, path, "mra-run", 1, []byte("the good checkpoint"))
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = checkpoint.WriteFile(path, "mra-run", 2, func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte("x"), 200_000)) // some bytes reach the temporary file
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the payload's error", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("a failed write changed the existing file")
	}
	assertNoTemp(t, dir)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the checkpoint", len(entries))
	}
}

func TestPanickingPayloadLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ck")
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic did not propagate")
			}
		}()
		checkpoint.WriteFile(path, "k", 1, func(w io.Writer) error { panic("payload bug") })
	}()
	assertNoTemp(t, dir)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat after a panicking write: %v, want not exist", err)
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	if err := checkpoint.WriteFile(filepath.Join(dir, "no", "such", "dir", "ck"), "k", 1,
		func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
	long := strings.Repeat("k", 70000)
	if err := checkpoint.WriteFile(filepath.Join(dir, "ck"), long, 1,
		func(io.Writer) error { return nil }); err == nil {
		t.Error("a kind of 70000 bytes was accepted")
	}
	assertNoTemp(t, dir)
}

// goodFile returns the bytes of a valid checkpoint of kind "mra-run",
// version 2, with a 40-byte payload.
func goodFile(t testing.TB) []byte {
	path := filepath.Join(t.TempDir(), "ck")
	writeBytes(t, path, "mra-run", 2, []byte("0123456789012345678901234567890123456789"))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readBytes writes b to a file and reads it as an "mra-run" checkpoint of
// version at most 2.
func readBytes(t testing.TB, b []byte) ([]byte, uint32, error) {
	path := filepath.Join(t.TempDir(), "ck")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return checkpoint.ReadFile(path, "mra-run", 2)
}

func TestFlipAnyByte(t *testing.T) {
	good := goodFile(t)
	for i := range good {
		for _, mask := range []byte{0x01, 0x80} {
			b := bytes.Clone(good)
			b[i] ^= mask
			p, _, err := readBytes(t, b)
			want := checkpoint.ErrCorrupt
			if i < 8 {
				want = checkpoint.ErrNotCheckpoint
			}
			if !errors.Is(err, want) {
				t.Fatalf("byte %d ^ %#x: error %v, want %v", i, mask, err, want)
			}
			if p != nil {
				t.Fatalf("byte %d ^ %#x: payload returned with the error", i, mask)
			}
		}
	}
}

func TestTruncateAnywhere(t *testing.T) {
	good := goodFile(t)
	for n := range len(good) {
		_, _, err := readBytes(t, good[:n])
		want := checkpoint.ErrCorrupt
		if n < 8 {
			want = checkpoint.ErrNotCheckpoint
		}
		if !errors.Is(err, want) {
			t.Fatalf("cut to %d bytes: error %v, want %v", n, err, want)
		}
	}
}

func TestAppendBytes(t *testing.T) {
	good := goodFile(t)
	for _, extra := range [][]byte{{0}, []byte("trailing"), make([]byte, 32), good[len(good)-32:]} {
		_, _, err := readBytes(t, append(bytes.Clone(good), extra...))
		if !errors.Is(err, checkpoint.ErrCorrupt) {
			t.Fatalf("%d bytes appended: error %v, want ErrCorrupt", len(extra), err)
		}
	}
}

// reseal recomputes the checksum of a file whose body was edited, as a file
// written by another program (or another mrasim) would have it.
func reseal(b []byte) []byte {
	body := b[:len(b)-32]
	sum := sha256.Sum256(body)
	return append(bytes.Clone(body), sum[:]...)
}

func TestLengthMismatchWithValidChecksum(t *testing.T) {
	// A payload length that disagrees with the file size is caught even
	// when the checksum matches.
	good := goodFile(t)
	lenOff := 8 + 4 + 2 + len("mra-run") + 4
	for _, n := range []uint64{39, 41, math.MaxUint64} {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint64(b[lenOff:], n)
		_, _, err := readBytes(t, reseal(b))
		if !errors.Is(err, checkpoint.ErrCorrupt) {
			t.Errorf("length %d: error %v, want ErrCorrupt", n, err)
		}
	}
	b := bytes.Clone(good)
	binary.LittleEndian.PutUint16(b[12:], math.MaxUint16) // kind runs past the end
	if _, _, err := readBytes(t, reseal(b)); !errors.Is(err, checkpoint.ErrCorrupt) {
		t.Errorf("kind length 65535: error %v, want ErrCorrupt", err)
	}
}

func TestWrongKind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ck")
	writeBytes(t, path, "league", 1, []byte("x"))
	p, _, err := checkpoint.ReadFile(path, "mra-run", 1)
	var ke *checkpoint.KindError
	if !errors.As(err, &ke) {
		t.Fatalf("error %v is not a *KindError", err)
	}
	if ke.Want != "mra-run" || ke.Got != "league" || ke.Path != path {
		t.Errorf("KindError %+v", *ke)
	}
	if p != nil {
		t.Error("payload returned with the error")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("message %q does not name the file", err)
	}
}

func TestNewerVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ck")
	writeBytes(t, path, "mra-run", 3, []byte("x"))
	p, _, err := checkpoint.ReadFile(path, "mra-run", 2)
	var ve *checkpoint.VersionError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *VersionError", err)
	}
	if ve.Got != 3 || ve.Max != 2 || ve.Container {
		t.Errorf("VersionError %+v", *ve)
	}
	if p != nil {
		t.Error("payload returned with the error")
	}
	if !strings.Contains(err.Error(), "newer mrasim") {
		t.Errorf("message %q does not say the file is from a newer mrasim", err)
	}
	// An older payload version is returned for the caller to decode.
	if _, v, err := checkpoint.ReadFile(path, "mra-run", 5); err != nil || v != 3 {
		t.Errorf("ReadFile with max 5: version %d, %v; want 3, nil", v, err)
	}
}

func TestNewerContainerFormat(t *testing.T) {
	b := goodFile(t)
	binary.LittleEndian.PutUint32(b[8:], 2)
	_, _, err := readBytes(t, reseal(b))
	var ve *checkpoint.VersionError
	if !errors.As(err, &ve) || !ve.Container || ve.Got != 2 || ve.Max != 1 {
		t.Fatalf("error %v, want a container *VersionError 2 > 1", err)
	}
	binary.LittleEndian.PutUint32(b[8:], 0)
	if _, _, err := readBytes(t, reseal(b)); !errors.Is(err, checkpoint.ErrCorrupt) {
		t.Fatalf("format version 0: error %v, want ErrCorrupt", err)
	}
}

func TestNotCheckpoint(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("MRASIM"), []byte("{\"json\": true}"), bytes.Repeat([]byte{0}, 100)} {
		if _, _, err := readBytes(t, b); !errors.Is(err, checkpoint.ErrNotCheckpoint) {
			t.Errorf("%q: error %v, want ErrNotCheckpoint", b, err)
		}
	}
	if _, _, err := checkpoint.ReadFile(t.TempDir(), "k", 1); !errors.Is(err, checkpoint.ErrNotCheckpoint) {
		t.Errorf("a folder: error %v, want ErrNotCheckpoint", err)
	}
	_, _, err := checkpoint.ReadFile(filepath.Join(t.TempDir(), "missing"), "k", 1)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want os.ErrNotExist", err)
	}
}

func TestMessages(t *testing.T) {
	// Messages name the file and say what to do.
	good := goodFile(t)
	path := filepath.Join(t.TempDir(), "run.ck")
	os.WriteFile(path, good[:len(good)-1], 0o644)
	_, _, err := checkpoint.ReadFile(path, "mra-run", 2)
	want := "checkpoint " + path + ": checkpoint is damaged (truncated: the payload should have 40 bytes, the file holds 39); start the run again or restore a copy"
	if err == nil || err.Error() != want {
		t.Errorf("message\n got %v\nwant %s", err, want)
	}
	flipped := append([]byte{}, good...)
	flipped[len(flipped)-40] ^= 1
	os.WriteFile(path, flipped, 0o644)
	_, _, err = checkpoint.ReadFile(path, "mra-run", 2)
	want = "checkpoint " + path + ": checkpoint is damaged (checksum mismatch); start the run again or restore a copy"
	if err == nil || err.Error() != want {
		t.Errorf("message\n got %v\nwant %s", err, want)
	}
	os.WriteFile(path, []byte("PK\x03\x04 a zip file"), 0o644)
	_, _, err = checkpoint.ReadFile(path, "mra-run", 2)
	want = "checkpoint " + path + ": not an mrasim checkpoint (it does not start with MRASIMCK); check the path"
	if err == nil || err.Error() != want {
		t.Errorf("message\n got %v\nwant %s", err, want)
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.md")
	if err := checkpoint.WriteAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "# report\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := checkpoint.WriteAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half a rep")
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the writer's error", err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "# report\n" {
		t.Fatalf("file holds %q, %v; want the first content", b, err)
	}
	assertNoTemp(t, dir)
}

func FuzzReadFile(f *testing.F) {
	good := goodFile(f)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{})
	f.Add([]byte(checkpoint.Magic))
	withKind := func(kind string, version uint32, payload string) []byte {
		path := filepath.Join(f.TempDir(), "seed")
		writeBytes(f, path, kind, version, []byte(payload))
		b, _ := os.ReadFile(path)
		return b
	}
	f.Add(withKind("mra-run", 0, ""))
	f.Add(withKind("mra-run", 1, "\x00\x01\x02"))
	f.Add(withKind("other", 1, "payload"))
	f.Add(withKind("mra-run", 9, "too new"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "in")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		p, v, err := checkpoint.ReadFile(path, "mra-run", 2)
		if err != nil {
			if p != nil {
				t.Fatal("payload returned with an error")
			}
			var ke *checkpoint.KindError
			var ve *checkpoint.VersionError
			if !errors.Is(err, checkpoint.ErrCorrupt) && !errors.Is(err, checkpoint.ErrNotCheckpoint) &&
				!errors.As(err, &ke) && !errors.As(err, &ve) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out := filepath.Join(dir, "out")
		writeBytes(t, out, "mra-run", v, p)
		again, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted file re-writes differently\n in %x\nout %x", b, again)
		}
	})
}
