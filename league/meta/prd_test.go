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

// negate returns −a.
func negate(a *mat.Dense) *mat.Dense {
	var b mat.Dense
	b.Scale(-1, a)
	return &b
}

// publicGoods3 is the 3-player linear public goods game with endowment 1 and
// multiplier r = 1.6 < 3: strategy 0 keeps, 1 contributes everything, and
// π_i = 1 − c_i + (r/3)·Σ_j c_j. Keeping is strictly dominant.
func publicGoods3(t *testing.T) *meta.NormalForm {
	t.Helper()
	const r = 1.6
	payoffs := make([][]float64, 3)
	for k := range 8 {
		c := [3]float64{float64(k >> 2 & 1), float64(k >> 1 & 1), float64(k & 1)}
		for i := range 3 {
			payoffs[i] = append(payoffs[i], 1-c[i]+r/3*(c[0]+c[1]+c[2]))
		}
	}
	g, err := meta.NewNormalForm([]int{2, 2, 2}, payoffs)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// jordan is Jordan's 3-player matching pennies (OpenSpiel
// matching_pennies_3p.nfg): player 0 wants s₀ = s₁, player 1 wants s₁ = s₂,
// player 2 wants s₂ ≠ s₀, each winning +1 or losing −1. Its unique
// equilibrium has every player mix (1/2, 1/2).
func jordan(t *testing.T) *meta.NormalForm {
	t.Helper()
	sign := func(b bool) float64 {
		if b {
			return 1
		}
		return -1
	}
	payoffs := make([][]float64, 3)
	for k := range 8 {
		s0, s1, s2 := k>>2&1, k>>1&1, k&1
		payoffs[0] = append(payoffs[0], sign(s0 == s1))
		payoffs[1] = append(payoffs[1], sign(s1 == s2))
		payoffs[2] = append(payoffs[2], sign(s2 != s0))
	}
	g, err := meta.NewNormalForm([]int{2, 2, 2}, payoffs)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestProjectedReplicatorDynamics(t *testing.T) {
	third := 1.0 / 3
	pdRow := mat.NewDense(2, 2, []float64{3, 0, 5, 1}) // cooperate, defect
	pdCol := mat.DenseCopyOf(pdRow.T())
	mp := mat.NewDense(2, 2, []float64{1, -1, -1, 1})
	for _, tc := range []struct {
		name     string
		payoffs  []*mat.Dense
		initial  [][]float64
		last     bool
		clip     bool
		want     [][]float64
		tol      float64
		nashConv float64 // upper bound on the result's NashConv
	}{
		{
			name:    "rock-paper-scissors from uniform",
			payoffs: []*mat.Dense{rps(), negate(rps())},
			want:    [][]float64{{third, third, third}, {third, third, third}},
			tol:     1e-12, nashConv: 1e-12,
		},
		{
			// The iterates cycle around the equilibrium; their average
			// approaches it.
			name:    "rock-paper-scissors averaged",
			payoffs: []*mat.Dense{rps(), negate(rps())},
			initial: [][]float64{{0.6, 0.3, 0.1}, {0.2, 0.2, 0.6}},
			want:    [][]float64{{third, third, third}, {third, third, third}},
			tol:     1e-2, nashConv: 5e-2,
		},
		{
			name:    "rock-paper-scissors averaged, OpenSpiel projection",
			payoffs: []*mat.Dense{rps(), negate(rps())},
			initial: [][]float64{{0.6, 0.3, 0.1}, {0.2, 0.2, 0.6}},
			clip:    true,
			want:    [][]float64{{third, third, third}, {third, third, third}},
			tol:     1e-2, nashConv: 5e-2,
		},
		{
			name:    "matching pennies averaged",
			payoffs: []*mat.Dense{mp, negate(mp)},
			initial: [][]float64{{0.9, 0.1}, {0.3, 0.7}},
			want:    [][]float64{{0.5, 0.5}, {0.5, 0.5}},
			tol:     1e-2, nashConv: 2e-2,
		},
		{
			// Defecting is strictly dominant; the last iterate sits at the
			// corner of Δ_γ: defect with probability 1 − γ.
			name:    "prisoner's dilemma, last iterate",
			payoffs: []*mat.Dense{pdRow, pdCol},
			last:    true,
			want:    [][]float64{{1e-6, 1 - 1e-6}, {1e-6, 1 - 1e-6}},
			tol:     1e-12, nashConv: 1e-5,
		},
		{
			// The average includes the transient from the uniform start.
			name:    "prisoner's dilemma, averaged",
			payoffs: []*mat.Dense{pdRow, pdCol},
			want:    [][]float64{{0, 1}, {0, 1}},
			tol:     0.05, nashConv: 0.1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := meta.DefaultPRDConfig()
			cfg.Initial = tc.initial
			cfg.ClipProjection = tc.clip
			if tc.last {
				cfg.AverageLast = 1
			}
			got, err := meta.ProjectedReplicatorDynamics(tc.payoffs, &cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if !floats.EqualApprox(got[i], tc.want[i], tc.tol) {
					t.Errorf("player %d: %v, want %v within %v", i, got[i], tc.want[i], tc.tol)
				}
				if math.Abs(floats.Sum(got[i])-1) > 1e-12 {
					t.Errorf("player %d's strategy sums to %v", i, floats.Sum(got[i]))
				}
			}
			total, gains, err := meta.NashConv(tc.payoffs[0], tc.payoffs[1], got[0], got[1])
			if err != nil {
				t.Fatal(err)
			}
			if gains[0] < 0 || gains[1] < 0 || total > tc.nashConv {
				t.Errorf("NashConv %v (gains %v), want gains ≥ 0 and total ≤ %v", total, gains, tc.nashConv)
			}
		})
	}
}

func TestProjectedReplicatorDynamicsDefaults(t *testing.T) {
	// A nil config is DefaultPRDConfig; on the prisoner's dilemma the result
	// must match an explicit default config bit for bit.
	a := mat.NewDense(2, 2, []float64{3, 0, 5, 1})
	b := mat.DenseCopyOf(a.T())
	cfg := meta.DefaultPRDConfig()
	if cfg.Iterations != 100000 || cfg.Dt != 1e-3 || cfg.Gamma != 1e-6 || cfg.Initial != nil || cfg.AverageLast != 0 || cfg.ClipProjection {
		t.Errorf("DefaultPRDConfig() = %+v, want OpenSpiel's 1e5 iterations, dt 1e-3, gamma 1e-6", cfg)
	}
	x, err := meta.ProjectedReplicatorDynamics([]*mat.Dense{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	y, err := meta.ProjectedReplicatorDynamics([]*mat.Dense{a, b}, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if !floats.Equal(x[i], y[i]) {
			t.Errorf("nil config gives %v, default config %v", x[i], y[i])
		}
	}
}

func TestProjectedReplicatorDynamicsNPlayer(t *testing.T) {
	cfg := meta.DefaultPRDConfig()
	cfg.AverageLast = 1
	got, err := publicGoods3(t).ProjectedReplicatorDynamics(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		if !floats.EqualApprox(s, []float64{1 - 1e-6, 1e-6}, 1e-12) {
			t.Errorf("public goods: player %d plays %v, want to keep with probability 1 − γ", i, s)
		}
	}

	// Jordan's game starts at its equilibrium and stays there.
	g := jordan(t)
	got, err = g.ProjectedReplicatorDynamics(nil)
	if err != nil {
		t.Fatal(err)
	}
	total, gains, err := g.NashConv(got)
	if err != nil {
		t.Fatal(err)
	}
	if total > 1e-12 {
		t.Errorf("Jordan's game: PRD gives %v with NashConv %v (gains %v), want 0", got, total, gains)
	}
}

func TestNormalFormNashConv(t *testing.T) {
	half := []float64{0.5, 0.5}
	g := jordan(t)
	total, gains, err := g.NashConv([][]float64{half, half, half})
	if err != nil {
		t.Fatal(err)
	}
	if total != 0 {
		t.Errorf("Jordan's game at (1/2, 1/2, 1/2): NashConv %v (gains %v), want 0", total, gains)
	}
	// At the pure profile (0, 0, 0) player 2 loses 1 and gains 2 by
	// switching; players 0 and 1 already win.
	total, gains, err = g.NashConv([][]float64{{1, 0}, {1, 0}, {1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if !floats.Equal(gains, []float64{0, 0, 2}) || total != 2 {
		t.Errorf("Jordan's game at (0, 0, 0): NashConv %v, gains %v, want 2 and [0 0 2]", total, gains)
	}

	// The general N-player contraction agrees with the two-player one: a
	// bimatrix game padded with a third player who has a single strategy.
	rng := rand.New(rand.NewPCG(2, 2))
	m, n := 4, 5
	a, b := mat.NewDense(m, n, nil), mat.NewDense(m, n, nil)
	var pa, pb, pc []float64
	for i := range m {
		for j := range n {
			a.Set(i, j, rng.NormFloat64())
			b.Set(i, j, rng.NormFloat64())
			pa = append(pa, a.At(i, j))
			pb = append(pb, b.At(i, j))
			pc = append(pc, rng.NormFloat64())
		}
	}
	padded, err := meta.NewNormalForm([]int{m, n, 1}, [][]float64{pa, pb, pc})
	if err != nil {
		t.Fatal(err)
	}
	row, col := randomStrategy(rng, m), randomStrategy(rng, n)
	want, wantGains, err := meta.NashConv(a, b, row, col)
	if err != nil {
		t.Fatal(err)
	}
	got, gotGains, err := padded.NashConv([][]float64{row, col, {1}})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-12 || !floats.EqualApprox(gotGains[:2], wantGains[:], 1e-12) || gotGains[2] != 0 {
		t.Errorf("padded game: NashConv %v %v, bimatrix %v %v", got, gotGains, want, wantGains)
	}
	for _, g := range wantGains {
		if g < 0 {
			t.Errorf("negative gain %v", g)
		}
	}
}

// randomStrategy returns a random probability vector of length n.
func randomStrategy(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.Float64()
	}
	floats.Scale(1/floats.Sum(s), s)
	return s
}

func TestNormalFormProfiles(t *testing.T) {
	g := publicGoods3(t)
	if g.NumPlayers() != 3 || g.NumStrategies(1) != 2 || g.NumProfiles() != 8 {
		t.Fatalf("publicGoods3: %d players, %d strategies, %d profiles", g.NumPlayers(), g.NumStrategies(1), g.NumProfiles())
	}
	for k := range g.NumProfiles() {
		p := g.Profile(k)
		if g.ProfileIndex(p) != k {
			t.Errorf("ProfileIndex(Profile(%d) = %v) = %d", k, p, g.ProfileIndex(p))
		}
	}
	// Profile (keep, contribute, contribute): player 0 gets 1 + 1.6·2/3.
	if got, want := g.Payoff(0, []int{0, 1, 1}), 1+1.6*2/3; math.Abs(got-want) > 1e-15 {
		t.Errorf("Payoff = %v, want %v", got, want)
	}
}

// TestProjectSimplex checks the exact projection onto Δ_γ against its
// optimality conditions: z is feasible, and y − z is the same λ on every
// coordinate above γ and at most λ on every coordinate at γ.
func TestProjectSimplex(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	cases := [][]float64{{0.2, 0.3, 0.5}, {2, 0, -1}, {-5, -5}, {1e-9, 1 - 1e-9}, {0.5, 0.5, 0.5, 0.5}}
	for range 200 {
		y := make([]float64, 1+rng.IntN(8))
		for i := range y {
			y[i] = rng.NormFloat64()
		}
		cases = append(cases, y)
	}
	for _, y := range cases {
		for _, gamma := range []float64{0, 1e-6, 0.05, 1 / float64(len(y))} {
			z := meta.ProjectSimplex(y, gamma)
			if math.Abs(floats.Sum(z)-1) > 1e-12 {
				t.Fatalf("Proj(%v, γ=%v) = %v sums to %v", y, gamma, z, floats.Sum(z))
			}
			lambda := math.Inf(-1)
			for a := range z {
				if z[a] < gamma-1e-15 {
					t.Fatalf("Proj(%v, γ=%v) = %v has an entry below γ", y, gamma, z)
				}
				if z[a] > gamma+1e-12 {
					lambda = y[a] - z[a]
				}
			}
			for a := range z {
				d := y[a] - z[a]
				switch {
				case z[a] > gamma+1e-12 && math.Abs(d-lambda) > 1e-12:
					t.Fatalf("Proj(%v, γ=%v) = %v: shift %v at %d, others %v", y, gamma, z, d, a, lambda)
				case z[a] <= gamma+1e-12 && !math.IsInf(lambda, -1) && d > lambda+1e-12:
					t.Fatalf("Proj(%v, γ=%v) = %v: coordinate %d at γ should rise", y, gamma, z, a)
				}
			}
		}
	}
}

func TestProjectedReplicatorDynamicsErrors(t *testing.T) {
	a := rps()
	b := negate(a)
	bad := func(f func(*meta.PRDConfig)) *meta.PRDConfig {
		c := meta.DefaultPRDConfig()
		f(&c)
		return &c
	}
	for _, tc := range []struct {
		name    string
		payoffs []*mat.Dense
		cfg     *meta.PRDConfig
		want    error
	}{
		{"one matrix", []*mat.Dense{a}, nil, meta.ErrShape},
		{"three matrices", []*mat.Dense{a, b, a}, nil, meta.ErrShape},
		{"nil matrix", []*mat.Dense{a, nil}, nil, meta.ErrEmpty},
		{"mismatched", []*mat.Dense{a, mat.NewDense(3, 2, nil)}, nil, meta.ErrShape},
		{"NaN", []*mat.Dense{a, mat.NewDense(3, 3, []float64{0, 0, 0, 0, math.NaN(), 0, 0, 0, 0})}, nil, meta.ErrNotFinite},
		{"zero iterations", []*mat.Dense{a, b}, bad(func(c *meta.PRDConfig) { c.Iterations = 0 }), meta.ErrConfig},
		{"negative dt", []*mat.Dense{a, b}, bad(func(c *meta.PRDConfig) { c.Dt = -1 }), meta.ErrConfig},
		{"NaN dt", []*mat.Dense{a, b}, bad(func(c *meta.PRDConfig) { c.Dt = math.NaN() }), meta.ErrConfig},
		{"gamma too big", []*mat.Dense{a, b}, bad(func(c *meta.PRDConfig) { c.Gamma = 0.5 }), meta.ErrConfig},
		{"negative gamma", []*mat.Dense{a, b}, bad(func(c *meta.PRDConfig) { c.Gamma = -1e-6 }), meta.ErrConfig},
		{"window too long", []*mat.Dense{a, b}, bad(func(c *meta.PRDConfig) { c.AverageLast = c.Iterations + 1 }), meta.ErrConfig},
		{"initial wrong players", []*mat.Dense{a, b}, bad(func(c *meta.PRDConfig) { c.Initial = [][]float64{{1, 0, 0}} }), meta.ErrShape},
		{"initial not a distribution", []*mat.Dense{a, b}, bad(func(c *meta.PRDConfig) { c.Initial = [][]float64{{1, 0, 0}, {0.5, 0.6, 0}} }), meta.ErrStrategy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := meta.ProjectedReplicatorDynamics(tc.payoffs, tc.cfg)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNewNormalFormErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		shape   []int
		payoffs [][]float64
		want    error
	}{
		{"one player", []int{2}, [][]float64{{1, 2}}, meta.ErrEmpty},
		{"no strategies", []int{2, 0}, [][]float64{{}, {}}, meta.ErrEmpty},
		{"missing tensor", []int{1, 2}, [][]float64{{1, 2}}, meta.ErrShape},
		{"short tensor", []int{1, 2}, [][]float64{{1, 2}, {1}}, meta.ErrShape},
		{"infinite payoff", []int{1, 2}, [][]float64{{1, 2}, {1, math.Inf(1)}}, meta.ErrNotFinite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := meta.NewNormalForm(tc.shape, tc.payoffs)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	g := jordan(t)
	for _, profile := range [][][]float64{
		{{0.5, 0.5}, {0.5, 0.5}},
		{{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5, 0}},
		{{0.5, 0.5}, {0.5, 0.5}, {1.5, -0.5}},
		{{0.5, 0.5}, {0.5, 0.5}, {math.NaN(), 1}},
	} {
		if _, _, err := g.NashConv(profile); !errors.Is(err, meta.ErrShape) && !errors.Is(err, meta.ErrStrategy) {
			t.Errorf("NashConv(%v): err = %v, want ErrShape or ErrStrategy", profile, err)
		}
	}
}

func TestNashConvErrors(t *testing.T) {
	a := mat.NewDense(2, 2, []float64{1, 0, 0, 1})
	u := []float64{0.5, 0.5}
	for _, tc := range []struct {
		name     string
		a, b     *mat.Dense
		row, col []float64
		want     error
	}{
		{"nil b", a, nil, u, u, meta.ErrEmpty},
		{"mismatched", a, mat.NewDense(2, 3, nil), u, u, meta.ErrShape},
		{"short row", a, a, []float64{1}, u, meta.ErrShape},
		{"negative", a, a, u, []float64{-0.5, 1.5}, meta.ErrStrategy},
		{"sum", a, a, []float64{0.5, 0.6}, u, meta.ErrStrategy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := meta.NashConv(tc.a, tc.b, tc.row, tc.col); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := meta.Exploitability(a, u, []float64{1, 0, 0}); !errors.Is(err, meta.ErrShape) {
		t.Errorf("Exploitability with a 3-strategy column: err = %v, want ErrShape", err)
	}
}
