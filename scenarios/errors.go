package scenarios

import (
	"fmt"
	"strings"
)

// Error is one problem found in a scenario file: where it is, which key it
// concerns and what is wrong. Line and Col are 1-based and 0 when unknown;
// Key is the full dotted path, such as "train.episodes", or "" for syntax
// errors. Err is the underlying error, if any, so errors.As reaches through
// (for example to an *env.ParamError).
type Error struct {
	File      string
	Line, Col int
	Key       string
	Msg       string
	Err       error
	source    string // the offending source line, for Detail
}

// Error formats the problem as file:line:col: key: message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Detail returns the message followed by the offending source line with a
// caret under the column, when the position is known:
//
//	run.toml:7:12: train.episodes: -5 is out of range: want an integer in [1, 100000000]
//	   7 | episodes = -5
//	     |            ^
func (e *Error) Detail() string {
	if e.Line == 0 || e.source == "" {
		return e.Error()
	}
	col := max(e.Col, 1)
	prefix := fmt.Sprintf("%4d | ", e.Line)
	caret := strings.Repeat(" ", len(prefix)-2) + "| " + strings.Repeat(" ", visualWidth(e.source, col-1)) + "^"
	return e.Error() + "\n" + prefix + strings.ReplaceAll(e.source, "\t", " ") + "\n" + caret
}

// visualWidth counts the runes in the first n bytes of s, so the caret lines
// up under non-ASCII text.
func visualWidth(s string, n int) int {
	if n > len(s) {
		n = len(s)
	}
	return len([]rune(s[:n]))
}

// ErrorList is every problem found in one scenario file, in file order. Load
// reports all of them at once so a user can fix a file in one go.
type ErrorList []*Error

// Error joins the problems, one per line.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}
