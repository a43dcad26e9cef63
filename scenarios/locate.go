package scenarios

import (
	"strings"
)

// position is where a key is written in a scenario file.
type position struct{ line, col int }

// locateKeys maps every key path written in src ("train.episodes",
// "game.params.landmarks") to the line and column of its key, for the
// positions of errors found after decoding. It reads table headers and
// "key = value" lines, which is how scenario files are written; keys inside
// inline tables take the position of the key that holds the table.
func locateKeys(src string) map[string]position {
	out := map[string]position{}
	prefix := ""
	depth := 0 // open brackets and braces of a value spanning lines
	for n, line := range strings.Split(src, "\n") {
		code := stripComment(line)
		trim := strings.TrimSpace(code)
		if depth > 0 {
			depth += nesting(trim)
			continue
		}
		switch {
		case trim == "":
			continue
		case strings.HasPrefix(trim, "[[") && strings.HasSuffix(trim, "]]"):
			prefix = normaliseKey(trim[2:len(trim)-2]) + "."
			continue
		case strings.HasPrefix(trim, "[") && strings.HasSuffix(trim, "]"):
			prefix = normaliseKey(trim[1:len(trim)-1]) + "."
			key := strings.TrimSuffix(prefix, ".")
			if _, ok := out[key]; !ok {
				out[key] = position{n + 1, strings.Index(line, "[") + 2}
			}
			continue
		}
		k, v, ok := cutKey(code)
		if !ok {
			continue
		}
		path := prefix + normaliseKey(k)
		col := len(code) - len(strings.TrimLeft(code, " \t")) + 1
		if _, seen := out[path]; !seen {
			out[path] = position{n + 1, col}
		}
		// Parent paths of a dotted key point at it too.
		for p := path; strings.Contains(p, "."); {
			p = p[:strings.LastIndex(p, ".")]
			if _, seen := out[p]; !seen {
				out[p] = position{n + 1, col}
			}
		}
		depth = nesting(strings.TrimSpace(v))
	}
	return out
}

// cutKey splits "key = value" outside quotes.
func cutKey(code string) (key, value string, ok bool) {
	inQuote := byte(0)
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case inQuote != 0:
			if c == inQuote {
				inQuote = 0
			}
		case c == '"' || c == '\'':
			inQuote = c
		case c == '=':
			k := strings.TrimSpace(code[:i])
			if k == "" || strings.ContainsAny(k, "{}[],") {
				return "", "", false
			}
			return k, code[i+1:], true
		case c == '{' || c == '[' || c == ',':
			return "", "", false
		}
	}
	return "", "", false
}

// normaliseKey turns a possibly quoted, possibly spaced dotted key into the
// form toml.Key.String gives for bare keys.
func normaliseKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// nesting counts opening minus closing brackets and braces outside strings.
func nesting(s string) int {
	d := 0
	scanCode(s, func(_ int, c byte) bool {
		switch c {
		case '[', '{':
			d++
		case ']', '}':
			d--
		}
		return true
	})
	return max(d, 0)
}

// stripComment removes a # comment outside strings.
func stripComment(line string) string {
	end := len(line)
	scanCode(line, func(i int, c byte) bool {
		if c == '#' {
			end = i
			return false
		}
		return true
	})
	return line[:end]
}

// scanCode calls fn with every byte of s that stands outside a TOML string
// (basic strings with escapes, or literal strings), in order, until fn
// returns false.
func scanCode(s string, fn func(i int, c byte) bool) {
	inQuote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote != 0:
			if c == '\\' && inQuote == '"' {
				i++
			} else if c == inQuote {
				inQuote = 0
			}
		case c == '"' || c == '\'':
			inQuote = c
		case !fn(i, c):
			return
		}
	}
}
