//go:build !amd64 || purego

package nn

// Without the amd64 assembly kernels the vector loops run in plain Go.

func simdDotRows[T Float](out, y, x []T, n, d int) bool { return false }

func simdAxpyRows[T Float](out, c, x []T, n, d, items, cstride, xstride int) bool { return false }

func simdScaleRows[T Float](out, c, y []T, n, d int, zeroes bool) bool { return false }

func simdExpShift32(x []float32, shift float32) (float32, bool) { return 0, false }

func simdReLU[T Float](dst, src []T) int { return 0 }

func simdReLUMask[T Float](dx, dy, y []T) int { return 0 }

func simdConvert(dst []float32, src []float64) int { return 0 }
