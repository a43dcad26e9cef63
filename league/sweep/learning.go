package sweep

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/mrasim/mrasim/internal/stats"
)

// CurveLog is one run's training curve at one training population, as
// its training logged it: the mean reward per agent and step of each log
// interval (Values[i]), at the episodes per population where the interval
// ended (Episodes[i]).
type CurveLog struct {
	Episodes []int
	Values   []float64
}

// CurvePoint is one algorithm's training curve at one training
// population and one logged episode, across seeds: the mean over seeds of
// the runs' mean reward per agent and step, with the 95% Student-t
// interval of stats.TInterval95.
type CurvePoint struct {
	Scenario   string
	Population string
	Algo       string
	Episode    int // episodes per population played when the interval ended

	N    int     // seeds
	Mean float64 // mean over seeds
	// SD is the sample standard deviation across seeds and CI95 the
	// half-width of the 95% Student-t interval; both NaN with one seed.
	SD, CI95 float64
	Seeds    []uint64
	Values   []float64 // per seed, in Seeds' order
}

// SetCurves aggregates the training curves of the report's runs into
// r.Curves: for every scenario, training population and algorithm, one
// point per logged episode with the mean over seeds and its interval.
// read returns a run's curves by training population (the command reads
// them from the run folder's metrics.jsonl); runs that failed are not
// read, and a run read fails for is left out with a note.
//
// Runs of one algorithm may have logged different episodes (another
// log_every, a log line lost): the curve keeps the episodes every run of
// that algorithm logged at that population and leaves the others out, so
// that every point averages the same seeds; each such case, and an
// algorithm whose runs share no logged episode (it has no curve then),
// is named in r.CurveNotes. Points past a run's budget (a run trained
// further than this report's rung) are left out too. Algorithms appear
// only at the populations they trained at; random play has no curve.
func (r *Report) SetCurves(read func(run RunSummary) (map[string]CurveLog, error)) {
	r.Curves, r.CurveNotes = nil, nil
	logs := make([]map[string]CurveLog, len(r.Runs))
	for i, run := range r.Runs {
		if run.Error != "" {
			continue
		}
		m, err := read(run)
		if err != nil {
			r.CurveNotes = append(r.CurveNotes, fmt.Sprintf("%s/%s/%s: no training curve: %v", run.Scenario, run.Algo, seedDir(run.Seed), err))
			continue
		}
		logs[i] = m
	}
	for _, sc := range r.Scenarios {
		for _, pop := range r.trainingPopulations(sc) {
			for _, algo := range r.Algorithms {
				r.curve(sc.Name, pop, algo, logs)
			}
		}
	}
}

// trainingPopulations lists the populations some run of scenario sc
// trained at: in the order of sc.Seen, then any other in the runs' order.
func (r *Report) trainingPopulations(sc ScenarioSummary) []string {
	var trained []string
	for _, run := range r.Runs {
		if run.Scenario == sc.Name {
			for _, p := range run.Populations {
				if !slices.Contains(trained, p) {
					trained = append(trained, p)
				}
			}
		}
	}
	var out []string
	for _, p := range sc.Seen {
		if slices.Contains(trained, p) {
			out = append(out, p)
		}
	}
	for _, p := range trained {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// curve appends algo's curve at population pop of scenario to r.Curves.
func (r *Report) curve(scenario, pop, algo string, logs []map[string]CurveLog) {
	type runCurve struct {
		seed   uint64
		values map[int]float64 // by episode
	}
	var runs []runCurve
	for _, seed := range r.Seeds {
		for i, run := range r.Runs {
			if run.Scenario != scenario || run.Algo != algo || run.Seed != seed || run.Error != "" || !slices.Contains(run.Populations, pop) || logs[i] == nil {
				continue
			}
			log, ok := logs[i][pop]
			if !ok || len(log.Episodes) == 0 {
				r.CurveNotes = append(r.CurveNotes, fmt.Sprintf("%s/%s/%s: no training curve logged at %s", scenario, algo, seedDir(seed), pop))
				continue
			}
			values := map[int]float64{}
			for k, ep := range log.Episodes {
				v := log.Values[k]
				if (run.Budget > 0 && ep > run.Budget) || math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				values[ep] = v // a repeated episode: the later line
			}
			runs = append(runs, runCurve{seed, values})
		}
	}
	if len(runs) == 0 {
		return
	}
	all := map[int]int{} // episode → runs that logged it
	for _, rc := range runs {
		for ep := range rc.values {
			all[ep]++
		}
	}
	var common []int
	for ep, n := range all {
		if n == len(runs) {
			common = append(common, ep)
		}
	}
	sort.Ints(common)
	where := fmt.Sprintf("%s/%s at %s", scenario, algo, pop)
	if len(common) == 0 {
		r.CurveNotes = append(r.CurveNotes, fmt.Sprintf("%s: its %d runs share no logged episode, so it has no curve", where, len(runs)))
		return
	}
	if left := len(all) - len(common); left > 0 {
		r.CurveNotes = append(r.CurveNotes, fmt.Sprintf("%s: its runs logged different episodes; the curve keeps the %d every run logged (up to episode %d) and leaves out %d logged by only some", where, len(common), common[len(common)-1], left))
	}
	for _, ep := range common {
		p := CurvePoint{Scenario: scenario, Population: pop, Algo: algo, Episode: ep, N: len(runs)}
		for _, rc := range runs {
			p.Seeds = append(p.Seeds, rc.seed)
			p.Values = append(p.Values, rc.values[ep])
		}
		p.Mean, p.SD, p.CI95 = stats.TInterval95(p.Values)
		r.Curves = append(r.Curves, p)
	}
}
