package env

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/mrasim/mrasim/internal/suggest"
)

// Kind is the type of a game parameter's value.
type Kind int

// The kinds of parameter values. Whole numbers given for a Float parameter
// are accepted; fractions given for an Int parameter are not. An Enum
// parameter takes one of the strings of its Param.Values.
const (
	Float Kind = iota
	Int
	Bool
	Enum
)

// String returns the kind as a scenario file spells its values.
func (k Kind) String() string {
	switch k {
	case Int:
		return "integer"
	case Bool:
		return "boolean"
	case Enum:
		return "string"
	default:
		return "number"
	}
}

// Param documents one parameter of a game: its name as written in scenario
// files, the kind and range of its value, its default and what it means.
// Booleans use Default 0 or 1 and ignore Min and Max. Enums list their
// allowed strings in Values, use Default as an index into it and ignore Min
// and Max.
type Param struct {
	Name     string
	Kind     Kind
	Default  float64
	Min, Max float64
	Values   []string // an Enum's allowed values, in the order Params.Enum numbers them
	Doc      string
}

// Allowed describes the allowed values, for help and error messages.
func (p Param) Allowed() string {
	switch p.Kind {
	case Bool:
		return "true or false"
	case Enum:
		return "one of " + quoteList(p.Values)
	case Int:
		return fmt.Sprintf("an integer in [%s, %s]", formatNum(p.Min), formatNum(p.Max))
	default:
		return fmt.Sprintf("a number in [%s, %s]", formatNum(p.Min), formatNum(p.Max))
	}
}

// DefaultString returns the default as a scenario file would write it.
func (p Param) DefaultString() string {
	switch p.Kind {
	case Bool:
		return strconv.FormatBool(p.Default != 0)
	case Enum:
		return strconv.Quote(p.Values[int(p.Default)])
	}
	return formatNum(p.Default)
}

func formatNum(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Params holds a game's parameter values after validation: every documented
// parameter is present, given or defaulted, and within its range.
type Params struct {
	values map[string]float64
}

// Float returns the value of a Float parameter. It panics if the game did not
// document a parameter of that name, which is a programming error.
func (p Params) Float(name string) float64 {
	v, ok := p.values[name]
	if !ok {
		panic("env: undocumented parameter " + strconv.Quote(name))
	}
	return v
}

// Int returns the value of an Int parameter; see Float.
func (p Params) Int(name string) int { return int(p.Float(name)) }

// Bool returns the value of a Bool parameter; see Float.
func (p Params) Bool(name string) bool { return p.Float(name) != 0 }

// Enum returns the value of an Enum parameter as the index of its string in
// the parameter's Values; see Float.
func (p Params) Enum(name string) int { return p.Int(name) }

// ParamError reports a game parameter that is unknown or has a value that is
// not allowed. Param is the parameter's name as written by the user.
type ParamError struct {
	Game  string
	Param string
	Msg   string
}

// Error describes the parameter and what is wrong with it.
func (e *ParamError) Error() string {
	return fmt.Sprintf("game %q parameter %q: %s", e.Game, e.Param, e.Msg)
}

// checkParams validates raw values, as decoded from TOML (int64, float64,
// bool) or given in Go (int, float64, bool), against the documented
// parameters, and fills defaults.
func checkParams(game string, doc []Param, raw map[string]any) (Params, error) {
	values := make(map[string]float64, len(doc))
	byName := make(map[string]Param, len(doc))
	names := make([]string, 0, len(doc))
	for _, p := range doc {
		values[p.Name] = p.Default
		byName[p.Name] = p
		names = append(names, p.Name)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, ok := byName[k]
		if !ok {
			msg := "unknown parameter"
			if s, ok := suggest.Closest(k, names); ok {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			if len(names) == 0 {
				msg += "; this game takes no parameters"
			} else {
				msg += "; known: " + quoteList(names)
			}
			return Params{}, &ParamError{Game: game, Param: k, Msg: msg}
		}
		v, err := paramValue(p, raw[k])
		if err != nil {
			return Params{}, &ParamError{Game: game, Param: k, Msg: err.Error()}
		}
		values[k] = v
	}
	return Params{values: values}, nil
}

func paramValue(p Param, raw any) (float64, error) {
	if p.Kind == Enum {
		x, ok := raw.(string)
		if !ok {
			return 0, fmt.Errorf("got %v (%T), want %s", raw, raw, p.Allowed())
		}
		for i, v := range p.Values {
			if x == v {
				return float64(i), nil
			}
		}
		msg := fmt.Sprintf("got %q, want %s", x, p.Allowed())
		if s, ok := suggest.Closest(x, p.Values); ok {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return 0, errors.New(msg)
	}
	var v float64
	switch x := raw.(type) {
	case bool:
		if p.Kind != Bool {
			return 0, fmt.Errorf("got %v, want %s", x, p.Allowed())
		}
		if x {
			return 1, nil
		}
		return 0, nil
	case int:
		v = float64(x)
	case int64:
		v = float64(x)
	case float64:
		v = x
	default:
		return 0, fmt.Errorf("got %v (%T), want %s", raw, raw, p.Allowed())
	}
	switch {
	case p.Kind == Bool:
		return 0, fmt.Errorf("got %s, want %s", formatNum(v), p.Allowed())
	case math.IsNaN(v) || v < p.Min || v > p.Max:
		return 0, fmt.Errorf("%s is out of range: want %s", formatNum(v), p.Allowed())
	case p.Kind == Int && v != math.Trunc(v):
		return 0, fmt.Errorf("%s is not a whole number: want %s", formatNum(v), p.Allowed())
	}
	return v, nil
}

func quoteList(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(n)
	}
	return s
}
