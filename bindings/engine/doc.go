// Package engine is the cgo-free logic behind mrasim's C API (package
// bindings/capi) and its Python package: batches of game copies that write
// observations, masks, rewards and flags straight into buffers the caller
// owns (numpy arrays from Python), read their actions from another such
// buffer, reset finished copies automatically, save and restore states,
// draw random legal actions with the same generator as mrasim rollout, and
// render particle worlds into RGB arrays.
//
// Everything a foreign caller can get wrong comes back as an *Error with a
// Code and a message, and panics are recovered at the package boundary
// (Guard), so a mistake never takes the host process down. Stepping
// allocates nothing.
//
// Keeping this logic out of the cgo package lets it be tested, raced and
// benchmarked with the ordinary go tool, and keeps cgo out of everything but
// the thin layer of //export functions.
//
// It is not a server and not a Python binding by itself: it knows nothing of
// C or Python, only of caller-owned memory given as unsafe pointers.
package engine
