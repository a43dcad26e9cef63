package meta

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// stochasticTol is how far from 1 the row sums of a transition matrix may be.
const stochasticTol = 1e-9

// StationaryDistribution returns the stationary distribution π of the
// Markov chain with row-stochastic transition matrix c (c[i, j] is the
// probability of moving from state i to state j):
//
//	πᵀc = πᵀ,   Σ_i π_i = 1,   π ≥ 0.
//
// π is unique exactly when the chain has one closed communicating class (a
// set of states it cannot leave). StationaryDistribution finds the classes
// from the positive entries of c (Kosaraju's algorithm), gives the states
// outside the closed class mass 0, and on the class K solves the linear
// system πᵀ(c_K − I) = 0 with one of its (redundant) equations replaced by
// Σ π = 1, by LU decomposition (gonum's mat.LU).
//
// It returns an error wrapping ErrEmpty for an empty c, ErrShape unless c is
// square, ErrNotFinite for a NaN or infinite entry, ErrStrategy if an entry
// is negative or a row does not sum to 1 within 1e-9, ErrNotUnique if there
// are several closed classes, and ErrNumerical if the linear solve fails to
// produce a distribution that c leaves unchanged within 1e-8.
func StationaryDistribution(c *mat.Dense) ([]float64, error) {
	const fn = "meta: StationaryDistribution"
	n, cols, err := checkMatrix(fn+": transition matrix", c)
	if err != nil {
		return nil, err
	}
	if n != cols {
		return nil, fmt.Errorf("%s: transition matrix is %d×%d, want square: %w", fn, n, cols, ErrShape)
	}
	for i := range n {
		sum := 0.0
		for j := range n {
			v := c.At(i, j)
			if v < 0 {
				return nil, fmt.Errorf("%s: transition (%d, %d) has probability %v, want ≥ 0: %w", fn, i, j, v, ErrStrategy)
			}
			sum += v
		}
		if math.Abs(sum-1) > stochasticTol {
			return nil, fmt.Errorf("%s: row %d sums to %v, want 1: %w", fn, i, sum, ErrStrategy)
		}
	}
	return stationary(fn, c)
}

// stationary is StationaryDistribution without the checks of c.
func stationary(fn string, c *mat.Dense) ([]float64, error) {
	n, _ := c.Dims()
	class, err := closedClass(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	k := len(class)
	pi := make([]float64, n)
	if k == 1 {
		pi[class[0]] = 1
		return pi, nil
	}
	// A = c_K − I with its last column replaced by ones; solve Aᵀπ_K = e_k.
	a := mat.NewDense(k, k, nil)
	for i, si := range class {
		for j, sj := range class {
			a.Set(i, j, c.At(si, sj))
		}
		a.Set(i, i, a.At(i, i)-1)
		a.Set(i, k-1, 1)
	}
	var lu mat.LU
	lu.Factorize(a)
	e := mat.NewVecDense(k, nil)
	e.SetVec(k-1, 1)
	var x mat.VecDense
	// A Condition error is only a warning: the residual check below decides.
	if err := lu.SolveVecTo(&x, true, e); err != nil {
		if _, ok := err.(mat.Condition); !ok {
			return nil, fmt.Errorf("%s: linear solve: %v: %w", fn, err, ErrNumerical)
		}
	}
	piK := x.RawVector().Data
	if x.RawVector().Inc != 1 {
		piK = make([]float64, k)
		for i := range piK {
			piK[i] = x.AtVec(i)
		}
	}
	for _, p := range piK {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return nil, fmt.Errorf("%s: linear solve gave %v: %w", fn, p, ErrNumerical)
		}
	}
	normalize(piK)
	// Residual ‖π_Kᵀ c_K − π_Kᵀ‖∞.
	for j, sj := range class {
		v := -piK[j]
		for i, si := range class {
			v += piK[i] * c.At(si, sj)
		}
		if !(math.Abs(v) <= 1e-8) {
			return nil, fmt.Errorf("%s: solution moves by %v under the chain: %w", fn, v, ErrNumerical)
		}
	}
	for i, s := range class {
		pi[s] = piK[i]
	}
	return pi, nil
}

// closedClass returns the states of the only closed communicating class of
// the chain c, in increasing order, or an error wrapping ErrNotUnique if it
// has several. States i and j are linked when c[i, j] > 0.
func closedClass(c *mat.Dense) ([]int, error) {
	n, _ := c.Dims()
	comp := components(n, func(i, j int) bool { return i != j && c.At(i, j) > 0 })
	ncomp := 0
	for _, k := range comp {
		ncomp = max(ncomp, k+1)
	}
	closed := make([]bool, ncomp)
	for i := range closed {
		closed[i] = true
	}
	for i := range n {
		for j := range n {
			if comp[i] != comp[j] && c.At(i, j) > 0 {
				closed[comp[i]] = false
			}
		}
	}
	var found []int
	for k, ok := range closed {
		if ok {
			found = append(found, k)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("chain has %d closed classes, so %d stationary distributions: %w", len(found), len(found), ErrNotUnique)
	}
	var class []int
	for i, k := range comp {
		if k == found[0] {
			class = append(class, i)
		}
	}
	return class, nil
}

// components returns the strongly connected component of each of n nodes of
// the directed graph with edges i→j where edge(i, j), by Kosaraju's
// algorithm with explicit stacks. It takes O(n²) calls of edge.
func components(n int, edge func(i, j int) bool) []int {
	// First pass: order the nodes by DFS finishing time.
	order := make([]int, 0, n)
	seen := make([]bool, n)
	type frame struct{ node, next int }
	var stack []frame
	for root := range n {
		if seen[root] {
			continue
		}
		seen[root] = true
		stack = append(stack[:0], frame{root, 0})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next == n {
				order = append(order, top.node)
				stack = stack[:len(stack)-1]
				continue
			}
			j := top.next
			top.next++
			if !seen[j] && edge(top.node, j) {
				seen[j] = true
				stack = append(stack, frame{j, 0})
			}
		}
	}
	// Second pass: on the reversed graph, in decreasing finishing time.
	comp := make([]int, n)
	for i := range comp {
		comp[i] = -1
	}
	ncomp := 0
	var todo []int
	for i := n - 1; i >= 0; i-- {
		root := order[i]
		if comp[root] >= 0 {
			continue
		}
		comp[root] = ncomp
		todo = append(todo[:0], root)
		for len(todo) > 0 {
			v := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			for u := range n {
				if comp[u] < 0 && edge(u, v) {
					comp[u] = ncomp
					todo = append(todo, u)
				}
			}
		}
		ncomp++
	}
	return comp
}
