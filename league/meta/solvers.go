package meta

import (
	"sort"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// Solver is one entry of the meta-solver table, which the league applies
// to the empirical payoff tables of every two-type population and its
// reports iterate (OpenSpiel's name → meta-strategy-solver table). Adding
// a meta-solver is one file: the function and an init that calls
// RegisterSolver.
type Solver struct {
	// Name is the solver's key in a league's results.json ("metagame"
	// entries) and in Solvers' order: short, lower case, unique.
	Name string
	// Title names what Solve returns in a league's report ("α-Rank mass").
	Title string
	// Solve takes one payoff table per player of a two-player game
	// (tables[p].At(i, j): player p's payoff when player 0 plays i and
	// player 1 plays j) and returns one probability vector per player over
	// its strategies, with default settings. It must be deterministic and
	// must not modify tables.
	Solve func(tables []*mat.Dense) ([][]float64, error)
}

var (
	solversMu sync.RWMutex
	solvers   = map[string]Solver{}
)

// RegisterSolver adds s to the meta-solver table. Solvers register in an
// init of their own file. It panics when s has no name, title or function,
// or its name is taken (programmer errors).
func RegisterSolver(s Solver) {
	solversMu.Lock()
	defer solversMu.Unlock()
	if s.Name == "" || s.Title == "" || s.Solve == nil {
		panic("meta: RegisterSolver needs a name, a title and a function; got name " + s.Name)
	}
	if _, dup := solvers[s.Name]; dup {
		panic("meta: solver " + s.Name + " registered twice")
	}
	solvers[s.Name] = s
}

// Solvers returns the meta-solver table sorted by name, the order in which
// the league runs the solvers and writes their results.
func Solvers() []Solver {
	solversMu.RLock()
	defer solversMu.RUnlock()
	out := make([]Solver, 0, len(solvers))
	for _, s := range solvers {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
