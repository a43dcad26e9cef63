package env

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// TypeCount is one agent type of a population and how many agents it has.
type TypeCount struct {
	Type  string
	Count int
}

// Population is the list of agent types of a game with a count each, in the
// order the game declares its types. Agents are numbered type by type: the
// agents of the first type come first.
type Population []TypeCount

// Total returns the number of agents of all types.
func (p Population) Total() int {
	n := 0
	for _, tc := range p {
		n += tc.Count
	}
	return n
}

// Count returns the number of agents of the named type, or 0 when the
// population has no such type.
func (p Population) Count(typ string) int {
	for _, tc := range p {
		if tc.Type == typ {
			return tc.Count
		}
	}
	return 0
}

// String returns the population as "type=count" pairs joined by commas, for
// example "adversaries=3,good=1". It is the label used in logs, metrics and
// reports, and ParsePopulation reads it back.
func (p Population) String() string {
	var b strings.Builder
	for i, tc := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tc.Type)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(tc.Count))
	}
	return b.String()
}

// Equal reports whether p and q list the same types with the same counts in
// the same order.
func (p Population) Equal(q Population) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// ParsePopulation reads a population written as "type=count" pairs separated
// by commas, as Population.String writes it. A bare count such as "6" is
// accepted and stands for a population whose single type is left unnamed
// (Type ""); Registration.Population names it after the game's only type.
func ParsePopulation(s string) (Population, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty population: want type=count pairs such as agents=3, or a bare count")
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return nil, fmt.Errorf("population %q: count must be ≥ 0", s)
		}
		return Population{{Count: n}}, nil
	}
	var p Population
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("population %q: %q is not type=count", s, part)
		}
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("population %q: count of %q must be a whole number ≥ 0, got %q", s, name, strings.TrimSpace(val))
		}
		for _, tc := range p {
			if tc.Type == name {
				return nil, fmt.Errorf("population %q: type %q given twice", s, name)
			}
		}
		p = append(p, TypeCount{Type: name, Count: n})
	}
	return p, nil
}
