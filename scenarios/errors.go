package scenarios

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
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

// Limits on what one problem prints, so that a file with a huge line, key
// or value does not make its error messages huge too.
const (
	detailContext = 40   // characters of the source line shown on either side of the column
	maxKeyText    = 200  // bytes of a key path printed
	maxMsgText    = 1000 // bytes of a message printed
)

// Error formats the problem as file:line:col: key: message. A key or
// message too long to read is cut in its middle, and a key's unprintable
// characters are replaced.
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
		b.WriteString(strings.Map(printable, clip(e.Key, maxKeyText)))
		b.WriteString(": ")
	}
	b.WriteString(clip(e.Msg, maxMsgText))
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
//
// Of a long line it shows detailContext characters on either side of the
// column, with "…" where the line is cut.
func (e *Error) Detail() string {
	if e.Line == 0 || e.source == "" {
		return e.Error()
	}
	shown, before := excerpt(e.source, max(e.Col, 1)-1)
	prefix := fmt.Sprintf("%4d | ", e.Line)
	caret := strings.Repeat(" ", len(prefix)-2) + "| " + strings.Repeat(" ", before) + "^"
	return e.Error() + "\n" + prefix + shown + "\n" + caret
}

// excerpt returns the part of line within detailContext characters of
// byte offset col, made printable (see printable), with "…" where the line
// is cut, and how many characters of it come before col, to place a caret.
func excerpt(line string, col int) (shown string, before int) {
	col = min(col, len(line))
	for col > 0 && col < len(line) && !utf8.RuneStart(line[col]) {
		col--
	}
	start, end := col, col
	for n := 0; n < detailContext && start > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(line[:start])
		start -= size
	}
	for n := 0; n < detailContext && end < len(line); n++ {
		_, size := utf8.DecodeRuneInString(line[end:])
		end += size
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
		before++
	}
	// An invalid byte is one character, U+FFFD, both here and above.
	for i, r := range line[start:end] {
		if start+i < col {
			before++
		}
		b.WriteRune(printable(r))
	}
	if end < len(line) {
		b.WriteString("…")
	}
	return b.String(), before
}

// printable maps a tab to a space and any other character a terminal would
// not print as one character (control characters, invalid bytes) to
// U+FFFD, so that an echoed line can neither move the cursor nor shift the
// caret.
func printable(r rune) rune {
	switch {
	case r == '\t':
		return ' '
	case r == utf8.RuneError || !unicode.IsPrint(r):
		return utf8.RuneError
	}
	return r
}

// clip returns s if it has at most n bytes, and otherwise its first and
// last n/2 bytes (on character boundaries) around a note of what was cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	head, tail := n/2, len(s)-n/2
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return fmt.Sprintf("%s…(%d bytes cut)…%s", s[:head], tail-head, s[tail:])
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
