//go:build !amd64 || purego

package mra

import "runtime"

// gemmKernel names the matrix kernels agents/nn uses: the plain Go loops.
// Their bits are pinned on amd64 only (other architectures may fuse
// multiply-adds), "" elsewhere.
func gemmKernel() string {
	if runtime.GOARCH == "amd64" {
		return "go"
	}
	return ""
}
