// Package scenarios reads scenario files: TOML documents that name a game
// and its parameters, the populations to train and evaluate at, the
// learning algorithm and its hyper-parameters, the seed, the budget and the
// output folder.
//
// Decoding is strict. Syntax errors report file:line:col; unknown keys are
// errors that name the full key path and suggest a close known key; values
// are checked against their allowed range, which the message states; the
// game, its parameters and every population are checked against the game
// registry, so a file that loads can be run. Defaults are filled in and
// documented on the fields below and in docs/guide/scenarios.md. The [algo] table is
// decoded by the registered algorithm it names (agents/learner's
// Algorithm.Decode), through the same checks: the algorithms must be
// registered (imported) before a scenario is read.
//
// Package scenarios is only read by the command line: the packages that do
// the work take the typed structs, never TOML.
package scenarios

import (
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
)

// Scenario is a validated scenario file.
type Scenario struct {
	File string // the path it was read from
	Name string // `name`: a label for runs and reports; default: the file's base name without extension
	Seed uint64 // `seed`: the root of every random stream of a run; default 1
	Out  string // `out`: folder under which runs are written; default "runs"

	Game  Game
	Train Train
	Eval  Eval
	// Algo is the [algo] table decoded by the registered algorithm it
	// names (`name`, default "mra"): that algorithm's own settings type.
	Algo learner.Settings
}

// DefaultAlgorithm is the algorithm of a scenario whose [algo] names none.
const DefaultAlgorithm = "mra"

// Game names the game and its parameters (table [game]).
type Game struct {
	Name   string         // `name`: a registered game, see `mrasim envs`; required
	Params map[string]any // `[game.params]`: checked against the game's documented parameters; unset ones take the game's defaults
}

// Train is the training budget and populations (table [train]).
type Train struct {
	// `populations`: the training games, as "type=count" strings
	// ("adversaries=3,good=1"), inline tables ({agents = 3}) or, for games
	// with one agent type, bare counts (3). Required, no repeats.
	Populations []env.Population
	// `episodes`: episodes to play per training population; default 80000,
	// the official MRA value.
	Episodes int
	// EpisodesDefault is set when the file gives no `episodes`, so that
	// Episodes is DefaultEpisodes, a long run that commands warn about.
	EpisodesDefault bool
	// `parallel_envs`: game copies stepped in parallel per population;
	// default 12, the official value.
	ParallelEnvs int
	// `log_every`: episodes per population between metrics lines (rounded
	// up to whole rounds of parallel_envs episodes); default 96, the
	// reference run's curve bins.
	LogEvery int
	// `checkpoint_every`: episodes per population between checkpoints;
	// default 480. A checkpoint is also written at the end and on Ctrl-C.
	CheckpointEvery int
	// `curriculum`, `curriculum_window`, `curriculum_threshold`: the
	// optional size curriculum (learner.Curriculum): "none" (the default:
	// every population from the first round) or "doubling" (start at the
	// smallest population, add the next larger one when the return has
	// stopped rising); the window W in rounds (default 10) and the
	// relative rise that still counts as rising (default 0.01).
	Curriculum learner.Curriculum
}

// Eval is what evaluation plays (table [eval]).
type Eval struct {
	// `populations`: the evaluation games, seen and unseen sizes, in the
	// same forms as train.populations; default: the training populations.
	Populations []env.Population
	// `episodes`: episodes per population and entry; default 100.
	Episodes int
	// `adapt_steps`: first-order adaptation steps of MRA's latents at
	// populations it was not trained on; 0 turns adaptation off; default 10.
	AdaptSteps int
	// `adapt_episodes`: episodes per adaptation step, and per mode in the
	// best-mode search; default 12.
	AdaptEpisodes int
	// `br_episodes`, or `episodes` of [eval.br]: training episodes of each
	// best response that estimates NashConv where a game has no exact
	// NashConv (plus br.episodes_per_agent per agent); 0 skips the
	// estimates; default 1000.
	BREpisodes int
	// `nashconv`: "auto" (exact where the game gives it, best responses
	// otherwise), "exact", "br" (best responses everywhere, beside exact
	// values where they exist) or "off"; default "auto".
	NashConv string
	// [eval.br]: the best responses' learner and budget.
	BR EvalBR
}

// EvalBR is the table [eval.br]: the best-response learner (PPO through
// the optimizer core, see league/br) and its budget. A zero field takes
// league/br's default; docs/guide/scenarios.md lists them.
type EvalBR struct {
	EpisodesPerAgent int     // `episodes_per_agent`: training episodes added per agent of the population; default 50
	SelectEpisodes   int     // `select_episodes`: episodes choosing between response and incumbent; default 100
	TestEpisodes     int     // `test_episodes`: held-out episodes measuring the chosen deviation; default 300
	Batch            int     // `batch`: episodes per PPO iteration; default 16
	Epochs           int     // `epochs`: passes over each iteration's data; default 4
	Minibatches      int     // `minibatches`: gradient steps per pass; default 4
	Hidden           int     // `hidden`: hidden width of the critic and of from-scratch responses; default 64
	LR               float64 // `lr`: learning rate; default 1e-3
	Optimizer        string  // `optimizer`: "adam", "adamw", "sgd" or "mfac"; default "adam"
	Clip             float64 // `clip`: PPO ratio clip ε; default 0.2
	Gamma            float64 // `gamma`: discount; default 1
	Lambda           float64 // `lambda`: GAE λ; default 0.95
	Entropy          float64 // `entropy`: entropy bonus (negative: none); default 0.01
	GradClip         float64 // `grad_clip`: global-norm gradient clip; default 1
	ValueWarmup      int     // `value_warmup`: first iterations fitting only the critic (negative: none); default 2
	FromScratch      bool    // `from_scratch`: start responses from a fresh MLP instead of the entry's own networks; default false
	Search           bool    // `search`: also try the search response (rollouts from the exact state) where the game allows it; default true
	SearchRollouts   int     // `search_rollouts`: rollouts per legal action and decision; default DefaultSearchRollouts
	SearchHorizon    int     // `search_horizon`: steps per rollout before the critic bootstraps (0: to the episode's end); default DefaultSearchHorizon (0 with search_base = "incumbent")
	SearchDepth      int     // `search_depth`: nested search levels; default 1
	SearchHold       int     // `search_hold`: steps each rollout holds the action it evaluates; default DefaultSearchHold
	SearchMaxAgents  int     // `search_max_agents`: populations of more agents skip the search (0: no limit); default DefaultSearchMaxAgents
	SearchBase       string  // `search_base`: "response" or "incumbent", who plays the agent after a rollout's first step; default "response"
}

// Defaults of the other tables.
const (
	DefaultSeed         = 1
	DefaultOut          = "runs"
	DefaultEpisodes     = 80_000
	DefaultParallelEnvs = 12
	DefaultEvalEpisodes = 100
	DefaultLogEvery     = 96
	DefaultAdaptSteps   = 10
	DefaultAdaptEps     = 12
	DefaultBREpisodes   = 1000
	DefaultBRPerAgent   = 50

	// The search response's defaults in scenarios, measured in the
	// the power table of docs/algorithms/best-response.md: 4 rollouts per action to the episode's end,
	// each holding the action it evaluates for 5 steps, find more than the
	// hand-written deviations in resource and spread; cutting rollouts
	// where the response's critic bootstraps (search_horizon) is cheaper
	// and as strong in resource, but the critic misleads the search in
	// spread.
	DefaultSearchRollouts = 4
	DefaultSearchHorizon  = 0
	// DefaultSearchHold is how long a rollout holds the action it evaluates.
	DefaultSearchHold = 5
	// DefaultSearchMaxAgents keeps the default run's evaluation within
	// ten minutes on two cores: against a learned policy at 24 agents the
	// search alone costs more (docs/algorithms/best-response.md).
	DefaultSearchMaxAgents = 12
	DefaultCheckpoint      = 480
)
