// Package capi is mrasim's C API: //export functions over package
// bindings/engine, built into a shared library with
//
//	go build -buildmode=c-shared -o python/mrasim/libmrasim.so ./bindings/libmrasim
//
// from which the Python package (python/mrasim) calls them through ctypes.
// It is the only package of the module that uses cgo; the mrasim command
// never imports it.
//
// A program with its own games builds the same library from its own main
// package: blank-import this package, register the games in an init
// function (a c-shared library runs init functions, never main), and build
// that package with -buildmode=c-shared (see examples/customenv/pylib).
//
// Conventions: objects are named by positive 64-bit handles, never by
// pointers. Every function returns a value ≥ 0 on success and a negated
// engine.Code on failure, whose message mrasim_last_error copies out.
// Panics are recovered here, so no error takes the host process down.
// Buffers are the caller's memory (numpy arrays): the library writes into
// them in place and never keeps Go pointers in them.
package capi

/*
#include <stdint.h>
*/
import "C"

import (
	"unsafe"

	"github.com/mrasim/mrasim/bindings/engine"
	"github.com/mrasim/mrasim/env"
)

// APIVersion is the version of the C API's conventions; the Python package
// refuses a library of another version.
const APIVersion = 1

// code returns a guarded call's result as the C API returns it.
func code(c engine.Code) C.int64_t { return -C.int64_t(c) }

// copyOut copies b into the caller's buffer (n bytes at dst, without a
// terminating zero) when it fits, and returns len(b) either way, so that a
// caller can ask for the length first.
func copyOut(b []byte, dst unsafe.Pointer, n C.int64_t) C.int64_t {
	if dst != nil && int(n) >= len(b) {
		copy(unsafe.Slice((*byte)(dst), len(b)), b)
	}
	return C.int64_t(len(b))
}

// guardValue runs f under engine.Guard and returns f's value, or the
// negated error code.
func guardValue(f func() (int64, error)) C.int64_t {
	var v int64
	c := engine.Guard(func() error {
		var err error
		v, err = f()
		return err
	})
	if c != engine.CodeOK {
		return code(c)
	}
	return C.int64_t(v)
}

// mrasim_api_version returns APIVersion.
//
//export mrasim_api_version
func mrasim_api_version() C.int64_t { return APIVersion }

// mrasim_last_error copies the message of the last failure into dst (n
// bytes) and returns its length.
//
//export mrasim_last_error
func mrasim_last_error(dst unsafe.Pointer, n C.int64_t) C.int64_t {
	return copyOut([]byte(engine.LastError()), dst, n)
}

// mrasim_games copies the registered games as JSON into dst and returns
// the length (engine.GamesJSON).
//
//export mrasim_games
func mrasim_games(dst unsafe.Pointer, n C.int64_t) C.int64_t {
	var b []byte
	c := engine.Guard(func() error { b = engine.GamesJSON(); return nil })
	if c != engine.CodeOK {
		return code(c)
	}
	return copyOut(b, dst, n)
}

// mrasim_sub_seed returns env.SubSeed(seed, i).
//
//export mrasim_sub_seed
func mrasim_sub_seed(seed, i C.uint64_t) C.uint64_t {
	return C.uint64_t(env.SubSeed(uint64(seed), uint64(i)))
}

// mrasim_env_new builds a batch of copies of game (parameters a JSON
// object, populations a JSON list of one or one per copy) with layout 0
// (native) or 1 (aligned), and returns its handle.
//
//export mrasim_env_new
func mrasim_env_new(game, params, populations *C.char, copies, layout, autoReset, workers C.int64_t) C.int64_t {
	return guardValue(func() (int64, error) {
		v, err := engine.NewFromText(C.GoString(game), C.GoString(params), C.GoString(populations),
			int(copies), engine.Layout(layout), autoReset != 0, int(workers))
		if err != nil {
			return 0, err
		}
		return engine.NewHandle(v), nil
	})
}

// mrasim_env_info copies the batch's engine.Info as JSON into dst and
// returns the length.
//
//export mrasim_env_info
func mrasim_env_info(h C.int64_t, dst unsafe.Pointer, n C.int64_t) C.int64_t {
	var b []byte
	c := engine.Guard(func() error {
		v, err := engine.Lookup[*engine.Vec](int64(h))
		if err == nil {
			b = v.InfoJSON()
		}
		return err
	})
	if c != engine.CodeOK {
		return code(c)
	}
	return copyOut(b, dst, n)
}

// mrasim_env_bind makes the batch write into (and read actions from) the
// caller's buffers, shaped as its info says; the final buffers may be null
// without automatic resets.
//
//export mrasim_env_bind
func mrasim_env_bind(h C.int64_t, obs, entityMask, actionMask, reward, alive, terminated, truncated, t, reset, finalObs, finalMask, actions unsafe.Pointer) C.int64_t {
	return guardValue(func() (int64, error) {
		v, err := engine.Lookup[*engine.Vec](int64(h))
		if err != nil {
			return 0, err
		}
		return 0, v.BindPointers(engine.Pointers{Obs: obs, EntityMask: entityMask, ActionMask: actionMask, Reward: reward,
			Alive: alive, Terminated: terminated, Truncated: truncated, T: t, Reset: reset, FinalObs: finalObs, FinalMask: finalMask, Actions: actions})
	})
}

// mrasim_env_reset starts episode 0 of every copy from seed.
//
//export mrasim_env_reset
func mrasim_env_reset(h C.int64_t, seed C.uint64_t) C.int64_t {
	return code(engine.Guard(func() error { return engine.Reset(int64(h), uint64(seed)) }))
}

// mrasim_env_reset_copy starts a new episode of copy e from exactly seed.
//
//export mrasim_env_reset_copy
func mrasim_env_reset_copy(h, e C.int64_t, seed C.uint64_t) C.int64_t {
	return code(engine.Guard(func() error { return engine.ResetCopy(int64(h), int(e), uint64(seed)) }))
}

// mrasim_env_step checks the actions and steps every copy.
//
//export mrasim_env_step
func mrasim_env_step(h C.int64_t) C.int64_t {
	return code(engine.Guard(func() error { return engine.Step(int64(h)) }))
}

// mrasim_env_save copies copy e's game state into dst and returns its
// length.
//
//export mrasim_env_save
func mrasim_env_save(h, e C.int64_t, dst unsafe.Pointer, n C.int64_t) C.int64_t {
	var b []byte
	c := engine.Guard(func() error {
		v, err := engine.Lookup[*engine.Vec](int64(h))
		if err == nil {
			b, err = v.Save(int(e))
		}
		return err
	})
	if c != engine.CodeOK {
		return code(c)
	}
	return copyOut(b, dst, n)
}

// mrasim_env_restore puts copy e back into the state of n bytes at src.
//
//export mrasim_env_restore
func mrasim_env_restore(h, e C.int64_t, src unsafe.Pointer, n C.int64_t) C.int64_t {
	return code(engine.Guard(func() error {
		v, err := engine.Lookup[*engine.Vec](int64(h))
		if err != nil {
			return err
		}
		var state []byte
		if src != nil && n > 0 {
			state = unsafe.Slice((*byte)(src), int(n))
		}
		return v.Restore(int(e), state)
	}))
}

// mrasim_env_render_shape returns height<<32 | width of a frame drawn at
// size pixels (0: the default).
//
//export mrasim_env_render_shape
func mrasim_env_render_shape(h, size C.int64_t) C.int64_t {
	return guardValue(func() (int64, error) {
		v, err := engine.Lookup[*engine.Vec](int64(h))
		if err != nil {
			return 0, err
		}
		rows, cols, err := v.RenderShape(int(size))
		return int64(rows)<<32 | int64(cols), err
	})
}

// mrasim_env_render draws copy e as RGB bytes into dst (n bytes).
//
//export mrasim_env_render
func mrasim_env_render(h, e, size C.int64_t, dst unsafe.Pointer, n C.int64_t) C.int64_t {
	return code(engine.Guard(func() error {
		v, err := engine.Lookup[*engine.Vec](int64(h))
		if err != nil {
			return err
		}
		var buf []byte
		if dst != nil {
			buf = unsafe.Slice((*byte)(dst), int(n))
		}
		return v.Render(int(e), int(size), buf)
	}))
}

// mrasim_env_free closes the batch and forgets its handle.
//
//export mrasim_env_free
func mrasim_env_free(h C.int64_t) C.int64_t {
	return code(engine.Guard(func() error { return engine.Close(int64(h)) }))
}

// mrasim_random_new returns the handle of agents.Random seeded with seed.
//
//export mrasim_random_new
func mrasim_random_new(seed C.uint64_t) C.int64_t {
	return guardValue(func() (int64, error) { return engine.NewHandle(engine.NewRandom(uint64(seed))), nil })
}

// mrasim_random_act writes random legal actions of policy r into batch h's
// action buffer.
//
//export mrasim_random_act
func mrasim_random_act(r, h C.int64_t) C.int64_t {
	return code(engine.Guard(func() error { return engine.RandomAct(int64(r), int64(h)) }))
}

// mrasim_random_free forgets policy r.
//
//export mrasim_random_free
func mrasim_random_free(r C.int64_t) C.int64_t {
	return code(engine.Guard(func() error {
		if _, err := engine.Lookup[*engine.Random](int64(r)); err != nil {
			return err
		}
		engine.Free(int64(r))
		return nil
	}))
}
