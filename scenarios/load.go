package scenarios

import (
	"errors"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/suggest"
)

// schemaTables lists the keys each table of a scenario file allows, by table path.
var schemaTables = map[string][]string{
	"":      {"name", "seed", "out", "game", "train", "eval", "algo"},
	"game":  {"name", "params"},
	"train": {"populations", "episodes", "parallel_envs", "log_every", "checkpoint_every", "curriculum", "curriculum_window", "curriculum_threshold"},
	"eval":  {"populations", "episodes", "adapt_steps", "adapt_episodes", "br_episodes", "nashconv", "br"},
	"eval.br": {"episodes", "episodes_per_agent", "select_episodes", "test_episodes", "batch", "epochs", "minibatches", "hidden",
		"lr", "optimizer", "clip", "gamma", "lambda", "entropy", "grad_clip", "value_warmup", "from_scratch",
		"search", "search_rollouts", "search_horizon", "search_depth", "search_base", "search_max_agents", "search_hold"},
}

// allTables returns schemaTables with [algo]'s keys: those of every
// registered algorithm (learner.AllKeys), known only once they registered.
func allTables() map[string][]string {
	out := map[string][]string{"algo": learner.AllKeys()}
	for k, v := range schemaTables {
		out[k] = v
	}
	return out
}

// schemaHomes maps a key to the table it belongs in, for keys that are
// unique to one table, to tell a user where a misplaced key goes.
func schemaHomes() map[string]string {
	home, count := map[string]string{}, map[string]int{}
	for table, keys := range allTables() {
		for _, k := range keys {
			home[k] = table
			count[k]++
		}
	}
	for k, n := range count {
		if n > 1 {
			delete(home, k)
		}
	}
	return home
}

// homesOr returns homes, or schemaHomes when homes is nil.
func homesOr(homes map[string]string) map[string]string {
	if homes == nil {
		return schemaHomes()
	}
	return homes
}

// ErrGrid is the error a sweep grid file gives where a scenario file is
// expected, so that a command can say how to check a grid instead of
// reporting the grid's keys as unknown.
var ErrGrid = errors.New("this is a sweep grid, not a scenario")

// isGrid reports whether a decoded document is a sweep grid: it has a
// grid's own top-level keys (scenarios, algorithms, seeds) and none of a
// scenario's tables that a grid lacks (game, algo, train).
func isGrid(raw map[string]any) bool {
	for _, k := range []string{"game", "algo", "train", "populations"} {
		if _, ok := raw[k]; ok {
			return false
		}
	}
	for _, k := range []string{"scenarios", "algorithms", "seeds"} {
		if _, ok := raw[k]; ok {
			return true
		}
	}
	return false
}

// maxErrors caps how many problems one file reports.
const maxErrors = 20

// Load reads and validates the scenario file at path. Problems in the file
// are reported as an ErrorList of *Error; a file that cannot be read gives
// the *os.PathError.
func Load(path string) (*Scenario, error) {
	src, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse validates a scenario given as bytes; file names it in errors and
// gives the default scenario name.
func Parse(file string, src []byte) (*Scenario, error) {
	d := &decoder{file: file, lines: strings.Split(string(src), "\n")}
	if !d.checkLimits(string(src)) {
		return nil, d.errs
	}
	var raw map[string]any
	if _, err := toml.Decode(string(src), &raw); err != nil {
		d.syntax(string(src), err)
		return nil, d.errs
	}
	d.pos = locateKeys(string(src))
	if isGrid(raw) {
		d.add(&Error{File: file, Msg: "this is a sweep grid, not a scenario", Err: ErrGrid})
		return nil, d.errs
	}
	s := d.scenario(raw)
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			li, lj := d.errs[i].Line, d.errs[j].Line
			return li > 0 && (lj == 0 || li < lj)
		})
		return nil, d.errs
	}
	return s, nil
}

type decoder struct {
	file  string
	what  string // the kind of document, for messages: "" for a scenario file
	lines []string
	pos   map[string]position
	errs  ErrorList

	// tables and homes replace schemaTables and schema for documents
	// other than scenario files (sweep grids); nil for scenario files.
	tables    map[string][]string
	homes     map[string]string
	algoKnown []string          // while [algo] is checked: the keys of the algorithm it names
	paramsBad bool              // the game's parameters were refused: check populations without them
	gridBytes int               // bytes of scenario files and run documents a grid has made (see MaxGridBytes)
	set       map[string]string // key path → the --set that gave its value (see ParseSet)
	gridSets  []override        // a grid's --set overrides, applied to each of its scenarios (see ParseGridSet)
}

func (d *decoder) syntax(src string, err error) {
	e := &Error{File: d.file, Msg: err.Error(), Err: err}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		e.Line, e.Col = pe.Position.Line, pe.Position.Col
		// The byte offset is exact where the line count is not (an
		// unexpected newline is reported on the line after it).
		if start := pe.Position.Start; start >= 0 && start < len(src) {
			e.Line = 1 + strings.Count(src[:start], "\n")
			e.Col = start - strings.LastIndex(src[:start], "\n")
		}
		e.Msg = pe.Message
	}
	e.Msg = strings.TrimPrefix(e.Msg, "toml: ")
	d.add(e)
}

func (d *decoder) add(e *Error) {
	if e.Line > 0 && e.Line <= len(d.lines) {
		e.source = strings.TrimRight(d.lines[e.Line-1], "\r")
	}
	if len(d.errs) < maxErrors {
		d.errs = append(d.errs, e)
	}
}

// fail records a problem with the value at key path. Past maxErrors
// problems it does nothing: finding a position reads the file's text, and
// doing so for thousands of problems that are not reported would take
// time quadratic in the file's size.
func (d *decoder) fail(path string, err error, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		return
	}
	e := &Error{File: d.file, Key: path, Msg: fmt.Sprintf(format, args...), Err: err}
	if text := d.setBy(path); text != "" {
		e.Msg += " (from --set " + text + ")"
	}
	p, ok := d.pos[path]
	for k := path; !ok && k != ""; {
		// An element such as "train.populations[2]" or a key inside an
		// inline table is placed at the nearest key written in the file.
		if i := strings.LastIndexAny(k, ".["); i >= 0 {
			k = k[:i]
		} else {
			k = ""
		}
		p, ok = d.pos[k]
	}
	e.Line, e.Col = p.line, p.col
	if q, ok := d.elementPos(path); ok {
		e.Line, e.Col = q.line, q.col
	}
	d.add(e)
}

// table checks that v (the value at path) is a table whose keys are all in
// the schema of that table, and returns it (nil when v is nil).
func (d *decoder) table(path string, v any) map[string]any {
	known, homes := schemaTables[path], map[string]string(nil)
	if d.tables != nil {
		known, homes = d.tables[path], d.homes
	}
	if path == "algo" && d.algoKnown != nil {
		known = d.algoKnown
	}
	if v == nil {
		return nil
	}
	t, ok := v.(map[string]any)
	if !ok {
		d.fail(path, nil, "got %s, want a table", describe(v))
		return nil
	}
	// The unknown keys in file order, each with its line looked up once.
	type unknown struct {
		key  string
		line int
	}
	var keys []unknown
	for k := range t {
		if !contains(known, k) {
			keys = append(keys, unknown{k, d.pos[join(path, k)].line})
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].line != keys[j].line {
			return keys[i].line < keys[j].line
		}
		return keys[i].key < keys[j].key
	})
	for _, u := range keys {
		if len(d.errs) >= maxErrors {
			break // the rest would not be reported
		}
		k := u.key
		msg := "unknown key"
		if s, ok := suggest.Closest(k, known); ok {
			msg += fmt.Sprintf(" (did you mean %q?)", join(path, s))
		} else if home, ok := homesOr(homes)[k]; ok && home != path {
			if home == "" {
				msg += fmt.Sprintf("; %q is a top-level key: move it above the first [table]", k)
			} else {
				msg += fmt.Sprintf("; %q belongs in [%s]", k, home)
			}
		}
		where := "at the top level"
		if path != "" {
			where = "in [" + path + "]"
		}
		d.fail(join(path, k), nil, "%s; allowed %s: %s", msg, where, strings.Join(known, ", "))
	}
	return t
}

func (d *decoder) scenario(raw map[string]any) *Scenario {
	s := &Scenario{
		File: d.file,
		Name: strings.TrimSuffix(filepath.Base(d.file), filepath.Ext(d.file)),
		Seed: DefaultSeed,
		Out:  DefaultOut,
		Train: Train{Episodes: DefaultEpisodes, ParallelEnvs: DefaultParallelEnvs, LogEvery: DefaultLogEvery, CheckpointEvery: DefaultCheckpoint,
			Curriculum: learner.Curriculum{Mode: learner.CurriculumNone, Window: learner.DefaultCurriculumWindow, Threshold: learner.DefaultCurriculumThreshold}},
		Eval: Eval{Episodes: DefaultEvalEpisodes, AdaptSteps: DefaultAdaptSteps, AdaptEpisodes: DefaultAdaptEps, BREpisodes: DefaultBREpisodes,
			NashConv: "auto", BR: EvalBR{EpisodesPerAgent: DefaultBRPerAgent, Search: true, SearchRollouts: DefaultSearchRollouts, SearchHorizon: DefaultSearchHorizon, SearchMaxAgents: DefaultSearchMaxAgents, SearchHold: DefaultSearchHold}},
	}
	top := d.table("", raw)
	switch v, set := top["name"]; v.(type) {
	case string:
		d.str(top, "", "name", &s.Name)
		if err := checkName(s.Name); err != nil {
			d.fail("name", err, "%v", err)
		}
	default:
		if set {
			d.str(top, "", "name", &s.Name) // reports the type
		} else if err := checkName(s.Name); err != nil {
			d.fail("name", err, "the file's name gives the scenario's name, and %v; set name", err)
		}
	}
	if v, ok := top["seed"]; ok {
		if n, isInt := v.(int64); !isInt || n < 0 {
			d.fail("seed", nil, "got %s, want an integer ≥ 0", describe(v))
		} else {
			s.Seed = uint64(n)
		}
	}
	d.str(top, "", "out", &s.Out)
	if s.Out == "" {
		d.fail("out", nil, "empty folder name")
	}

	reg, params, gameOK := d.game(top["game"], &s.Game)

	train := d.table("train", top["train"])
	_, hasEpisodes := train["episodes"]
	s.Train.EpisodesDefault = !hasEpisodes
	d.int(train, "train", "episodes", &s.Train.Episodes, closed(1, 1e9))
	d.int(train, "train", "parallel_envs", &s.Train.ParallelEnvs, closed(1, 4096))
	d.int(train, "train", "log_every", &s.Train.LogEvery, closed(1, 1e9))
	d.int(train, "train", "checkpoint_every", &s.Train.CheckpointEvery, closed(1, 1e9))
	d.str(train, "train", "curriculum", &s.Train.Curriculum.Mode, learner.CurriculumModes...)
	d.int(train, "train", "curriculum_window", &s.Train.Curriculum.Window, closed(1, 1e6))
	d.float(train, "train", "curriculum_threshold", &s.Train.Curriculum.Threshold, closed(0, 100))
	if _, ok := train["populations"]; !ok {
		d.fail("train.populations", nil, `missing: list the training populations, e.g. populations = ["agents=3", "agents=6"]`)
	} else if gameOK {
		s.Train.Populations = d.populations("train.populations", train["populations"], reg, params)
	}

	eval := d.table("eval", top["eval"])
	d.int(eval, "eval", "episodes", &s.Eval.Episodes, closed(1, 1e9))
	d.int(eval, "eval", "adapt_steps", &s.Eval.AdaptSteps, closed(0, 1e6))
	d.int(eval, "eval", "adapt_episodes", &s.Eval.AdaptEpisodes, closed(1, 1e6))
	d.int(eval, "eval", "br_episodes", &s.Eval.BREpisodes, closed(0, 1e9))
	d.str(eval, "eval", "nashconv", &s.Eval.NashConv, "auto", "exact", "br", "off")
	d.evalBR(eval, &s.Eval)
	if v, ok := eval["populations"]; ok && gameOK {
		s.Eval.Populations = d.populations("eval.populations", v, reg, params)
	} else {
		s.Eval.Populations = s.Train.Populations
	}

	d.algo(top["algo"], s)
	return s
}

// game decodes [game] and checks the name and parameters against the
// registry; ok is false when populations cannot be checked.
func (d *decoder) game(v any, g *Game) (reg env.Registration, params map[string]any, ok bool) {
	t := d.table("game", v)
	if t == nil {
		d.fail("game", nil, `missing: name the game, e.g. [game] name = "resource" (see mrasim envs)`)
		return reg, nil, false
	}
	if _, has := t["name"]; !has {
		d.fail("game.name", nil, "missing: name a registered game (see mrasim envs)")
		return reg, nil, false
	}
	if d.str(t, "game", "name", &g.Name); g.Name == "" {
		if _, isStr := t["name"].(string); isStr {
			d.fail("game.name", nil, "empty: name a registered game (see mrasim envs)")
		}
		return reg, nil, false
	}
	reg, err := env.Lookup(g.Name)
	if err != nil {
		d.fail("game.name", err, "%v", err)
		return reg, nil, false
	}
	params = map[string]any{}
	if pv, has := t["params"]; has {
		pt, isTable := pv.(map[string]any)
		if !isTable {
			d.fail("game.params", nil, "got %s, want a table of the game's parameters", describe(pv))
			return reg, nil, false
		}
		params = pt
	}
	if _, err := reg.Params(params); err != nil {
		var pe *env.ParamError
		if errors.As(err, &pe) {
			d.fail("game.params."+pe.Param, err, "%s", pe.Msg)
		} else {
			d.fail("game.params", err, "%v", err)
		}
		// The populations can still be checked against the agent types.
		d.paramsBad = true
		return reg, nil, true
	}
	g.Params = params
	return reg, params, true
}

// reported reports whether an error about key was already recorded.
func (d *decoder) reported(key string) bool {
	for _, e := range d.errs {
		if e.Key == key {
			return true
		}
	}
	return false
}

// populations decodes a list of populations and checks each against the
// game, building it once so that a constructor's refusal is reported here.
func (d *decoder) populations(path string, v any, reg env.Registration, params map[string]any) []env.Population {
	list, ok := v.([]any)
	if !ok {
		if maps, isMaps := v.([]map[string]any); isMaps {
			for _, m := range maps {
				list = append(list, m)
			}
		} else {
			d.fail(path, nil, `got %s, want an array of populations such as ["agents=3", "agents=6"]`, describe(v))
			return nil
		}
	}
	if len(list) == 0 {
		d.fail(path, nil, "empty: list at least one population")
		return nil
	}
	var out []env.Population
	seen := map[string]int{} // index of each population's first listing, by canonical text; -1 once reported
	// The check of one written value (a string or a count), done once: a
	// long list of repeats costs a map lookup per entry.
	type checked struct {
		pop env.Population
		key string
		err error
	}
	done := map[any]checked{}
	for i, item := range list {
		c, cached := checked{}, false
		switch item.(type) {
		case string, int64:
			c, cached = done[item]
		}
		if !cached {
			c.pop, c.err = toPopulation(item)
			if c.err == nil {
				c.pop, c.err = reg.Population(c.pop)
				if c.err == nil {
					c.key = c.pop.String()
				}
			}
			if c.err == nil && !d.paramsBad {
				_, c.err = reg.Make(params, c.pop)
			}
			switch item.(type) {
			case string, int64:
				done[item] = c
			}
		}
		err := c.err
		var pe *env.ParamError
		if errors.As(err, &pe) {
			// A rule between parameters, whatever the population: report it
			// once, at the parameter.
			key := "game.params." + pe.Param
			if !d.reported(key) {
				d.fail(key, err, "%s", pe.Msg)
			}
			return nil
		}
		if err != nil {
			d.fail(fmt.Sprintf("%s[%d]", path, i), err, "%v", err)
			continue
		}
		// Each repeated population is reported once, at its second listing.
		if first, ok := seen[c.key]; !ok {
			seen[c.key] = i
		} else if first >= 0 {
			d.fail(fmt.Sprintf("%s[%d]", path, i), nil, "population %v is listed twice (first as %s[%d])", c.pop, path, first)
			seen[c.key] = -1
		}
		out = append(out, c.pop)
	}
	return out
}

func toPopulation(v any) (env.Population, error) {
	switch x := v.(type) {
	case string:
		return env.ParsePopulation(x)
	case int64:
		if x < 0 {
			return nil, fmt.Errorf("count %d: want ≥ 0", x)
		}
		return env.Population{{Count: int(x)}}, nil
	case map[string]any:
		var pop env.Population
		names := make([]string, 0, len(x))
		for k := range x {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			n, ok := x[k].(int64)
			if !ok || n < 0 {
				return nil, fmt.Errorf("count of %q: got %s, want an integer ≥ 0", k, describe(x[k]))
			}
			pop = append(pop, env.TypeCount{Type: k, Count: int(n)})
		}
		return pop, nil
	}
	return nil, fmt.Errorf(`got %s, want "type=count" text, a {type = count} table or a bare count`, describe(v))
}

// algo decodes [algo] through the registered algorithm it names: the
// table's keys are checked against that algorithm's, and its Decode reads
// them through algoKeys, so that every problem carries file:line:col.
func (d *decoder) algo(v any, s *Scenario) {
	name := DefaultAlgorithm
	if t, ok := v.(map[string]any); ok {
		if n, ok := t["name"].(string); ok {
			name = n
		}
	}
	a, err := learner.Lookup(name)
	d.algoKnown = learner.AllKeys()
	if err == nil {
		d.algoKnown = append([]string{"name"}, a.Keys...)
	}
	t := d.table("algo", v)
	d.algoKnown = nil
	name = DefaultAlgorithm
	d.str(t, "algo", "name", &name, learner.Names()...)
	if err != nil {
		return // the name was reported
	}
	s.Algo = a.Decode(&algoKeys{d: d, t: t}, learner.Setup{Game: s.Game.Name, Params: s.Game.Params, Populations: s.Train.Populations})
}

// algoKeys implements learner.Keys on the decoder, for table [algo].
type algoKeys struct {
	d *decoder
	t map[string]any
}

func (k *algoKeys) Has(key string) bool { _, ok := k.t[key]; return ok }

func (k *algoKeys) Int(key string, dst *int, lo, hi int) {
	k.d.int(k.t, "algo", key, dst, closed(float64(lo), float64(hi)))
}

func (k *algoKeys) Float(key string, dst *float64, lo, hi float64, loOpen, hiOpen bool) {
	k.d.float(k.t, "algo", key, dst, interval{lo: lo, hi: hi, loOpen: loOpen, hiOpen: hiOpen})
}

func (k *algoKeys) Bool(key string, dst *bool) { k.d.bool(k.t, "algo", key, dst) }

func (k *algoKeys) String(key string, dst *string, allowed ...string) {
	k.d.str(k.t, "algo", key, dst, allowed...)
}

func (k *algoKeys) Fail(key, path, format string, args ...any) {
	if key != "" {
		path = "algo." + key
	}
	k.d.fail(path, nil, format, args...)
}

// evalBR decodes [eval.br].
func (d *decoder) evalBR(eval map[string]any, e *Eval) {
	t := d.table("eval.br", eval["br"])
	_, legacy := eval["br_episodes"]
	if _, both := t["episodes"]; both && legacy {
		d.fail("eval.br.episodes", nil, "set twice: eval.br_episodes is the same setting; keep one")
	}
	b := &e.BR
	unit := interval{lo: 0, hi: 1, loOpen: true}
	d.int(t, "eval.br", "episodes", &e.BREpisodes, closed(0, 1e9))
	d.int(t, "eval.br", "episodes_per_agent", &b.EpisodesPerAgent, closed(0, 1e7))
	d.int(t, "eval.br", "select_episodes", &b.SelectEpisodes, closed(2, 1e7))
	d.int(t, "eval.br", "test_episodes", &b.TestEpisodes, closed(2, 1e7))
	d.int(t, "eval.br", "batch", &b.Batch, closed(1, 1e6))
	d.int(t, "eval.br", "epochs", &b.Epochs, closed(1, 1000))
	d.int(t, "eval.br", "minibatches", &b.Minibatches, closed(1, 1e6))
	d.int(t, "eval.br", "hidden", &b.Hidden, closed(1, 4096))
	d.float(t, "eval.br", "lr", &b.LR, unit)
	d.str(t, "eval.br", "optimizer", &b.Optimizer, "adam", "adamw", "sgd", "mfac")
	d.float(t, "eval.br", "clip", &b.Clip, interval{lo: 0, hi: 1, loOpen: true, hiOpen: true})
	d.float(t, "eval.br", "gamma", &b.Gamma, unit)
	d.float(t, "eval.br", "lambda", &b.Lambda, unit)
	d.float(t, "eval.br", "entropy", &b.Entropy, interval{lo: -1, hi: 10})
	d.float(t, "eval.br", "grad_clip", &b.GradClip, interval{lo: 0, hi: math.Inf(1), loOpen: true, hiOpen: true})
	d.int(t, "eval.br", "value_warmup", &b.ValueWarmup, closed(-1, 1e6))
	d.bool(t, "eval.br", "from_scratch", &b.FromScratch)
	d.bool(t, "eval.br", "search", &b.Search)
	d.int(t, "eval.br", "search_rollouts", &b.SearchRollouts, closed(1, 1e4))
	d.int(t, "eval.br", "search_horizon", &b.SearchHorizon, closed(0, 1e6))
	d.int(t, "eval.br", "search_depth", &b.SearchDepth, closed(1, 8))
	d.int(t, "eval.br", "search_max_agents", &b.SearchMaxAgents, closed(0, 1e6))
	d.int(t, "eval.br", "search_hold", &b.SearchHold, closed(1, 1e6))
	d.str(t, "eval.br", "search_base", &b.SearchBase, "response", "incumbent")
	if _, set := t["search_horizon"]; b.SearchBase == "incumbent" && !set {
		b.SearchHorizon = 0 // the default horizon bootstraps with the response's critic
	}
	if b.SearchBase == "incumbent" && b.SearchHorizon > 0 {
		d.fail("eval.br.search_horizon", nil, "search_horizon = %d needs search_base = \"response\": the critic that values a cut rollout learned the response's values, not the incumbent's; set search_horizon = 0 or search_base = \"response\"", b.SearchHorizon)
	}
}
