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

func TestEloUpdateByHand(t *testing.T) {
	// R_A = 1600, R_B = 1400: E_A = 1/(1 + 10^{−200/400}) = 1/(1 + 1/√10)
	// = √10/(√10 + 1) ≈ 0.7597469. A loses with K = 32: A drops by
	// 32·0.7597469 ≈ 24.3119 and B gains as much.
	r := []float64{1600, 1400}
	if err := meta.EloUpdate(r, meta.Match{A: 0, B: 1, ScoreA: 0}, 32); err != nil {
		t.Fatal(err)
	}
	e := math.Sqrt(10) / (math.Sqrt(10) + 1)
	if math.Abs(meta.EloExpected(1600, 1400)-e) > 1e-15 {
		t.Errorf("EloExpected(1600, 1400) = %v, want %v", meta.EloExpected(1600, 1400), e)
	}
	want := []float64{1600 - 32*e, 1400 + 32*e}
	if !floats.EqualApprox(r, want, 1e-12) || math.Abs(r[0]-1575.68810) > 1e-5 {
		t.Errorf("after the upset: %v, want %v ≈ [1575.6881 1424.3119]", r, want)
	}

	// From 1500 each, a win with K = 32 moves 16 points: E = 1/2.
	got, err := meta.Elo(2, []meta.Match{{A: 0, B: 1, ScoreA: 1}}, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !floats.Equal(got, []float64{1516, 1484}) {
		t.Errorf("one win from 1500: %v, want [1516 1484]", got)
	}
}

func TestEloOneAlwaysWins(t *testing.T) {
	var matches []meta.Match
	prevGap := 0.0
	for n := 1; n <= 50; n++ {
		matches = append(matches, meta.Match{A: 1, B: 0, ScoreA: 1})
		r, err := meta.Elo(2, matches, 16)
		if err != nil {
			t.Fatal(err)
		}
		gap := r[1] - r[0]
		if gap <= prevGap {
			t.Fatalf("after %d wins the gap is %v, was %v", n, gap, prevGap)
		}
		if math.Abs(r[0]+r[1]-3000) > 1e-9 {
			t.Errorf("ratings %v do not sum to 3000", r)
		}
		prevGap = gap
	}
}

func TestEloSymmetric(t *testing.T) {
	// Draws leave everyone at 1500.
	r, err := meta.Elo(3, []meta.Match{{0, 1, 0.5}, {1, 2, 0.5}, {2, 0, 0.5}}, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !floats.Equal(r, []float64{1500, 1500, 1500}) {
		t.Errorf("draws: %v, want all 1500", r)
	}
	// A rock–paper–scissors table (each beats the next) and an all-draw
	// table both fit to equal ratings.
	for _, scores := range []*mat.Dense{
		mat.NewDense(3, 3, []float64{0, 1, 0, 0, 0, 1, 1, 0, 0}),
		mat.NewDense(4, 4, []float64{0, .5, .5, .5, .5, 0, .5, .5, .5, .5, 0, .5, .5, .5, .5, 0}),
	} {
		r, err := meta.EloFit(scores)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range r {
			if math.Abs(x-1500) > 1e-9 {
				t.Errorf("symmetric table fits to %v, want all 1500", r)
				break
			}
		}
	}
}

func TestEloFit(t *testing.T) {
	// Two players, A scores 3/4: 10^{gap/400} = 3, gap = 400·log10 3.
	r, err := meta.EloFit(mat.NewDense(2, 2, []float64{0, 0.75, 0.25, 0}))
	if err != nil {
		t.Fatal(err)
	}
	gap := 400 * math.Log10(3)
	if !floats.EqualApprox(r, []float64{1500 + gap/2, 1500 - gap/2}, 1e-8) {
		t.Errorf("3:1 fit %v, want gap %v around 1500", r, gap)
	}
	// Seatings are pooled: (0.8 + 1 − 0.3)/2 = 0.75 again.
	r2, err := meta.EloFit(mat.NewDense(2, 2, []float64{0, 0.8, 0.3, 0}))
	if err != nil {
		t.Fatal(err)
	}
	if !floats.EqualApprox(r, r2, 1e-8) {
		t.Errorf("pooled seats: %v, want %v", r2, r)
	}

	// A seeded random table: expected scores match actual scores, the mean
	// is 1500, and the fit is deterministic.
	rng := rand.New(rand.NewPCG(4, 4))
	n := 8
	scores := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			if i != j {
				scores.Set(i, j, 0.05+0.9*rng.Float64())
			}
		}
	}
	r, err = meta.EloFit(scores)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(floats.Sum(r)/float64(n)-1500) > 1e-9 {
		t.Errorf("mean rating %v, want 1500", floats.Sum(r)/float64(n))
	}
	for i := range n {
		want, got := 0.0, 0.0
		for j := range n {
			if j != i {
				want += (scores.At(i, j) + 1 - scores.At(j, i)) / 2
				got += meta.EloExpected(r[i], r[j])
			}
		}
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("player %d: expected score %v, actual %v", i, got, want)
		}
	}
	again, err := meta.EloFit(scores)
	if err != nil {
		t.Fatal(err)
	}
	if !floats.Equal(r, again) {
		t.Errorf("EloFit is not deterministic: %v then %v", r, again)
	}
	one, err := meta.EloFit(mat.NewDense(1, 1, []float64{0}))
	if err != nil || !floats.Equal(one, []float64{1500}) {
		t.Errorf("one player: %v, %v", one, err)
	}
}

func TestEloErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		players int
		matches []meta.Match
		k       float64
		want    error
	}{
		{"no players", 0, nil, 32, meta.ErrEmpty},
		{"zero K", 2, nil, 0, meta.ErrConfig},
		{"NaN K", 2, nil, math.NaN(), meta.ErrConfig},
		{"out of range", 2, []meta.Match{{0, 2, 1}}, 32, meta.ErrShape},
		{"negative index", 2, []meta.Match{{-1, 0, 1}}, 32, meta.ErrShape},
		{"self", 2, []meta.Match{{1, 1, 1}}, 32, meta.ErrShape},
		{"NaN score", 2, []meta.Match{{0, 1, math.NaN()}}, 32, meta.ErrNotFinite},
		{"score above 1", 2, []meta.Match{{0, 1, 2}}, 32, meta.ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := meta.Elo(tc.players, tc.matches, tc.k); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	r := []float64{1500, 1500}
	if err := meta.EloUpdate(r, meta.Match{0, 5, 1}, 32); !errors.Is(err, meta.ErrShape) || !floats.Equal(r, []float64{1500, 1500}) {
		t.Errorf("EloUpdate out of range: err = %v, ratings %v", err, r)
	}
	for _, tc := range []struct {
		name   string
		scores *mat.Dense
		want   error
	}{
		{"empty", &mat.Dense{}, meta.ErrEmpty},
		{"not square", mat.NewDense(2, 3, nil), meta.ErrShape},
		{"NaN", mat.NewDense(2, 2, []float64{0, math.NaN(), 0.5, 0}), meta.ErrNotFinite},
		{"above 1", mat.NewDense(2, 2, []float64{0, 1.5, 0.5, 0}), meta.ErrConfig},
		{"one always wins", mat.NewDense(2, 2, []float64{0, 1, 0, 0}), meta.ErrNoFiniteRatings},
		// Players 0 and 1 beat 2 and 3 every time.
		{"two groups", mat.NewDense(4, 4, []float64{
			0, .5, 1, 1,
			.5, 0, 1, 1,
			0, 0, 0, .5,
			0, 0, .5, 0,
		}), meta.ErrNoFiniteRatings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := meta.EloFit(tc.scores)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
}
