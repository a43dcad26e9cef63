package br_test

import (
	"math"
	"math/rand/v2"
	"slices"
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
// best response is to ignore, which saves the cost c = 0.5 for sure.
func TestVolunteerAgainstVolunteers(t *testing.T) {
	newGame := volunteer(t, 3, 1, 0.5)
	cfg := br.Config{Episodes: 1600, EvalEpisodes: 2000}
	res, err := br.Train(newGame, always{A: 1}, 0, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Response.Probs(firstFrame(t, newGame), make([]float64, 2))
	t.Logf("P(ignore) = %.4f, value %.4f ± %.4f, baseline %.4f ± %.4f, gain %.4f ± %.4f; curve %.3f → %.3f",
		p[0], res.Value, res.ValueCI95, res.Baseline, res.BaselineCI95, res.Gain, res.GainCI95, res.Curve[0], res.Curve[len(res.Curve)-1])
	if p[0] < 0.95 {
		t.Errorf("P(ignore) = %.4f, want ≥ 0.95", p[0])
	}
	if math.Abs(res.Gain-0.5) > 0.05 {
		t.Errorf("gain %.4f, want 0.5 ± 0.05", res.Gain)
	}
	if res.Baseline != 0.5 || res.BaselineCI95 != 0 {
		t.Errorf("baseline %v ± %v, want exactly 0.5 ± 0 (everyone volunteers)", res.Baseline, res.BaselineCI95)
	}
}

// TestPublicGoodsAgainstRandom: keeping is dominant when r < n; against
// uniformly random others the agent gains e(1 − r/n) on the half of the
// episodes where the random policy would have contributed.
func TestPublicGoodsAgainstRandom(t *testing.T) {
	const n, e, r = 3, 1.0, 1.6
	newGame := func() (env.Game, error) { return matrix.NewPublicGoods(n, e, r, 2) }
	cfg := br.Config{Episodes: 1600, EvalEpisodes: 4000}
	res, err := br.Train(newGame, agents.NewRandom(7), 1, cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Response.Probs(firstFrame(t, newGame), make([]float64, 2))
	want := e * (1 - r/n) * 0.5
	t.Logf("P(keep) = %.4f, value %.4f ± %.4f, baseline %.4f ± %.4f, gain %.4f ± %.4f (want %.4f)",
		p[0], res.Value, res.ValueCI95, res.Baseline, res.BaselineCI95, res.Gain, res.GainCI95, want)
	if p[0] < 0.95 {
		t.Errorf("P(keep) = %.4f, want ≥ 0.95", p[0])
	}
	if math.Abs(res.Gain-want) > 0.05 {
		t.Errorf("gain %.4f, want %.4f ± 0.05", res.Gain, want)
	}
}

// TestGainMatchesExactImprovement: others volunteer with p = 0.2, a mixed
// profile off equilibrium (p* = 0.293 at n = 3). The exact improvement of
// one agent, from the game's exact ActionValues, is what Train's gain
// must approach.
func TestGainMatchesExactImprovement(t *testing.T) {
	const n, b, c, p = 3, 1.0, 0.5, 0.2
	g, err := matrix.NewVolunteer(n, b, c)
	if err != nil {
		t.Fatal(err)
	}
	profile := matrix.BinaryProfile(n, p)
	_, improvements := matrix.NashConv(g, g.Spec(), profile)
	values := make([]float64, 2)
	g.ActionValues(profile, 0, values)
	exact := max(values[0], values[1]) - ((1-p)*values[0] + p*values[1])
	if math.Abs(exact-improvements[0]) > 1e-12 {
		t.Fatalf("improvement %v from ActionValues, %v from NashConv", exact, improvements[0])
	}

	// Two gradient steps leave the policy nearly uniform, far from the best
	// response: the tolerance below tells the two budgets apart.
	early, err := br.Train(volunteer(t, n, b, c), newBernoulli(p, 3), 0, br.Config{Episodes: 16, EvalEpisodes: 4000}, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after 16 episodes: gain %.4f ± %.4f", early.Gain, early.GainCI95)
	if math.Abs(early.Gain-exact) <= 0.05 {
		t.Errorf("gain %.4f after 16 episodes is already within 0.05 of %.4f: the test cannot tell learning from none", early.Gain, exact)
	}

	cfg := br.Config{Episodes: 2400, EvalEpisodes: 4000}
	res, err := br.Train(volunteer(t, n, b, c), newBernoulli(p, 3), 0, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	probs := res.Response.Probs(firstFrame(t, volunteer(t, n, b, c)), make([]float64, 2))
	t.Logf("action values %.4f (ignore), %.4f (volunteer); exact improvement %.4f; P(volunteer) = %.4f; gain %.4f ± %.4f, value %.4f ± %.4f (exact %.4f), baseline %.4f ± %.4f (exact %.4f)",
		values[0], values[1], exact, probs[1], res.Gain, res.GainCI95, res.Value, res.ValueCI95, max(values[0], values[1]),
		res.Baseline, res.BaselineCI95, (1-p)*values[0]+p*values[1])
	if math.Abs(res.Gain-exact) > 0.05 {
		t.Errorf("gain %.4f, want the exact improvement %.4f ± 0.05", res.Gain, exact)
	}
}

// TestDeterministic: the same seed gives the same result, bit for bit, and
// another seed a different one; with others that implement br.Reseeder the
// result does not depend on the others' state before the call.
func TestDeterministic(t *testing.T) {
	cfg := br.Config{Episodes: 200, EvalEpisodes: 100, Hidden: 16}
	run := func(others agents.Policy, seed uint64) br.Result {
		res, err := br.Train(volunteer(t, 3, 1, 0.5), others, 2, cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	same := func(x, y br.Result) bool {
		return x.Agent == y.Agent && x.Value == y.Value && x.ValueCI95 == y.ValueCI95 &&
			x.Baseline == y.Baseline && x.BaselineCI95 == y.BaselineCI95 &&
			x.Gain == y.Gain && x.GainCI95 == y.GainCI95 &&
			slices.Equal(x.Curve, y.Curve) && slices.Equal(x.Response.Params(), y.Response.Params())
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
}

// TestResourceSmoke: in the multi-step resource game, a response trained
// for a short while against random others earns more than a random agent.
func TestResourceSmoke(t *testing.T) {
	newGame := func() (env.Game, error) {
		return env.Make(particle.ResourceName, nil, env.Population{{Count: 3}})
	}
	cfg := br.Config{Episodes: 3000, EvalEpisodes: 300, Batch: 16}
	res, err := br.Train(newGame, agents.NewRandom(11), 0, cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	k := len(res.Curve) / 10
	t.Logf("value %.3f ± %.3f, baseline %.3f ± %.3f, gain %.3f ± %.3f; training return, first and last tenth: %.3f → %.3f",
		res.Value, res.ValueCI95, res.Baseline, res.BaselineCI95, res.Gain, res.GainCI95, mean(res.Curve[:k]), mean(res.Curve[len(res.Curve)-k:]))
	if !(res.Gain-res.GainCI95 > 0) {
		t.Errorf("gain %.3f ± %.3f: the response is not significantly better than random", res.Gain, res.GainCI95)
	}
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
