package meta_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/mrasim/mrasim/league/meta"
)

// rps is rock–paper–scissors from the row player's side.
func rps() *mat.Dense {
	return mat.NewDense(3, 3, []float64{
		0, -1, 1,
		1, 0, -1,
		-1, 1, 0,
	})
}

func TestZeroSumNash(t *testing.T) {
	third := 1.0 / 3
	for _, tc := range []struct {
		name     string
		a        *mat.Dense
		row, col []float64 // nil: not unique, only checked through the gains
		value    float64
		tol      float64
	}{
		{
			name: "rock-paper-scissors",
			a:    rps(),
			row:  []float64{third, third, third}, col: []float64{third, third, third},
			value: 0, tol: 1e-9,
		},
		{
			// Row player mixes p on row 0 so that both columns pay the same:
			// 2p − (1−p) = −p + (1−p)  ⇒  3p − 1 = 1 − 2p  ⇒  p = 2/5.
			// Column player mixes q on column 0 likewise: 3q − 1 = 1 − 2q ⇒ q = 2/5.
			// Value 3·(2/5) − 1 = 1/5.
			name: "2x2 mixed",
			a:    mat.NewDense(2, 2, []float64{2, -1, -1, 1}),
			row:  []float64{0.4, 0.6}, col: []float64{0.4, 0.6},
			value: 0.2, tol: 1e-9,
		},
		{
			// Row minima 2, 0, 1: maximin 2 at row 0; column maxima 4, 2, 6:
			// minimax 2 at column 1. A strict saddle point, so the unique
			// equilibrium is pure (row 0, column 1) with value 2.
			name: "saddle point",
			a:    mat.NewDense(3, 3, []float64{4, 2, 5, 1, 0, 3, 3, 1, 6}),
			row:  []float64{1, 0, 0}, col: []float64{0, 1, 0},
			value: 2, tol: 1e-9,
		},
		{
			// Derived in TestZeroSumNashNonSquareDerivation: p = q = 3/7 on the
			// first row and column, value 5/7.
			name: "2x4 non-square",
			a:    mat.NewDense(2, 4, []float64{3, -1, 4, 2, -1, 2, 1, 3}),
			row:  []float64{3.0 / 7, 4.0 / 7}, col: []float64{3.0 / 7, 4.0 / 7, 0, 0},
			value: 5.0 / 7, tol: 1e-9,
		},
		{
			name:  "constant",
			a:     mat.NewDense(2, 3, []float64{7, 7, 7, 7, 7, 7}),
			row:   []float64{0.5, 0.5},
			col:   []float64{third, third, third},
			value: 7, tol: 0,
		},
		{
			name: "1x1", a: mat.NewDense(1, 1, []float64{-3}),
			row: []float64{1}, col: []float64{1}, value: -3, tol: 0,
		},
		{
			// Duplicated rows and columns: many equilibria, value 0.
			name:  "matching pennies with copies",
			a:     mat.NewDense(3, 3, []float64{1, -1, -1, -1, 1, 1, -1, 1, 1}),
			value: 0, tol: 1e-9,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row, col, value, err := meta.ZeroSumNash(tc.a)
			if err != nil {
				t.Fatal(err)
			}
			if tc.row != nil && !floats.EqualApprox(row, tc.row, tc.tol) {
				t.Errorf("row = %v, want %v", row, tc.row)
			}
			if tc.col != nil && !floats.EqualApprox(col, tc.col, tc.tol) {
				t.Errorf("col = %v, want %v", col, tc.col)
			}
			if math.Abs(value-tc.value) > tc.tol {
				t.Errorf("value = %v, want %v", value, tc.value)
			}
			checkZeroSumEquilibrium(t, tc.a, row, col, 1e-9)
		})
	}
}

// TestZeroSumNashNonSquareDerivation derives the 2×4 case above by hand.
// With p = P(row 0), the columns pay the row player
//
//	c0: 3p − (1−p) = 4p − 1     c1: −p + 2(1−p) = 2 − 3p
//	c2: 4p + (1−p) = 3p + 1     c3: 2p + 3(1−p) = 3 − p
//
// The lower envelope min(c0, c1, c2, c3) is highest where c0 = c1, at
// p = 3/7 with value 5/7; there c2 = 16/7 and c3 = 18/7 are larger, so the
// column player mixes columns 0 and 1 only, with q on column 0 making the
// rows equal: 3q − (1−q) = −q + 2(1−q) ⇒ 4q − 1 = 2 − 3q ⇒ q = 3/7.
func TestZeroSumNashNonSquareDerivation(t *testing.T) {
	a := mat.NewDense(2, 4, []float64{3, -1, 4, 2, -1, 2, 1, 3})
	p := 3.0 / 7
	for j, want := range []float64{4*p - 1, 2 - 3*p, 3*p + 1, 3 - p} {
		got := p*a.At(0, j) + (1-p)*a.At(1, j)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("column %d pays %v at p = 3/7, derivation says %v", j, got, want)
		}
	}
	if math.Abs(4*p-1-5.0/7) > 1e-12 {
		t.Errorf("value at p = 3/7 is %v, want 5/7", 4*p-1)
	}
}

// TestZeroSumNashZoo solves seeded random games of many shapes, including
// integer-valued ones with ties, and checks that neither side can gain.
func TestZeroSumNashZoo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, shape := range [][2]int{{1, 5}, {5, 1}, {2, 2}, {2, 7}, {7, 2}, {4, 4}, {6, 9}, {10, 10}, {15, 8}, {25, 30}} {
		for trial := range 5 {
			m, n := shape[0], shape[1]
			a := mat.NewDense(m, n, nil)
			for i := range m {
				for j := range n {
					if trial%2 == 0 {
						a.Set(i, j, rng.NormFloat64()*10)
					} else {
						a.Set(i, j, float64(rng.IntN(5)-2)) // many ties
					}
				}
			}
			row, col, _, err := meta.ZeroSumNash(a)
			if err != nil {
				t.Fatalf("%d×%d trial %d: %v", m, n, trial, err)
			}
			checkZeroSumEquilibrium(t, a, row, col, 1e-9*math.Max(1, mat.Norm(a, math.Inf(1))))
		}
	}
}

// checkZeroSumEquilibrium checks that row and col are probability vectors,
// that each side's best-response gain is in [0, tol], and that the value
// lies between the two sides' guarantees.
func checkZeroSumEquilibrium(t *testing.T, a *mat.Dense, row, col []float64, tol float64) {
	t.Helper()
	for _, s := range [][]float64{row, col} {
		for _, p := range s {
			if p < 0 {
				t.Errorf("negative probability in %v", s)
			}
		}
		if math.Abs(floats.Sum(s)-1) > 1e-12 {
			t.Errorf("%v sums to %v", s, floats.Sum(s))
		}
	}
	neg := mat.DenseCopyOf(a)
	neg.Scale(-1, a)
	total, gains, err := meta.NashConv(a, neg, row, col)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range gains {
		if g < 0 || g > tol {
			t.Errorf("player %d gains %v by deviating, want in [0, %v]", i, g, tol)
		}
	}
	e, err := meta.Exploitability(a, row, col)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(e-total/2) > 1e-15 {
		t.Errorf("Exploitability = %v, want NashConv/2 = %v", e, total/2)
	}
}

func TestZeroSumNashErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    *mat.Dense
		want error
	}{
		{"nil", nil, meta.ErrEmpty},
		{"empty", &mat.Dense{}, meta.ErrEmpty},
		{"NaN", mat.NewDense(2, 2, []float64{1, math.NaN(), 0, 1}), meta.ErrNotFinite},
		{"Inf", mat.NewDense(1, 2, []float64{1, math.Inf(-1)}), meta.ErrNotFinite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := meta.ZeroSumNash(tc.a)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
