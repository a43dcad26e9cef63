package league

import (
	"bytes"
	"encoding/json"

	"gonum.org/v1/gonum/mat"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/league/meta"
)

// MetaGame is the solution of one population's line-up tables (two-type
// games) by every meta-solver of the table of package league/meta
// (meta.Solvers): each solver's strategy per type over the entries.
type MetaGame struct {
	Label   string        `json:"population"`
	Entries []string      `json:"entries"`
	Types   []string      `json:"types"`
	Payoffs [][][]float64 `json:"payoffs"` // Payoffs[t][i][j]: type t's return when entry i plays type 0 and j type 1
	// Solutions holds each solver's result by its name (meta.Solver.Name):
	// Solutions[name][t][i] is the weight of entry i for type t. A solver
	// that did not run (an earlier one failed: Error) has none.
	Solutions map[string][][]float64 `json:"-"`
	Error     string                 `json:"error,omitempty"`
}

// MarshalJSON writes the meta-game with one key per solver of the table,
// in the table's order after the payoffs (null for a solver that did not
// run), so that results.json has "alpharank" and "prd" beside "payoffs".
func (mg MetaGame) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	field := func(key string, v any) error {
		if buf.Len() > 0 {
			buf.WriteByte(',')
		} else {
			buf.WriteByte('{')
		}
		k, _ := json.Marshal(key)
		buf.Write(k)
		buf.WriteByte(':')
		data, err := json.Marshal(v)
		buf.Write(data)
		return err
	}
	for _, kv := range []struct {
		k string
		v any
	}{{"population", mg.Label}, {"entries", mg.Entries}, {"types", mg.Types}, {"payoffs", mg.Payoffs}} {
		if err := field(kv.k, kv.v); err != nil {
			return nil, err
		}
	}
	for _, s := range meta.Solvers() {
		if err := field(s.Name, mg.Solutions[s.Name]); err != nil {
			return nil, err
		}
	}
	if mg.Error != "" {
		if err := field("error", mg.Error); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// solveMeta builds the two-type line-up tables of a population and solves
// them with every meta-solver of the table, in its order; the first
// failure ends the solving and is the meta-game's Error.
func solveMeta(spec *env.Spec, entries []Entry, lus []Lineup) MetaGame {
	n := len(entries)
	mg := MetaGame{Label: spec.Population.String(), Types: []string{spec.Types[0].Name, spec.Types[1].Name}, Solutions: map[string][][]float64{}}
	for _, e := range entries {
		mg.Entries = append(mg.Entries, e.Name())
	}
	tables := []*mat.Dense{mat.NewDense(n, n, nil), mat.NewDense(n, n, nil)}
	index := map[string]int{}
	for i, e := range entries {
		index[e.Name()] = i
	}
	for _, lu := range lus {
		i, j := index[lu.Entries[0]], index[lu.Entries[1]]
		tables[0].Set(i, j, lu.Returns[0].Mean)
		tables[1].Set(i, j, lu.Returns[1].Mean)
	}
	for t := range 2 {
		rows := make([][]float64, n)
		for i := range n {
			rows[i] = mat.Row(nil, i, tables[t])
		}
		mg.Payoffs = append(mg.Payoffs, rows)
	}
	for _, s := range meta.Solvers() {
		sol, err := s.Solve(tables)
		if err != nil {
			mg.Error = err.Error()
			return mg
		}
		mg.Solutions[s.Name] = sol
	}
	return mg
}
