//go:build !amd64 || purego

package nn

// Without the amd64 assembly kernels every product runs in plain Go.

const levelGo = 0

var gemmLevel = levelGo

func simdMulABt(c, a, b, bias []float64, rows, n, k int) bool { return false }

func simdAddATB(dwt, db, x, dy []float64, rows, in, out int) bool { return false }

// gemmLevelName reports the kernel set in use.
func gemmLevelName() string { return "go" }

// gemmLevels lists the kernel sets available (for tests).
func gemmLevels() []int { return []int{levelGo} }
