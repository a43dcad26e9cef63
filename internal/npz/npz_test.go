package npz

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

// TestLayout checks the NPY headers numpy expects: magic, version 1.0,
// a dict padded so the data starts at a multiple of 64, and the values
// after it.
func TestLayout(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	cases := []struct {
		name, dict string
		add        func() error
		body       []byte
	}{
		{"m", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", func() error { return w.Float64("m", []int{1, 2}, []float64{1, -2}) },
			[]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0}},
		{"v", "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", func() error { return w.Bool("v", []int{3}, []bool{true, false, true}) }, []byte{1, 0, 1}},
		{"s", "{'descr': '<i8', 'fortran_order': False, 'shape': (), }", func() error { return w.Int64("s", nil, []int64{-1}) },
			[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, c := range cases {
		if err := c.add(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Float64("bad", []int{2, 2}, []float64{1}); err == nil {
		t.Error("an array of the wrong length was accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		r, err := z.File[i].Open()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		if z.File[i].Name != c.name+".npy" || string(got[:8]) != "\x93NUMPY\x01\x00" {
			t.Fatalf("entry %d: name %q, start %q", i, z.File[i].Name, got[:8])
		}
		hlen := int(got[8]) | int(got[9])<<8
		if (10+hlen)%64 != 0 || !bytes.HasPrefix(got[10:], []byte(c.dict)) || got[10+hlen-1] != '\n' {
			t.Errorf("entry %s: header %q (length %d), want %q padded to 64", c.name, got[10:10+hlen], hlen, c.dict)
		}
		if !bytes.Equal(got[10+hlen:], c.body) {
			t.Errorf("entry %s: data %v, want %v", c.name, got[10+hlen:], c.body)
		}
	}
}
