package scenarios

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// Limits on a scenario file, checked before it is decoded so that no file
// can make the TOML decoder take long or use much memory: a scenario is a
// few dozen lines, and the limits are far above any real one.
const (
	MaxFileSize = 1 << 20 // bytes
	MaxNesting  = 16      // arrays and inline tables inside one another
	MaxValues   = 100_000 // values in arrays and inline tables, all together
)

// ReadFile reads a scenario file: a regular file of at most MaxFileSize
// bytes (a FIFO or a device in its place is refused, not read forever).
func ReadFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer before the check below could refuse it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%v): a scenario is a TOML file", path, st.Mode().Type())
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes, the limit for a scenario file", path, MaxFileSize)
	}
	return src, nil
}

// checkLimits reports a file above MaxFileSize, nested deeper than
// MaxNesting or with more than MaxValues values in arrays and inline
// tables, at the position where a limit is crossed.
func (d *decoder) checkLimits(src string) bool {
	if len(src) > MaxFileSize {
		d.add(&Error{File: d.file, Msg: fmt.Sprintf("%d bytes: a scenario file may have at most %d", len(src), MaxFileSize)})
		return false
	}
	depth, at, values := 0, -1, 0
	msg := ""
	for i := 0; i < len(src) && at < 0; i++ {
		switch c := src[i]; c {
		case '#': // a comment runs to the end of the line
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case '"', '\'':
			i = skipString(src, i)
		case '[', '{':
			if depth++; depth > MaxNesting {
				at, msg = i, fmt.Sprintf("arrays and inline tables nested more than %d deep", MaxNesting)
			}
		case ']', '}':
			depth = max(depth-1, 0)
		case ',':
			if values++; depth > 0 && values >= MaxValues {
				at, msg = i, fmt.Sprintf("more than %d values in arrays and inline tables", MaxValues)
			}
		}
	}
	if at < 0 {
		return true
	}
	line := 1 + strings.Count(src[:at], "\n")
	col := at - strings.LastIndex(src[:at], "\n")
	d.add(&Error{File: d.file, Line: line, Col: col, Msg: msg})
	return false
}

// skipString returns the index of the last byte of the string starting at
// src[i] (a quote): basic or literal, single- or multi-line.
func skipString(src string, i int) int {
	q := src[i]
	if strings.HasPrefix(src[i:], strings.Repeat(string(q), 3)) {
		end := strings.Index(src[i+3:], strings.Repeat(string(q), 3))
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
