package meta_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/mrasim/mrasim/league/meta"
)

// solverTableRuns counts the runs of TestSolverTable in this process.
var solverTableRuns int

// TestSolverTable checks the table: the league's solvers in name order, a
// solver added by RegisterSolver alone appearing in it, and the panics on
// a taken name or a missing function. The table is process-wide and has no
// removal, so each run of the test (go test -count=N) adds a solver of its
// own name and leaves out of the comparison the ones earlier runs added.
func TestSolverTable(t *testing.T) {
	solverTableRuns++
	added := fmt.Sprintf("aa-uniform-%d", solverTableRuns)
	names := func() []string {
		var out []string
		for _, s := range meta.Solvers() {
			if !strings.HasPrefix(s.Name, "aa-uniform-") || s.Name == added {
				out = append(out, s.Name)
			}
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"alpharank", "prd"}) {
		t.Fatalf("Solvers() = %v, want [alpharank prd]", got)
	}
	uniform := func(tables []*mat.Dense) ([][]float64, error) {
		r, c := tables[0].Dims()
		row, col := make([]float64, r), make([]float64, c)
		for i := range row {
			row[i] = 1 / float64(r)
		}
		for j := range col {
			col[j] = 1 / float64(c)
		}
		return [][]float64{row, col}, nil
	}
	meta.RegisterSolver(meta.Solver{Name: added, Title: "uniform", Solve: uniform})
	if got := names(); !slices.Equal(got, []string{added, "alpharank", "prd"}) {
		t.Errorf("after RegisterSolver: %v", got)
	}
	tables := []*mat.Dense{mat.NewDense(2, 2, []float64{1, 0, 0, 1}), mat.NewDense(2, 2, []float64{0, 1, 1, 0})}
	for _, s := range meta.Solvers() {
		sol, err := s.Solve(tables)
		if err != nil || len(sol) != 2 || len(sol[0]) != 2 || len(sol[1]) != 2 {
			t.Errorf("%s: %v, %v; want two distributions over 2 strategies", s.Name, sol, err)
		}
	}
	for _, tc := range []struct {
		name string
		s    meta.Solver
	}{
		{"taken", meta.Solver{Name: "prd", Title: "again", Solve: uniform}},
		{"no function", meta.Solver{Name: "none", Title: "none"}},
		{"no name", meta.Solver{Title: "x", Solve: uniform}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterSolver(%+v) did not panic", tc.s.Name)
				}
			}()
			meta.RegisterSolver(tc.s)
		})
	}
}
