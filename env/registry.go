package env

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/mrasim/mrasim/internal/suggest"
)

// Constructor builds a game from validated parameters at a population whose
// types and counts are already checked against the game's TypeDocs. It
// returns an error for anything else it refuses, saying what is allowed: a
// *ParamError naming the parameter for a rule between parameters (say,
// cost < benefit), any other error for a population it refuses (say, an even
// count where the game needs an odd one).
type Constructor func(p Params, pop Population) (Game, error)

// TypeDoc documents one agent type of a registered game and the counts it
// allows.
type TypeDoc struct {
	Name     string
	Min, Max int // allowed number of agents of this type
	Doc      string
}

// Doc documents a registered game for users: a one-line summary, its agent
// types in agent order, its parameters, and any rule on populations beyond
// the per-type ranges.
type Doc struct {
	Summary    string
	Types      []TypeDoc
	Params     []Param
	Population string // extra population rule in words, e.g. "the number of agents must be odd"
}

// Registration is a game as the registry knows it.
type Registration struct {
	Name string
	Doc  Doc
	New  Constructor
}

var registry = struct {
	sync.RWMutex
	games map[string]Registration
}{games: map[string]Registration{}}

// Register makes a game available by name to scenario files and commands.
// Built-in games register in their package's init; a user's program
// registers its own before running the CLI. Register panics if the name is
// empty or taken, or if the doc has no types or repeats a name: those are
// programming errors.
func Register(name string, newGame Constructor, doc Doc) {
	if name == "" || newGame == nil {
		panic("env: Register needs a name and a constructor")
	}
	if len(doc.Types) == 0 {
		panic("env: game " + name + " documents no agent types")
	}
	seen := map[string]bool{}
	for _, t := range doc.Types {
		if t.Name == "" || seen[t.Name] || t.Min < 0 || t.Max < t.Min {
			panic(fmt.Sprintf("env: game %s: bad type doc %+v", name, t))
		}
		seen[t.Name] = true
	}
	for _, p := range doc.Params {
		badEnum := p.Kind == Enum && (len(p.Values) == 0 || p.Default != math.Trunc(p.Default) || p.Default < 0 || int(p.Default) >= len(p.Values))
		badRange := p.Kind != Bool && p.Kind != Enum && (p.Default < p.Min || p.Default > p.Max)
		if p.Name == "" || seen["param:"+p.Name] || badEnum || badRange || (p.Kind != Enum && p.Values != nil) {
			panic(fmt.Sprintf("env: game %s: bad parameter doc %+v", name, p))
		}
		seen["param:"+p.Name] = true
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.games[name]; dup {
		panic("env: game " + name + " registered twice")
	}
	registry.games[name] = Registration{Name: name, Doc: doc, New: newGame}
}

// Registered returns every registered game, sorted by name.
func Registered() []Registration {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Registration, 0, len(registry.games))
	for _, r := range registry.games {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// UnknownGameError reports a game name that is not registered.
type UnknownGameError struct {
	Name  string
	Known []string
}

// Error names the game, suggests a close registered name and lists them all.
func (e *UnknownGameError) Error() string {
	msg := fmt.Sprintf("unknown game %q", e.Name)
	if s, ok := suggest.Closest(e.Name, e.Known); ok {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg + "; registered games: " + quoteList(e.Known)
}

// Lookup returns the registration of the named game, or an
// *UnknownGameError listing the registered names.
func Lookup(name string) (Registration, error) {
	registry.RLock()
	r, ok := registry.games[name]
	registry.RUnlock()
	if ok {
		return r, nil
	}
	var known []string
	for _, r := range Registered() {
		known = append(known, r.Name)
	}
	return Registration{}, &UnknownGameError{Name: name, Known: known}
}

// Params validates raw parameter values against the game's documented
// parameters and fills defaults. Unknown names and values of the wrong kind
// or out of range give a *ParamError.
func (r Registration) Params(raw map[string]any) (Params, error) {
	return checkParams(r.Name, r.Doc.Params, raw)
}

// PopulationError reports a population a game does not allow.
type PopulationError struct {
	Game       string
	Population string
	Msg        string
	Err        error // the constructor's refusal, when it came from there
}

// Error names the game and population and says why it is refused.
func (e *PopulationError) Error() string {
	msg := e.Msg
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("game %q refuses population %q: %s", e.Game, e.Population, msg)
}

// Unwrap returns the constructor's error, if any.
func (e *PopulationError) Unwrap() error { return e.Err }

// Population puts pop into the game's type order and checks its types and
// counts against the TypeDocs. A single unnamed type (a bare count) is
// given the name of the game's only type. Types the population leaves out
// count as zero.
func (r Registration) Population(pop Population) (Population, error) {
	fail := func(format string, args ...any) (Population, error) {
		return nil, &PopulationError{Game: r.Name, Population: pop.String(), Msg: fmt.Sprintf(format, args...)}
	}
	types := r.Doc.Types
	if len(pop) == 1 && pop[0].Type == "" {
		if len(types) != 1 {
			return fail("a bare count needs a game with one agent type; name the types: %s", r.typeNames())
		}
		pop = Population{{Type: types[0].Name, Count: pop[0].Count}}
	}
	known := map[string]bool{}
	for _, t := range types {
		known[t.Name] = true
	}
	for _, tc := range pop {
		if !known[tc.Type] {
			var names []string
			for _, t := range types {
				names = append(names, t.Name)
			}
			hint := ""
			if s, ok := suggest.Closest(tc.Type, names); ok {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			return fail("unknown agent type %q%s; types: %s", tc.Type, hint, r.typeNames())
		}
	}
	out := make(Population, len(types))
	for k, t := range types {
		n := pop.Count(t.Name)
		if n < t.Min || n > t.Max {
			noun := "agents"
			if n == 1 {
				noun = "agent"
			}
			return fail("%d %s of type %q, allowed %d to %d", n, noun, t.Name, t.Min, t.Max)
		}
		out[k] = TypeCount{Type: t.Name, Count: n}
	}
	if out.Total() == 0 {
		return fail("no agents")
	}
	return out, nil
}

func (r Registration) typeNames() string {
	s := ""
	for i, t := range r.Doc.Types {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s (%d–%d)", t.Name, t.Min, t.Max)
	}
	return s
}

// Make builds the named game from raw parameter values at a population,
// checking everything a user can get wrong: the name, the parameters and the
// population. Errors are *UnknownGameError, *ParamError or *PopulationError:
// a constructor's *ParamError (for a rule that ties several parameters, such
// as cost < benefit) is returned as it is, any other refusal is wrapped in a
// *PopulationError.
func Make(name string, raw map[string]any, pop Population) (Game, error) {
	r, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return r.Make(raw, pop)
}

// Make builds the game; see the function Make.
func (r Registration) Make(raw map[string]any, pop Population) (Game, error) {
	p, err := r.Params(raw)
	if err != nil {
		return nil, err
	}
	pop, err = r.Population(pop)
	if err != nil {
		return nil, err
	}
	g, err := r.New(p, pop)
	var pe *ParamError
	switch {
	case errors.As(err, &pe):
		if pe.Game == "" {
			pe.Game = r.Name
		}
		return nil, pe
	case err != nil:
		return nil, &PopulationError{Game: r.Name, Population: pop.String(), Err: err}
	}
	return g, nil
}
