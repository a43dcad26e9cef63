package matrix_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/envtest"
	"github.com/mrasim/mrasim/env/matrix"
)

// game is what the tests need of a matrix game.
type game interface {
	env.Game
	env.MixedPayoffs
}

func build(t testing.TB, name string, raw map[string]any, n int) game {
	t.Helper()
	g, err := env.Make(name, raw, env.Population{{Count: n}})
	if err != nil {
		t.Fatalf("%s at n = %d: %v", name, n, err)
	}
	mg, ok := g.(game)
	if !ok {
		t.Fatalf("%s does not implement env.MixedPayoffs", name)
	}
	return mg
}

func TestConformance(t *testing.T) {
	for _, c := range []struct {
		name string
		ns   []int
	}{
		{matrix.PublicGoodsName, []int{2, 5, 64}},
		{matrix.VolunteerName, []int{2, 5, 64}},
		{matrix.ElFarolName, []int{2, 5, 64}},
		{matrix.MinorityName, []int{3, 5, 65}},
	} {
		for _, n := range c.ns {
			t.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(t *testing.T) {
				envtest.Check(t, func() (env.Game, error) {
					return env.Make(c.name, nil, env.Population{{Count: n}})
				})
			})
		}
	}
}

// equilibrium and deviation give, for a game at n players, a profile and its
// NashConv worked out by hand.
type profileCase struct {
	name    string
	game    string
	raw     map[string]any
	ns      []int
	profile func(n int) [][]float64
	want    func(n int) float64
}

var (
	evenNs = []int{2, 3, 5, 8, 16, 64}
	oddNs  = []int{3, 5, 9, 17, 65}
)

func pure(n, na, a int) [][]float64 {
	s := make([]float64, na)
	s[a] = 1
	return matrix.SymmetricProfile(n, s)
}

func zero(int) float64 { return 0 }

var profileCases = []profileCase{
	{
		name: "nobody contributes", game: matrix.PublicGoodsName, ns: evenNs,
		profile: func(n int) [][]float64 { return pure(n, 2, 0) }, want: zero,
	},
	{
		name: "nobody contributes, 5 levels", game: matrix.PublicGoodsName, ns: evenNs,
		raw:     map[string]any{"levels": 5, "endowment": 2.0, "multiplier": 1.3},
		profile: func(n int) [][]float64 { return pure(n, 5, 0) }, want: zero,
	},
	{
		name: "everybody contributes e, r > n", game: matrix.PublicGoodsName, ns: []int{2, 3, 5},
		raw:     map[string]any{"multiplier": 7.5},
		profile: func(n int) [][]float64 { return pure(n, 2, 1) }, want: zero,
	},
	{
		// Each player saves e(1 − r/n) by keeping its endowment.
		name: "everybody contributes e, r < n", game: matrix.PublicGoodsName, ns: evenNs,
		profile: func(n int) [][]float64 { return pure(n, 2, 1) },
		want:    func(n int) float64 { return float64(n) * 1 * (1 - 1.6/float64(n)) },
	},
	{
		name: "everybody contributes 2e/4, r < n", game: matrix.PublicGoodsName, ns: evenNs,
		raw:     map[string]any{"levels": 5, "endowment": 2.0, "multiplier": 1.3},
		profile: func(n int) [][]float64 { return pure(n, 5, 2) },
		want:    func(n int) float64 { return float64(n) * 1 * (1 - 1.3/float64(n)) },
	},
	{
		name: "symmetric mixed equilibrium", game: matrix.VolunteerName, ns: evenNs,
		profile: func(n int) [][]float64 { return matrix.BinaryProfile(n, matrix.VolunteerEquilibrium(n, 1, 0.5)) },
		want:    zero,
	},
	{
		name: "symmetric mixed equilibrium, c/b = 0.1", game: matrix.VolunteerName, ns: evenNs,
		raw:     map[string]any{"benefit": 3.0, "cost": 0.3},
		profile: func(n int) [][]float64 { return matrix.BinaryProfile(n, matrix.VolunteerEquilibrium(n, 3, 0.3)) },
		want:    zero,
	},
	{
		name: "exactly one volunteer", game: matrix.VolunteerName, ns: evenNs,
		profile: func(n int) [][]float64 { p := pure(n, 2, 0); p[n-1] = []float64{0, 1}; return p },
		want:    zero,
	},
	{
		// Each volunteer saves c by ignoring.
		name: "everybody volunteers", game: matrix.VolunteerName, ns: evenNs,
		profile: func(n int) [][]float64 { return pure(n, 2, 1) },
		want:    func(n int) float64 { return float64(n) * 0.5 },
	},
	{
		// Each player gains b by volunteering.
		name: "nobody volunteers", game: matrix.VolunteerName, ns: evenNs,
		profile: func(n int) [][]float64 { return pure(n, 2, 0) },
		want:    func(n int) float64 { return float64(n) * (1 - 0.5) },
	},
	{
		name: "symmetric mixed equilibrium", game: matrix.ElFarolName, ns: evenNs,
		profile: func(n int) [][]float64 {
			return matrix.BinaryProfile(n, matrix.ElFarolEquilibrium(n, matrix.ElFarolCapacity(n, 0.6), 1, -1))
		},
		want: zero,
	},
	{
		name: "symmetric mixed equilibrium, C = 1, g = 2, b = −0.5", game: matrix.ElFarolName, ns: evenNs,
		raw:     map[string]any{"capacity": 1, "good": 2.0, "bad": -0.5},
		profile: func(n int) [][]float64 { return matrix.BinaryProfile(n, matrix.ElFarolEquilibrium(n, 1, 2, -0.5)) },
		want:    zero,
	},
	{
		name: "exactly C attend", game: matrix.ElFarolName, ns: evenNs,
		profile: func(n int) [][]float64 {
			p := pure(n, 2, 0)
			for i := range matrix.ElFarolCapacity(n, 0.6) {
				p[i] = []float64{0, 1}
			}
			return p
		},
		want: zero,
	},
	{
		// Each attendee gets b < 0 and would get 0 at home.
		name: "everybody attends", game: matrix.ElFarolName, ns: evenNs,
		profile: func(n int) [][]float64 { return pure(n, 2, 1) },
		want:    func(n int) float64 { return -float64(n) * -1 },
	},
	{
		name: "symmetric mixed equilibrium", game: matrix.MinorityName, ns: oddNs,
		profile: func(n int) [][]float64 { return matrix.BinaryProfile(n, matrix.MinorityEquilibrium(n)) },
		want:    zero,
	},
	{
		name: "split (n−1)/2 against (n+1)/2", game: matrix.MinorityName, ns: oddNs,
		profile: func(n int) [][]float64 {
			p := pure(n, 2, 0)
			for i := range n / 2 {
				p[i] = []float64{0, 1}
			}
			return p
		},
		want: zero,
	},
	{
		// Each player would be alone, hence in the minority, on side 1.
		name: "everybody on side 0", game: matrix.MinorityName, ns: oddNs,
		profile: func(n int) [][]float64 { return pure(n, 2, 0) },
		want:    func(n int) float64 { return float64(n) },
	},
}

func TestNashConv(t *testing.T) {
	for _, c := range profileCases {
		for _, n := range c.ns {
			t.Run(fmt.Sprintf("%s/%s/n=%d", c.game, c.name, n), func(t *testing.T) {
				g := build(t, c.game, c.raw, n)
				total, imp := matrix.NashConv(g, g.Spec(), c.profile(n))
				if want := c.want(n); math.Abs(total-want) > 1e-9 {
					t.Errorf("NashConv = %.15g, want %.15g", total, want)
				}
				sum := 0.0
				for i, d := range imp {
					if d < -1e-12 {
						t.Errorf("improvement of player %d is %g < 0", i, d)
					}
					sum += d
				}
				if len(imp) != n || math.Abs(sum-total) > 1e-12 {
					t.Errorf("%d improvements sum to %v, total %v", len(imp), sum, total)
				}
			})
		}
	}
}

// TestNashConvNotEquilibrium checks that NashConv does see a gain when the
// mixture is off the equilibrium, so that the zero results above mean
// something.
func TestNashConvNotEquilibrium(t *testing.T) {
	for _, c := range []struct {
		game string
		n    int
		p    float64
	}{
		{matrix.VolunteerName, 5, matrix.VolunteerEquilibrium(5, 1, 0.5) + 0.01},
		{matrix.ElFarolName, 10, matrix.ElFarolEquilibrium(10, 6, 1, -1) - 0.01},
		{matrix.MinorityName, 9, 0.51},
	} {
		g := build(t, c.game, nil, c.n)
		if total, _ := matrix.NashConv(g, g.Spec(), matrix.BinaryProfile(c.n, c.p)); !(total > 1e-5) {
			t.Errorf("%s n = %d p = %v: NashConv = %g, want clearly positive", c.game, c.n, c.p, total)
		}
	}
}

func TestNashConvRefusesBadProfiles(t *testing.T) {
	g := build(t, matrix.VolunteerName, nil, 3)
	for _, c := range []struct {
		name    string
		profile [][]float64
		msg     string
	}{
		{"too few", matrix.BinaryProfile(2, 0.5), "2 strategies for 3 agents"},
		{"too short", [][]float64{{1}, {0, 1}, {0, 1}}, "1 probabilities for 2 actions"},
		{"negative", [][]float64{{1.5, -0.5}, {0, 1}, {0, 1}}, "probability -0.5"},
		{"NaN", [][]float64{{math.NaN(), 1}, {0, 1}, {0, 1}}, "probability NaN"},
		{"sum", [][]float64{{0.5, 0.6}, {0, 1}, {0, 1}}, "sums to 1.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, c.msg) {
					t.Errorf("panic %v, want one containing %q", r, c.msg)
				}
			}()
			matrix.NashConv(g, g.Spec(), c.profile)
		})
	}
}

// TestAnchorNumbers checks the equilibria against the numbers of anchors.md
// §D4, which are rounded to four decimals.
func TestAnchorNumbers(t *testing.T) {
	for _, c := range []struct {
		n    int
		want float64
	}{{2, 0.5}, {3, 0.2929}, {4, 0.2063}, {5, 0.1591}, {10, 0.0741}, {20, 0.0358}} {
		if got := matrix.VolunteerEquilibrium(c.n, 1, 0.5); math.Abs(got-c.want) > 0.5e-4 {
			t.Errorf("VolunteerEquilibrium(%d, 1, 0.5) = %.6f, want %.4f", c.n, got, c.want)
		}
	}
	for _, c := range []struct {
		n, C int
		want float64
	}{{3, 2, 0.7071}, {5, 3, 0.6143}, {10, 6, 0.6069}, {100, 60, 0.6007}} {
		if got := matrix.ElFarolEquilibrium(c.n, c.C, 1, -1); math.Abs(got-c.want) > 0.5e-4 {
			t.Errorf("ElFarolEquilibrium(%d, %d, 1, −1) = %.6f, want %.4f", c.n, c.C, got, c.want)
		}
	}
	// n = 3, C = 2: 1 − p² = 1/2 exactly.
	if got, want := matrix.ElFarolEquilibrium(3, 2, 1, -1), 1/math.Sqrt2; math.Abs(got-want) > 1e-14 {
		t.Errorf("ElFarolEquilibrium(3, 2, 1, −1) = %.17g, want 1/√2 = %.17g", got, want)
	}
	if got := matrix.VolunteerNobodyProbability(2, 1, 0.5); math.Abs(got-0.25) > 1e-15 {
		t.Errorf("P(nobody volunteers) at n = 2 is %v, want 0.25", got)
	}
	if got := matrix.VolunteerNobodyProbability(20, 1, 0.5); math.Abs(got-0.482) > 0.5e-3 {
		t.Errorf("P(nobody volunteers) at n = 20 is %v, want 0.482", got)
	}
}

// TestVolunteerNobodyRises checks that in the symmetric equilibrium the
// probability that nobody volunteers rises with n, computing it from p*.
func TestVolunteerNobodyRises(t *testing.T) {
	prev := 0.0
	for n := 2; n <= 64; n++ {
		p := matrix.VolunteerEquilibrium(n, 1, 0.5)
		none := math.Pow(1-p, float64(n))
		if want := matrix.VolunteerNobodyProbability(n, 1, 0.5); math.Abs(none-want) > 1e-14 {
			t.Errorf("n = %d: (1 − p*)ⁿ = %v, VolunteerNobodyProbability = %v", n, none, want)
		}
		if !(none > prev) {
			t.Errorf("n = %d: P(nobody volunteers) = %v, not above %v at n − 1", n, none, prev)
		}
		prev = none
	}
}

// TestElFarolEquilibriumRoot checks the bisection's precision at the
// indifference condition directly, at sizes where the binomial CDF is steep.
func TestElFarolEquilibriumRoot(t *testing.T) {
	for _, c := range []struct {
		n, C int
		g, b float64
	}{{2, 1, 1, -1}, {64, 38, 1, -1}, {1000, 600, 1, -1}, {50, 3, 5, -0.1}, {50, 49, 0.1, -5}} {
		p := matrix.ElFarolEquilibrium(c.n, c.C, c.g, c.b)
		// P(Bin(n−1, p) ≤ C−1) by summing the probability mass function.
		m := c.n - 1
		cdf := 0.0
		for k := 0; k < c.C; k++ {
			lg, _ := math.Lgamma(float64(m + 1))
			l1, _ := math.Lgamma(float64(k + 1))
			l2, _ := math.Lgamma(float64(m - k + 1))
			cdf += math.Exp(lg - l1 - l2 + float64(k)*math.Log(p) + float64(m-k)*math.Log1p(-p))
		}
		if want := -c.b / (c.g - c.b); math.Abs(cdf-want) > 1e-9 {
			t.Errorf("n = %d, C = %d: F(C−1; n−1, p* = %v) = %.15g, want %.15g", c.n, c.C, p, cdf, want)
		}
	}
}

// TestActionValuesBruteForce compares ActionValues with the expectation
// over every joint action, using the rewards Step pays, for random
// heterogeneous mixed profiles.
func TestActionValuesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	type bf struct {
		game string
		raw  map[string]any
		ns   []int
	}
	cases := []bf{
		{matrix.PublicGoodsName, nil, []int{2, 3, 4, 7, 10}},
		{matrix.PublicGoodsName, map[string]any{"levels": 3, "multiplier": 4.5, "endowment": 0.7}, []int{2, 3, 4, 6}},
		{matrix.VolunteerName, nil, []int{2, 3, 4, 7, 10}},
		{matrix.VolunteerName, map[string]any{"benefit": 2.0, "cost": 1.9}, []int{3, 8}},
		{matrix.MinorityName, nil, []int{3, 5, 7, 9}},
	}
	for n := 2; n <= 10; n++ {
		for c := 1; c < n; c++ {
			cases = append(cases, bf{matrix.ElFarolName, map[string]any{"capacity": c, "good": 1.5, "bad": -0.7}, []int{n}})
		}
	}
	for _, c := range cases {
		for _, n := range c.ns {
			t.Run(fmt.Sprintf("%s/%v/n=%d", c.game, c.raw, n), func(t *testing.T) {
				g := build(t, c.game, c.raw, n)
				na := g.Spec().Types[0].NumActions
				for trial := range 4 {
					profile := randomProfile(rng, n, na, trial)
					want := bruteForce(g, profile)
					got := make([]float64, na)
					for i := range n {
						g.ActionValues(profile, i, got)
						for a := range na {
							if math.Abs(got[a]-want[i][a]) > 1e-12 {
								t.Fatalf("trial %d player %d action %d: ActionValues %.17g, enumeration %.17g (profile %v)", trial, i, a, got[a], want[i][a], profile)
							}
						}
					}
				}
			})
		}
	}
}

// randomProfile draws a heterogeneous profile; trial 1 puts some pure
// strategies in, to reach the edges of the recursions.
func randomProfile(rng *rand.Rand, n, na, trial int) [][]float64 {
	profile := make([][]float64, n)
	for j := range profile {
		s := make([]float64, na)
		if trial == 1 && j%3 == 0 {
			s[rng.IntN(na)] = 1
		} else {
			sum := 0.0
			for a := range s {
				s[a] = rng.ExpFloat64()
				sum += s[a]
			}
			for a := range s {
				s[a] /= sum
			}
		}
		profile[j] = s
	}
	return profile
}

// bruteForce returns u[i][a], the expected reward Step pays player i for
// action a when the others play profile, by enumerating every joint action.
func bruteForce(g game, profile [][]float64) [][]float64 {
	s := g.Spec()
	n, na := s.NumAgents(), s.Types[0].NumActions
	u := make([][]float64, n)
	for i := range u {
		u[i] = make([]float64, na)
	}
	f := env.NewFrame(s)
	joint := make([]int, n)
	for {
		g.Reset(0, f)
		g.Step(joint, f)
		for i := range n {
			w := 1.0
			for j, a := range joint {
				if j != i {
					w *= profile[j][a]
				}
			}
			u[i][joint[i]] += w * f.Reward[i]
		}
		k := 0
		for k < n && joint[k] == na-1 {
			joint[k] = 0
			k++
		}
		if k == n {
			return u
		}
		joint[k]++
	}
}

// TestRewards checks the rewards Step pays against the payoff formulas
// worked out by hand.
func TestRewards(t *testing.T) {
	for _, c := range []struct {
		game    string
		raw     map[string]any
		actions []int
		want    []float64
	}{
		// π_i = e − c_i + (r/n)Σc: Σc = 2, (1.6/3)·2 = 16/15.
		{matrix.PublicGoodsName, nil, []int{1, 0, 1}, []float64{16.0 / 15, 1 + 16.0/15, 16.0 / 15}},
		{matrix.PublicGoodsName, nil, []int{0, 0}, []float64{1, 1}},
		{matrix.PublicGoodsName, nil, []int{1, 1}, []float64{1.6, 1.6}},
		// e = 2, levels 0, 1, 2 contribute 0, 1, 2; Σc = 3; r/n·Σc = 3·3/4 = 2.25.
		{matrix.PublicGoodsName, map[string]any{"endowment": 2.0, "levels": 3, "multiplier": 3.0}, []int{0, 1, 2, 0}, []float64{4.25, 3.25, 2.25, 4.25}},
		{matrix.VolunteerName, nil, []int{0, 0, 0}, []float64{0, 0, 0}},
		{matrix.VolunteerName, nil, []int{0, 1, 0}, []float64{1, 0.5, 1}},
		{matrix.VolunteerName, map[string]any{"benefit": 4.0, "cost": 1.0}, []int{1, 1, 0, 0}, []float64{3, 3, 4, 4}},
		// n = 5, C = 3.
		{matrix.ElFarolName, nil, []int{1, 1, 1, 0, 0}, []float64{1, 1, 1, 0, 0}},
		{matrix.ElFarolName, nil, []int{1, 1, 1, 1, 0}, []float64{-1, -1, -1, -1, 0}},
		{matrix.ElFarolName, nil, []int{0, 0, 0, 0, 0}, []float64{0, 0, 0, 0, 0}},
		{matrix.ElFarolName, map[string]any{"capacity": 1, "good": 2.5, "bad": -0.25}, []int{0, 1, 0}, []float64{0, 2.5, 0}},
		{matrix.ElFarolName, map[string]any{"capacity": 1, "good": 2.5, "bad": -0.25}, []int{1, 1, 0}, []float64{-0.25, -0.25, 0}},
		{matrix.MinorityName, nil, []int{0, 0, 1}, []float64{0, 0, 1}},
		{matrix.MinorityName, nil, []int{1, 1, 0}, []float64{0, 0, 1}},
		{matrix.MinorityName, nil, []int{0, 0, 0}, []float64{0, 0, 0}},
		{matrix.MinorityName, nil, []int{1, 1, 0, 0, 1}, []float64{0, 0, 1, 1, 0}},
		{matrix.MinorityName, nil, []int{1, 0, 0, 0, 1}, []float64{1, 0, 0, 0, 1}},
	} {
		t.Run(fmt.Sprintf("%s/%v/%v", c.game, c.raw, c.actions), func(t *testing.T) {
			g := build(t, c.game, c.raw, len(c.actions))
			f := env.NewFrame(g.Spec())
			g.Reset(7, f)
			g.Step(c.actions, f)
			for i, w := range c.want {
				if math.Abs(f.Reward[i]-w) > 1e-12 {
					t.Errorf("player %d: reward %v, want %v", i, f.Reward[i], w)
				}
				if !f.Terminated[i] || f.Truncated[i] || !f.Alive[i] || f.T != 1 {
					t.Errorf("player %d: terminated %v truncated %v alive %v T %d; want true false true 1", i, f.Terminated[i], f.Truncated[i], f.Alive[i], f.T)
				}
			}
		})
	}
}

func TestObservations(t *testing.T) {
	for _, c := range []struct {
		game string
		raw  map[string]any
		n    int
		self []float64
	}{
		{matrix.PublicGoodsName, map[string]any{"endowment": 2.0}, 4, []float64{0.4, 0.25, 0.4, 2}},
		{matrix.VolunteerName, map[string]any{"benefit": 2.0, "cost": 0.5}, 5, []float64{0.5, 0.2, 0.25, 2}},
		{matrix.ElFarolName, nil, 10, []float64{1, 0.1, 0.6, 1, -1}},
		{matrix.MinorityName, nil, 7, []float64{0.7, 1.0 / 7}},
	} {
		t.Run(c.game, func(t *testing.T) {
			g := build(t, c.game, c.raw, c.n)
			ts := g.Spec().Types[0]
			if ts.Self != len(c.self) || len(ts.Sets) != 1 || ts.Sets[0].Name != matrix.Players || ts.Sets[0].Width != 1 || ts.Sets[0].Count != c.n-1 {
				t.Fatalf("type spec %+v, want self %d and one set of %d players of width 1", ts, len(c.self), c.n-1)
			}
			f := env.NewFrame(g.Spec())
			g.Reset(1, f)
			for i := range c.n {
				o := f.AgentObs(i)
				for k, w := range c.self {
					if math.Abs(o[k]-w) > 1e-15 {
						t.Errorf("player %d: self[%d] = %v, want %v", i, k, o[k], w)
					}
				}
				for k, v := range o[len(c.self):] {
					if v != 1 || !f.AgentEntityMask(i)[k] {
						t.Errorf("player %d: entity %d is %v (mask %v), want 1 (true)", i, k, v, f.AgentEntityMask(i)[k])
					}
				}
			}
		})
	}
}

// TestRefusals checks that impossible games are refused with messages that
// say what is allowed.
func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		game string
		raw  map[string]any
		n    int
		msg  string
	}{
		{matrix.MinorityName, nil, 4, "n must be odd"},
		{matrix.MinorityName, nil, 1, "allowed 3 to"},
		{matrix.VolunteerName, nil, 1, "allowed 2 to"},
		{matrix.VolunteerName, map[string]any{"cost": 1.0}, 3, `parameter "cost": cost 1 with benefit 1: want 0 < cost < benefit`},
		{matrix.VolunteerName, map[string]any{"cost": 0.0}, 3, "want 0 < cost < benefit"},
		{matrix.ElFarolName, map[string]any{"capacity": 5}, 5, "want 1 to n−1 = 4"},
		{matrix.ElFarolName, map[string]any{"fraction": 0.1}, 3, "capacity 0 with 3 players"},
		{matrix.ElFarolName, map[string]any{"good": 0.0}, 3, `parameter "good": 0: want a payoff > 0`},
		{matrix.ElFarolName, map[string]any{"bad": 0.0}, 3, `parameter "bad": 0: want a payoff < 0`},
		{matrix.PublicGoodsName, map[string]any{"multiplier": 0.0}, 3, `parameter "multiplier": 0: want > 0`},
		{matrix.PublicGoodsName, map[string]any{"endowment": 0.0}, 3, `parameter "endowment": 0: want > 0`},
		{matrix.PublicGoodsName, map[string]any{"levels": 1}, 3, "out of range"},
	} {
		_, err := env.Make(c.game, c.raw, env.Population{{Count: c.n}})
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s %v n = %d: error %v, want one containing %q", c.game, c.raw, c.n, err, c.msg)
		}
		var pe *env.PopulationError
		var pa *env.ParamError
		if err != nil && !errors.As(err, &pe) && !errors.As(err, &pa) {
			t.Errorf("%s: error %T is neither a *env.PopulationError nor a *env.ParamError", c.game, err)
		}
	}
}

func TestStepAfterEndPanics(t *testing.T) {
	g := build(t, matrix.VolunteerName, nil, 3)
	f := env.NewFrame(g.Spec())
	g.Reset(0, f)
	g.Step([]int{0, 1, 0}, f)
	defer func() {
		if r := recover(); r == nil {
			t.Error("a second Step did not panic")
		}
	}()
	g.Step([]int{0, 1, 0}, f)
}

func TestActionValuesAllocs(t *testing.T) {
	for _, name := range []string{matrix.PublicGoodsName, matrix.VolunteerName, matrix.ElFarolName, matrix.MinorityName} {
		g := build(t, name, nil, 33)
		profile := matrix.BinaryProfile(33, 0.3)
		dst := make([]float64, 2)
		if a := testing.AllocsPerRun(100, func() { g.ActionValues(profile, 5, dst) }); a != 0 {
			t.Errorf("%s: ActionValues allocates %v times per call", name, a)
		}
	}
}
