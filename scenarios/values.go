package scenarios

// The typed readers of a table's keys (integers and numbers in an
// interval, strings from a list, booleans), each reporting a bad value
// with its path and what is allowed; load.go has the tables they read.

import (
	"fmt"
	"math"
	"strings"

	"github.com/mrasim/mrasim/internal/suggest"
)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// describe names a decoded TOML value's type and value for messages.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("string %q", x)
	case int64:
		return fmt.Sprintf("integer %d", x)
	case float64:
		return fmt.Sprintf("float %v", x)
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// interval is an allowed range of numbers; open ends exclude the bound.
type interval struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func closed(lo, hi float64) interval { return interval{lo: lo, hi: hi} }

func (r interval) contains(v float64) bool {
	return !math.IsNaN(v) &&
		(v > r.lo || (!r.loOpen && v == r.lo)) &&
		(v < r.hi || (!r.hiOpen && v == r.hi))
}

func (r interval) String() string {
	l, h := "[", "]"
	if r.loOpen {
		l = "("
	}
	if r.hiOpen {
		h = ")"
	}
	return fmt.Sprintf("%s%v, %v%s", l, r.lo, r.hi, h)
}

// int reads an optional integer key of t into dst, keeping dst's default
// when absent.
func (d *decoder) int(t map[string]any, path, key string, dst *int, r interval) {
	v, ok := t[key]
	if !ok {
		return
	}
	p := join(path, key)
	n, isInt := v.(int64)
	if !isInt {
		d.fail(p, nil, "got %s, want an integer in %v", describe(v), r)
		return
	}
	if !r.contains(float64(n)) {
		d.fail(p, nil, "%d is out of range: want an integer in %v", n, r)
		return
	}
	*dst = int(n)
}

// float reads an optional number key (integers are accepted).
func (d *decoder) float(t map[string]any, path, key string, dst *float64, r interval) {
	v, ok := t[key]
	if !ok {
		return
	}
	p := join(path, key)
	var x float64
	switch n := v.(type) {
	case int64:
		x = float64(n)
	case float64:
		x = n
	default:
		d.fail(p, nil, "got %s, want a number in %v", describe(v), r)
		return
	}
	if !r.contains(x) {
		d.fail(p, nil, "%v is out of range: want a number in %v", x, r)
		return
	}
	*dst = x
}

// str reads an optional string key; when allowed is not empty the value
// must be one of them.
func (d *decoder) str(t map[string]any, path, key string, dst *string, allowed ...string) {
	v, ok := t[key]
	if !ok {
		return
	}
	p := join(path, key)
	s, isStr := v.(string)
	if !isStr {
		d.fail(p, nil, "got %s, want a string", describe(v))
		return
	}
	if len(allowed) > 0 && !contains(allowed, s) {
		hint := ""
		if c, ok := suggest.Closest(s, allowed); ok {
			hint = fmt.Sprintf(" (did you mean %q?)", c)
		}
		d.fail(p, nil, "%q is not allowed%s: want one of %s", s, hint, strings.Join(allowed, ", "))
		return
	}
	*dst = s
}

// bool reads an optional boolean key.
func (d *decoder) bool(t map[string]any, path, key string, dst *bool) {
	v, ok := t[key]
	if !ok {
		return
	}
	b, isBool := v.(bool)
	if !isBool {
		d.fail(join(path, key), nil, "got %s, want true or false", describe(v))
		return
	}
	*dst = b
}
