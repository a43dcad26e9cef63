//go:build !amd64 || purego

package nn

// Without the amd64 assembly kernels every product runs in plain Go.

const levelGo = 0

var gemmLevel = levelGo

func simdMulABt[T Float](c, a, b, bias []T, rows, n, k int, relu bool) bool { return false }

func simdAddATB[T Float](dwt, db, x, dy []T, rows, in, out int) bool { return false }

// gemmLevelName reports the kernel set in use.
func gemmLevelName() string { return "go" }

// gemmLevels lists the kernel sets available (for tests).
func gemmLevels() []int { return []int{levelGo} }

// peakLoop has no FMA loop to offer without the assembly.
func peakLoop(lvl int, f32 bool) (loop func(n int), flopsPerIter float64) { return nil, 0 }
