package nn

// Float is the element type of the matrix products and of the layers that
// can run in either precision: float64 (the default, and the one gradient
// checks use) or float32 (twice the SIMD width and half the memory traffic,
// for training).
type Float interface{ ~float32 | ~float64 }
