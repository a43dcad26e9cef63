package league_test

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/br"
	"github.com/mrasim/mrasim/mra"
)

// crnMixed is mixed with a Reseed method, so that best responses to it are
// measured on common random numbers.
type crnMixed struct{ mixed }

func (m crnMixed) Policy(spec *env.Spec, seed uint64) (agents.Policy, error) {
	return &crnMixedPolicy{mixedPolicy{p: m.p(spec.NumAgents()), rng: rand.New(rand.NewPCG(seed, 1))}}, nil
}

type crnMixedPolicy struct{ mixedPolicy }

func (m *crnMixedPolicy) Reseed(seed uint64) { m.rng = rand.New(rand.NewPCG(seed, 1)) }

// Fork implements agents.Forker, for the search response's rollouts.
func (m *crnMixedPolicy) Fork(copies int) agents.Copies {
	ps := make([]*crnMixedPolicy, copies)
	for k := range ps {
		ps[k] = &crnMixedPolicy{mixedPolicy{p: m.p, rng: rand.New(rand.NewPCG(uint64(k), 1))}}
	}
	return agents.CopiesOf(ps)
}

// tinyRun trains a small MRA run on game at populations train.
func tinyRun(t testing.TB, game string, train []env.Population, episodes int) *league.Run {
	t.Helper()
	return tinyRunK(t, game, train, episodes, 0)
}

// tinyRunK is tinyRun with k latent modes (0: the default).
func tinyRunK(t testing.TB, game string, train []env.Population, episodes, k int) *league.Run {
	t.Helper()
	cfg := mra.DefaultConfig()
	if k > 0 {
		cfg.Latents = k
	}
	cfg.BatchSize, cfg.StepsPerUpdate, cfg.NumUpdates, cfg.BufferLength = 64, 12, 2, 5000
	setup := learner.Setup{Game: game, Populations: train, Seed: 1, Episodes: episodes, ParallelEnvs: 4, LogEvery: episodes}
	return &league.Run{Label: "mra", Settings: cfg, Setup: setup, State: learnertest.MustTrain(t, cfg, setup)}
}

// oneShotEquilibrium returns the closed-form symmetric equilibrium entry of
// a one-shot game with default parameters (probability of action 1).
func oneShotEquilibrium(game string) mixed {
	p := func(n int) float64 {
		switch game {
		case matrix.VolunteerName:
			return matrix.VolunteerEquilibrium(n, 1, 0.5)
		case matrix.ElFarolName:
			return matrix.ElFarolEquilibrium(n, matrix.ElFarolCapacity(n, 0.6), 1, -1)
		case matrix.PublicGoodsName:
			return float64(matrix.PublicGoodsEquilibrium(n, 1.6, 2))
		}
		return matrix.MinorityEquilibrium(n)
	}
	return mixed{name: "equilibrium", p: p}
}

// TestValidationOneShot forces best-response estimates of NashConv
// (NashConv mode "br") in the four one-shot games, where the league also
// computes the exact value, for uniform random play, the closed-form
// equilibrium and a (briefly) trained MRA entry, at n ∈ {2, 3, 5, 8}
// (minority: odd n only). Where the response was chosen, the estimate must
// be within its interval of the exact value — the interval is widened from
// 95% to 99.9% (z = 3.29), a Bonferroni correction for the number of cells
// checked — and, wherever the exact value exceeds 0.1, recover ≥ 95% of it
// within that interval (estimate + z·half-width ≥ 0.95·exact: the data must
// not show the deviations found falling short by more than 5%); where the
// incumbent was kept (estimate exactly 0), the exact value must be below
// 0.1. MRASIM_VALIDATE=1 prints the table of docs/results/2026-11-27-best-response-validation.md.
func TestValidationOneShot(t *testing.T) {
	budget := league.BRBudget{Config: br.Config{Episodes: 1000, Batch: 64, SelectEpisodes: 200, TestEpisodes: 1000, Search: true, SearchRollouts: 16}}
	const trainEpisodes = 256
	const z = 3.29 / 1.96
	for _, game := range []string{matrix.PublicGoodsName, matrix.VolunteerName, matrix.ElFarolName, matrix.MinorityName} {
		ns := []int{2, 3, 5, 8}
		if game == matrix.MinorityName {
			ns = []int{3, 5, 7, 9}
		}
		var populations []string
		for _, n := range ns {
			populations = append(populations, "players="+strconv.Itoa(n))
		}
		run := tinyRun(t, game, pops(t, populations[0], populations[1]), trainEpisodes)
		rep, err := league.Play([]league.Entry{league.Random{}, crnMixed{oneShotEquilibrium(game)}, run}, league.Options{
			Game: game, Populations: pops(t, populations...), Episodes: 20, Seed: 7, NashConv: league.ModeBR, BR: budget,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Results {
			if r.NashConvExact == nil || r.NashConvMethod != league.NashConvBR {
				t.Fatalf("%s %s at %s: method %q, exact %v", game, r.Entry, r.Label, r.NashConvMethod, r.NashConvExact)
			}
			exact := *r.NashConvExact
			recovered := math.NaN()
			if exact > 1e-9 {
				recovered = r.DeviationGain / exact
			}
			fmt.Fprintf(testOut(t), "| %s | %d | %s | %.4f | %s | %s |\n", game, r.Population.Total(), r.Entry, exact, league.NashConvText(r), percent(recovered))
			if r.NoDeviationFound() {
				if exact > 0.1 {
					t.Errorf("%s %s at %s: no deviation found, exact NashConv %.4f", game, r.Entry, r.Label, exact)
				}
				continue
			}
			if math.Abs(r.DeviationGain-exact) > z*r.DeviationGainCI95 {
				t.Errorf("%s %s at %s: measured gain %.4f ± %.4f, exact %.4f: outside the interval", game, r.Entry, r.Label, r.DeviationGain, r.DeviationGainCI95, exact)
			}
			if exact > 0.1 && r.DeviationGain+z*r.DeviationGainCI95 < 0.95*exact {
				t.Errorf("%s %s at %s: measured gain %.4f recovers %.0f%% of the exact %.4f, want ≥ 95%%", game, r.Entry, r.Label, r.DeviationGain, 100*recovered, exact)
			}
		}
	}
}

// testOut is where the validation table goes: stdout with MRASIM_VALIDATE,
// nowhere otherwise (the test log has the failures).
func testOut(t *testing.T) *os.File {
	if os.Getenv("MRASIM_VALIDATE") != "" {
		return os.Stdout
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// reactiveEntry volunteers with a probability that depends on the round and
// on last round's count (the repeated volunteer's dilemma's observation):
// a Markov policy, with exact action probabilities.
type reactiveEntry struct{}

func (reactiveEntry) Name() string { return "reactive" }
func (reactiveEntry) Algo() string { return "fixed" }
func (reactiveEntry) Policy(_ *env.Spec, seed uint64) (agents.Policy, error) {
	return &reactivePolicy{rng: rand.New(rand.NewPCG(seed, 1))}, nil
}

type reactivePolicy struct{ rng *rand.Rand }

func (p *reactivePolicy) prob(f *env.Frame, i int) float64 {
	obs := f.AgentObs(i)
	if obs[6] == 1 { // first round
		return 0.3
	}
	if obs[5] == 0 { // nobody volunteered last round
		return 0.8
	}
	return 0.1
}

func (p *reactivePolicy) Act(f *env.Frame, actions []int) {
	for i := range actions {
		actions[i] = 0
		if p.rng.Float64() < p.prob(f, i) {
			actions[i] = 1
		}
	}
}

func (p *reactivePolicy) ActionProbs(f *env.Frame, i int, dst []float64) {
	q := p.prob(f, i)
	dst[0], dst[1] = 1-q, q
}

func (p *reactivePolicy) Markov() bool       { return true }
func (p *reactivePolicy) Reseed(seed uint64) { p.rng = rand.New(rand.NewPCG(seed, 1)) }

// Fork implements agents.Forker, for the search response's rollouts.
func (p *reactivePolicy) Fork(copies int) agents.Copies {
	ps := make([]*reactivePolicy, copies)
	for k := range ps {
		ps[k] = &reactivePolicy{rng: rand.New(rand.NewPCG(uint64(k), 1))}
	}
	return agents.CopiesOf(ps)
}

// TestValidationMultiStep does for the repeated volunteer's dilemma (3
// rounds, exact best responses by backward induction) what
// TestValidationOneShot does for the one-shot games, at n ∈ {2, 3, 5}:
// uniform random play, a reactive Markov policy and a trained MRA entry
// with a single latent mode (so that its policy is Markov and its exact
// NashConv defined). In "auto" mode the league reports the exact value.
//
// Every estimate must be a valid lower bound: not above the exact value
// beyond its (Bonferroni-widened) interval. For random play and MRA the
// estimate must also be within its interval of the exact value and recover
// ≥ 95% of it where it exceeds 0.1. Against the reactive policy the best
// response must ignore in the first round to create the state where the
// others volunteer: PPO from a uniform start collapses on volunteering
// first and falls short (about 80–90% of the exact value, see docs/results/2026-11-27-best-response-validation.md);
// the search response, two levels deep, recovers it.
func TestValidationMultiStep(t *testing.T) {
	// One search level improves only on the base policy's later rounds;
	// two look through a searched second round, which recovers the first
	// round's deviation (three, as deep as the game, would be exact given
	// enough rollouts, at 32 times the cost).
	budget := league.BRBudget{Config: br.Config{Episodes: 1500, Batch: 32, SelectEpisodes: 600, TestEpisodes: 1000, Search: true, SearchRollouts: 16, SearchDepth: 2}}
	const trainEpisodes = 256
	const z = 3.29 / 1.96
	game := matrix.RepeatedVolunteerName
	populations := pops(t, "players=2", "players=3", "players=5")
	run := tinyRunK(t, game, populations[:2], trainEpisodes, 1)
	entries := []league.Entry{league.Random{}, reactiveEntry{}, run}
	auto, err := league.Play(entries, league.Options{Game: game, Populations: populations, Episodes: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range auto.Results {
		if r.NashConvMethod != league.NashConvExact {
			t.Errorf("auto: %s at %s: method %q, want exact", r.Entry, r.Label, r.NashConvMethod)
		}
	}
	rep, err := league.Play(entries, league.Options{Game: game, Populations: populations, Episodes: 20, Seed: 3, NashConv: league.ModeBR, BR: budget})
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range rep.Results {
		if r.NashConvExact == nil || *r.NashConvExact != auto.Results[k].NashConv {
			t.Fatalf("%s at %s: exact %v in br mode, %v in auto mode", r.Entry, r.Label, r.NashConvExact, auto.Results[k].NashConv)
		}
		exact := *r.NashConvExact
		fmt.Fprintf(testOut(t), "| %s | %d | %s | %.4f | %s | %s |\n", game, r.Population.Total(), r.Entry, exact, league.NashConvText(r), percent(r.DeviationGain/exact))
		if r.NoDeviationFound() {
			if exact > 0.1 {
				t.Errorf("%s at %s: no deviation found, exact NashConv %.4f", r.Entry, r.Label, exact)
			}
			continue
		}
		if r.DeviationGain-z*r.DeviationGainCI95 > exact {
			t.Errorf("%s at %s: measured gain %.4f ± %.4f above the exact %.4f: not a lower bound", r.Entry, r.Label, r.DeviationGain, r.DeviationGainCI95, exact)
		}
		if math.Abs(r.DeviationGain-exact) > z*r.DeviationGainCI95 {
			t.Errorf("%s at %s: measured gain %.4f ± %.4f, exact %.4f: outside the interval", r.Entry, r.Label, r.DeviationGain, r.DeviationGainCI95, exact)
		}
		if exact > 0.1 && r.DeviationGain+z*r.DeviationGainCI95 < 0.95*exact {
			t.Errorf("%s at %s: measured gain %.4f ± %.4f recovers %.0f%% of the exact %.4f, want ≥ 95%%", r.Entry, r.Label, r.DeviationGain, r.DeviationGainCI95, 100*r.DeviationGain/exact, exact)
		}
	}
}

// percent formats a recovered fraction, "—" when undefined (exact 0).
func percent(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*x)
}
