package sweep

import (
	"encoding/json"
	"math"
	"sort"
	"strings"

	"github.com/mrasim/mrasim/internal/stats"
	"github.com/mrasim/mrasim/league"
)

// Outcome is one entry's evaluation at one population in one run: the
// numbers a sweep averages across seeds.
type Outcome struct {
	Scenario   string             `json:"scenario"`
	Algo       string             `json:"algo"`
	Seed       uint64             `json:"seed"`
	Population string             `json:"population"`
	Agents     int                `json:"agents"`
	Trained    bool               `json:"trained"`         // the run trained at this population
	Values     map[string]float64 `json:"values"`          // by Metric.Name; absent where not measured
	Notes      map[string]string  `json:"notes,omitempty"` // by Metric.Name, e.g. how NashConv was computed
}

// Metric is one number per run and population that a sweep averages across
// seeds. A new column of the report is one more entry of Metrics.
type Metric struct {
	Name  string // key in Outcome.Values and the csv/json reports
	Title string // how sweep.md and the plots name it
	// Value reads the metric from a league result; ok is false where the
	// result does not have it. note qualifies it (e.g. "exact").
	Value func(r league.Result) (v float64, note string, ok bool)
	// NonNegative marks a metric that cannot be negative (NashConv): its
	// reported interval is clipped at 0, never shown below the valid range.
	NonNegative bool
}

// Metrics are the aggregated metrics, in report order.
var Metrics = []Metric{
	{Name: "return", Title: "mean episode return per agent", Value: func(r league.Result) (float64, string, bool) {
		return r.ReturnMean, "", true
	}},
	{Name: "nashconv", Title: "NashConv", Value: func(r league.Result) (float64, string, bool) {
		return r.NashConv, r.NashConvMethod, r.NashConvMethod != league.NashConvNone
	}, NonNegative: true},
	{Name: "adapted_return", Title: "mean episode return per agent after adaptation (held-out episodes)", Value: func(r league.Result) (float64, string, bool) {
		if r.Adapted == nil {
			return 0, "", false
		}
		return r.Adapted.Adapted.Mean, "", true
	}},
	{Name: "zero_shot_return", Title: "mean episode return per agent, zero-shot (latents from the prior)", Value: func(r league.Result) (float64, string, bool) {
		if r.Adapted == nil {
			return 0, "", false
		}
		return r.Adapted.ZeroShot.Mean, "", true
	}},
	{Name: "mode_spread", Title: "return of the best latent mode minus the worst's (paired, held-out episodes)", Value: func(r league.Result) (float64, string, bool) {
		if r.Modes == nil {
			return 0, "", false
		}
		return r.Modes.Spread.Mean, "", true
	}},
}

// TypeReturnPrefix starts the names of per-type return metrics: in games
// with several agent types, "return.TYPE" is the mean episode return per
// agent of that type (for example each side of a pursuit game).
const TypeReturnPrefix = "return."

// Outcomes extracts the metrics of entry's results from a league report of
// one run: Metrics, and in games with several agent types the return of
// each type. Values that are not finite are left out: they are not
// measurements.
func Outcomes(rep *league.Report, entry, scenario, algo string, seed uint64) []Outcome {
	var out []Outcome
	for _, r := range rep.Results {
		if r.Entry != entry {
			continue
		}
		o := Outcome{Scenario: scenario, Algo: algo, Seed: seed, Population: r.Label, Agents: r.Population.Total(), Trained: r.Seen, Values: map[string]float64{}}
		if o.Agents == 0 {
			for _, n := range r.Counts {
				o.Agents += n
			}
		}
		for _, m := range Metrics {
			v, note, ok := m.Value(r)
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			o.Values[m.Name] = v
			if note != "" {
				if o.Notes == nil {
					o.Notes = map[string]string{}
				}
				o.Notes[m.Name] = note
			}
		}
		if len(r.Returns) > 1 {
			for _, t := range r.Returns {
				if t.Agents > 0 && !math.IsNaN(t.Mean) && !math.IsInf(t.Mean, 0) {
					o.Values[TypeReturnPrefix+t.Type] = t.Mean
				}
			}
		}
		out = append(out, o)
	}
	return out
}

// Row is one metric of one algorithm at one population, across seeds.
type Row struct {
	Scenario   string `json:"scenario"`
	Population string `json:"population"`
	Agents     int    `json:"agents"`
	Split      string `json:"split"` // "seen" (a training population of the grid) or "unseen"
	Algo       string `json:"algo"`
	Trained    bool   `json:"trained"` // this algorithm trained here
	Metric     string `json:"metric"`
	Note       string `json:"note,omitempty"`

	N    int     `json:"n"`    // seeds measured
	Mean float64 `json:"mean"` // mean over seeds
	// SD is the sample standard deviation across seeds and CI95 the
	// half-width of the 95% Student-t interval, t(0.975; n−1)·SD/√n; both
	// NaN (null in JSON) with one seed.
	SD     float64   `json:"sd"`
	CI95   float64   `json:"ci95"`
	Seeds  []uint64  `json:"seeds"`
	Values []float64 `json:"values"` // per seed, in Seeds' order
}

// MarshalJSON writes NaN statistics as null.
func (r Row) MarshalJSON() ([]byte, error) {
	type plain Row
	return json.Marshal(struct {
		plain
		SD   *float64 `json:"sd"`
		CI95 *float64 `json:"ci95"`
	}{plain(r), finite(r.SD), finite(r.CI95)})
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// metricOrder sorts metric names into report order: Metrics' order, then
// the others (per-type returns) by name.
func metricOrder(names []string) {
	rank := func(n string) int {
		for i, m := range Metrics {
			if m.Name == n {
				return i
			}
		}
		return len(Metrics)
	}
	sort.SliceStable(names, func(i, j int) bool {
		ri, rj := rank(names[i]), rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
}

// metricTitle returns how reports name a metric.
func metricTitle(name string) string {
	for _, m := range Metrics {
		if m.Name == name {
			return m.Title
		}
	}
	if t, ok := strings.CutPrefix(name, TypeReturnPrefix); ok {
		return "mean episode return per agent of type " + t
	}
	return name
}

// Aggregate groups outcomes by scenario, population, algorithm and metric
// and summarises each group across seeds. Rows follow the plan: scenarios
// in order, seen then unseen populations, the algorithms then random play
// then the references, metrics in report order (Metrics, then per-type returns by name); groups
// without a value give no row.
func Aggregate(p *Plan, outcomes []Outcome) []Row {
	type key struct{ scenario, pop, algo string }
	byKey := map[key][]Outcome{}
	seen := map[string]bool{}
	var names []string
	for _, o := range outcomes {
		k := key{o.Scenario, o.Population, o.Algo}
		byKey[k] = append(byKey[k], o)
		for n := range o.Values {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	metricOrder(names)
	algos := append([]string(nil), p.Algorithms...)
	if p.Random {
		algos = append(algos, AlgoRandom)
	}
	algos = append(algos, p.References...)
	var rows []Row
	for _, sc := range p.Scenarios {
		for _, split := range []struct {
			name string
			pops []string
		}{{"seen", sc.Seen}, {"unseen", sc.Unseen}} {
			for _, pop := range split.pops {
				for _, algo := range algos {
					group := bySeed(byKey[key{sc.Name, pop, algo}], p.Seeds)
					for _, m := range names {
						if r, ok := summarise(group, m); ok {
							r.Scenario, r.Population, r.Split, r.Algo, r.Metric = sc.Name, pop, split.name, algo, m
							rows = append(rows, r)
						}
					}
				}
			}
		}
	}
	return rows
}

// bySeed orders a group's outcomes by the plan's seeds, so that values and
// statistics do not depend on the order jobs finished in.
func bySeed(group []Outcome, seeds []uint64) []Outcome {
	var out []Outcome
	for _, s := range seeds {
		for _, o := range group {
			if o.Seed == s {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

func summarise(group []Outcome, metric string) (Row, bool) {
	var r Row
	for _, o := range group {
		v, ok := o.Values[metric]
		if !ok {
			continue
		}
		r.Seeds = append(r.Seeds, o.Seed)
		r.Values = append(r.Values, v)
		r.Agents = o.Agents
		r.Trained = r.Trained || o.Trained
		if n := o.Notes[metric]; n != "" {
			r.Note = n
		}
	}
	if len(r.Values) == 0 {
		return r, false
	}
	r.N = len(r.Values)
	r.Mean, r.SD, r.CI95 = stats.TInterval95(r.Values)
	return r, true
}

// Paired is the paired difference reference − algorithm of one metric at
// one population: per seed both were measured at (runs of one seed share
// their evaluation seed), across those seeds, with the Student-t interval
// of stats.TInterval95. Pairing removes what the seeds have in common, so it can
// tell two algorithms apart where their own intervals overlap.
type Paired struct {
	Scenario   string `json:"scenario"`
	Population string `json:"population"`
	Agents     int    `json:"agents"`
	Split      string `json:"split"`
	Reference  string `json:"reference"`
	Algo       string `json:"algo"`
	Metric     string `json:"metric"`

	N      int       `json:"n"`
	Mean   float64   `json:"mean"` // mean of reference − algorithm
	SD     float64   `json:"sd"`
	CI95   float64   `json:"ci95"`
	Seeds  []uint64  `json:"seeds"`
	Values []float64 `json:"values"` // per seed: reference − algorithm
}

// MarshalJSON writes NaN statistics as null.
func (r Paired) MarshalJSON() ([]byte, error) {
	type plain Paired
	return json.Marshal(struct {
		plain
		SD   *float64 `json:"sd"`
		CI95 *float64 `json:"ci95"`
	}{plain(r), finite(r.SD), finite(r.CI95)})
}

// Pair compares every other algorithm (and random play and the scripted
// references) with the reference algorithm, metric by metric, at every population where both have rows.
func Pair(rows []Row, reference string) []Paired {
	var out []Paired
	for _, ref := range rows {
		if ref.Algo != reference {
			continue
		}
		for _, r := range rows {
			if r.Algo == reference || r.Scenario != ref.Scenario || r.Population != ref.Population || r.Metric != ref.Metric {
				continue
			}
			p := Paired{Scenario: r.Scenario, Population: r.Population, Agents: r.Agents, Split: r.Split, Reference: reference, Algo: r.Algo, Metric: r.Metric}
			for i, s := range ref.Seeds {
				for j, t := range r.Seeds {
					if s == t {
						p.Seeds = append(p.Seeds, s)
						p.Values = append(p.Values, ref.Values[i]-r.Values[j])
					}
				}
			}
			if len(p.Values) == 0 {
				continue
			}
			p.N = len(p.Values)
			p.Mean, p.SD, p.CI95 = stats.TInterval95(p.Values)
			out = append(out, p)
		}
	}
	return out
}

// nonNegative reports whether the metric named name cannot be negative.
func nonNegative(name string) bool {
	for _, m := range Metrics {
		if m.Name == name {
			return m.NonNegative
		}
	}
	return false
}
