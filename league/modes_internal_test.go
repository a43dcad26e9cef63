package league

import (
	"math/rand/v2"
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
// for a single mode, which has nothing to compare).
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
		{"one mode", toyModes{k: 1, differ: true}, true},
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
