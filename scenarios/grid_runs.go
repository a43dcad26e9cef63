package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/mrasim/mrasim/env"
)

// gridScenario loads one scenario file and builds and validates its runs
// and baseline documents; problems of the scenario file are reported with
// its own positions, problems of the combinations at the grid key that
// causes them.
func (d *decoder) gridScenario(path, file string, read func(string) ([]byte, error), eval, evalOver map[string]any, overrides map[string]map[string]any, g *Grid) (GridScenario, bool) {
	src, err := read(file)
	if err != nil {
		d.fail(path, err, "%v", err)
		return GridScenario{}, false
	}
	if !d.spend(path, len(src)) {
		return GridScenario{}, false
	}
	var base *Scenario
	if len(d.gridSets) == 0 {
		base, err = Parse(file, src)
	} else {
		texts := make([]string, len(d.gridSets))
		for i, o := range d.gridSets {
			texts[i] = o.text
		}
		// The scenario with the overrides, as train --set reads it.
		base, src, err = ParseSet(file, src, texts)
	}
	if err != nil {
		var list ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				if len(d.errs) < maxErrors {
					d.errs = append(d.errs, e)
				}
			}
		} else {
			d.fail(path, err, "%s: %v", file, err)
		}
		return GridScenario{}, false
	}
	var doc map[string]any
	if _, err := toml.Decode(string(src), &doc); err != nil {
		d.fail(path, err, "%s: %v", file, err) // Parse accepted it: cannot happen
		return GridScenario{}, false
	}
	sc := GridScenario{Name: base.Name, File: file, Game: base.Game.Name, Episodes: base.Train.Episodes}
	reg, err := env.Lookup(base.Game.Name)
	if err != nil {
		d.fail(path, err, "%v", err)
		return sc, false
	}
	var pops []any // eval.populations of the documents, when the grid sets them
	var seen, unseen []env.Population
	if v, ok := eval["seen"]; ok {
		seen = d.populations("eval.seen", v, reg, base.Game.Params)
	}
	if v, ok := eval["unseen"]; ok {
		unseen = d.populations("eval.unseen", v, reg, base.Game.Params)
	}
	for i, p := range unseen {
		for _, q := range seen {
			if p.Equal(q) {
				d.fail(fmt.Sprintf("eval.unseen[%d]", i), nil, "population %v is also in eval.seen", p)
			}
		}
	}
	for _, p := range append(append([]env.Population(nil), seen...), unseen...) {
		pops = append(pops, p.String())
	}

	before := len(d.errs)
	trained := map[string][]string{} // population → labels that train there
	for _, label := range g.Algorithms {
		for si, seed := range g.Seeds {
			run, ok := d.gridDoc(doc, sc.Name, label, overrides[label], evalOver, pops, seed)
			if !ok {
				break
			}
			if si == 0 {
				for _, p := range run.Spec.Train.Populations {
					trained[p.String()] = append(trained[p.String()], label)
				}
			}
			g.Runs = append(g.Runs, run)
		}
	}
	for si, seed := range g.Seeds {
		run, ok := d.gridDoc(doc, sc.Name, "", nil, evalOver, pops, seed)
		if !ok {
			break
		}
		if si == 0 && pops == nil {
			// Split the scenario's own evaluation populations.
			for _, p := range run.Spec.Eval.Populations {
				if len(trained[p.String()]) > 0 {
					seen = append(seen, p)
				} else {
					unseen = append(unseen, p)
				}
			}
		}
		sc.Baseline = append(sc.Baseline, run.Source)
	}
	if len(d.errs) > before {
		return sc, false
	}
	for i, p := range seen {
		if len(trained[p.String()]) == 0 && pops != nil {
			d.fail(fmt.Sprintf("eval.seen[%d]", i), nil, "population %v of scenario %s is no algorithm's training population: list it in eval.unseen", p, sc.Name)
		}
	}
	for i, p := range unseen {
		if l := trained[p.String()]; len(l) > 0 {
			d.fail(fmt.Sprintf("eval.unseen[%d]", i), nil, "population %v of scenario %s is a training population of algorithms.%s: list it in eval.seen", p, sc.Name, l[0])
		}
	}
	sc.Seen, sc.Unseen = seen, unseen
	return sc, len(d.errs) == before
}

// checkGridSets refuses the --set overrides that would change nothing or
// break the grid: keys the grid sets itself for every run (seed, name,
// out; an [eval] key of the grid's [eval]; the evaluation populations when
// the grid gives eval.seen or eval.unseen; an [algo] or [train] key that
// every algorithm table sets; train.episodes under a ladder).
func (d *decoder) checkGridSets(g *Grid, eval map[string]any, overrides map[string]map[string]any) {
	setByAll := func(table, key string) bool {
		if len(g.Algorithms) == 0 {
			return false
		}
		for _, l := range g.Algorithms {
			t := overrides[l]
			if table == "train" {
				t, _ = t["train"].(map[string]any)
			}
			if _, ok := t[key]; !ok {
				return false
			}
		}
		return true
	}
	for _, o := range d.gridSets {
		key, top := strings.Join(o.path, "."), o.path[0]
		var why string
		switch {
		case key == "seed":
			why = "the grid's seeds set every run's seed"
		case key == "name":
			why = "a scenario's name names its folder of runs: set it in the scenario file"
		case key == "out":
			why = "the sweep writes its runs under the grid's out or --out"
		case top == "eval" && len(o.path) == 1:
			why = "give the [eval] keys one by one, such as eval.episodes=50"
		case top == "eval" && o.path[1] == "populations" && (eval["seen"] != nil || eval["unseen"] != nil):
			why = "the grid's eval.seen and eval.unseen set the evaluation populations: change them in the grid"
		case top == "eval" && eval[o.path[1]] != nil:
			why = fmt.Sprintf("the grid's [eval] sets %s for every run, which overrides the scenarios: change it in the grid", key)
		case (top == "algo" || top == "train") && len(o.path) == 2 && setByAll(top, o.path[1]):
			home := "algorithms.LABEL." + o.path[1]
			if top == "train" {
				home = "algorithms.LABEL.train." + o.path[1]
			}
			why = fmt.Sprintf("every algorithm of the grid sets %s (%s), which overrides the scenarios: change it in the grid", key, home)
		case key == "train.episodes" && len(g.Ladder) > 0:
			why = "the grid's ladder sets every run's budget"
		}
		if why != "" {
			d.errs = append(d.errs, &Error{File: d.file, Key: "--set " + o.text, Msg: why})
		}
	}
}

// gridDoc builds and validates the scenario document of one run (label ""
// for the random-play baseline): the scenario's document with the
// algorithm's [algo] and [train] overrides, the grid's [eval] overrides,
// the evaluation populations (when pops is not nil) and the seed.
func (d *decoder) gridDoc(base map[string]any, name, label string, algo, evalOver map[string]any, pops []any, seed uint64) (GridRun, bool) {
	doc := deepCopy(base).(map[string]any)
	doc["name"] = name
	doc["seed"] = int64(seed)
	table := func(key string) map[string]any {
		t, _ := doc[key].(map[string]any)
		if t == nil {
			t = map[string]any{}
			doc[key] = t
		}
		return t
	}
	if label != "" {
		a := table("algo")
		a["name"] = label // the label names the algorithm unless `name` says otherwise
		for k, v := range algo {
			if k == "train" {
				tr := table("train")
				for k2, v2 := range v.(map[string]any) {
					tr[k2] = deepCopy(v2)
				}
				continue
			}
			a[k] = deepCopy(v)
		}
	}
	ev := table("eval")
	for k, v := range evalOver {
		ev[k] = deepCopy(v)
	}
	if pops != nil {
		ev["populations"] = pops
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
		d.fail("algorithms."+label, err, "cannot write the run's scenario: %v", err)
		return GridRun{}, false
	}
	if !d.spend("scenarios", buf.Len()) {
		return GridRun{}, false
	}
	where := "scenario " + name
	if label != "" {
		where += ", algorithm " + label
	}
	s, err := Parse(fmt.Sprintf("%s (%s, seed %d)", d.file, where, seed), buf.Bytes())
	if err != nil {
		var list ErrorList
		if !errors.As(err, &list) {
			d.fail("algorithms."+label, err, "%s: %v", where, err)
			return GridRun{}, false
		}
		for _, e := range list {
			key, at := gridKey(e.Key, label), where
			if strings.HasPrefix(key, "eval") {
				at = "scenario " + name // the same for every algorithm: reported once
			}
			d.failOnce(key, e.Err, "%s: %s: %s", at, e.Key, e.Msg)
		}
		return GridRun{}, false
	}
	return GridRun{Scenario: name, Algo: label, Seed: seed, Source: buf.Bytes(), Spec: *s}, true
}

// gridKey maps a key of a run's scenario document to the grid key that
// sets it: [algo] and [train] keys come from the algorithm's table, [eval]
// keys from the grid's [eval].
func gridKey(key, label string) string {
	switch {
	case label != "" && (key == "algo" || strings.HasPrefix(key, "algo.")):
		return "algorithms." + label + strings.TrimPrefix(key, "algo")
	case label != "" && (key == "train" || strings.HasPrefix(key, "train.")):
		return "algorithms." + label + "." + key
	case strings.HasPrefix(key, "eval.populations"):
		return "eval"
	case strings.HasPrefix(key, "eval"):
		return key
	case label != "":
		return "algorithms." + label
	}
	return "scenarios"
}

// failOnce is fail, skipping a message already reported (every seed of an
// algorithm gives the same problems).
func (d *decoder) failOnce(path string, err error, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, e := range d.errs {
		if e.Key == path && e.Msg == msg {
			return
		}
	}
	d.fail(path, err, "%s", msg)
}

// deepCopy copies decoded TOML values, so that documents do not share
// tables or arrays.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e).(map[string]any)
		}
		return out
	}
	return v
}
