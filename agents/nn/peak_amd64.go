//go:build amd64 && !purego

package nn

// Register-only FMA loops (peak_amd64.s) for the kernel benchmarks: each
// runs n iterations of 16 independent vector fused multiply-adds, so
// n·16·lanes·2 flops with no memory traffic, the most this core can do.
// Benchmarks divide the products' GFLOP/s by theirs.

//go:noescape
func fmaLoop512s(n int) // ZMM, float32: 512 flops per iteration

//go:noescape
func fmaLoop512d(n int) // ZMM, float64: 256 flops per iteration

//go:noescape
func fmaLoop256s(n int) // YMM, float32: 256 flops per iteration

//go:noescape
func fmaLoop256d(n int) // YMM, float64: 128 flops per iteration

// peakLoop returns the FMA loop of kernel set lvl in float32 (f32) or
// float64 and its flops per iteration, or nil for the Go loops.
func peakLoop(lvl int, f32 bool) (loop func(n int), flopsPerIter float64) {
	switch {
	case lvl == levelAVX512 && f32:
		return fmaLoop512s, 512
	case lvl == levelAVX512:
		return fmaLoop512d, 256
	case lvl == levelAVX2 && f32:
		return fmaLoop256s, 256
	case lvl == levelAVX2:
		return fmaLoop256d, 128
	}
	return nil, 0
}
