package engine

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/mrasim/mrasim/env"
)

// Code classifies an error for a foreign caller, which maps it to its own
// exception types (the Python package raises ValueError for CodeArgument,
// KeyError for CodeUnknownGame and so on).
type Code int

// The error codes. The C API returns them negated; 0 means success.
const (
	CodeOK          Code = 0
	CodeArgument    Code = 1 // a bad argument: parameters, population, actions, buffer sizes
	CodeUnknownGame Code = 2 // no game is registered under the name
	CodeState       Code = 3 // a saved state that does not belong to the game
	CodeHandle      Code = 4 // a handle that is not (or no longer) valid
	CodeUnsupported Code = 5 // the game cannot do what was asked (render a matrix game)
	CodeInternal    Code = 6 // a recovered panic: a bug in mrasim or in a registered game
)

// Error is what every operation of the package returns on failure: a code
// and a message naming the value at fault and what is allowed.
type Error struct {
	Code Code
	Msg  string
	Err  error // the underlying error, when there is one
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// classify turns any error into an *Error, choosing the code from the
// error's type.
func classify(err error) *Error {
	var e *Error
	var unknown *env.UnknownGameError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &unknown):
		return &Error{Code: CodeUnknownGame, Msg: err.Error(), Err: err}
	case errors.Is(err, env.ErrState):
		return &Error{Code: CodeState, Msg: err.Error(), Err: err}
	default:
		return &Error{Code: CodeArgument, Msg: err.Error(), Err: err}
	}
}

// lastError is the message of the most recent failure, for callers that
// receive only the code (the C API).
var lastError struct {
	sync.Mutex
	msg string
}

// LastError returns the message of the most recent error reported through
// Guard.
func LastError() string {
	lastError.Lock()
	defer lastError.Unlock()
	return lastError.msg
}

func setLastError(msg string) {
	lastError.Lock()
	lastError.msg = msg
	lastError.Unlock()
}

// Guard runs f and returns its result as a code for a foreign caller:
// CodeOK, the code of the error f returned, or CodeInternal when f panicked
// (the panic value and stack become the message). The message of a failure
// is kept for LastError.
func Guard(f func() error) (code Code) {
	defer func() {
		if r := recover(); r != nil {
			setLastError(fmt.Sprintf("mrasim: internal error (please report): %v\n%s", r, debug.Stack()))
			code = CodeInternal
		}
	}()
	if err := f(); err != nil {
		e := classify(err)
		setLastError(e.Msg)
		return e.Code
	}
	return CodeOK
}
