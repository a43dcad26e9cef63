package league

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
	"github.com/mrasim/mrasim/league/br"
	"github.com/mrasim/mrasim/league/meta"
)

// WriteJSON writes the report as indented JSON (schema in docs/guide/evaluation.md),
// atomically. NaN values (no adaptation, a single episode's interval) are
// written as null.
func (r *Report) WriteJSON(path string) error {
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		type result struct {
			Result
			ReturnCI95        *float64 `json:"return_ci95"`
			AdaptedReturnMean *float64 `json:"adapted_return_mean"`
			DeviationGainCI95 *float64 `json:"deviation_gain_ci95"`
			LowerBound        *float64 `json:"nashconv_lower_bound"`
			Detectable        *float64 `json:"detectable_gain"`
		}
		out := struct {
			Game     string     `json:"game"`
			Budget   Budget     `json:"budget"`
			Results  []result   `json:"results"`
			Lineups  []Lineup   `json:"lineups,omitempty"`
			MetaGame []MetaGame `json:"metagame,omitempty"`
		}{Game: r.Game, Budget: r.Budget, Lineups: r.Lineups, MetaGame: r.MetaGame}
		for _, res := range r.Results {
			out.Results = append(out.Results, result{Result: res, ReturnCI95: finite(res.ReturnCI95), AdaptedReturnMean: finite(res.AdaptedReturnMean()),
				DeviationGainCI95: finite(res.DeviationGainCI95), LowerBound: finite(res.LowerBound), Detectable: finite(res.Detectable)})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	})
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// undefined returns *float64 as decoded from JSON, where null (written
// for NaN) is nil: NaN for nil, the value otherwise.
func undefined(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// typeReturnJSON is TypeReturn in JSON, fields in the same order, with
// null for an undefined (NaN) mean or interval.
type typeReturnJSON struct {
	Type   string   `json:"type"`
	Agents int      `json:"agents"`
	Mean   *float64 `json:"mean"`
	CI95   *float64 `json:"ci95"`
}

// MarshalJSON writes an undefined mean or interval (NaN: no episodes, or
// fewer than 2 for an interval) as null, which JSON has for NaN: never as
// 0, which would read as a measured value, or certainty.
func (t TypeReturn) MarshalJSON() ([]byte, error) {
	return json.Marshal(typeReturnJSON{t.Type, t.Agents, finite(t.Mean), finite(t.CI95)})
}

// UnmarshalJSON reads TypeReturn.MarshalJSON's output: null is NaN (an
// absent key leaves the field as it was).
func (t *TypeReturn) UnmarshalJSON(data []byte) error {
	aux := typeReturnJSON{t.Type, t.Agents, &t.Mean, &t.CI95}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	t.Type, t.Agents, t.Mean, t.CI95 = aux.Type, aux.Agents, undefined(aux.Mean), undefined(aux.CI95)
	return nil
}

// estimateJSON is Estimate in JSON, fields in the same order, with null
// for an undefined (NaN) mean or interval.
type estimateJSON struct {
	Mean     *float64 `json:"mean"`
	CI95     *float64 `json:"ci95"`
	Episodes int      `json:"episodes"`
}

// MarshalJSON writes an undefined mean or interval (NaN) as null, as
// TypeReturn.MarshalJSON does.
func (e Estimate) MarshalJSON() ([]byte, error) {
	return json.Marshal(estimateJSON{finite(e.Mean), finite(e.CI95), e.Episodes})
}

// UnmarshalJSON reads Estimate.MarshalJSON's output: null is NaN (an
// absent key leaves the field as it was).
func (e *Estimate) UnmarshalJSON(data []byte) error {
	aux := estimateJSON{&e.Mean, &e.CI95, e.Episodes}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	e.Mean, e.CI95, e.Episodes = undefined(aux.Mean), undefined(aux.CI95), aux.Episodes
	return nil
}

// csvHeader is the first line of results.csv.
var csvHeader = []string{"population", "agents", "name", "algo", "seen", "return_mean", "return_ci95",
	"zero_shot_return", "zero_shot_ci95", "best_mode_return", "best_mode_ci95", "adapted_return_mean", "adapted_ci95", "chosen",
	"nashconv", "deviation_gain", "deviation_gain_ci95", "nashconv_lower_bound", "detectable_gain", "nashconv_method", "nashconv_exact", "br_train_episodes", "br_test_episodes", "no_deviation_found"}

// WriteCSV writes one row per population and entry, atomically.
func (r *Report) WriteCSV(path string) error {
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(csvHeader)
		for _, res := range r.Results {
			adapt := make([]string, 7)
			if a := res.Adapted; a != nil {
				adapt = []string{num(a.ZeroShot.Mean), num(a.ZeroShot.CI95), num(a.BestMode.Mean), num(a.BestMode.CI95), num(a.Adapted.Mean), num(a.Adapted.CI95), a.Chosen}
			}
			nc := make([]string, 5)
			switch res.NashConvMethod {
			case NashConvExact:
				nc[0] = num(res.NashConv)
			case NashConvBR:
				nc = []string{num(res.NashConv), num(res.DeviationGain), num(res.DeviationGainCI95), num(res.LowerBound), num(res.Detectable)}
			}
			exact := ""
			if res.NashConvExact != nil {
				exact = num(*res.NashConvExact)
			}
			train, test := brEpisodes(res)
			row := []string{res.Label, strconv.Itoa(res.Population.Total()), res.Entry, res.Algo, strconv.FormatBool(res.Seen),
				num(res.ReturnMean), num(res.ReturnCI95)}
			row = append(row, adapt...)
			row = append(row, nc...)
			row = append(row, res.NashConvMethod, exact, intOrEmpty(train), intOrEmpty(test), strconv.FormatBool(res.NoDeviationFound()))
			cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	})
}

// brEpisodes returns the largest training and test budgets of a result's
// best responses (0 without).
func brEpisodes(res Result) (train, test int) {
	for _, d := range res.Deviations {
		train, test = max(train, d.TrainEpisodes), max(test, d.TestEpisodes)
	}
	return train, test
}

func intOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func num(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 8, 64)
}

// NashConvText says what is known of a result's NashConv: the exact
// value, or the one-sided 95% lower bound from the deviations found
// ("≥ L", L clipped at 0 for display) with the measured gain, its
// two-sided 95% interval, the test episodes and the smallest gain they
// would have found. Nothing in it reads as an upper bound: a deviation
// not found may still exist.
func NashConvText(res Result) string {
	var s string
	switch res.NashConvMethod {
	case NashConvExact:
		s = fmt.Sprintf("%.4f (exact)", res.NashConv)
	case NashConvBR:
		train, test := brEpisodes(res)
		if res.NoDeviationFound() {
			s = fmt.Sprintf("≥ 0 (lower bound from the deviations found: none beat the incumbent in %d training episodes; %d test episodes would find a gain ≥ %s)",
				train, test, fnum(res.Detectable))
		} else {
			bound := "0"
			if res.LowerBound > 0 {
				bound = fmt.Sprintf("%.4f", res.LowerBound)
			}
			s = fmt.Sprintf("≥ %s (lower bound from the deviations found, 95%%; measured gain %s over %d test episodes, would find ≥ %s)",
				bound, pm(res.DeviationGain, res.DeviationGainCI95), test, fnum(res.Detectable))
		}
	default:
		return "—"
	}
	if res.NashConvExact != nil {
		s += fmt.Sprintf("; exact %.4f", *res.NashConvExact)
	}
	return s
}

func fnum(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.4f", v)
}

// AdaptationText summarises an adaptation: the test return of each
// candidate with its interval and the one the selection chose.
func AdaptationText(a *Adaptation) string {
	if a == nil {
		return "—"
	}
	part := func(name string, e Estimate) string {
		if e.Episodes == 0 {
			return ""
		}
		mark := ""
		if a.Chosen == name {
			mark = "*"
		}
		return fmt.Sprintf("%s%s %s", name, mark, pm(e.Mean, e.CI95))
	}
	var parts []string
	for _, p := range []string{part(CandidateZeroShot, a.ZeroShot), part(CandidateBestMode, a.BestMode), part(CandidateAdapted, a.Adapted)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " / ")
}

// Table writes the terminal table of one population.
func (r *Report) Table(w io.Writer, label string) {
	fmt.Fprintf(w, "%s\n", label)
	fmt.Fprintf(w, "  %-24s %-8s %5s  %-22s %s\n", "entry", "algo", "seen", "return (mean ± 95%)", "NashConv")
	for _, res := range r.Results {
		if res.Label != label {
			continue
		}
		seen := "no"
		if res.Seen {
			seen = "yes"
		}
		fmt.Fprintf(w, "  %-24s %-8s %5s  %-22s %s\n", res.Entry, res.Algo, seen, pm(res.ReturnMean, res.ReturnCI95), NashConvText(res))
		if res.Adapted != nil {
			fmt.Fprintf(w, "  %-24s adaptation, test episodes (* chosen on selection episodes): %s\n", "", AdaptationText(res.Adapted))
		}
		if d := res.Modes; d != nil {
			fmt.Fprintf(w, "  %-24s modes: best − worst %s", "", SpreadText(d))
			if line := SameText(d); line != "" {
				fmt.Fprintf(w, "; %s", line)
			}
			fmt.Fprintln(w)
		}
	}
}

func pm(mean, ci float64) string {
	if math.IsNaN(ci) {
		return fmt.Sprintf("%.4f", mean)
	}
	return fmt.Sprintf("%.4f ± %.4f", mean, ci)
}

// Labels returns the population labels in report order.
func (r *Report) Labels() []string {
	var out []string
	seen := map[string]bool{}
	for _, res := range r.Results {
		if !seen[res.Label] {
			seen[res.Label] = true
			out = append(out, res.Label)
		}
	}
	return out
}

// WriteMarkdown writes report.md: the budget, a table per population, the
// line-up tables and meta-game solutions of multi-type games, and how
// NashConv was computed.
func (r *Report) WriteMarkdown(path string, title string) error {
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		r.writeMarkdown(w, title)
		return nil
	})
}

// writeMarkdown writes report.md's text to w; each population's section is
// writePopulationMarkdown.
func (r *Report) writeMarkdown(w io.Writer, title string) {
	fmt.Fprintf(w, "# %s\n\nGame `%s`. Returns are mean episode returns per agent with 95%% confidence half-widths. "+
		"NashConv is the sum over agents of the best deviation gain in episode return: exact where the game gives it. "+
		"Elsewhere only a lower bound from the deviations found is known (\"≥ L\"): for one agent of each type, the trained response, "+
		"its greedy version and the search response compete with the incumbent on selection episodes; the best of them (the challenger) "+
		"is measured on separate test episodes (common random numbers). The measured gain is Σ over types of count × the chosen "+
		"deviation's test gain (0 where the incumbent was kept), unclipped, with its two-sided 95%% Student-t interval; L is its "+
		"one-sided 95%% lower confidence bound, shown clipped at 0. A deviation that was not found may still exist: \"would find ≥ X\" "+
		"is the gain the test episodes detect with probability 80%%, so smaller gains could have gone unnoticed. "+
		"At unseen sizes MRA plays the adaptation candidate the selection episodes preferred (*); "+
		"all candidates are measured on the same held-out test episodes.\n\n", title, r.Game)
	fmt.Fprintf(w, "%s\n\n", r.BudgetText())
	for _, label := range r.Labels() {
		r.writePopulationMarkdown(w, label)
	}
}

// BudgetText says in one line what the league spent. Where no best
// response was trained (no NashConv from deviations: the mode trains none,
// as with br_episodes = 0, or every NashConv was exact) it says so instead
// of the best responses' settings.
func (r *Report) BudgetText() string {
	b := r.Budget
	if !r.TrainedBestResponses() {
		return fmt.Sprintf("Budget: %d evaluation episodes per population and line-up; adaptation %d steps × %d episodes; NashConv mode %s; "+
			"best responses: none trained.", b.Episodes, b.AdaptSteps, b.AdaptEpisodes, b.NashConv)
	}
	return fmt.Sprintf("Budget: %d evaluation episodes per population and line-up; adaptation %d steps × %d episodes; NashConv mode %s; "+
		"best responses: %d + %d·N training episodes (%s, PPO, %s, lr %g, batch %d, %d epochs × %d minibatches), %d selection and %d test episodes.",
		b.Episodes, b.AdaptSteps, b.AdaptEpisodes, b.NashConv, b.BR.Episodes, b.BR.EpisodesPerAgent, warmText(b.BR.FromScratch),
		b.BR.Optimizer, b.BR.LR, b.BR.Batch, b.BR.Epochs, b.BR.Minibatches, b.BR.SelectEpisodes, b.BR.TestEpisodes) + searchText(b.BR.Config)
}

// TrainedBestResponses reports whether the league trained any best
// response: its NashConv mode trains them and some result's NashConv is a
// lower bound from the deviations found.
func (r *Report) TrainedBestResponses() bool {
	switch r.Budget.NashConv {
	case ModeOff, ModeExact, ModeExactWhereGiven:
		return false
	}
	for _, res := range r.Results {
		if res.NashConvMethod == NashConvBR || len(res.Deviations) > 0 {
			return true
		}
	}
	return false
}

// searchText says how the search response was set up.
func searchText(c br.Config) string {
	if !c.Search {
		return " Search response: off."
	}
	h := "to the episode's end"
	if c.SearchHorizon > 0 {
		h = fmt.Sprintf("%d steps, then the critic", c.SearchHorizon)
	}
	extra := ""
	if c.SearchHold > 1 {
		extra += fmt.Sprintf(", holding the action %d steps", c.SearchHold)
	}
	if c.SearchDepth > 1 {
		extra += fmt.Sprintf(", %d levels deep", c.SearchDepth)
	}
	if c.SearchMaxAgents > 0 {
		extra += fmt.Sprintf(", up to %d agents", c.SearchMaxAgents)
	}
	return fmt.Sprintf(" Search response: %d rollouts per action %s, base %s%s.", c.SearchRollouts, h, c.SearchBase, extra)
}

func warmText(scratch bool) string {
	if scratch {
		return "from scratch"
	}
	return "warm-started from the entry"
}

// writePopulationMarkdown writes one population's section of report.md.
func (r *Report) writePopulationMarkdown(w io.Writer, label string) {
	fmt.Fprintf(w, "## %s\n\n| entry | algo | trained here | return | adaptation (test episodes; * chosen) | NashConv | method |\n|---|---|---|---|---|---|---|\n", label)
	for _, res := range r.Results {
		if res.Label != label {
			continue
		}
		adapt := ""
		if res.Adapted != nil {
			adapt = AdaptationText(res.Adapted)
		}
		method := res.NashConvMethod
		if method == NashConvExact && res.Strategy != nil {
			method += ", strategy " + probs(res.Strategy)
		}
		fmt.Fprintf(w, "| %s | %s | %v | %s | %s | %s | %s |\n", res.Entry, res.Algo, res.Seen, pm(res.ReturnMean, res.ReturnCI95), adapt, NashConvText(res), method)
	}
	var modes []string
	for _, res := range r.Results {
		if res.Label == label && res.Modes != nil {
			modes = append(modes, fmt.Sprintf("- %s: %s", res.Entry, ModesText(res.Modes)))
		}
	}
	if len(modes) > 0 {
		fmt.Fprintf(w, "\nLatent modes (every agent playing one mode):\n\n%s\n", strings.Join(modes, "\n"))
	}
	var devs []string
	var off []string
	for _, res := range r.Results {
		if res.Label != label {
			continue
		}
		for _, d := range res.Deviations {
			verdict := fmt.Sprintf("%s chosen: gain %s over %d test episodes", d.Choice, pm(d.Gain, d.GainCI95), d.TestEpisodes)
			if !d.Chosen {
				verdict = fmt.Sprintf("incumbent kept (gain 0); challenger's test gain %s over %d episodes", pm(d.ChallengerGain, d.GainCI95), d.TestEpisodes)
			}
			search := "—"
			if d.SearchOff == "" {
				search = fmt.Sprintf("%d decisions, %d rollout steps", d.SearchDecisions, d.SearchSteps)
			} else if !slices.Contains(off, d.SearchOff) {
				off = append(off, d.SearchOff)
			}
			devs = append(devs, fmt.Sprintf("| %s | %s | %d | %s | %d | %s %.4f | %s | %s | %s |", res.Entry, d.Type, d.Agents, d.WarmStart, d.TrainEpisodes,
				d.Challenger, d.SelectionGain, verdict, fnum(d.Detectable), search))
		}
	}
	if len(devs) > 0 {
		fmt.Fprintf(w, "\nDeviations tried (lower bounds; a deviation not found may still exist):\n\n| entry | type | agents | start | training episodes | challenger, selection gain | test | would find ≥ | search |\n|---|---|---|---|---|---|---|---|---|\n%s\n", strings.Join(devs, "\n"))
		for _, why := range off {
			fmt.Fprintf(w, "\nSearch response not tried: %s.\n", why)
		}
	}
	for _, mg := range r.MetaGame {
		if mg.Label != label {
			continue
		}
		fmt.Fprintf(w, "\nLine-ups (rows: entry playing %s; columns: entry playing %s; cells: %s return / %s return):\n\n| | %s |\n|---|%s\n", mg.Types[0], mg.Types[1], mg.Types[0], mg.Types[1], strings.Join(mg.Entries, " | "), strings.Repeat("---|", len(mg.Entries)))
		for i, e := range mg.Entries {
			cells := make([]string, len(mg.Entries))
			for j := range mg.Entries {
				cells[j] = fmt.Sprintf("%.3f / %.3f", mg.Payoffs[0][i][j], mg.Payoffs[1][i][j])
			}
			fmt.Fprintf(w, "| %s | %s |\n", e, strings.Join(cells, " | "))
		}
		if mg.Error != "" {
			fmt.Fprintf(w, "\nMeta-solvers: %s\n", mg.Error)
		} else {
			for t, typ := range mg.Types {
				var parts []string
				for _, s := range meta.Solvers() {
					parts = append(parts, s.Title+" "+vec(mg.Entries, mg.Solutions[s.Name][t]))
				}
				fmt.Fprintf(w, "\n%s: %s\n", typ, strings.Join(parts, "; "))
			}
		}
	}
	fmt.Fprintln(w)
}

func vec(names []string, v []float64) string {
	parts := make([]string, len(v))
	for i := range v {
		parts[i] = fmt.Sprintf("%s %.3f", names[i], v[i])
	}
	return strings.Join(parts, ", ")
}

// WriteFigures writes nashconv.png (NashConv against the number of agents,
// one line per entry, where NashConv was computed) and, for two-type
// games, a heat map of each type's line-up returns per population. It
// returns the files written.
func (r *Report) WriteFigures(dir string) ([]string, error) {
	var files []string
	byEntry := map[string]*curves.Series{}
	var names []string
	for _, res := range r.Results {
		if res.NashConvMethod == NashConvNone || math.IsNaN(res.NashConv) {
			continue
		}
		s, ok := byEntry[res.Entry]
		if !ok {
			s = &curves.Series{Label: res.Entry}
			byEntry[res.Entry] = s
			names = append(names, res.Entry)
		}
		s.X = append(s.X, float64(res.Population.Total()))
		s.Y = append(s.Y, res.NashConv)
		s.Low = append(s.Low, res.NashConv)
		s.High = append(s.High, res.NashConv)
	}
	if len(names) > 0 {
		var series []curves.Series
		for _, n := range names {
			s := byEntry[n]
			sortXY(s)
			series = append(series, *s)
		}
		path := filepath.Join(dir, "nashconv.png")
		if err := curves.Write(path, "NashConv by population size (exact, or the 95% lower bound from the deviations found)", "agents", "NashConv", series); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	for _, mg := range r.MetaGame {
		for t, typ := range mg.Types {
			path := filepath.Join(dir, fmt.Sprintf("lineups-%s-%s.png", sanitize(mg.Label), typ))
			title := fmt.Sprintf("%s: return of %s", mg.Label, typ)
			if err := curves.Heatmap(path, title, "entry playing "+mg.Types[0], "entry playing "+mg.Types[1], mg.Entries, mg.Entries, mg.Payoffs[t]); err != nil {
				return files, err
			}
			files = append(files, path)
		}
	}
	return files, nil
}

func sortXY(s *curves.Series) {
	idx := make([]int, len(s.X))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.X[idx[a]] < s.X[idx[b]] })
	x, y := make([]float64, len(idx)), make([]float64, len(idx))
	lo, hi := make([]float64, len(idx)), make([]float64, len(idx))
	for i, j := range idx {
		x[i], y[i], lo[i], hi[i] = s.X[j], s.Y[j], s.Low[j], s.High[j]
	}
	s.X, s.Y, s.Low, s.High = x, y, lo, hi
}

func sanitize(label string) string {
	return strings.NewReplacer("=", "", ",", "-").Replace(label)
}

func probs(p []float64) string {
	parts := make([]string, len(p))
	for i, v := range p {
		parts[i] = fmt.Sprintf("%.3f", v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
