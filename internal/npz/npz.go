// Package npz writes numpy's .npz archives: a zip file of .npy arrays, which
// numpy.load reads without any other library. It writes only what mrasim
// exports (little-endian float64, float32, int64, bool and uint8 arrays in
// C order); it does not read.
package npz

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
)

// Writer adds arrays to an .npz archive.
type Writer struct {
	z *zip.Writer
}

// NewWriter starts an archive on w. Close it to finish the archive.
func NewWriter(w io.Writer) *Writer { return &Writer{z: zip.NewWriter(w)} }

// Float64 adds the array name of the given shape. It returns an error
// when len(data) is not the product of shape.
func (w *Writer) Float64(name string, shape []int, data []float64) error {
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return w.add(name, "<f8", shape, len(data), b)
}

// Float32 adds a float32 array.
func (w *Writer) Float32(name string, shape []int, data []float32) error {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return w.add(name, "<f4", shape, len(data), b)
}

// Int64 adds an int64 array.
func (w *Writer) Int64(name string, shape []int, data []int64) error {
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return w.add(name, "<i8", shape, len(data), b)
}

// Bool adds a bool array.
func (w *Writer) Bool(name string, shape []int, data []bool) error {
	b := make([]byte, len(data))
	for i, v := range data {
		if v {
			b[i] = 1
		}
	}
	return w.add(name, "|b1", shape, len(data), b)
}

// Bytes adds a one-dimensional uint8 array, for text such as JSON
// metadata (numpy: bytes(arr).decode()).
func (w *Writer) Bytes(name string, data []byte) error {
	return w.add(name, "|u1", []int{len(data)}, len(data), data)
}

func (w *Writer) add(name, descr string, shape []int, n int, body []byte) error {
	size := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("npz: array %s: negative dimension in shape %v", name, shape)
		}
		size *= d
	}
	if size != n {
		return fmt.Errorf("npz: array %s: %d values for shape %v (%d)", name, n, shape, size)
	}
	f, err := w.z.Create(name + ".npy")
	if err != nil {
		return fmt.Errorf("npz: array %s: %w", name, err)
	}
	if _, err := f.Write(header(descr, shape)); err != nil {
		return fmt.Errorf("npz: array %s: %w", name, err)
	}
	if _, err := f.Write(body); err != nil {
		return fmt.Errorf("npz: array %s: %w", name, err)
	}
	return nil
}

// header returns an NPY version 1.0 header, padded with spaces so that the
// data starts at a multiple of 64 bytes as numpy writes it.
func header(descr string, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	tuple += ")"
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	out := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(out[8:], uint16(len(dict)))
	return append(out, dict...)
}

// Close finishes the archive (it does not close the underlying writer).
func (w *Writer) Close() error { return w.z.Close() }
