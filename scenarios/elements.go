package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen bounds, in bytes, a scenario's or grid's name and a grid's
// algorithm labels: each becomes part of a folder name (a run folder is
// NAME-YYYYMMDD-HHMMSS under out), which a file system holds to 255 bytes,
// and is printed in every line of progress.
const MaxNameLen = 64

// checkName refuses a name that train or sweep could not use as it is as
// part of one folder name: empty or longer than MaxNameLen, with a path
// separator or "..", hidden (starting with '.', which also refuses "."), a
// glob character (run folders are found by matching their names), or a
// character that is not printable (a control character, a newline, an
// invalid byte).
func checkName(name string) error {
	const use = "a name becomes part of a folder name under out; use letters, digits, - and _"
	switch {
	case name == "":
		return fmt.Errorf("empty: %s", use)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%d bytes long: a name may have at most %d (it becomes part of a folder name under out)", len(name), MaxNameLen)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%q has a path separator: %s", name, use)
	case strings.Contains(name, ".."):
		return fmt.Errorf("%q contains \"..\": %s", name, use)
	case name[0] == '.':
		return fmt.Errorf("%q starts with '.', so its run folders would be hidden: %s", name, use)
	case strings.ContainsAny(name, "*?[]"):
		return fmt.Errorf("%q has a glob character (*, ?, [ or ]): %s", name, use)
	}
	for i, r := range name {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return fmt.Errorf("%q has an unprintable character at byte %d: %s", name, i, use)
		}
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
