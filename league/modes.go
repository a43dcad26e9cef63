package league

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
)

// Mode diagnostics: does an entry's choice of latent mode matter at a
// population?
//
// For an entry whose networks play K latent modes (learner.ModePriors),
// every agent plays one-hot mode k, for every k, on the same
// Options.Episodes selection episodes and then on the same test episodes
// (common random numbers, seeds disjoint from the evaluation's). The best
// and the worst mode are chosen on the selection episodes and their
// difference is measured, paired episode by episode, on the test episodes:
// choosing and measuring on the same episodes would make the spread of K
// equal modes positive by chance alone. Where the game offers
// env.BehaviourStats, the statistics are averaged over every step of each
// mode's test episodes.

// ModeDiagnostics is what the modes of one entry do at one population.
type ModeDiagnostics struct {
	Prior []float64  `json:"prior"` // p(z | m) at the population, over the K modes
	Modes []Estimate `json:"modes"` // mode k: mean return per agent on the test episodes, every agent playing k
	Best  int        `json:"best"`  // the mode of the highest return on the selection episodes
	Worst int        `json:"worst"` // the mode of the lowest
	// Spread is the best mode's return minus the worst's on the test
	// episodes, paired, with its 95% interval; undefined (NaN, null in
	// JSON) with one mode, which has no spread.
	Spread Estimate `json:"spread"`
	// Indistinguishable reports whether the spread's interval includes 0:
	// the modes give the same return within SameWithin.
	Indistinguishable bool    `json:"indistinguishable"`
	SameWithin        float64 `json:"same_within"` // |spread| + its 95% half-width; NaN (null) where the interval is undefined
	// BehaviourNames names the game's statistics (env.BehaviourStats) and
	// Behaviour[k] their means over the steps of mode k's test episodes;
	// both empty for a game without them.
	BehaviourNames []string    `json:"behaviour_names,omitempty"`
	Behaviour      [][]float64 `json:"behaviour,omitempty"`
}

// Mode-diagnostic seed streams under SubSeed(job seed, streamModes).
const (
	streamModes       = 4
	streamModesSelect = 0
	streamModesTest   = 1
)

// modeDiagnostics plays every mode of mp at spec's population (see the
// comment above), from seed.
func modeDiagnostics(mp learner.ModePriors, spec *env.Spec, newGame func() (env.Game, error), episodes int, seed uint64) (*ModeDiagnostics, error) {
	k := mp.Latents()
	if k < 1 {
		return nil, fmt.Errorf("league: mode diagnostics at %v: %d latent modes", spec.Population, k)
	}
	g, err := newGame()
	if err != nil {
		return nil, err
	}
	d := &ModeDiagnostics{Prior: mp.PopulationPrior(spec.Population), Modes: make([]Estimate, k)}
	bs, _ := g.(env.BehaviourStats)
	if bs != nil {
		d.BehaviourNames = bs.BehaviourNames()
		d.Behaviour = make([][]float64, k)
	}
	types := len(spec.Types)
	sel := make([]float64, k)
	test := make([][]float64, k)
	for mode := range k {
		onehot := make([]float64, k)
		onehot[mode] = 1
		modes := make([][]float64, types)
		for t := range modes {
			modes[t] = onehot
		}
		pol, err := mp.ModePlayer(spec, modes, 0)
		if err != nil {
			return nil, fmt.Errorf("league: mode %d at %v: %w", mode, spec.Population, err)
		}
		xs := crnReturns(g, pol, env.SubSeed(seed, streamModesSelect), episodes, nil, nil)
		sel[mode] = mean(xs)
		var behaviour []float64
		if bs != nil {
			behaviour = make([]float64, len(d.BehaviourNames))
			d.Behaviour[mode] = behaviour
		}
		test[mode] = crnReturns(g, pol, env.SubSeed(seed, streamModesTest), episodes, bs, behaviour)
		m, ci := meanCI(test[mode])
		d.Modes[mode] = Estimate{Mean: m, CI95: ci, Episodes: episodes}
	}
	for mode := range k {
		if sel[mode] > sel[d.Best] {
			d.Best = mode
		}
		if sel[mode] < sel[d.Worst] {
			d.Worst = mode
		}
	}
	diff := make([]float64, episodes)
	for i := range diff {
		diff[i] = test[d.Best][i] - test[d.Worst][i]
	}
	m, ci := meanCI(diff)
	switch {
	case k == 1:
		m, ci = math.NaN(), math.NaN() // one mode has no spread
	case d.Best == d.Worst:
		m, ci = 0, 0 // all equal on the selection episodes
	}
	d.Spread = Estimate{Mean: m, CI95: ci, Episodes: episodes}
	d.SameWithin = math.NaN()
	if !math.IsNaN(ci) {
		d.Indistinguishable = math.Abs(m) <= ci
		d.SameWithin = math.Abs(m) + ci
	}
	return d, nil
}

// modesJSON is ModeDiagnostics in JSON, fields in the same order, with
// null for an undefined (NaN) SameWithin.
type modesJSON struct {
	Prior             []float64   `json:"prior"`
	Modes             []Estimate  `json:"modes"`
	Best              int         `json:"best"`
	Worst             int         `json:"worst"`
	Spread            Estimate    `json:"spread"`
	Indistinguishable bool        `json:"indistinguishable"`
	SameWithin        *float64    `json:"same_within"`
	BehaviourNames    []string    `json:"behaviour_names,omitempty"`
	Behaviour         [][]float64 `json:"behaviour,omitempty"`
}

// MarshalJSON writes an undefined SameWithin (NaN) as null; the estimates
// write theirs as Estimate.MarshalJSON does.
func (d ModeDiagnostics) MarshalJSON() ([]byte, error) {
	return json.Marshal(modesJSON{d.Prior, d.Modes, d.Best, d.Worst, d.Spread, d.Indistinguishable, finite(d.SameWithin), d.BehaviourNames, d.Behaviour})
}

// UnmarshalJSON reads ModeDiagnostics.MarshalJSON's output: null is NaN
// (an absent key leaves the field as it was).
func (d *ModeDiagnostics) UnmarshalJSON(data []byte) error {
	aux := modesJSON{d.Prior, d.Modes, d.Best, d.Worst, d.Spread, d.Indistinguishable, &d.SameWithin, d.BehaviourNames, d.Behaviour}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	*d = ModeDiagnostics{aux.Prior, aux.Modes, aux.Best, aux.Worst, aux.Spread, aux.Indistinguishable, undefined(aux.SameWithin), aux.BehaviourNames, aux.Behaviour}
	return nil
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// crnReturns plays episodes of g with pol as playCRN does and returns each
// episode's return per agent. With bs, it adds the mean over every step of
// every episode of bs's statistics into behaviour.
func crnReturns(g env.Game, pol agents.Policy, seed uint64, episodes int, bs env.BehaviourStats, behaviour []float64) []float64 {
	spec := g.Spec()
	f := env.NewFrame(spec)
	actions := make([]int, spec.NumAgents())
	xs := make([]float64, episodes)
	var stat []float64
	steps := 0
	if bs != nil {
		stat = make([]float64, len(behaviour))
	}
	for k := range episodes {
		s := env.SubSeed(seed, uint64(k))
		g.Reset(s, f)
		if r, ok := pol.(interface{ Reseed(uint64) }); ok {
			r.Reseed(env.SubSeed(s, 1))
		}
		var total float64
		for !f.Done() {
			pol.Act(f, actions)
			g.Step(actions, f)
			for _, r := range f.Reward {
				total += r
			}
			if bs != nil {
				bs.Behaviour(stat)
				for i, v := range stat {
					behaviour[i] += v
				}
				steps++
			}
		}
		xs[k] = total / float64(spec.NumAgents())
	}
	if steps > 0 {
		for i := range behaviour {
			behaviour[i] /= float64(steps)
		}
	}
	return xs
}

// ModesText summarises mode diagnostics in one paragraph: the prior, each
// mode's test return, the spread and, when the modes are
// indistinguishable, the line that says so.
func ModesText(d *ModeDiagnostics) string {
	if d == nil {
		return ""
	}
	k := len(d.Modes)
	parts := make([]string, k)
	for i, e := range d.Modes {
		parts[i] = fmt.Sprintf("%d: %s", i+1, pm(e.Mean, e.CI95))
	}
	spread := fmt.Sprintf("(mode %d − mode %d, chosen on selection episodes, paired) %s", d.Best+1, d.Worst+1, SpreadText(d))
	if k < 2 {
		spread = SpreadText(d)
	}
	text := fmt.Sprintf("K = %d modes; prior %s; return per mode (test episodes, every agent playing it) %s; best − worst %s",
		k, probs(d.Prior), strings.Join(parts, ", "), spread)
	if len(d.BehaviourNames) > 0 {
		var rows []string
		for i, b := range d.Behaviour {
			cells := make([]string, len(b))
			for j, v := range b {
				cells[j] = fmt.Sprintf("%.2f", v)
			}
			rows = append(rows, fmt.Sprintf("%d: %s", i+1, strings.Join(cells, "/")))
		}
		text += fmt.Sprintf("; behaviour per mode (%s): %s", strings.Join(d.BehaviourNames, " / "), strings.Join(rows, ", "))
	}
	text += "."
	if line := SameText(d); line != "" {
		text += " " + line
	}
	return text
}

// SpreadText is the spread of the modes with its interval, or "n/a (one
// mode)" for an entry of one mode, which has no spread.
func SpreadText(d *ModeDiagnostics) string {
	if len(d.Modes) < 2 {
		return "n/a (one mode)"
	}
	return pm(d.Spread.Mean, d.Spread.CI95)
}

// SameText is the report's line for modes that are indistinguishable
// ("the K modes give the same return within ±x"), or "" when the spread's
// interval excludes 0 or there is one mode only.
func SameText(d *ModeDiagnostics) string {
	if d == nil || !d.Indistinguishable || len(d.Modes) < 2 {
		return ""
	}
	return fmt.Sprintf("The %d modes give the same return within ±%.4f.", len(d.Modes), d.SameWithin)
}

// entryModes returns the mode diagnostics of evaluation job j when it is
// an entry's self-play and the entry has latent modes, and nil otherwise.
func entryModes(entries []Entry, j Job, spec *env.Spec, newGame func() (env.Game, error), opts Options) (*ModeDiagnostics, error) {
	for _, e := range j.Entries {
		if e != j.Entries[0] {
			return nil, nil
		}
	}
	run, ok := entries[j.Entries[0]].(*Run)
	if !ok {
		return nil, nil
	}
	m, err := run.Load()
	if err != nil {
		return nil, err
	}
	defer m.Close()
	mp, ok := m.(learner.ModePriors)
	if !ok {
		return nil, nil
	}
	return modeDiagnostics(mp, spec, newGame, opts.Episodes, env.SubSeed(j.Seed, streamModes))
}
