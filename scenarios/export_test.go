package scenarios

// NewErrorAt returns an Error at line and col whose source line is source,
// for tests of Detail.
func NewErrorAt(file, source string, line, col int, msg string) *Error {
	return &Error{File: file, Line: line, Col: col, Msg: msg, source: source}
}

// NestingScan is nestingScan, for tests of its allocations.
var NestingScan = nestingScan
