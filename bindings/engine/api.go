package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/mrasim/mrasim/env"
)

// ParseParams decodes game parameters given as a JSON object: whole numbers
// become int64 and other numbers float64 (as a scenario file's TOML gives
// them), booleans and strings stay as they are. An empty text means none.
func ParseParams(text string) (map[string]any, error) {
	out := map[string]any{}
	if text == "" {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, errorf(CodeArgument, "mrasim: parameters %q: %v; want a JSON object of names to numbers, booleans or strings", text, err)
	}
	for k, x := range raw {
		switch x := x.(type) {
		case json.Number:
			if i, err := x.Int64(); err == nil {
				out[k] = i
			} else if f, err := x.Float64(); err == nil && !math.IsInf(f, 0) {
				out[k] = f
			} else {
				return nil, errorf(CodeArgument, "mrasim: parameter %s = %s is not a finite number", k, x)
			}
		case bool, string:
			out[k] = x
		default:
			return nil, errorf(CodeArgument, "mrasim: parameter %s = %v (%T): want a number, boolean or string", k, x, x)
		}
	}
	return out, nil
}

// ParsePopulations decodes a JSON list of populations written as mrasim
// writes them ("agents=6", "adversaries=3,good=1", or a bare count such as
// "6" for a game of one type).
func ParsePopulations(text string) ([]env.Population, error) {
	var list []string
	if err := json.Unmarshal([]byte(text), &list); err != nil || len(list) == 0 {
		return nil, errorf(CodeArgument, "mrasim: populations %q: want a non-empty JSON list of strings such as [\"agents=6\"]", text)
	}
	out := make([]env.Population, len(list))
	for i, s := range list {
		p, err := env.ParsePopulation(s)
		if err != nil {
			return nil, errorf(CodeArgument, "mrasim: %v", err)
		}
		out[i] = p
	}
	return out, nil
}

// NewFromText builds a batch from the C API's textual arguments: the game
// name, its parameters as a JSON object and the populations as a JSON list
// (see ParseParams and ParsePopulations).
func NewFromText(game, params, populations string, copies int, layout Layout, autoReset bool, workers int) (*Vec, error) {
	p, err := ParseParams(params)
	if err != nil {
		return nil, err
	}
	pops, err := ParsePopulations(populations)
	if err != nil {
		return nil, err
	}
	return New(Config{Game: game, Params: p, Populations: pops, Copies: copies, Layout: layout, AutoReset: autoReset, Workers: workers})
}

// gameDoc is one registered game as GamesJSON lists it.
type gameDoc struct {
	Name       string        `json:"name"`
	Summary    string        `json:"summary"`
	Types      []env.TypeDoc `json:"types"`
	Params     []paramDoc    `json:"params"`
	Population string        `json:"population,omitempty"`
}

type paramDoc struct {
	Name    string  `json:"name"`
	Allowed string  `json:"allowed"`
	Default float64 `json:"default"`
	Doc     string  `json:"doc"`
}

// GamesJSON lists the registered games (the ones linked into the library,
// a user's own included) with their agent types and parameters.
func GamesJSON() []byte {
	var out []gameDoc
	for _, r := range env.Registered() {
		d := gameDoc{Name: r.Name, Summary: r.Doc.Summary, Types: r.Doc.Types, Population: r.Doc.Population, Params: []paramDoc{}}
		for _, p := range r.Doc.Params {
			d.Params = append(d.Params, paramDoc{Name: p.Name, Allowed: p.Allowed(), Default: p.Default, Doc: p.Doc})
		}
		out = append(out, d)
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(fmt.Sprintf("mrasim: listing games: %v", err))
	}
	return b
}
