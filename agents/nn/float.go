package nn

import (
	"unsafe"

	"golang.org/x/exp/constraints"
)

// Float is the element type of the matrix products and of the layers that
// can run in either precision: float64 (the default, and the one gradient
// checks use) or float32 (twice the SIMD width and half the memory traffic,
// for training). It is x/exp's constraints.Float under the name the layers
// and their users have always written.
type Float = constraints.Float

// is32 reports whether T is float32. It is a constant in each
// instantiation.
func is32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}
