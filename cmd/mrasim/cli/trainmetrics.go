package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/curves"
	"github.com/mrasim/mrasim/internal/fsutil"
	"github.com/mrasim/mrasim/internal/progress"
)

// What training shows of its metrics: the progress display's fields, the
// curves, and metrics.jsonl cut back to a checkpoint on resume.

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func progressFields(labels []string, m learner.Metrics) []progress.Field {
	var out []progress.Field
	for _, l := range labels {
		if by := m.MeanStepRewardByType[l]; len(by) > 1 {
			// Types of opposed interests: one number each, never their mean.
			for _, typ := range sortedKeys(by) {
				out = append(out, progress.Field{Name: l + " " + typ, Value: fmt.Sprintf("%.3f", by[typ])})
			}
		} else if v, ok := m.MeanStepReward[l]; ok {
			out = append(out, progress.Field{Name: l, Value: fmt.Sprintf("%.3f", v)})
		}
	}
	if m.StepsPerSecond > 0 {
		out = append(out, progress.Field{Name: "env-steps/s", Value: progress.FormatRate(m.StepsPerSecond)})
	}
	return out
}

func formatSeconds(s float64) string {
	return progress.FormatDuration(time.Duration(s * float64(time.Second)))
}

// trimMetrics cuts metrics.jsonl back to the lines of the checkpoint's
// episode and returns them: the checkpoint is the source of truth. Every
// line that decodes and is at or before the checkpoint's episode is kept,
// in order; lines past it (a run stopped after logging but before
// checkpointing) go, and so do lines that do not decode (a line torn by a
// full disk or a crash during an append, or damaged in place), wherever
// they are. A missing file starts empty. note says what was dropped and
// why, for the user.
func trimMetrics(path string, episode int) (kept []learner.Metrics, note string, err error) {
	data, err := fsutil.ReadRegular(path, 1<<30)
	if errors.Is(err, os.ErrNotExist) {
		note = fmt.Sprintf("%s was missing; the curves start again from episode %d", path, episode)
		data, err = nil, nil
	}
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	var bad []string // numbers of the lines that do not decode
	after, torn := 0, false
	for n, rest := 1, data; len(rest) > 0; n++ {
		line, cut := rest, true
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest, cut = rest[:i], rest[i+1:], false
		} else {
			rest = nil // no newline: the append did not finish
		}
		var m learner.Metrics
		if cut || json.Unmarshal(line, &m) != nil {
			bad = append(bad, fmt.Sprint(n))
			torn = torn || cut
			continue
		}
		if m.Episode > episode {
			after++
			continue
		}
		kept = append(kept, m)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	var notes []string
	if len(bad) > 0 {
		lines := bad
		if len(lines) > 5 {
			lines = append(lines[:5:5], "…")
		}
		n := fmt.Sprintf("%s: dropped %d line(s) that do not decode (line %s)", path, len(bad), strings.Join(lines, ", "))
		if torn {
			n += "; the last was cut short, as a full disk or a crash leaves it"
		}
		notes = append(notes, n)
	}
	if after > 0 {
		notes = append(notes, fmt.Sprintf("%s: dropped %d line(s) after the checkpoint's episode %d", path, after, episode))
	}
	if note == "" {
		note = strings.Join(notes, "\n")
	}
	return kept, note, checkpoint.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// writeCurves plots the mean reward per agent and step of each training
// population against episodes.
func writeCurves(path, name string, labels []string, history []learner.Metrics) error {
	series := curveSeries(labels, history)
	if len(series) == 0 {
		return nil
	}
	modes := modeSeries(labels, history)
	if len(modes) == 0 {
		return curves.Write(path, name, "episodes per population", "mean reward per agent and step", series)
	}
	return curves.WritePanels(path, []curves.Panel{
		{Title: name, XLabel: "episodes per population", YLabel: "mean reward per agent and step", Series: series},
		{Title: "latent modes: I(z; a | o) estimate, prior entropy per population, classifier accuracy, heads' attention spread", XLabel: "episodes per population", YLabel: "nats (accuracy, spread: fraction)", Series: modes},
		{Title: "latent modes: gradient norms (mean per update round)", XLabel: "episodes per population", YLabel: "log10 of the norm", Series: modeGradientSeries(history)},
	})
}

// modeGradientSeries is the gradient panel of writeCurves: log10 of each
// gradient norm of the mode diagnostics (MRA: the actor loss's and the MI
// term's gradients, the relation net's gradient and its weight-decay
// term), which span orders of magnitude. Points whose norm is not
// positive are left out.
func modeGradientSeries(history []learner.Metrics) []curves.Series {
	names := []string{"actor loss ‖∂/∂θ‖", "MI ‖∂/∂θ‖ (target policies)", "MI ‖∂/∂φ‖", "relation net ‖grad‖ (before clip)", "relation net weight decay"}
	series := make([]curves.Series, len(names))
	for i := range series {
		series[i].Label = names[i]
	}
	for _, m := range history {
		if m.Modes == nil {
			continue
		}
		d := m.Modes
		for i, v := range []*float64{d.ActorGrad, d.MIGradActor, d.MIGradRelation, d.RelationGrad, d.RelationDecay} {
			if v != nil && *v > 0 {
				series[i].X = append(series[i].X, float64(m.Episode))
				series[i].Y = append(series[i].Y, math.Log10(*v))
			}
		}
	}
	var out []curves.Series
	for _, s := range series {
		if len(s.X) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// modeSeries is the mode-diagnostics panel of writeCurves: the MI
// estimate, the prior's entropy per population and the game classifier's
// accuracy, for runs that log them (none for a learner without latent
// modes).
func modeSeries(labels []string, history []learner.Metrics) []curves.Series {
	var out []curves.Series
	mi := curves.Series{Label: "I(z; a | o) estimate"}
	acc := curves.Series{Label: "classifier accuracy"}
	spread := curves.Series{Label: "heads' attention spread (mean pairwise TV)"}
	ent := make([]curves.Series, len(labels))
	for i, l := range labels {
		ent[i].Label = "prior entropy " + l
	}
	for _, m := range history {
		x := float64(m.Episode)
		if m.PriorEntropy == nil {
			continue
		}
		mi.X, mi.Y = append(mi.X, x), append(mi.Y, m.MI)
		if m.ClassifierAccuracy != nil {
			acc.X, acc.Y = append(acc.X, x), append(acc.Y, *m.ClassifierAccuracy)
		}
		if m.Modes != nil && m.Modes.HeadSpread != nil {
			spread.X, spread.Y = append(spread.X, x), append(spread.Y, *m.Modes.HeadSpread)
		}
		for i, l := range labels {
			if v, ok := m.PriorEntropy[l]; ok {
				ent[i].X, ent[i].Y = append(ent[i].X, x), append(ent[i].Y, v)
			}
		}
	}
	for _, s := range append([]curves.Series{mi, acc, spread}, ent...) {
		if len(s.X) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// curveSeries is the curves of writeCurves: one per population, or one per
// population and type where a population has several types.
func curveSeries(labels []string, history []learner.Metrics) []curves.Series {
	var series []curves.Series
	for _, l := range labels {
		// A population of several types gets a curve per type: their
		// rewards may be opposed, and their mean would mean nothing.
		var types []string
		for _, m := range history {
			if by := m.MeanStepRewardByType[l]; len(by) > 1 {
				types = sortedKeys(by)
				break
			}
		}
		if len(types) == 0 {
			types = []string{""}
		}
		for _, typ := range types {
			var s curves.Series
			s.Label = l
			if typ != "" {
				s.Label = l + " " + typ
			}
			for _, m := range history {
				v, ok := m.MeanStepReward[l]
				if typ != "" {
					v, ok = m.MeanStepRewardByType[l][typ]
				}
				if ok {
					s.X = append(s.X, float64(m.Episode))
					s.Y = append(s.Y, v)
				}
			}
			if len(s.X) > 0 {
				series = append(series, s)
			}
		}
	}
	return series
}
