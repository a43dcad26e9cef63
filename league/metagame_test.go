package league

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestMetaGameJSON pins the meta-game's JSON to the bytes the struct with
// one field per solver wrote before the solver table: "alpharank" and
// "prd" after "payoffs", null for a solver that did not run, "error" last.
func TestMetaGameJSON(t *testing.T) {
	type before struct {
		Label     string        `json:"population"`
		Entries   []string      `json:"entries"`
		Types     []string      `json:"types"`
		Payoffs   [][][]float64 `json:"payoffs"`
		AlphaRank [][]float64   `json:"alpharank"`
		PRD       [][]float64   `json:"prd"`
		Error     string        `json:"error,omitempty"`
	}
	pay := [][][]float64{{{1, 0.5}, {0, 1}}, {{-1, 0.25}, {2, 0}}}
	ar := [][]float64{{0.75, 0.25}, {0.5, 0.5}}
	prd := [][]float64{{0.125, 0.875}, {1e-6, 1 - 1e-6}}
	for _, tc := range []struct {
		name string
		old  before
		now  MetaGame
	}{
		{"solved", before{"a=1,b=1", []string{"x", "y"}, []string{"a", "b"}, pay, ar, prd, ""},
			MetaGame{Label: "a=1,b=1", Entries: []string{"x", "y"}, Types: []string{"a", "b"}, Payoffs: pay, Solutions: map[string][][]float64{"alpharank": ar, "prd": prd}}},
		{"second failed", before{"a=1,b=1", []string{"x", "y"}, []string{"a", "b"}, pay, ar, nil, "meta: no"},
			MetaGame{Label: "a=1,b=1", Entries: []string{"x", "y"}, Types: []string{"a", "b"}, Payoffs: pay, Solutions: map[string][][]float64{"alpharank": ar}, Error: "meta: no"}},
		{"first failed", before{"a=1,b=1", []string{"x", "y"}, []string{"a", "b"}, pay, nil, nil, "meta: no"},
			MetaGame{Label: "a=1,b=1", Entries: []string{"x", "y"}, Types: []string{"a", "b"}, Payoffs: pay, Error: "meta: no"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want, got bytes.Buffer
			for _, enc := range []struct {
				buf *bytes.Buffer
				v   any
			}{{&want, []before{tc.old}}, {&got, []MetaGame{tc.now}}} {
				e := json.NewEncoder(enc.buf)
				e.SetIndent("", "  ")
				if err := e.Encode(enc.v); err != nil {
					t.Fatal(err)
				}
			}
			if got.String() != want.String() {
				t.Errorf("JSON:\n%s\nwant:\n%s", got.String(), want.String())
			}
		})
	}
}
