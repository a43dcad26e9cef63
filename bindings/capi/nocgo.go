//go:build !cgo

package capi

// Without cgo (CGO_ENABLED=0) the package is empty, so that go build ./...
// and go vet ./... still work; the shared library needs cgo and a C
// compiler.
