package scenarios

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// override is one --set KEY=VALUE of the command line: the dotted key
// path and the value, decoded as TOML.
type override struct {
	text  string // as given, for messages
	path  []string
	value any
}

// parseOverride parses "KEY=VALUE". KEY is a dotted key path such as
// train.episodes or game.params.max_steps; VALUE is a TOML value (5, 0.3,
// true, "text", [3, 6]); a bare word that is no TOML value, such as
// resource, is taken as a string, as the shell has already removed any
// quotes.
func parseOverride(text string) (override, error) {
	key, value, ok := strings.Cut(text, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return override{}, fmt.Errorf("--set %q: want KEY=VALUE, such as train.episodes=960", text)
	}
	path := strings.Split(key, ".")
	for _, p := range path {
		if p == "" {
			return override{}, fmt.Errorf("--set %q: key %q has an empty part: want a dotted key path such as game.params.max_steps", text, key)
		}
	}
	var doc map[string]any
	if _, err := toml.Decode("v = "+value, &doc); err == nil {
		return override{text: text, path: path, value: doc["v"]}, nil
	}
	v := strings.TrimSpace(value)
	if v == "" || strings.ContainsAny(v, "\"'[]{}=\n") {
		return override{}, fmt.Errorf("--set %q: %q is not a TOML value (numbers, true/false, \"strings\", [arrays], {inline tables})", text, value)
	}
	return override{text: text, path: path, value: v}, nil
}

// apply sets o's value in the decoded document raw, creating the tables on
// its path that the file lacks.
func (o override) apply(raw map[string]any) error {
	t := raw
	for i, k := range o.path[:len(o.path)-1] {
		switch v := t[k].(type) {
		case nil:
			n := map[string]any{}
			t[k] = n
			t = n
		case map[string]any:
			t = v
		default:
			return fmt.Errorf("--set %s: %s is %s in the file, not a table", o.text, strings.Join(o.path[:i+1], "."), describe(v))
		}
	}
	t[o.path[len(o.path)-1]] = o.value
	return nil
}

// ParseSet is Parse of the scenario src with the command line's --set
// overrides applied to the decoded file before it is checked: an
// override is checked exactly as the key written in the file would be,
// and an unknown key is an error naming it. It returns the scenario and
// the effective source: src itself without overrides, otherwise the
// overridden document as TOML (the file's comments are not kept), which a
// run folder records as its scenario.
func ParseSet(file string, src []byte, sets []string) (*Scenario, []byte, error) {
	if len(sets) == 0 {
		s, err := Parse(file, src)
		return s, src, err
	}
	var overrides []override
	var errs ErrorList
	for _, text := range sets {
		o, err := parseOverride(text)
		if err != nil {
			errs = append(errs, &Error{File: file, Msg: err.Error(), Err: err})
			continue
		}
		overrides = append(overrides, o)
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	d := &decoder{file: file, lines: strings.Split(string(src), "\n")}
	if !d.checkLimits(string(src)) {
		return nil, nil, d.errs
	}
	var raw map[string]any
	if _, err := toml.Decode(string(src), &raw); err != nil {
		d.syntax(string(src), err)
		return nil, nil, d.errs
	}
	if raw == nil {
		raw = map[string]any{}
	}
	d.pos = locateKeys(string(src))
	d.set = map[string]string{}
	for _, o := range overrides {
		if err := o.apply(raw); err != nil {
			return nil, nil, ErrorList{{File: file, Key: strings.Join(o.path, "."), Msg: err.Error(), Err: err}}
		}
		key := strings.Join(o.path, ".")
		d.set[key] = o.text
		// The file's position of the key no longer holds its value.
		d.pos[key] = position{}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# %s with --set %s\n", file, strings.Join(sets, " --set "))
	if err := toml.NewEncoder(&buf).Encode(raw); err != nil {
		return nil, nil, fmt.Errorf("%s: writing the scenario with its --set overrides: %w", file, err)
	}
	if isGrid(raw) {
		return nil, nil, ErrorList{{File: file, Msg: ErrGrid.Error(), Err: ErrGrid}}
	}
	s := d.scenario(raw)
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			li, lj := d.errs[i].Line, d.errs[j].Line
			return li > 0 && (lj == 0 || li < lj)
		})
		return nil, nil, d.errs
	}
	return s, buf.Bytes(), nil
}

// setBy returns the --set that gave the value at key path or one of its
// tables, or "".
func (d *decoder) setBy(path string) string {
	for k := path; k != ""; {
		if text, ok := d.set[k]; ok {
			return text
		}
		if i := strings.LastIndexAny(k, ".["); i >= 0 {
			k = k[:i]
		} else {
			k = ""
		}
	}
	return ""
}
