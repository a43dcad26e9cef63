package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/mrasim/mrasim/internal/fsutil"
)

// Limits on a scenario or grid file, checked before it is decoded so that
// no file can make the TOML decoder take long or use much memory: a
// scenario is a few dozen lines, and the limits are far above any real
// one. Each part of a table header opens a table, and so does each part of
// a dotted key but the last; they count towards MaxNesting, since the
// decoder's work for a key grows with the square of its parts, and every
// part counts towards MaxKeys.
const (
	MaxFileSize = 1 << 20 // bytes
	MaxNesting  = 16      // tables, arrays and inline tables inside one another
	MaxValues   = 100_000 // values in arrays and inline tables, all together
	MaxKeys     = 50_000  // parts of keys and table headers, all together (each costs the decoder about five values)
)

// ReadFile reads a scenario or grid file: a regular file of at most
// MaxFileSize bytes. A FIFO, a device or a folder in its place is refused
// (ErrNotRegular) without being read, so it can neither block nor fill
// memory; a larger file is refused before it is read, or after reading
// one byte more than the limit if it grew meanwhile (fsutil.ReadRegular).
func ReadFile(path string) ([]byte, error) {
	src, err := fsutil.ReadRegular(path, MaxFileSize)
	var nr *fsutil.NotRegularError
	switch {
	case errors.As(err, &nr):
		return nil, fmt.Errorf("%s: %w but %s: want a TOML file", path, ErrNotRegular, fileType(nr.Mode))
	case errors.Is(err, fsutil.ErrTooLarge):
		return nil, fmt.Errorf("%s: larger than %d bytes, the limit for a scenario or grid file", path, MaxFileSize)
	}
	return src, err
}

// fileType names what a file that is not a regular one is, for messages.
func fileType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return fmt.Sprintf("of type %v", m.Type())
}

// ErrNotRegular is the error of ReadFile for a path that names no regular
// file, for errors.Is (the same as fsutil.ErrNotRegular).
var ErrNotRegular = fsutil.ErrNotRegular

// checkLimits reports a file above MaxFileSize, nested deeper than
// MaxNesting, with more than MaxValues values in arrays and inline tables
// or more than MaxKeys parts of keys, at the position where a limit is
// crossed (see nestingScan).
func (d *decoder) checkLimits(src string) bool {
	if len(src) > MaxFileSize {
		d.add(&Error{File: d.file, Msg: fmt.Sprintf("%d bytes: a %s may have at most %d", len(src), d.kind(), MaxFileSize)})
		return false
	}
	at, msg := nestingScan(src)
	if at < 0 {
		return true
	}
	line := 1 + strings.Count(src[:at], "\n")
	col := at - strings.LastIndex(src[:at], "\n")
	d.add(&Error{File: d.file, Line: line, Col: col, Msg: msg})
	return false
}

// kind names the document a decoder reads, for messages.
func (d *decoder) kind() string {
	if d.what != "" {
		return d.what
	}
	return "scenario file"
}

// nestingScan reads src as TOML only as far as its structure goes (table
// headers, keys, brackets, braces, strings and comments) and returns the
// byte offset where a limit is crossed and a message saying which, or -1.
// Its depth is the number of tables and arrays that hold the current
// position: the parts of the current table header, one less than the parts
// of a dotted key (its last part names the value), and each open array and
// inline table. Text that is not valid TOML is read on in the same way; the
// decoder refuses it afterwards, no further than the scan went.
func nestingScan(src string) (at int, msg string) {
	// frame is an open array or inline table and the depth inside it.
	type frame struct {
		brace bool
		depth int
	}
	var stack []frame
	header := 0     // parts of the current table header
	depth := 0      // tables and arrays holding the current position
	values := 0     // separators inside arrays and inline tables
	keys := 0       // parts of keys and table headers
	keyNext := true // a key or a table header may start here
	tooManyKeys := fmt.Sprintf("more than %d keys: each part of a dotted key or table header counts as one", MaxKeys)
	tooDeep := func(i int, byKey bool) (int, string) {
		if byKey {
			return i, fmt.Sprintf("tables nested more than %d deep: each part of a table header or dotted key is a table", MaxNesting)
		}
		return i, fmt.Sprintf("arrays and inline tables nested more than %d deep", MaxNesting)
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case ' ', '\t', '\r':
			continue
		case '\n':
			if len(stack) == 0 {
				depth, keyNext = header, true
			}
			continue
		case '#': // a comment runs to the end of the line
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
			continue
		}
		if keyNext {
			keyNext = false
			inTable := len(stack) > 0 && stack[len(stack)-1].brace
			switch {
			case len(stack) == 0 && c == '[': // a table header: [a.b] or [[a.b]]
				j := i + 1
				if j < len(src) && src[j] == '[' {
					j++
				}
				parts, end, over := keyParts(src, j, 1)
				if over >= 0 {
					return tooDeep(over, true)
				}
				if keys += parts; keys > MaxKeys {
					return j, tooManyKeys
				}
				header, depth, i = parts, parts, end
				continue
			case len(stack) == 0 || (inTable && c != '}'):
				base := depth
				if inTable {
					base = stack[len(stack)-1].depth
				}
				parts, end, over := keyParts(src, i, base)
				if over >= 0 {
					return tooDeep(over, true)
				}
				if keys += parts; keys > MaxKeys {
					return i, tooManyKeys
				}
				depth, i = base+parts-1, end
				continue
			}
		}
		switch c {
		case '"', '\'':
			i = skipString(src, i)
		case '[', '{':
			if depth++; depth > MaxNesting {
				return tooDeep(i, false)
			}
			stack = append(stack, frame{brace: c == '{', depth: depth})
			keyNext = c == '{'
		case ']', '}':
			if len(stack) > 0 {
				depth = stack[len(stack)-1].depth - 1
				stack = stack[:len(stack)-1]
			}
		case ',':
			if len(stack) == 0 {
				continue
			}
			if values++; values >= MaxValues {
				return i, fmt.Sprintf("more than %d values in arrays and inline tables", MaxValues)
			}
			top := stack[len(stack)-1]
			depth, keyNext = top.depth, top.brace
		}
	}
	return -1, ""
}

// keyParts reads the key (or table header) starting at src[i], up to the
// '=' (or ']') that ends it, and returns its number of dot-separated parts
// and the offset of its last byte. over is the offset of the part that
// takes base plus the tables the key opens past MaxNesting, or -1.
func keyParts(src string, i, base int) (parts, end, over int) {
	parts = 1
	for j := i; j < len(src); j++ {
		switch src[j] {
		case '"', '\'':
			j = skipString(src, j)
			if j >= len(src) || src[j] == '\n' {
				return parts, j - 1, -1
			}
		case '.':
			if parts++; base+parts-1 > MaxNesting {
				next := j + 1 // the part's first byte
				for next < len(src)-1 && (src[next] == ' ' || src[next] == '\t') {
					next++
				}
				return parts, j, next
			}
		case '=', ']':
			return parts, j, -1
		case '\n', '#', '[', '{', '}', ',':
			// Not a key: leave the byte to the caller.
			return parts, j - 1, -1
		}
	}
	return parts, len(src) - 1, -1
}

// skipString returns the index of the last byte of the string starting at
// src[i] (a quote): basic or literal, single- or multi-line.
func skipString(src string, i int) int {
	q := src[i]
	if i+2 < len(src) && src[i+1] == q && src[i+2] == q {
		delim := `"""` // constant strings: the scan allocates nothing per string
		if q == '\'' {
			delim = "'''"
		}
		end := strings.Index(src[i+3:], delim)
		if end < 0 {
			return len(src) - 1
		}
		if q == '"' { // skip escaped quotes
			for j := i + 3; j < len(src); j++ {
				if src[j] == '\\' {
					j++
				} else if strings.HasPrefix(src[j:], `"""`) {
					return j + 2
				}
			}
			return len(src) - 1
		}
		return i + 3 + end + 2
	}
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if q == '"' {
				j++
			}
		case q, '\n':
			return j
		}
	}
	return len(src) - 1
}
