package scenarios_test

import (
	"encoding/json"
	"errors"
	"fmt"
	_ "github.com/mrasim/mrasim/maddpg" // registers maddpg for the shipped scenarios and grids
	"github.com/mrasim/mrasim/mra"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/matrix"
	_ "github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/examples/customenv/line"
	_ "github.com/mrasim/mrasim/mappo" // the shipped MAPPO scenario
	"github.com/mrasim/mrasim/scenarios"
)

func init() { line.Register() }

const minimal = `
[game]
name = "line"

[train]
populations = ["walkers=3", 5, {walkers = 7}]
`

func TestDefaults(t *testing.T) {
	s, err := scenarios.Parse("dir/min.toml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	want := mra.DefaultConfig()
	if got, ok := s.Algo.(*mra.Config); !ok || *got != want {
		t.Errorf("algo = %+v, want the defaults %+v", s.Algo, want)
	}
	if s.Name != "min" || s.Seed != 1 || s.Out != "runs" || s.Train.Episodes != 80000 || s.Train.ParallelEnvs != 12 || s.Eval.Episodes != 100 ||
		s.Train.LogEvery != 96 || s.Train.CheckpointEvery != 480 ||
		s.Eval.AdaptSteps != 10 || s.Eval.AdaptEpisodes != 12 || s.Eval.BREpisodes != 1000 {
		t.Errorf("defaults not filled: %+v", s)
	}
	var got []string
	for _, p := range s.Train.Populations {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "walkers=3 walkers=5 walkers=7" {
		t.Errorf("train populations %v", got)
	}
	if len(s.Eval.Populations) != 3 || !s.Eval.Populations[2].Equal(s.Train.Populations[2]) {
		t.Errorf("eval populations should default to the training ones, got %v", s.Eval.Populations)
	}
}

func TestFullFile(t *testing.T) {
	src := `
name = "walk"
seed = 7
out = "elsewhere"
[game]
name = "line"
params = { length = 11 }
[train]
populations = ["walkers=2"]
episodes = 50
parallel_envs = 3
log_every = 24
checkpoint_every = 48
[eval]
populations = [2, 4, 9]
episodes = 20
adapt_steps = 3
adapt_episodes = 6
br_episodes = 0
[algo]
name = "single"
gamma = 0.9
pi_lr = 1e-3
q_lr = 2e-3
weight_decay = 0
batch_size = 64
buffer_length = 1000
steps_per_update = 50
num_updates = 2
reward_scale = 10
latents = 4
resamples = 3
grad_clip = 5
prior_temperature = 2
baseline = true
per_agent_critic_loss = true
recompute_next_graph = true
policy_sees_self = true
critic_sees_self = true
meta_lr = 0.5
`
	s, err := scenarios.Parse("walk.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a := s.Algo.(*mra.Config)
	if s.Name != "walk" || s.Seed != 7 || s.Out != "elsewhere" || s.Train.Episodes != 50 || s.Train.ParallelEnvs != 3 ||
		s.Train.LogEvery != 24 || s.Train.CheckpointEvery != 48 ||
		s.Eval.AdaptSteps != 3 || s.Eval.AdaptEpisodes != 6 || s.Eval.BREpisodes != 0 ||
		s.Eval.Episodes != 20 || len(s.Eval.Populations) != 3 || s.Game.Params["length"] != int64(11) ||
		a.Algo != "single" || a.Gamma != 0.9 || a.PolicyLR != 1e-3 || a.CriticLR != 2e-3 || a.WeightDecay != 0 ||
		a.BatchSize != 64 || a.BufferLength != 1000 || a.StepsPerUpdate != 50 || a.NumUpdates != 2 ||
		a.RewardScale != 10 || a.Latents != 4 || a.Resamples != 3 || a.GradClip != 5 ||
		a.PriorTemperature != 2 || !a.Baseline || !a.PerAgentCriticLoss || !a.RecomputeNextGraph || !a.PolicySeesSelf || !a.CriticSeesSelf || a.MetaLR != 0.5 {
		t.Errorf("values not read: %+v", s)
	}
}

// TestErrors pins the exact message of every kind of mistake, with its
// position.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"syntax", "[game]\nname = \"line\nx", `f.toml:2:13: strings cannot contain newlines`},
		{"syntax value", "seed = = 3\n", `f.toml:1:8: expected value but found '=' instead`},
		{"unknown top key", "sede = 3\n" + minimal, `f.toml:1:1: sede: unknown key (did you mean "seed"?); allowed at the top level: name, seed, out, game, train, eval, algo`},
		{"misplaced key", minimal + "seed = 3\n", `f.toml:7:1: train.seed: unknown key; "seed" is a top-level key: move it above the first [table]; allowed in [train]: populations, episodes, parallel_envs, log_every, checkpoint_every`},
		{"unknown table key", minimal + "episods = 3\n", `f.toml:7:1: train.episods: unknown key (did you mean "train.episodes"?); allowed in [train]: populations, episodes, parallel_envs, log_every, checkpoint_every`},
		{"unknown table", minimal + "[trian]\nx = 1\n", `f.toml:7:2: trian: unknown key (did you mean "train"?); allowed at the top level: name, seed, out, game, train, eval, algo`},
		{"out of range", minimal + "episodes = 0\n", `f.toml:7:1: train.episodes: 0 is out of range: want an integer in [1, 1e+09]`},
		{"curriculum", minimal + "curriculum = \"doubled\"\n", `f.toml:7:1: train.curriculum: "doubled" is not allowed: want one of none, doubling`},
		{"curriculum window", minimal + "curriculum = \"doubling\"\ncurriculum_window = 0\n", `f.toml:8:1: train.curriculum_window: 0 is out of range: want an integer in [1, 1e+06]`},
		{"curriculum threshold", minimal + "curriculum_threshold = -0.5\n", `f.toml:7:1: train.curriculum_threshold: -0.5 is out of range: want a number in [0, 100]`},
		{"wrong type", minimal + "episodes = \"many\"\n", `f.toml:7:1: train.episodes: got string "many", want an integer in [1, 1e+09]`},
		{"float range", minimal + "[algo]\ngamma = 1.5\n", `f.toml:8:1: algo.gamma: 1.5 is out of range: want a number in (0, 1]`},
		{"enum", minimal + "[algo]\nname = \"mar\"\n", `f.toml:8:1: algo.name: "mar" is not allowed (did you mean "mra"?): want one of maddpg, mappo, ippo, mra, single, reptile`},
		{"tau outside maddpg", minimal + "[algo]\ntau = 0.1\n", `f.toml:8:1: algo.tau: unknown key; allowed in [algo]: name, gamma, pi_lr`},
		{"keep_moments outside reptile", minimal + "[algo]\nkeep_moments = true\n", `f.toml:8:1: algo.keep_moments: keep_moments is Reptile's (its Adam moments across games); algo "mra" never resets its moments`},
		{"keep_moments with maddpg", minimal + "[algo]\nname = \"maddpg\"\nkeep_moments = true\n", `f.toml:9:1: algo.keep_moments: unknown key; allowed in [algo]: name, gamma, pi_lr, q_lr, weight_decay, batch_size, buffer_length, steps_per_update, num_updates, grad_clip, tau, replay, precision`},
		{"mi_weight under official", minimal + "[algo]\nmi_weight = 2\n", `f.toml:8:1: algo.mi_weight: mi_weight = 2 departs from the official code (weight 1): it is a switch of variant "corrected"`},
		{"mi_weight range", minimal + "[algo]\nvariant = \"corrected\"\nmi_weight = 0\n", `f.toml:9:1: algo.mi_weight: 0 is out of range: want a number in (0, +Inf)`},
		{"relation_pooling under official", minimal + "[algo]\nrelation_pooling = \"sum\"\n", `f.toml:8:1: algo.relation_pooling: relation_pooling = "sum" departs from the official code ("softmax"): it is a switch of variant "corrected"`},
		{"relation_pooling value", minimal + "[algo]\nvariant = \"corrected\"\nrelation_pooling = \"mean\"\n", `f.toml:9:1: algo.relation_pooling: "mean" is not allowed: want one of softmax, sum, mean+logcount`},
		{"tau range", minimal + "[algo]\nname = \"maddpg\"\ntau = 0\n", `f.toml:9:1: algo.tau: 0 is out of range: want a number in (0, 1]`},
		{"replay mode", minimal + "[algo]\nreplay = \"state\"\n", `f.toml:8:1: algo.replay: "state" is not allowed (did you mean "states"?): want one of auto, states, observations`},
		{"precision", minimal + "[algo]\nprecision = \"float16\"\n", `f.toml:8:1: algo.precision: "float16" is not allowed (did you mean "float64"?): want one of float64, float32`},
		{"float32 with maddpg", minimal + "[algo]\nname = \"maddpg\"\nprecision = \"float32\"\n", `f.toml:9:1: algo.precision: "float32" is not offered: algo "maddpg" runs in "float64" only`},
		{"mra key with maddpg", minimal + "[algo]\nname = \"maddpg\"\nlatents = 4\n", `f.toml:9:1: algo.latents: unknown key; allowed in [algo]: name, gamma, pi_lr, q_lr, weight_decay, batch_size, buffer_length, steps_per_update, num_updates, grad_clip, tau, replay, precision`},
		{"unknown game", "[game]\nname = \"lien\"\n[train]\npopulations = [3]\n", `f.toml:2:1: game.name: unknown game "lien" (did you mean "line"?); registered games: "elfarol", "line", `},
		{"unknown param", "[game]\nname = \"line\"\n[game.params]\nlenght = 4\n[train]\npopulations = [3]\n", `f.toml:4:1: game.params.lenght: unknown parameter (did you mean "length"?); known: "length", "horizon"`},
		{"param range", "[game]\nname = \"line\"\nparams = {length = 2}\n[train]\npopulations = [3]\n", `f.toml:3:1: game.params.length: 2 is out of range: want an integer in [3, 1000]`},
		{"population refused", "[game]\nname = \"line\"\n[train]\npopulations = [3, 300]\n", `f.toml:4:19: train.populations[1]: game "line" refuses population "walkers=300": 300 agents of type "walkers", allowed 1 to 256`},
		{"population type", "[game]\nname = \"line\"\n[train]\npopulations = [\"walker=3\"]\n", `f.toml:4:16: train.populations[0]: game "line" refuses population "walker=3": unknown agent type "walker" (did you mean "walkers"?); types: walkers (1–256)`},
		{"population text", "[game]\nname = \"line\"\n[train]\npopulations = [\"walkers=three\"]\n", `f.toml:4:16: train.populations[0]: population "walkers=three": count of "walkers" must be a whole number ≥ 0, got "three"`},
		{"element on a later line", "[game]\nname = \"line\"\n[train]\npopulations = [\n  3,   # fine\n  {walkers = 900},\n]\n", `f.toml:6:3: train.populations[1]: game "line" refuses population "walkers=900"`},
		{"name with a separator", "name = \"../../tmp/x\"\n[game]\nname = \"line\"\n[train]\npopulations = [3]\n", `f.toml:1:1: name: "../../tmp/x" has a path separator`},
		{"name with dots", "name = \"..\"\n[game]\nname = \"line\"\n[train]\npopulations = [3]\n", `f.toml:1:1: name: ".." contains ".."`},
		{"nesting", "x = " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", `f.toml:1:21: arrays and inline tables nested more than 16 deep`},
		{"population repeat", "[game]\nname = \"line\"\n[train]\npopulations = [3, \"walkers=3\"]\n", `f.toml:4:19: train.populations[1]: population walkers=3 is listed twice (first as train.populations[0])`},
		{"missing populations", "[game]\nname = \"line\"\n", `f.toml: train.populations: missing: list the training populations, e.g. populations = ["agents=3", "agents=6"]`},
		{"missing game", "[train]\npopulations = [3]\n", `f.toml: game: missing: name the game, e.g. [game] name = "resource" (see mrasim envs)`},
		{"single with two", minimal + "[algo]\nname = \"single\"\n", `f.toml:6:1: train.populations: algo "single" trains at one population; 3 are listed`},
		{"batch over buffer", minimal + "[algo]\nbatch_size = 10\nbuffer_length = 5\n", `f.toml:8:1: algo.batch_size: batch_size 10 is larger than buffer_length 5`},
		{"negative seed", "seed = -1\n" + minimal, `f.toml:1:1: seed: got integer -1, want an integer ≥ 0`},
		{"bool expected", minimal + "[algo]\nbaseline = 1\n", `f.toml:8:1: algo.baseline: got integer 1, want true or false`},
		{"table expected", "train = 3\n[game]\nname = \"line\"\n", `f.toml:1:1: train: got integer 3, want a table`},
		{"eval.br unknown key", minimal + "[eval.br]\nepisdes = 3\n", `f.toml:8:1: eval.br.episdes: unknown key (did you mean "eval.br.episodes"?); allowed in [eval.br]: episodes, episodes_per_agent, select_episodes`},
		{"eval.br range", minimal + "[eval.br]\ntest_episodes = 1\n", `f.toml:8:1: eval.br.test_episodes: 1 is out of range: want an integer in [2, 1e+07]`},
		{"eval.br clip", minimal + "[eval.br]\nclip = 1\n", `f.toml:8:1: eval.br.clip: 1 is out of range: want a number in (0, 1)`},
		{"eval.br optimizer", minimal + "[eval.br]\noptimizer = \"adamm\"\n", `f.toml:8:1: eval.br.optimizer: "adamm" is not allowed (did you mean "adam"?): want one of adam, adamw, sgd, mfac`},
		{"eval.br search_rollouts", minimal + "[eval.br]\nsearch_rollouts = 0\n", `f.toml:8:1: eval.br.search_rollouts: 0 is out of range: want an integer in [1, 10000]`},
		{"eval.br search_base", minimal + "[eval.br]\nsearch_base = \"incumbant\"\n", `f.toml:8:1: eval.br.search_base: "incumbant" is not allowed (did you mean "incumbent"?): want one of response, incumbent`},
		{"eval.br search horizon with incumbent", minimal + "[eval.br]\nsearch_base = \"incumbent\"\nsearch_horizon = 5\n",
			`f.toml:9:1: eval.br.search_horizon: search_horizon = 5 needs search_base = "response": the critic that values a cut rollout learned the response's values, not the incumbent's; set search_horizon = 0 or search_base = "response"`},
		{"eval.br search horizon set with incumbent", minimal + "[eval.br]\nsearch_horizon = 5\nsearch_base = \"incumbent\"\n",
			`f.toml:8:1: eval.br.search_horizon: search_horizon = 5 needs search_base = "response": the critic that values a cut rollout learned the response's values, not the incumbent's; set search_horizon = 0 or search_base = "response"`},
		{"eval.br twice", minimal + "[eval]\nbr_episodes = 10\n[eval.br]\nepisodes = 20\n", `f.toml:10:1: eval.br.episodes: set twice: eval.br_episodes is the same setting; keep one`},
		{"eval nashconv", minimal + "[eval]\nnashconv = \"exactly\"\n", `f.toml:8:1: eval.nashconv: "exactly" is not allowed (did you mean "exact"?): want one of auto, exact, br, off`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.Parse("f.toml", []byte(tc.src))
			var list scenarios.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v (%T), want a scenarios.ErrorList", err, err)
			}
			// The want strings are whole messages, or prefixes where a
			// message goes on to list every registered game.
			if got := list[0].Error(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("first error:\n got %s\nwant %s\n all: %v", got, tc.want, err)
			}
		})
	}
}

func TestErrorsReachTheCause(t *testing.T) {
	_, err := scenarios.Parse("f.toml", []byte("[game]\nname = \"line\"\nparams = {length = 2}\n[train]\npopulations = [3]\n"))
	var pe *env.ParamError
	if !errors.As(err, &pe) || pe.Param != "length" {
		t.Errorf("errors.As(*env.ParamError) failed on %v", err)
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	src := minimal + "episodes = 0\nparallel_envs = -1\n[algo]\ngamma = 2\n"
	_, err := scenarios.Parse("f.toml", []byte(src))
	var list scenarios.ErrorList
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	for i, key := range []string{"train.episodes", "train.parallel_envs", "algo.gamma"} {
		if list[i].Key != key {
			t.Errorf("error %d is about %q, want %q", i, list[i].Key, key)
		}
	}
}

func TestDetail(t *testing.T) {
	_, err := scenarios.Parse("f.toml", []byte(minimal+"episodes = 0\n"))
	var list scenarios.ErrorList
	errors.As(err, &list)
	want := "f.toml:7:1: train.episodes: 0 is out of range: want an integer in [1, 1e+09]\n   7 | episodes = 0\n     | ^"
	if got := list[0].Detail(); got != want {
		t.Errorf("Detail:\n%s\nwant\n%s", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := scenarios.Load(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v, want one wrapping os.ErrNotExist", err)
	}
}

// FuzzParse checks that no input makes the loader panic or print long
// problems, seeded with real scenario files.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	files, _ := filepath.Glob("*.toml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("[game]\nname = \"line\"\n[train]\npopulations = [{walkers = 3}, \"x=1\", -2, 1.5, [1]]\n[algo]\ngamma = nan\n"))
	// Element positions, limits and names.
	f.Add([]byte("[game]\nname = \"line\"\n[train]\npopulations = [ # \"a,b\" [\n  'walkers=2', \"wal,kers]=3\",\n  {walkers = 900}, 3, 3]\n"))
	f.Add([]byte("x = " + strings.Repeat("[", 17) + strings.Repeat("]", 17) + "\n"))
	f.Add([]byte("name = \"../x\"\n[game]\nname = \"line\"\n[train]\npopulations = [3]\n"))
	f.Add([]byte("[game]\nname = \"line\"\nparams = {lenght = 3}\n[train]\npopulations = [\"\"\"walkers=3\"\"\", 0]\n"))
	// Dotted keys, table headers, names and long lines.
	f.Add([]byte("[game.params]\nlength = 5\n[game]\nname = \"line\"\n[train]\npopulations = [3]\n[eval.br]\nepisodes = 3\n"))
	f.Add([]byte("game.name = \"line\"\ntrain.populations = [3]\n\"algo\".'gamma' = 0.5\neval . br . lr = 0.1\n"))
	f.Add([]byte("[" + strings.Repeat("a.", 16) + "a]\n" + strings.Repeat("b.", 16) + "b = 1\nx = {" + strings.Repeat("c.", 15) + "c = [[1]]}\n[[d.e]]\nf.g = 2\n"))
	f.Add([]byte("name = \"a\\u001b[2J\"\n[game]\nname = \"line\"\n[train]\npopulations = [\"" + strings.Repeat("x", 300) + "=1\", 3]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := scenarios.Parse("fuzz.toml", src)
		if err == nil && (s == nil || len(s.Train.Populations) == 0) {
			t.Fatalf("accepted a scenario without training populations")
		}
		checkProblems(t, err)
	})
}

func TestCrossParameterRule(t *testing.T) {
	src := "[game]\nname = \"volunteer\"\n[game.params]\ncost = 2\n[train]\npopulations = [2, 3]\n"
	_, err := scenarios.Parse("v.toml", []byte(src))
	var list scenarios.ErrorList
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("want one error, got %v", err)
	}
	want := "v.toml:4:1: game.params.cost: cost 2 with benefit 1: want 0 < cost < benefit (otherwise nobody or everybody volunteers and there is no dilemma)"
	if got := list[0].Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestEnumParameter checks a string-valued game parameter in a scenario
// file: accepted among its values, refused otherwise with the key, the
// value and the allowed values.
func TestEnumParameter(t *testing.T) {
	src := "[game]\nname = \"volunteer\"\n[game.params]\ncount_encoding = %q\n[train]\npopulations = [2, 3]\n"
	s, err := scenarios.Parse("v.toml", []byte(fmt.Sprintf(src, "log")))
	if err != nil || s.Game.Params["count_encoding"] != "log" {
		t.Fatalf("count_encoding = \"log\": %v, params %v", err, s)
	}
	_, err = scenarios.Parse("v.toml", []byte(fmt.Sprintf(src, "ln")))
	var list scenarios.ErrorList
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("want one error, got %v", err)
	}
	want := `v.toml:4:1: game.params.count_encoding: got "ln", want one of "linear", "log"`
	if got := list[0].Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestShippedScenarios loads every scenario file shipped in this folder:
// they are the reference manual users copy from, so they must stay valid.
func TestShippedScenarios(t *testing.T) {
	files, err := filepath.Glob("*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files found: %v", err)
	}
	for _, f := range files {
		if _, err := scenarios.Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestVariant: algo.variant sets every quirk switch at once, an explicit
// switch overrides it, and an unknown variant is an error naming the key.
func TestVariant(t *testing.T) {
	base := "[game]\nname = \"line\"\n[train]\npopulations = [3]\n[algo]\n"
	for _, tc := range []struct {
		src                            string
		atObs, entropy, pairing, clip2 bool
	}{
		{"", true, true, true, true},
		{"variant = \"official\"\n", true, true, true, true},
		{"variant = \"corrected\"\n", false, false, false, false},
		{"variant = \"corrected\"\nterminal_entropy = true\n", false, true, false, false},
		{"target_action_at_obs = false\nvariant = \"official\"\n", false, true, true, true},
	} {
		s, err := scenarios.Parse("v.toml", []byte(base+tc.src))
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		a := s.Algo.(*mra.Config)
		if a.TargetActionAtObs != tc.atObs || a.TerminalEntropy != tc.entropy || a.ClassifierCrossPairing != tc.pairing || a.DoubleClipRelation != tc.clip2 {
			t.Errorf("%q: switches %v %v %v %v, want %v %v %v %v", tc.src, a.TargetActionAtObs, a.TerminalEntropy, a.ClassifierCrossPairing, a.DoubleClipRelation, tc.atObs, tc.entropy, tc.pairing, tc.clip2)
		}
	}
	if _, err := scenarios.Parse("v.toml", []byte(base+"variant = \"fixed\"\n")); err == nil || !strings.Contains(err.Error(), "algo.variant") {
		t.Errorf("unknown variant: error %v, want one naming algo.variant", err)
	}
}

// TestEvalBR: the [eval.br] table reaches Eval, and its defaults are those
// docs/guide/scenarios.md lists.
func TestEvalBR(t *testing.T) {
	s, err := scenarios.Parse("f.toml", []byte(minimal+"[eval]\nnashconv = \"br\"\n[eval.br]\nepisodes = 300\nepisodes_per_agent = 7\noptimizer = \"mfac\"\nlr = 0.01\nentropy = -1\nfrom_scratch = true\n"+
		"search = false\nsearch_rollouts = 3\nsearch_horizon = 4\nsearch_depth = 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	b := s.Eval.BR
	if s.Eval.NashConv != "br" || s.Eval.BREpisodes != 300 || b.EpisodesPerAgent != 7 || b.Optimizer != "mfac" || b.LR != 0.01 || b.Entropy != -1 || !b.FromScratch ||
		b.Search || b.SearchRollouts != 3 || b.SearchHorizon != 4 || b.SearchDepth != 2 {
		t.Errorf("eval %+v", s.Eval)
	}
	d, err := scenarios.Parse("f.toml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if d.Eval.NashConv != "auto" || d.Eval.BREpisodes != 1000 || d.Eval.BR.EpisodesPerAgent != 50 || !d.Eval.BR.Search ||
		d.Eval.BR.SearchRollouts != 4 || d.Eval.BR.SearchHorizon != 0 || d.Eval.BR.SearchHold != 5 || d.Eval.BR.SearchMaxAgents != 12 {
		t.Errorf("defaults %+v", d.Eval)
	}
	// With the incumbent as base the horizon is the episode's end: no
	// critic of the incumbent bootstraps a cut rollout.
	inc, err := scenarios.Parse("f.toml", []byte(minimal+"[eval.br]\nsearch_base = \"incumbent\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if inc.Eval.BR.SearchHorizon != 0 {
		t.Errorf("search_base incumbent: horizon %d, want 0", inc.Eval.BR.SearchHorizon)
	}
}

// checkProblems fails t if err, the error of a file, is not an ErrorList of
// at most 20 problems, each printed in at most 2,000 bytes of valid UTF-8
// whatever the file.
func checkProblems(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var list scenarios.ErrorList
	if !errors.As(err, &list) || len(list) == 0 || len(list) > 20 {
		t.Fatalf("error %v: want an ErrorList of 1 to 20 problems", err)
	}
	for _, e := range list {
		if d := e.Detail(); len(d) > 2000 || !utf8.ValidString(d) {
			t.Fatalf("a problem prints %d bytes (valid UTF-8: %v): %.300q", len(d), utf8.ValidString(d), d)
		}
	}
}

// TestCorrectedSwitches reads the corrected variant's MI weight and
// relation pooling into the trainer's configuration, and leaves both out
// of the record when they are not set.
func TestCorrectedSwitches(t *testing.T) {
	s, err := scenarios.Parse("f.toml", []byte(minimal+"[algo]\nvariant = \"corrected\"\nmi_weight = 4\nrelation_pooling = \"mean+logcount\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Algo.(*mra.Config); c.MIWeight != 4 || c.RelationPooling != mra.PoolingMeanLogCount || c.Validate() != nil {
		t.Errorf("config %+v (%v)", c, c.Validate())
	}
	s, err = scenarios.Parse("f.toml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s.Algo)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "mi_weight") || strings.Contains(string(b), "relation_pooling") {
		t.Errorf("unset switches recorded: %s", b)
	}
}
