package scenarios

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// checkName refuses a scenario name that is not one folder name: a run is
// written to OUT/NAME-…, and a name with a path separator or ".." would put
// it outside OUT.
func checkName(name string) error {
	switch {
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%q has a path separator: a name becomes part of a folder name under out; use letters, digits, - and _", name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("%q contains \"..\": a name becomes part of a folder name under out; use letters, digits, - and _", name)
	case strings.ContainsRune(name, 0):
		return errors.New("contains a NUL byte")
	}
	return nil
}

// elementPos returns the position of an array element named by a path
// such as "train.populations[2]", found by reading the array's text after
// its key; ok is false when path names no element or the array is not
// written as a plain value of a key.
func (d *decoder) elementPos(path string) (position, bool) {
	open := strings.LastIndexByte(path, '[')
	if open < 0 || !strings.HasSuffix(path, "]") {
		return position{}, false
	}
	i, err := strconv.Atoi(path[open+1 : len(path)-1])
	if err != nil || i < 0 {
		return position{}, false
	}
	return d.scanElement(path[:open], i)
}

// scanElement finds the position of element want of the array written as
// the value of key, in one pass over the text from the key on (a file
// reports at most maxErrors problems, so at most that many passes).
func (d *decoder) scanElement(key string, want int) (position, bool) {
	p, ok := d.pos[key]
	if !ok || p.line < 1 || p.line > len(d.lines) {
		return position{}, false
	}
	count := 0
	depth := 0
	started := false
	expect := false // the next non-blank byte at depth 1 starts an element
	for ln := p.line - 1; ln < len(d.lines); ln++ {
		line := d.lines[ln]
		c0 := 0
		if ln == p.line-1 {
			eq := strings.IndexByte(line[min(max(p.col-1, 0), len(line)):], '=')
			if eq < 0 {
				return position{}, false
			}
			c0 = max(p.col-1, 0) + eq + 1
		}
		for c := c0; c < len(line); c++ {
			ch := line[c]
			switch {
			case ch == '#':
				c = len(line)
				continue
			case ch == ' ' || ch == '\t' || ch == '\r':
				continue
			}
			if !started {
				if ch != '[' {
					return position{}, false // not an array literal
				}
				started, depth, expect = true, 1, true
				continue
			}
			if depth == 1 && expect && ch != ']' && ch != ',' {
				if count == want {
					return position{ln + 1, c + 1}, true
				}
				count++
				expect = false
			}
			switch ch {
			case '"', '\'':
				end := skipString(line, c)
				c = end
			case '[', '{':
				depth++
			case ']', '}':
				if depth--; depth == 0 {
					return position{}, false
				}
			case ',':
				if depth == 1 {
					expect = true
				}
			}
		}
	}
	return position{}, false
}
