package league

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/curves"
)

// WriteJSON writes the report as indented JSON (schema in the README),
// atomically. NaN values (no adaptation, a single episode's interval) are
// written as null.
func (r *Report) WriteJSON(path string) error {
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		type result struct {
			Result
			ReturnCI95        *float64 `json:"return_ci95"`
			AdaptedReturnMean *float64 `json:"adapted_return_mean"`
		}
		out := struct {
			Game     string     `json:"game"`
			Results  []result   `json:"results"`
			Lineups  []Lineup   `json:"lineups,omitempty"`
			MetaGame []MetaGame `json:"metagame,omitempty"`
		}{Game: r.Game, Lineups: r.Lineups, MetaGame: r.MetaGame}
		for _, res := range r.Results {
			res.Returns = finiteReturns(res.Returns)
			out.Results = append(out.Results, result{Result: res, ReturnCI95: finite(res.ReturnCI95), AdaptedReturnMean: finite(res.AdaptedReturnMean())})
		}
		for i := range out.Lineups {
			out.Lineups[i].Returns = finiteReturns(out.Lineups[i].Returns)
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

// finiteReturns replaces undefined intervals by 0 for JSON, which has no NaN.
func finiteReturns(ts []TypeReturn) []TypeReturn {
	out := append([]TypeReturn(nil), ts...)
	for i := range out {
		if math.IsNaN(out[i].CI95) {
			out[i].CI95 = 0
		}
		if math.IsNaN(out[i].Mean) {
			out[i].Mean = 0
		}
	}
	return out
}

// csvHeader is the first line of results.csv.
var csvHeader = []string{"population", "agents", "name", "algo", "seen", "return_mean", "return_ci95", "zero_shot_return", "adapted_return_mean", "nashconv", "nashconv_ci95", "nashconv_method"}

// WriteCSV writes one row per population and entry, atomically.
func (r *Report) WriteCSV(path string) error {
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(csvHeader)
		for _, res := range r.Results {
			zero, adapted := "", ""
			if res.Adapted != nil {
				zero, adapted = num(res.Adapted.ZeroShot), num(res.Adapted.Adapted)
			}
			nc, nci := "", ""
			if res.NashConvMethod != NashConvNone {
				nc, nci = num(res.NashConv), num(res.NashConvCI95)
			}
			cw.Write([]string{res.Label, strconv.Itoa(res.Population.Total()), res.Entry, res.Algo, strconv.FormatBool(res.Seen),
				num(res.ReturnMean), num(res.ReturnCI95), zero, adapted, nc, nci, res.NashConvMethod})
		}
		cw.Flush()
		return cw.Error()
	})
}

func num(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 8, 64)
}

// Table writes the terminal table of one population.
func (r *Report) Table(w io.Writer, label string) {
	fmt.Fprintf(w, "%s\n", label)
	fmt.Fprintf(w, "  %-24s %-8s %5s  %-22s %-22s %s\n", "entry", "algo", "seen", "return (mean ± 95%)", "zero-shot → adapted", "NashConv")
	for _, res := range r.Results {
		if res.Label != label {
			continue
		}
		adapt := "—"
		if res.Adapted != nil {
			adapt = fmt.Sprintf("%.4f → %.4f", res.Adapted.ZeroShot, res.Adapted.Adapted)
		}
		nc := "—"
		switch res.NashConvMethod {
		case NashConvExact:
			nc = fmt.Sprintf("%.4f (exact; strategy %s)", res.NashConv, probs(res.Strategy))
		case NashConvBR:
			nc = fmt.Sprintf("≥ %.4f ± %.4f (best-response estimate)", res.NashConv, res.NashConvCI95)
		}
		seen := "no"
		if res.Seen {
			seen = "yes"
		}
		fmt.Fprintf(w, "  %-24s %-8s %5s  %-22s %-22s %s\n", res.Entry, res.Algo, seen, pm(res.ReturnMean, res.ReturnCI95), adapt, nc)
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

// WriteMarkdown writes report.md: a table per population, the line-up
// tables and meta-game solutions of multi-type games, and how NashConv was
// computed.
func (r *Report) WriteMarkdown(path string, title string) error {
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		fmt.Fprintf(w, "# %s\n\nGame `%s`. Returns are mean episode returns per agent with 95%% confidence half-widths. NashConv is the sum over agents of the best deviation gain in episode return: exact where the game gives exact payoffs, otherwise a lower bound from trained best responses (one agent of each type, scaled by the type's count), with its 95%% half-width.\n\n", title, r.Game)
		for _, label := range r.Labels() {
			fmt.Fprintf(w, "## %s\n\n| entry | algo | trained here | return | zero-shot | adapted | NashConv | method |\n|---|---|---|---|---|---|---|---|\n", label)
			for _, res := range r.Results {
				if res.Label != label {
					continue
				}
				zero, adapted := "", ""
				if res.Adapted != nil {
					zero, adapted = fmt.Sprintf("%.4f", res.Adapted.ZeroShot), fmt.Sprintf("%.4f", res.Adapted.Adapted)
				}
				nc := ""
				if res.NashConvMethod != NashConvNone {
					nc = pm(res.NashConv, res.NashConvCI95)
				}
				method := res.NashConvMethod
				if method == NashConvExact && res.Strategy != nil {
					method += ", strategy " + probs(res.Strategy)
				}
				fmt.Fprintf(w, "| %s | %s | %v | %s | %s | %s | %s | %s |\n", res.Entry, res.Algo, res.Seen, pm(res.ReturnMean, res.ReturnCI95), zero, adapted, nc, method)
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
						fmt.Fprintf(w, "\n%s: α-Rank mass %s; projected replicator dynamics %s\n", typ, vec(mg.Entries, mg.AlphaRank[t]), vec(mg.Entries, mg.PRD[t]))
					}
				}
			}
			fmt.Fprintln(w)
		}
		return nil
	})
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
	}
	if len(names) > 0 {
		var series []curves.Series
		for _, n := range names {
			s := byEntry[n]
			sortXY(s)
			series = append(series, *s)
		}
		path := filepath.Join(dir, "nashconv.png")
		if err := curves.Write(path, "NashConv by population size", "agents", "NashConv", series); err != nil {
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
	for i, j := range idx {
		x[i], y[i] = s.X[j], s.Y[j]
	}
	s.X, s.Y = x, y
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
