package br_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/league/br"
)

// always plays action A for every live agent.
type always struct{ A int }

func (p always) Act(f *env.Frame, actions []int) {
	for i := range actions {
		if f.Alive[i] {
			actions[i] = p.A
		}
	}
}

// bernoulli plays action 1 with probability P and action 0 otherwise, for
// every live agent, independently. It implements br.Reseeder.
type bernoulli struct {
	P   float64
	rng *rand.Rand
}

func newBernoulli(p float64, seed uint64) *bernoulli {
	return &bernoulli{P: p, rng: rand.New(rand.NewPCG(seed, 1))}
}

func (p *bernoulli) Reseed(seed uint64) { p.rng = rand.New(rand.NewPCG(seed, 1)) }

func (p *bernoulli) Act(f *env.Frame, actions []int) {
	for i := range actions {
		if f.Alive[i] {
			actions[i] = 0
			if p.rng.Float64() < p.P {
				actions[i] = 1
			}
		}
	}
}

func volunteer(t testing.TB, n int, b, c float64) func() (env.Game, error) {
	t.Helper()
	return func() (env.Game, error) { return matrix.NewVolunteer(n, b, c) }
}

// firstFrame returns the frame after a reset of a game from newGame.
func firstFrame(t testing.TB, newGame func() (env.Game, error)) *env.Frame {
	t.Helper()
	g, err := newGame()
	if err != nil {
		t.Fatal(err)
	}
	f := env.NewFrame(g.Spec())
	g.Reset(0, f)
	return f
}

// TestVolunteerAgainstVolunteers: when both others always volunteer, the
// best response is to ignore, which saves the cost c = 0.5 for sure; the
// response is chosen and its gain measured on the test episodes.
func TestVolunteerAgainstVolunteers(t *testing.T) {
	newGame := volunteer(t, 3, 1, 0.5)
	cfg := br.Config{Episodes: 800, SelectEpisodes: 50, TestEpisodes: 400}
	res, err := br.Train(newGame, always{A: 1}, 0, nil, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := br.Probs(res.Net, 0, firstFrame(t, newGame), make([]float64, 2))
	t.Logf("P(ignore) = %.4f; selection gain %.4f; test %+v", p[0], res.Selection.Gain, res.Test)
	if p[0] < 0.95 {
		t.Errorf("P(ignore) = %.4f, want ≥ 0.95", p[0])
	}
	if !res.Chosen || res.Test.Episodes != 400 || math.Abs(res.Gain-0.5) > 0.05 {
		t.Errorf("chosen %v, gain %.4f over %d episodes, want the response chosen and 0.5 ± 0.05 over 400", res.Chosen, res.Gain, res.Test.Episodes)
	}
	if res.Test.Baseline != 0.5 || res.Test.BaselineCI95 != 0 {
		t.Errorf("baseline %v ± %v, want exactly 0.5 ± 0 (everyone volunteers)", res.Test.Baseline, res.Test.BaselineCI95)
	}
}

// TestPublicGoodsAgainstRandom: keeping is dominant when r < n; against
// uniformly random others the agent gains e(1 − r/n) on the half of the
// episodes where the random policy would have contributed.
func TestPublicGoodsAgainstRandom(t *testing.T) {
	const n, e, r = 3, 1.0, 1.6
	newGame := func() (env.Game, error) { return matrix.NewPublicGoods(n, e, r, 2) }
	cfg := br.Config{Episodes: 800, TestEpisodes: 2000}
	res, err := br.Train(newGame, agents.NewRandom(7), 1, nil, cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := br.Probs(res.Net, 1, firstFrame(t, newGame), make([]float64, 2))
	want := e * (1 - r/n) * 0.5
	t.Logf("P(keep) = %.4f, gain %.4f ± %.4f (want %.4f)", p[0], res.Gain, res.GainCI95, want)
	if p[0] < 0.95 {
		t.Errorf("P(keep) = %.4f, want ≥ 0.95", p[0])
	}
	if math.Abs(res.Gain-want) > max(0.03, res.GainCI95) {
		t.Errorf("gain %.4f ± %.4f, want %.4f", res.Gain, res.GainCI95, want)
	}
}

// TestGainMatchesExactImprovement: others volunteer with p = 0.2, a mixed
// profile off equilibrium (p* = 0.293 at n = 3). The exact improvement of
// one agent, from the game's exact ActionValues, is what Train's gain must
// approach, and a budget of one iteration must fall visibly short of it.
func TestGainMatchesExactImprovement(t *testing.T) {
	const n, b, c, p = 3, 1.0, 0.5, 0.2
	g, err := matrix.NewVolunteer(n, b, c)
	if err != nil {
		t.Fatal(err)
	}
	profile := matrix.BinaryProfile(n, p)
	_, improvements := matrix.NashConv(g, g.Spec(), profile)
	exact := improvements[0]
	early, err := br.Train(volunteer(t, n, b, c), newBernoulli(p, 3), 0, nil, br.Config{Episodes: 16, TestEpisodes: 2000}, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after 16 episodes: gain %.4f ± %.4f (chosen %v)", early.Gain, early.GainCI95, early.Chosen)
	if math.Abs(early.Gain-exact) <= 0.05 {
		t.Errorf("gain %.4f after 16 episodes is already within 0.05 of %.4f: the test cannot tell learning from none", early.Gain, exact)
	}
	res, err := br.Train(volunteer(t, n, b, c), newBernoulli(p, 3), 0, nil, br.Config{Episodes: 1200, TestEpisodes: 2000}, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exact improvement %.4f; gain %.4f ± %.4f", exact, res.Gain, res.GainCI95)
	if math.Abs(res.Gain-exact) > max(0.03, res.GainCI95) {
		t.Errorf("gain %.4f ± %.4f, want the exact improvement %.4f", res.Gain, res.GainCI95, exact)
	}
}

// TestEquilibriumKeepsIncumbent: at the symmetric equilibrium of the
// volunteer's dilemma no deviation gains anything; the measured gain must
// be within its interval of 0 whichever policy the selection keeps, and
// exactly 0 when it keeps the incumbent, with the uncertainty of the
// challenger's test episodes (never a bare 0 ± 0).
func TestEquilibriumKeepsIncumbent(t *testing.T) {
	p := matrix.VolunteerEquilibrium(3, 1, 0.5)
	res, err := br.Train(volunteer(t, 3, 1, 0.5), newBernoulli(p, 5), 0, nil, br.Config{Episodes: 400, TestEpisodes: 1000}, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("selection gain %.4f, chosen %v, gain %.4f ± %.4f", res.Selection.Gain, res.Chosen, res.Gain, res.GainCI95)
	if res.Chosen && math.Abs(res.Gain) > 1.5*res.GainCI95 {
		t.Errorf("gain %.4f ± %.4f at an equilibrium, want 0 within the interval", res.Gain, res.GainCI95)
	}
	if !res.Chosen && (res.Gain != 0 || !(res.GainCI95 > 0) || res.Test.Episodes != 1000 || !(res.Detectable() > 0)) {
		t.Errorf("incumbent kept but gain %v ± %v over %d episodes (detectable %v), want exactly 0 with the challenger's interval over 1000", res.Gain, res.GainCI95, res.Test.Episodes, res.Detectable())
	}
}

// TestDeterministic: the same seed gives the same result, bit for bit, and
// another seed a different one; with others that implement br.Reseeder the
// result does not depend on the others' state before the call.
func TestDeterministic(t *testing.T) {
	cfg := br.Config{Episodes: 200, SelectEpisodes: 20, TestEpisodes: 50, Hidden: 16}
	run := func(others agents.Policy, seed uint64) br.Result {
		res, err := br.Train(volunteer(t, 3, 1, 0.5), others, 2, nil, cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	same := func(x, y br.Result) bool {
		return x.Agent == y.Agent && x.Selection == y.Selection && x.Test == y.Test && x.Chosen == y.Chosen &&
			x.Gain == y.Gain && x.GainCI95 == y.GainCI95 && equal(x.Curve, y.Curve) && equal(x.Net.Params(), y.Net.Params())
	}
	a, b, c := run(agents.NewRandom(5), 9), run(agents.NewRandom(5), 9), run(agents.NewRandom(5), 10)
	if !same(a, b) {
		t.Errorf("two runs with seed 9 differ:\n%+v\n%+v", a, b)
	}
	if same(a, c) {
		t.Errorf("seeds 9 and 10 give the same result")
	}
	reseeded := newBernoulli(0.5, 1)
	first, again := run(reseeded, 9), run(reseeded, 9) // the second call starts where the first left the generator
	if !same(first, again) || !same(first, run(newBernoulli(0.5, 77), 9)) {
		t.Errorf("with a Reseeder, the result depends on the others' generator state")
	}
	random := agents.NewRandom(3)
	r1 := run(random, 4)
	if !same(r1, run(random, 4)) {
		t.Errorf("agents.Random does not reseed: the result depends on its state")
	}
}

// TestResourceSmoke: in the multi-step resource game, a response trained
// for a short while against random others is chosen and earns
// significantly more than a random agent.
func TestResourceSmoke(t *testing.T) {
	newGame := func() (env.Game, error) {
		return env.Make(particle.ResourceName, nil, env.Population{{Count: 3}})
	}
	res, err := br.Train(newGame, agents.NewRandom(11), 0, nil, br.Config{Episodes: 600, TestEpisodes: 300}, 4)
	if err != nil {
		t.Fatal(err)
	}
	k := len(res.Curve) / 10
	t.Logf("gain %.3f ± %.3f (value %.3f, baseline %.3f); training return, first and last tenth: %.3f → %.3f",
		res.Gain, res.GainCI95, res.Test.Value, res.Test.Baseline, mean(res.Curve[:k]), mean(res.Curve[len(res.Curve)-k:]))
	if !res.Chosen || !(res.Gain-res.GainCI95 > 0) {
		t.Errorf("gain %.3f ± %.3f: the response is not significantly better than random", res.Gain, res.GainCI95)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
