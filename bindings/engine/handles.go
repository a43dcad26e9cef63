package engine

import "sync"

// Handles are how a foreign caller names the objects it made: positive
// integers, never pointers, so that no Go pointer is ever kept in C or
// Python memory (cgo's rule).
var handles = struct {
	sync.RWMutex
	next int64
	objs map[int64]any
}{objs: map[int64]any{}}

// NewHandle stores obj and returns its handle, a positive integer never
// reused.
func NewHandle(obj any) int64 {
	handles.Lock()
	defer handles.Unlock()
	handles.next++
	handles.objs[handles.next] = obj
	return handles.next
}

// Lookup returns the object of handle h when it holds a T, or an *Error
// with CodeHandle.
func Lookup[T any](h int64) (T, error) {
	handles.RLock()
	obj, ok := handles.objs[h]
	handles.RUnlock()
	t, isT := obj.(T)
	if !ok || !isT {
		var zero T
		return zero, errorf(CodeHandle, "mrasim: handle %d is not a live %T (freed already, or of another kind)", h, zero)
	}
	return t, nil
}

// Free forgets handle h and returns its object, or nil when h is not live.
func Free(h int64) any {
	handles.Lock()
	defer handles.Unlock()
	obj := handles.objs[h]
	delete(handles.objs, h)
	return obj
}

// Reset resets the batch of handle h (Vec.Reset).
func Reset(h int64, seed uint64) error {
	v, err := Lookup[*Vec](h)
	if err != nil {
		return err
	}
	return v.Reset(seed)
}

// ResetCopy resets copy e of the batch of handle h (Vec.ResetCopy).
func ResetCopy(h int64, e int, seed uint64) error {
	v, err := Lookup[*Vec](h)
	if err != nil {
		return err
	}
	return v.ResetCopy(e, seed)
}

// Step steps the batch of handle h (Vec.Step). It is the C API's inner step
// function, and allocates nothing.
func Step(h int64) error {
	v, err := Lookup[*Vec](h)
	if err != nil {
		return err
	}
	return v.Step()
}

// RandomAct fills the actions of batch h with random policy r's draws
// (Random.Act).
func RandomAct(r, h int64) error {
	p, err := Lookup[*Random](r)
	if err != nil {
		return err
	}
	v, err := Lookup[*Vec](h)
	if err != nil {
		return err
	}
	return p.Act(v)
}

// Close closes and forgets the batch of handle h.
func Close(h int64) error {
	v, err := Lookup[*Vec](h)
	if err != nil {
		return err
	}
	Free(h)
	v.Close()
	return nil
}
