package league

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
)

// pickGame is a toy game for the mode diagnostics: every step each agent
// earns its action (0 or 1) plus a noise term shared by all agents and
// drawn from the episode's seed. Its behaviour statistic is the share of
// agents that last played action 1.
type pickGame struct {
	spec *env.Spec
	rng  *rand.Rand
	pcg  *rand.PCG
	t    int
	last []int
}

func newPickGame(t *testing.T, n int) *pickGame {
	spec, err := env.NewSpec(env.Population{{Type: "agents", Count: n}}, []env.TypeSpec{{Name: "agents", Count: n, NumActions: 2, Self: 1}}, 4)
	if err != nil {
		t.Fatal(err)
	}
	pcg := rand.NewPCG(0, 0)
	return &pickGame{spec: spec, pcg: pcg, rng: rand.New(pcg), last: make([]int, n)}
}

func (g *pickGame) Spec() *env.Spec { return g.spec }
func (g *pickGame) Reset(seed uint64, f *env.Frame) {
	g.pcg.Seed(seed, 0)
	g.t = 0
	f.Begin()
	g.Observe(f)
}
func (g *pickGame) Step(actions []int, f *env.Frame) {
	noise := 4 * (g.rng.Float64() - 0.5)
	for i, a := range actions {
		f.Reward[i] = float64(a) + noise
		g.last[i] = a
	}
	g.t++
	g.Observe(f)
}
func (g *pickGame) Observe(f *env.Frame) {
	for i := range f.Alive {
		f.Alive[i], f.Terminated[i], f.Truncated[i] = true, false, g.t >= g.spec.Horizon
	}
	f.T = g.t
}
func (g *pickGame) AppendState(b []byte) []byte { return b }
func (g *pickGame) SetState([]byte) error       { return nil }
func (g *pickGame) BehaviourNames() []string    { return []string{"playing 1"} }
func (g *pickGame) Behaviour(dst []float64) {
	dst[0] = 0
	for _, a := range g.last {
		dst[0] += float64(a) / float64(len(g.last))
	}
}

// toyModes is hand-made modal networks of k modes: with differ, mode j
// plays action j%2; otherwise every mode plays uniformly at random, from
// a stream the league reseeds per episode when crn is set.
type toyModes struct {
	k           int
	differ, crn bool
}

func (m toyModes) Latents() int { return m.k }
func (m toyModes) PopulationPrior(env.Population) []float64 {
	p := make([]float64, m.k)
	for i := range p {
		p[i] = 1 / float64(m.k)
	}
	return p
}
func (m toyModes) ModePlayer(_ *env.Spec, modes [][]float64, seed uint64) (agents.Policy, error) {
	mode := 0
	for j, v := range modes[0] {
		if v == 1 {
			mode = j
		}
	}
	p := &toyPolicy{mode: mode, differ: m.differ, rng: rand.New(rand.NewPCG(seed, uint64(mode)))}
	if m.crn {
		return crnToy{p}, nil
	}
	return p, nil
}

type toyPolicy struct {
	mode   int
	differ bool
	rng    *rand.Rand
}

func (p *toyPolicy) Act(f *env.Frame, actions []int) {
	for i := range actions {
		if p.differ {
			actions[i] = p.mode % 2
		} else {
			actions[i] = p.rng.IntN(2)
		}
	}
}

// crnToy adds Reseed, as MRA's players have.
type crnToy struct{ *toyPolicy }

func (p crnToy) Reseed(s uint64) { p.rng = rand.New(rand.NewPCG(s, 0)) }

// TestModeDiagnostics: where the modes must differ (mode 1 earns one more
// per step than mode 0) the spread's interval excludes 0 and the behaviour
// tells the modes apart; where they cannot (every mode plays the same
// random policy, on common random numbers or not) the interval includes 0
// and the report says "the K modes give the same return within ±x" (not
// for a single mode, which has no spread: see TestOneModeNoSpread).
func TestModeDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name  string
		modes toyModes
		same  bool
	}{
		{"differ", toyModes{k: 2, differ: true}, false},
		{"differ, four modes", toyModes{k: 4, differ: true, crn: true}, false},
		{"same, common random numbers", toyModes{k: 3, crn: true}, true},
		{"same, independent draws", toyModes{k: 4}, true},
		{"one mode", toyModes{k: 1, differ: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newPickGame(t, 3)
			newGame := func() (env.Game, error) { return g, nil }
			d, err := modeDiagnostics(tc.modes, g.spec, newGame, 20, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Modes) != tc.modes.k || len(d.Prior) != tc.modes.k || len(d.Behaviour) != tc.modes.k {
				t.Fatalf("%d modes, %d prior entries, %d behaviours; want %d each", len(d.Modes), len(d.Prior), len(d.Behaviour), tc.modes.k)
			}
			lo, hi := d.Spread.Mean-d.Spread.CI95, d.Spread.Mean+d.Spread.CI95
			if includes := lo <= 0 && 0 <= hi; includes != tc.same || d.Indistinguishable != tc.same {
				t.Errorf("spread %v ± %v (indistinguishable %v), want an interval including 0: %v", d.Spread.Mean, d.Spread.CI95, d.Indistinguishable, tc.same)
			}
			text := ModesText(d)
			line := "modes give the same return within ±"
			if want := tc.same && tc.modes.k > 1; strings.Contains(text, line) != want {
				t.Errorf("report text, want the %q line: %v\n%s", line, want, text)
			}
			if tc.modes.differ && tc.modes.k > 1 {
				if d.Best%2 != 1 || d.Worst%2 != 0 {
					t.Errorf("best mode %d, worst %d: want an odd best and an even worst", d.Best, d.Worst)
				}
				if d.Spread.Mean < 3.9 || d.Spread.Mean > 4.1 {
					t.Errorf("spread %v, want 4 (one more per step over 4 steps)", d.Spread.Mean)
				}
				if d.Behaviour[d.Best][0] != 1 || d.Behaviour[d.Worst][0] != 0 {
					t.Errorf("behaviour %v: want the best mode playing 1 always, the worst never", d.Behaviour)
				}
			}
		})
	}
}

// TestOneModeNoSpread: an entry of one latent mode has no spread — it is
// undefined (NaN), written as null in JSON and read back as NaN, reported
// as "n/a (one mode)" without the "same return" line — never 0 ± 0,
// which reads as certainty; two modes keep a measured spread.
func TestOneModeNoSpread(t *testing.T) {
	for _, k := range []int{1, 2} {
		g := newPickGame(t, 3)
		newGame := func() (env.Game, error) { return g, nil }
		d, err := modeDiagnostics(toyModes{k: k, crn: true}, g.spec, newGame, 20, 7)
		if err != nil {
			t.Fatal(err)
		}
		one := k == 1
		if got := math.IsNaN(d.Spread.Mean) && math.IsNaN(d.Spread.CI95) && math.IsNaN(d.SameWithin); got != one {
			t.Errorf("K = %d: spread %v ± %v, same within %v; want undefined: %v", k, d.Spread.Mean, d.Spread.CI95, d.SameWithin, one)
		}
		if d.Indistinguishable && one {
			t.Error("one mode reported indistinguishable from itself")
		}
		text := ModesText(d)
		if strings.Contains(text, "n/a (one mode)") != one || strings.Contains(text, "same return") && one {
			t.Errorf("K = %d: report text %q", k, text)
		}
		data, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		nulls := bytes.Contains(data, []byte(`"spread":{"mean":null,"ci95":null,"episodes":20},"indistinguishable":false,"same_within":null`))
		if nulls != one || bytes.Contains(data, []byte("null")) && !one {
			t.Errorf("K = %d: JSON %s", k, data)
		}
		var back ModeDiagnostics
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(back.Spread.Mean) != one || math.IsNaN(back.Spread.CI95) != one || math.IsNaN(back.SameWithin) != one {
			t.Errorf("K = %d: read back spread %v ± %v, same within %v", k, back.Spread.Mean, back.Spread.CI95, back.SameWithin)
		}
		if !one && (back.Spread != d.Spread || back.SameWithin != d.SameWithin) {
			t.Errorf("K = 2: read back %+v, wrote %+v", back.Spread, d.Spread)
		}
	}
}

// TestResultsJSONUndefined: results.json writes an undefined mean or
// interval (NaN: fewer than 2 episodes, no spread) as null — in the
// returns per type, the line-ups, the adaptation's and the modes'
// estimates — never as 0, and a reader gets NaN back; measured values
// round-trip exactly.
func TestResultsJSONUndefined(t *testing.T) {
	nan := math.NaN()
	undef := Estimate{Mean: nan, CI95: nan, Episodes: 1}
	rep := &Report{Game: "toy",
		Results: []Result{{Label: "agents=1", Entry: "mra", Algo: "mra",
			Returns:    []TypeReturn{{Type: "agents", Agents: 1, Mean: 0.25, CI95: nan}, {Type: "none", Mean: nan, CI95: nan}},
			ReturnMean: 0.25, ReturnCI95: nan,
			Adapted: &Adaptation{ZeroShot: Estimate{Mean: 0.5, CI95: nan, Episodes: 1}, BestMode: undef, Adapted: Estimate{Mean: 0.5, CI95: 0.125, Episodes: 4}},
			Modes:   &ModeDiagnostics{Prior: []float64{1}, Modes: []Estimate{{Mean: 0.5, CI95: nan, Episodes: 1}}, Spread: undef, SameWithin: nan}}},
		Lineups: []Lineup{{Label: "agents=1", Entries: []string{"mra"}, Returns: []TypeReturn{{Type: "agents", Agents: 1, Mean: 0.25, CI95: nan}}}},
	}
	path := t.TempDir() + "/results.json"
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(`"ci95": 0,`)) || bytes.Contains(data, []byte(`"ci95": 0\n`)) || bytes.Contains(data, []byte(`"mean": 0,`)) {
		t.Errorf("an undefined value written as 0:\n%s", data)
	}
	var back struct {
		Results []struct {
			Returns []TypeReturn     `json:"returns"`
			Adapted *Adaptation      `json:"adaptation"`
			Modes   *ModeDiagnostics `json:"modes"`
		} `json:"results"`
		Lineups []Lineup `json:"lineups"`
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	r := back.Results[0]
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"return mean", r.Returns[0].Mean, 0.25}, {"return ci95", r.Returns[0].CI95, nan},
		{"absent type's mean", r.Returns[1].Mean, nan}, {"absent type's ci95", r.Returns[1].CI95, nan},
		{"zero-shot mean", r.Adapted.ZeroShot.Mean, 0.5}, {"zero-shot ci95", r.Adapted.ZeroShot.CI95, nan},
		{"best-mode mean", r.Adapted.BestMode.Mean, nan}, {"adapted ci95", r.Adapted.Adapted.CI95, 0.125},
		{"mode ci95", r.Modes.Modes[0].CI95, nan}, {"spread", r.Modes.Spread.Mean, nan}, {"spread ci95", r.Modes.Spread.CI95, nan},
		{"same within", r.Modes.SameWithin, nan}, {"line-up ci95", back.Lineups[0].Returns[0].CI95, nan},
	} {
		if !same(c.got, c.want) {
			t.Errorf("%s read back as %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.Adapted.Adapted.Episodes != 4 || r.Returns[0].Type != "agents" || r.Returns[0].Agents != 1 {
		t.Errorf("fields lost: %+v, %+v", r.Adapted.Adapted, r.Returns[0])
	}
}

// TestJSONMirrorsFields: the JSON forms of Estimate and TypeReturn have
// every field of the types they write.
func TestJSONMirrorsFields(t *testing.T) {
	for _, c := range []struct{ typ, mirror any }{{Estimate{}, estimateJSON{}}, {TypeReturn{}, typeReturnJSON{}}, {ModeDiagnostics{}, modesJSON{}}} {
		a, b := reflect.TypeOf(c.typ), reflect.TypeOf(c.mirror)
		if a.NumField() != b.NumField() {
			t.Fatalf("%v has %d fields, its JSON form %d", a, a.NumField(), b.NumField())
		}
		for i := range a.NumField() {
			if a.Field(i).Name != b.Field(i).Name || a.Field(i).Tag != b.Field(i).Tag {
				t.Errorf("%v field %d: %s %q, JSON form %s %q", a, i, a.Field(i).Name, a.Field(i).Tag, b.Field(i).Name, b.Field(i).Tag)
			}
		}
	}
}

// TestBudgetTextBestResponses: the budget line gives the best responses'
// episodes only where best responses were trained; where none were (a
// NashConv mode that trains none, as br_episodes = 0 selects, or every
// NashConv exact) it says so.
func TestBudgetTextBestResponses(t *testing.T) {
	br := BRBudget{EpisodesPerAgent: 50}
	br.Episodes = 1000
	for _, tc := range []struct {
		name, mode, method string
		trained            bool
	}{
		{"br_episodes = 0", ModeExactWhereGiven, NashConvNone, false},
		{"off", ModeOff, NashConvNone, false},
		{"exact", ModeExact, NashConvExact, false},
		{"auto, all exact", ModeAuto, NashConvExact, false},
		{"auto, deviations", ModeAuto, NashConvBR, true},
		{"br", ModeBR, NashConvBR, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &Report{Budget: Budget{Episodes: 4, NashConv: tc.mode, BR: br}, Results: []Result{{NashConvMethod: tc.method}}}
			text := rep.BudgetText()
			if strings.Contains(text, "1000 + 50·N") != tc.trained || strings.Contains(text, "best responses: none trained") == tc.trained {
				t.Errorf("trained %v: %s", tc.trained, text)
			}
		})
	}
}
