package league_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
	_ "github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/br"
	"github.com/mrasim/mrasim/league/jobs"
)

// mixed is a test entry for two-action games: every agent plays action 1
// with probability p, and says so exactly.
type mixed struct {
	name string
	p    func(n int) float64
}

func (m mixed) Name() string { return m.name }
func (m mixed) Algo() string { return "fixed" }
func (m mixed) Policy(spec *env.Spec, seed uint64) (agents.Policy, error) {
	return &mixedPolicy{p: m.p(spec.NumAgents()), rng: rand.New(rand.NewPCG(seed, 1))}, nil
}

type mixedPolicy struct {
	p   float64
	rng *rand.Rand
}

func (m *mixedPolicy) Act(f *env.Frame, actions []int) {
	for i := range actions {
		actions[i] = 0
		if m.rng.Float64() < m.p {
			actions[i] = 1
		}
	}
}

func (m *mixedPolicy) ActionProbs(_ *env.Frame, _ int, dst []float64) { dst[0], dst[1] = 1-m.p, m.p }

// pops parses populations written as "type=count" text.
func pops(t *testing.T, texts ...string) []env.Population { return learnertest.Pops(t, texts...) }

// TestExactNashConvVolunteer checks the league's exact NashConv against
// closed forms at several n: 0 for the symmetric equilibrium
// p* = 1 − (c/b)^{1/(n−1)}, and for uniformly random play
//
//	NashConv = n/2 · |b·2^{1−n} − c|
//
// (each agent gains half the difference between volunteering, b − c, and
// ignoring, b·(1 − 2^{1−n})).
func TestExactNashConvVolunteer(t *testing.T) {
	ns := []int{2, 3, 5, 8, 16}
	var populations []string
	for _, n := range ns {
		populations = append(populations, "players="+strconv.Itoa(n))
	}
	eq := mixed{name: "equilibrium", p: func(n int) float64 { return matrix.VolunteerEquilibrium(n, 1, 0.5) }}
	rep, err := league.Play([]league.Entry{eq, league.Random{}}, league.Options{
		Game: "volunteer", Populations: pops(t, populations...), Episodes: 50, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		n := r.Population.Total()
		want := 0.0
		if r.Entry == "random" {
			want = float64(n) / 2 * math.Abs(math.Pow(2, float64(1-n))-0.5)
		}
		wantP := 0.5
		if r.Entry == "equilibrium" {
			wantP = matrix.VolunteerEquilibrium(n, 1, 0.5)
		}
		if len(r.Strategy) != 2 || math.Abs(r.Strategy[1]-wantP) > 1e-12 {
			t.Errorf("%s at n=%d: strategy %v, want volunteering with %v", r.Entry, n, r.Strategy, wantP)
		}
		if r.NashConvMethod != league.NashConvExact || math.Abs(r.NashConv-want) > 1e-9 {
			t.Errorf("%s at n=%d: NashConv %v (%s), want %v exactly", r.Entry, n, r.NashConv, r.NashConvMethod, want)
		}
		for i, d := range r.Improvements {
			if d < 0 {
				t.Errorf("%s at n=%d: agent %d improvement %v < 0", r.Entry, n, i, d)
			}
		}
	}
	// The equilibrium's mean return: b·(1 − P(nobody)) − c·p*.
	for _, r := range rep.Results {
		if r.Entry != "equilibrium" {
			continue
		}
		n := r.Population.Total()
		p := matrix.VolunteerEquilibrium(n, 1, 0.5)
		want := 1 - math.Pow(1-p, float64(n)) - 0.5*p
		if math.Abs(r.ReturnMean-want) > 3*r.ReturnCI95+1e-9 {
			t.Errorf("n=%d: mean return %v ± %v, exact %v", n, r.ReturnMean, r.ReturnCI95, want)
		}
	}
}

// TestTwoTypeLineups plays a two-type game: every line-up of entries, a
// payoff table per type, meta-game solutions, and best-response estimates
// of NashConv, identical at one and three workers.
func TestTwoTypeLineups(t *testing.T) {
	entries := []league.Entry{league.Random{}, mixed{name: "still", p: func(int) float64 { return 0 }}}
	opts := league.Options{
		Game: "tag", Populations: pops(t, "adversaries=2,good=1"), Episodes: 8, Seed: 3,
		BR: league.BRBudget{Config: br.Config{Episodes: 40, SelectEpisodes: 8, TestEpisodes: 16, Batch: 8}},
	}
	opts.Runner = jobs.Local{Workers: 1}
	a, err := league.Play(entries, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Runner = jobs.Local{Workers: 3}
	b, err := league.Play(entries, opts)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("1 and 3 workers gave different reports")
	}
	if len(a.Lineups) != 4 || len(a.MetaGame) != 1 {
		t.Fatalf("%d line-ups and %d meta-games, want 4 and 1", len(a.Lineups), len(a.MetaGame))
	}
	mg := a.MetaGame[0]
	if mg.Error != "" || len(mg.Solutions["alpharank"]) != 2 || len(mg.Solutions["prd"]) != 2 || len(mg.Payoffs[0]) != 2 {
		t.Fatalf("meta-game %+v", mg)
	}
	for _, r := range a.Results {
		if r.NashConvMethod != league.NashConvBR || len(r.Deviations) != 2 {
			t.Errorf("%s: NashConv method %q with %d deviations", r.Entry, r.NashConvMethod, len(r.Deviations))
		}
	}
	// The diagonal line-ups are the entries' own results.
	for _, r := range a.Results {
		for _, lu := range a.Lineups {
			if lu.Entries[0] == r.Entry && lu.Entries[1] == r.Entry && lu.Returns[0].Mean != r.Returns[0].Mean {
				t.Errorf("%s: self line-up return %v, result %v", r.Entry, lu.Returns[0].Mean, r.Returns[0].Mean)
			}
		}
	}
	dir := t.TempDir()
	files, err := a.WriteFigures(dir)
	if err != nil || len(files) != 3 {
		t.Fatalf("figures %v, %v; want nashconv.png and two heat maps", files, err)
	}
	if err := a.WriteJSON(filepath.Join(dir, "r.json")); err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	data, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	res := decoded["results"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "algo", "counts", "return_mean", "return_ci95", "adapted_return_mean", "nashconv", "nashconv_method"} {
		if _, ok := res[k]; !ok {
			t.Errorf("results.json lacks %q", k)
		}
	}
}

// TestReferenceEntries: the games' scripted policies play as entries. In
// the one-shot games the closed-form equilibrium's exact NashConv is 0 (up
// to rounding); in resource occupation the three references play beside
// random play with returns ordered as their names promise and a NashConv
// from the deviations found; a reference plan travels to a worker
// (encode, decode) like any other.
func TestReferenceEntries(t *testing.T) {
	for _, game := range []string{matrix.VolunteerName, matrix.ElFarolName, matrix.PublicGoodsName, matrix.MinorityName} {
		p := pops(t, "players=5")
		refs, err := league.References(game, nil, p[0])
		if err != nil || len(refs) != 1 || refs[0].Name() != matrix.ScriptEquilibrium {
			t.Fatalf("%s: references %v, %v", game, refs, err)
		}
		rep, err := league.Play(append(refs, league.Random{}), league.Options{Game: game, Populations: p, Episodes: 20, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Results {
			if r.NashConvMethod != league.NashConvExact {
				t.Errorf("%s %s: method %q, want exact", game, r.Entry, r.NashConvMethod)
			}
			if r.Entry == matrix.ScriptEquilibrium && math.Abs(r.NashConv) > 1e-9 {
				t.Errorf("%s: the equilibrium's NashConv is %v, want 0", game, r.NashConv)
			}
		}
	}
	p := pops(t, "agents=3")
	refs, err := league.References("resource", nil, p[0])
	if err != nil || len(refs) != 3 {
		t.Fatalf("resource references %v, %v", refs, err)
	}
	rep, err := league.Play(append(refs, league.Random{}), league.Options{Game: "resource", Populations: p, Episodes: 40, Seed: 1,
		BR: league.BRBudget{Config: br.Config{Episodes: 32, SelectEpisodes: 10, TestEpisodes: 10, Search: true, SearchRollouts: 2}}, Runner: jobs.Local{Workers: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ret := map[string]float64{}
	for _, r := range rep.Results {
		ret[r.Entry] = r.ReturnMean
		if r.NashConvMethod != league.NashConvBR || len(r.Deviations) != 1 || r.Deviations[0].SearchOff != "" {
			t.Errorf("%s: NashConv %q, deviations %+v: want a lower bound with the search tried", r.Entry, r.NashConvMethod, r.Deviations)
		}
	}
	if !(ret["stand-still"] < ret["nearest-landmark"] && ret["nearest-landmark"] < ret["greedy-cover"]) {
		t.Errorf("returns %v: want stand-still < nearest-landmark < greedy-cover", ret)
	}
	// The same league through a runner that decodes the plan, as a worker.
	remote, err := league.Play(append(refs, league.Random{}), league.Options{Game: "resource", Populations: p, Episodes: 40, Seed: 1,
		BR: league.BRBudget{Config: br.Config{Episodes: 32, SelectEpisodes: 10, TestEpisodes: 10, Search: true, SearchRollouts: 2}}, Runner: decodingRunner{}})
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range remote.Results {
		if r.ReturnMean != rep.Results[k].ReturnMean || r.DeviationGain != rep.Results[k].DeviationGain {
			t.Errorf("%s: return %v, gain %v through a decoded plan; %v, %v in process", r.Entry, r.ReturnMean, r.DeviationGain, rep.Results[k].ReturnMean, rep.Results[k].DeviationGain)
		}
	}
}

// decodingRunner runs a batch locally without its in-process values, so
// that every job decodes the plan as a remote worker does.
type decodingRunner struct{}

func (decodingRunner) Run(ctx context.Context, b jobs.Batch, progress func(jobs.Progress)) (map[string][]byte, error) {
	b.Local = nil
	return jobs.Local{Workers: 1}.Run(ctx, b, progress)
}

// TestProgressWork: the league reports the estimated fraction of its work
// done after every job, rising to 1, so that the time left is right when
// jobs differ in size; a best response weighs far more than an evaluation.
func TestProgressWork(t *testing.T) {
	var mu sync.Mutex
	var fractions []float64
	_, err := league.Play([]league.Entry{league.Random{}}, league.Options{Game: "resource", Populations: pops(t, "agents=2"), Episodes: 4, Seed: 1,
		BR:           league.BRBudget{Config: br.Config{Episodes: 16, SelectEpisodes: 4, TestEpisodes: 4}},
		ProgressWork: func(done float64) { mu.Lock(); fractions = append(fractions, done); mu.Unlock() },
		Runner:       jobs.Local{Workers: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fractions) != 2 || math.Abs(fractions[1]-1) > 1e-12 || !(fractions[0] > 0 && fractions[0] < 0.1) {
		t.Errorf("work fractions %v: want the evaluation's small share, then 1", fractions)
	}
}
