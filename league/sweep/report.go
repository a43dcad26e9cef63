package sweep

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/curves"
)

// Report is a sweep's aggregate: one row per scenario, population,
// algorithm and metric, and what each run cost.
type Report struct {
	Name       string            `json:"name"`
	Seeds      []uint64          `json:"seeds"`
	Algorithms []string          `json:"algorithms"`
	Random     bool              `json:"random"` // random play was evaluated
	Scenarios  []ScenarioSummary `json:"scenarios"`
	Interval   string            `json:"interval"`
	Rows       []Row             `json:"rows"`
	Paired     []Paired          `json:"paired"` // the first algorithm − each other one, paired by seed
	Runs       []RunSummary      `json:"runs"`
	Failures   []string          `json:"failures,omitempty"` // jobs that failed: their runs are not aggregated

	// Curves are the training curves across seeds (SetCurves), written to
	// curves.csv and the SCENARIO-curves-POPULATION.png figures rather
	// than sweep.json; CurveNotes say what SetCurves left out and why.
	Curves     []CurvePoint `json:"-"`
	CurveNotes []string     `json:"-"`
}

// ScenarioSummary names a scenario of the report and its populations.
type ScenarioSummary struct {
	Name   string   `json:"name"`
	Game   string   `json:"game"`
	File   string   `json:"file"`
	Seen   []string `json:"seen"`
	Unseen []string `json:"unseen"`
}

// RunSummary is one run's budget and cost.
type RunSummary struct {
	Scenario     string   `json:"scenario"`
	Algo         string   `json:"algo"`
	AlgoName     string   `json:"algo_name"`
	Seed         uint64   `json:"seed"`
	Dir          string   `json:"dir"`
	Populations  []string `json:"populations"` // training populations
	Episodes     int      `json:"episodes"`    // played per training population
	Budget       int      `json:"budget"`      // episodes per training population
	Finished     bool     `json:"finished"`
	Resumed      bool     `json:"resumed"` // this sweep continued it from a checkpoint
	Skipped      bool     `json:"skipped"` // it was already trained
	TrainSeconds float64  `json:"train_seconds"`
	EvalSeconds  float64  `json:"eval_seconds"`    // 0 when the evaluation was reused
	EvalReused   bool     `json:"eval_reused"`     // an identical evaluation was done before
	Error        string   `json:"error,omitempty"` // why its training or evaluation failed
}

// IntervalText says how every interval of a sweep report is computed.
const IntervalText = "mean over seeds ± half-width of the 95% confidence interval across seeds from Student's t distribution with n − 1 degrees of freedom (x̄ ± t(0.975; n−1)·s/√n, n = seeds); each seed contributes one value, its run's evaluation averaged over episodes; no interval with one seed"

// WriteJSON writes the report as indented JSON, atomically; undefined
// statistics are null.
func (r *Report) WriteJSON(path string) error {
	r.Interval = IntervalText
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
}

// csvHeader is the first line of sweep.csv.
var csvHeader = []string{"scenario", "population", "agents", "split", "algo", "trained", "metric", "note", "n", "mean", "sd", "ci95", "values"}

// WriteCSV writes one row per scenario, population, algorithm and metric,
// atomically; undefined statistics are empty, values are per seed joined
// by ";" in the seeds' order.
func (r *Report) WriteCSV(path string) error {
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(csvHeader)
		for _, row := range r.Rows {
			vals := make([]string, len(row.Values))
			for i, v := range row.Values {
				vals[i] = num(v)
			}
			cw.Write([]string{row.Scenario, row.Population, strconv.Itoa(row.Agents), row.Split, row.Algo, strconv.FormatBool(row.Trained),
				row.Metric, row.Note, strconv.Itoa(row.N), num(row.Mean), num(row.SD), num(row.CI95), strings.Join(vals, ";")})
		}
		cw.Flush()
		return cw.Error()
	})
}

// curvesHeader is the first line of curves.csv.
var curvesHeader = []string{"scenario", "population", "algo", "episode", "n", "mean", "ci95", "values"}

// WriteCurvesCSV writes the training curves (SetCurves), one row per
// scenario, training population, algorithm and logged episode,
// atomically: the mean over seeds of the mean reward per agent and step,
// the half-width of its 95% Student-t interval (empty with one seed) and
// the values per seed joined by ";" in the seeds' order.
func (r *Report) WriteCurvesCSV(path string) error {
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(curvesHeader)
		for _, p := range r.Curves {
			vals := make([]string, len(p.Values))
			for i, v := range p.Values {
				vals[i] = num(v)
			}
			cw.Write([]string{p.Scenario, p.Population, p.Algo, strconv.Itoa(p.Episode), strconv.Itoa(p.N), num(p.Mean), num(p.CI95), strings.Join(vals, ";")})
		}
		cw.Flush()
		return cw.Error()
	})
}

// pairedHeader is the first line of sweep-paired.csv.
var pairedHeader = []string{"scenario", "population", "agents", "split", "reference", "algo", "metric", "n", "mean", "sd", "ci95", "values"}

// WritePairedCSV writes the paired differences, one row per scenario,
// population, compared algorithm and metric, atomically, in the form of
// WriteCSV; mean and values are reference − algorithm.
func (r *Report) WritePairedCSV(path string) error {
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(pairedHeader)
		for _, p := range r.Paired {
			vals := make([]string, len(p.Values))
			for i, v := range p.Values {
				vals[i] = num(v)
			}
			cw.Write([]string{p.Scenario, p.Population, strconv.Itoa(p.Agents), p.Split, p.Reference, p.Algo, p.Metric,
				strconv.Itoa(p.N), num(p.Mean), num(p.SD), num(p.CI95), strings.Join(vals, ";")})
		}
		cw.Flush()
		return cw.Error()
	})
}

func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 8, 64)
}

// pm formats a mean with its interval, or the mean alone where the
// interval is undefined.
func pm(mean, ci float64) string {
	if math.IsNaN(ci) {
		return fmt.Sprintf("%.4f", mean)
	}
	return fmt.Sprintf("%.4f ± %.4f", mean, ci)
}

// pmMetric is pm for metric m: a metric that cannot be negative shows its
// interval as [max(0, x̄ − h), x̄ + h], never below the valid range.
func pmMetric(m string, mean, ci float64) string {
	if !nonNegative(m) || math.IsNaN(ci) {
		return pm(mean, ci)
	}
	return fmt.Sprintf("%.4f [%.4f, %.4f]", mean, max(0, mean-ci), mean+ci)
}

// columns returns the report's algorithm columns.
func (r *Report) columns() []string {
	cols := append([]string(nil), r.Algorithms...)
	if r.Random {
		cols = append(cols, AlgoRandom)
	}
	return cols
}

// WriteMarkdown writes sweep.md: per scenario and metric a table of
// populations × algorithms, then each algorithm's budget and cost.
func (r *Report) WriteMarkdown(path string) error {
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		seeds := make([]string, len(r.Seeds))
		for i, s := range r.Seeds {
			seeds[i] = strconv.FormatUint(s, 10)
		}
		fmt.Fprintf(w, "# Sweep %s\n\nSeeds %s (n = %d per cell unless a cell says otherwise). Algorithms: %s.\n\n", r.Name, strings.Join(seeds, ", "), len(r.Seeds), strings.Join(r.columns(), ", "))
		fmt.Fprintf(w, "Each cell is the %s. Evaluations play on seeds held out from training (derived from each training seed; the same for every algorithm at a seed). `*` marks populations the algorithm trained at; \"seen\" populations are training populations of some algorithm of the grid, \"unseen\" of none. Each run's own report, with intervals over episodes, is in its folder's eval/report.md.\n\n", IntervalText)
		if len(r.Failures) > 0 {
			fmt.Fprintf(w, "**%d jobs failed; their runs are left out of every table below:**\n\n", len(r.Failures))
			for _, f := range r.Failures {
				fmt.Fprintf(w, "- %s\n", strings.ReplaceAll(f, "\n", " "))
			}
			fmt.Fprintln(w)
		}
		cols := r.columns()
		for _, sc := range r.Scenarios {
			fmt.Fprintf(w, "## %s\n\nGame `%s`, scenario file `%s`.\n\n", sc.Name, sc.Game, sc.File)
			for _, m := range r.metricsOf(sc.Name) {
				note := r.noteOf(sc.Name, m)
				title := metricTitle(m)
				if note != "" {
					title += " (" + note + ")"
				}
				fmt.Fprintf(w, "### %s\n\n| population | split | %s |\n|---|---|%s\n", title, strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
				for _, pop := range append(append([]string(nil), sc.Seen...), sc.Unseen...) {
					split := "seen"
					if slices.Contains(sc.Unseen, pop) {
						split = "unseen"
					}
					cells := make([]string, len(cols))
					for i, algo := range cols {
						row, ok := r.row(sc.Name, pop, algo, m)
						switch {
						case !ok:
							cells[i] = "—"
						default:
							cells[i] = pmMetric(m, row.Mean, row.CI95)
							if row.N != len(r.Seeds) {
								cells[i] += fmt.Sprintf(" (n = %d)", row.N)
							}
							if row.Trained {
								cells[i] += " *"
							}
						}
					}
					fmt.Fprintf(w, "| %s | %s | %s |\n", pop, split, strings.Join(cells, " | "))
				}
				fmt.Fprintln(w)
				r.writePaired(w, sc, m)
			}
			r.writeBudgets(w, sc.Name)
		}
		r.writeCurveSection(w)
		return nil
	})
}

// writeCurveSection lists the training-curve figures and what SetCurves
// left out.
func (r *Report) writeCurveSection(w io.Writer) {
	if len(r.Curves) == 0 && len(r.CurveNotes) == 0 {
		return
	}
	fmt.Fprintf(w, "## Training curves\n\nMean reward per agent and step during training against episodes per population, one line per algorithm at each population it trained at, mean over seeds ± 95%% t-interval across seeds (no interval with one seed); the numbers are in curves.csv.\n\n")
	for _, f := range r.curveFigures() {
		fmt.Fprintf(w, "- %s at %s: `%s`\n", f.scenario, f.pop, f.file)
	}
	if len(r.CurveNotes) > 0 {
		fmt.Fprintf(w, "\nLeft out of the curves:\n\n")
		for _, n := range r.CurveNotes {
			fmt.Fprintf(w, "- %s\n", strings.ReplaceAll(n, "\n", " "))
		}
	}
	fmt.Fprintln(w)
}

// curveFigure is one training-curve figure: a scenario's training
// population.
type curveFigure struct{ scenario, pop, file string }

// curveFigures lists the figures WriteCurveFigures draws, in the order of
// r.Curves.
func (r *Report) curveFigures() []curveFigure {
	var out []curveFigure
	for _, p := range r.Curves {
		if !slices.ContainsFunc(out, func(f curveFigure) bool { return f.scenario == p.Scenario && f.pop == p.Population }) {
			out = append(out, curveFigure{p.Scenario, p.Population, fileName(p.Scenario) + "-curves-" + fileName(p.Population) + ".png"})
		}
	}
	return out
}

// WriteCurveFigures writes, per scenario and training population,
// SCENARIO-curves-POPULATION.png into dir (characters of the names other
// than letters, digits, '-', '_' and '.' become '_'): the training curve
// of every algorithm that trained there (SetCurves), the mean over seeds
// against episodes per population with its 95% t-interval as an error bar
// at each logged episode (algorithms shifted sideways by 0.4% of the
// axis each, so that their bars do not cover each other; curves.csv has
// the exact episodes). It returns the files written.
func (r *Report) WriteCurveFigures(dir string) ([]string, error) {
	var files []string
	for _, f := range r.curveFigures() {
		// Points of different algorithms at one episode are spread
		// sideways by a little, so that their error bars do not hide each
		// other.
		last := 0
		for _, p := range r.Curves {
			if p.Scenario == f.scenario && p.Population == f.pop {
				last = max(last, p.Episode)
			}
		}
		dodge := 0.004 * float64(max(last, 1))
		var series []curves.Series
		for k, algo := range r.Algorithms {
			s := curves.Series{Label: algo}
			n := 0
			for _, p := range r.Curves {
				if p.Scenario != f.scenario || p.Population != f.pop || p.Algo != algo {
					continue
				}
				ci := p.CI95
				if math.IsNaN(ci) {
					ci = 0
				}
				x := float64(p.Episode) + dodge*(float64(k)-float64(len(r.Algorithms)-1)/2)
				s.X, s.Y = append(s.X, x), append(s.Y, p.Mean)
				s.Low, s.High = append(s.Low, p.Mean-ci), append(s.High, p.Mean+ci)
				n = p.N
			}
			if len(s.X) == 0 {
				continue
			}
			if n != len(r.Seeds) {
				s.Label += fmt.Sprintf(" (n = %d)", n)
			}
			series = append(series, s)
		}
		path := filepath.Join(dir, f.file)
		title := fmt.Sprintf("%s at %s: training curves (mean ± 95%% t-interval across %d seeds)", f.scenario, f.pop, len(r.Seeds))
		if err := curves.Write(path, title, "episodes per population", "mean reward per agent and step", series); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

// writePaired writes the paired differences of one scenario's metric.
func (r *Report) writePaired(w io.Writer, sc ScenarioSummary, metric string) {
	var ref string
	var algos []string
	for _, p := range r.Paired {
		if p.Scenario == sc.Name && p.Metric == metric && !slices.Contains(algos, p.Algo) {
			ref = p.Reference
			algos = append(algos, p.Algo)
		}
	}
	if len(algos) == 0 {
		return
	}
	fmt.Fprintf(w, "Paired by seed: %s − algorithm (the same evaluation seeds; mean ± 95%% t-interval of the per-seed differences):\n\n| population | split | %s |\n|---|---|%s\n",
		ref, strings.Join(algos, " | "), strings.Repeat("---|", len(algos)))
	for _, pop := range append(append([]string(nil), sc.Seen...), sc.Unseen...) {
		cells := make([]string, len(algos))
		split := ""
		for i, a := range algos {
			cells[i] = "—"
			for _, p := range r.Paired {
				if p.Scenario == sc.Name && p.Metric == metric && p.Population == pop && p.Algo == a {
					cells[i], split = pm(p.Mean, p.CI95), p.Split
					if p.N != len(r.Seeds) {
						cells[i] += fmt.Sprintf(" (n = %d)", p.N)
					}
				}
			}
		}
		if split == "" {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", pop, split, strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
}

// writeBudgets writes each algorithm's training budget and mean cost per
// run in one scenario.
func (r *Report) writeBudgets(w io.Writer, scenario string) {
	fmt.Fprintf(w, "### Budget and wall time\n\nWall times are per run on this machine, mean over seeds (runs trained in parallel share its cores, so they are noisy).\n\n| algorithm | runs | training populations | episodes per population | total episodes | training wall (s) | evaluation wall (s) |\n|---|---|---|---|---|---|---|\n")
	for _, algo := range r.Algorithms {
		var runs []RunSummary
		for _, run := range r.Runs {
			if run.Scenario == scenario && run.Algo == algo && run.Error == "" {
				runs = append(runs, run)
			}
		}
		if len(runs) == 0 {
			continue
		}
		var train, eval float64
		for _, run := range runs {
			train += run.TrainSeconds
			eval += run.EvalSeconds
		}
		n := float64(len(runs))
		name := algo
		if runs[0].AlgoName != "" && runs[0].AlgoName != algo {
			name += " (" + runs[0].AlgoName + ")"
		}
		fmt.Fprintf(w, "| %s | %d | %s | %d | %d | %.1f | %.1f |\n", name, len(runs), strings.Join(runs[0].Populations, " "), runs[0].Budget,
			runs[0].Budget*len(runs[0].Populations), train/n, eval/n)
	}
	fmt.Fprintln(w)
}

// metricsOf lists the metrics with rows in a scenario, in report order.
func (r *Report) metricsOf(scenario string) []string {
	var out []string
	for _, row := range r.Rows {
		if row.Scenario == scenario && !slices.Contains(out, row.Metric) {
			out = append(out, row.Metric)
		}
	}
	metricOrder(out)
	return out
}

// noteOf returns the note of a scenario's metric (such as how NashConv was
// computed) when all its rows share it.
func (r *Report) noteOf(scenario, metric string) string {
	note, first := "", true
	for _, row := range r.Rows {
		if row.Scenario != scenario || row.Metric != metric {
			continue
		}
		if first {
			note, first = row.Note, false
		} else if row.Note != note {
			return ""
		}
	}
	return note
}

func (r *Report) row(scenario, pop, algo, metric string) (Row, bool) {
	for _, row := range r.Rows {
		if row.Scenario == scenario && row.Population == pop && row.Algo == algo && row.Metric == metric {
			return row, true
		}
	}
	return Row{}, false
}

// WriteFigures writes, per scenario and metric, SCENARIO-METRIC.png into
// dir: the metric against the number of agents, one line per algorithm,
// with 95% across-seed error bars (algorithms side by side around each
// population's count). It returns the files written.
func (r *Report) WriteFigures(dir string) ([]string, error) {
	var files []string
	for _, sc := range r.Scenarios {
		for _, m := range r.metricsOf(sc.Name) {
			var series []curves.ErrorSeries
			cols := r.columns()
			// Points of different algorithms at one population are spread
			// sideways by a little, so that their error bars do not hide
			// each other.
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, row := range r.Rows {
				if row.Scenario == sc.Name && row.Metric == m {
					lo, hi = math.Min(lo, float64(row.Agents)), math.Max(hi, float64(row.Agents))
				}
			}
			dodge := 0.01 * math.Max(hi-lo, 1)
			for k, algo := range cols {
				var pts []Row
				for _, row := range r.Rows {
					if row.Scenario == sc.Name && row.Algo == algo && row.Metric == m {
						pts = append(pts, row)
					}
				}
				if len(pts) == 0 {
					continue
				}
				sort.SliceStable(pts, func(i, j int) bool { return pts[i].Agents < pts[j].Agents })
				s := curves.ErrorSeries{Series: curves.Series{Label: algo}, NonNegative: nonNegative(m)}
				for _, p := range pts {
					ci := p.CI95
					if math.IsNaN(ci) {
						ci = 0
					}
					x := float64(p.Agents) + dodge*(float64(k)-float64(len(cols)-1)/2)
					s.X, s.Y, s.Err = append(s.X, x), append(s.Y, p.Mean), append(s.Err, ci)
				}
				series = append(series, s)
			}
			path := filepath.Join(dir, fileName(sc.Name)+"-"+m+".png")
			title := fmt.Sprintf("%s: %s (mean ± 95%% t-interval across %d seeds)", sc.Name, metricTitle(m), len(r.Seeds))
			if err := curves.WriteErrorBars(path, title, "agents", metricTitle(m), series); err != nil {
				return files, err
			}
			files = append(files, path)
		}
	}
	return files, nil
}

// fileName keeps a name's letters, digits, '-', '_' and '.'.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}
