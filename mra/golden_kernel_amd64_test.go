//go:build amd64 && !purego

package mra

import "golang.org/x/sys/cpu"

// gemmKernel names the matrix kernels agents/nn uses on this machine (its
// detectGemmLevel): results differ in the last bits between them.
func gemmKernel() string {
	switch {
	case cpu.X86.HasAVX512F:
		return "avx512f"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return "avx2+fma"
	}
	return "go"
}
