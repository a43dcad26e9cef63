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
// documented on the fields below and in docs/guide/scenarios.md.
//
// Package scenarios is only read by the command line: the packages that do
// the work take the typed structs, never TOML.
package scenarios

import (
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/mra"
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
	Algo  Algo
}

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

// Algorithm names accepted by algo.name.
const (
	MRA     = mra.AlgoMRA     // Meta Representations for Agents
	Single  = mra.AlgoSingle  // the same networks trained on one population only
	Reptile = mra.AlgoReptile // first-order meta-learning across the training populations, one unimodal policy
	MADDPG  = mra.AlgoMADDPG  // MADDPG with attention actor and critic, shared across the training populations
)

// Values of algo.replay.
const (
	ReplayAuto         = mra.ReplayAuto
	ReplayStates       = mra.ReplayStates
	ReplayObservations = mra.ReplayObservations
)

// Values of algo.precision.
const (
	PrecisionFloat64 = mra.PrecisionFloat64
	PrecisionFloat32 = mra.PrecisionFloat32
)

// NewRunPrecision is the precision a new run of algorithm algo trains in
// when its scenario leaves algo.precision unset: float32 for mra, single
// and reptile, whose learning curves and held-out returns were measured
// equal to float64's within noise (docs/guide/training.md, "Precision")
// at 1.27× the speed and 62% of the memory; float64 for maddpg, which has
// no float32 path. The run records the precision it resolved to, and a
// resumed or evaluated run keeps it; a run recorded without one was
// started when float64 was the default and stays in float64.
func NewRunPrecision(algo string) string {
	if algo == MADDPG {
		return PrecisionFloat64
	}
	return PrecisionFloat32
}

// Variants accepted by algo.variant.
const (
	Official  = mra.VariantOfficial  // the official code's behaviour, number for number
	Corrected = mra.VariantCorrected // the official behaviours that are defects, fixed
)

// Algo is the learning algorithm and its hyper-parameters (table [algo]).
// The defaults are the official MRA code's (see docs/guide/scenarios.md).
type Algo struct {
	Name           string  // `name`: "mra", "single", "reptile" or "maddpg"; default "mra"
	Gamma          float64 // `gamma`: discount factor in (0, 1]; default 0.95
	PolicyLR       float64 // `pi_lr`: learning rate of policies and relation net; default 3e-4
	CriticLR       float64 // `q_lr`: learning rate of critic, prior and game classifier; default 3e-4
	WeightDecay    float64 // `weight_decay`: Adam L2 weight decay; default 3e-4
	BatchSize      int     // `batch_size`: transitions per gradient step; default 1024
	BufferLength   int     // `buffer_length`: replay capacity per training population; default 1000000
	StepsPerUpdate int     // `steps_per_update`: environment steps (over all copies) between update rounds; default 100
	NumUpdates     int     // `num_updates`: critic+actor gradient steps per round; default 10
	RewardScale    float64 // `reward_scale`: inverse entropy temperature α⁻¹; default 30
	Latents        int     // `latents`: number K of latent modes = attention heads; default 6
	Resamples      int     // `resamples`: latents K' resampled by the diversity (MI) estimator; default 5
	GradClip       float64 // `grad_clip`: gradient-norm clip per agent (clip = grad_clip·n); default 10

	// Variant sets the defaults of the quirk switches below it marks: the
	// official code's behaviour or its corrections (docs/algorithms/mra.md's
	// quirk table). A switch given explicitly overrides its variant.
	Variant string // `variant`: "official" or "corrected"; default "official"

	// Quirks of the official code (mra.md §7.8), reproduced by default.
	PriorTemperature   float64 // `prior_temperature`: p(z|m) = softmax(ℓ/T); default 4
	Baseline           bool    // `baseline`: subtract MAAC's counterfactual baseline Σ_a' π(a')Q_i(a', a_−i) in the actor loss; default false
	PerAgentCriticLoss bool    // `per_agent_critic_loss`: per-agent MSE instead of MSE of sums; default false
	RecomputeNextGraph bool    // `recompute_next_graph`: recompute g at o' for targets; default false
	PolicySeesSelf     bool    // `policy_sees_self`: policy heads take [e_i ; own self row]; default false
	CriticSeesSelf     bool    // `critic_sees_self`: critic MLPs take [e^c_i ; onehot(a_i) ; own self row]; default false

	// Set by the variant (official value first).
	TargetActionAtObs      bool // `target_action_at_obs`: critic target action a' ~ π⁻(·|o, g) (Q1); official true, corrected false
	TerminalEntropy        bool // `terminal_entropy`: keep −α log π⁻ in the target at terminal o' (Q3); official true, corrected false
	ClassifierCrossPairing bool // `classifier_cross_pairing`: the classifier pairs g with another sample's values (Q5); official true, corrected false
	DoubleClipRelation     bool // `double_clip_relation`: clip φ's gradient twice (Q4); official true, corrected false

	MetaLR      float64 // `meta_lr`: Reptile's outer step size ε; default 0.1
	InnerCycles int     // `inner_cycles`: Reptile's rounds per population between meta-steps; default 1
	// KeepMoments carries Reptile's Adam moments from one game's inner loop
	// to the next (mra.Config.KeepMoments). Off, the default, each game's
	// inner loop starts from fresh moments; left out of run.json when off,
	// so the records of runs started before the key existed still match.
	KeepMoments bool    `json:",omitempty"` // `keep_moments`: Reptile only; default false
	Tau         float64 // `tau`: MADDPG's Polyak target rate in (0, 1] (1: hard copy); default 0.01

	// Replay is what the replay buffer stores (mra.Config.Replay):
	// "auto" the smaller per transition for the game, "states" the game's
	// compact state, "observations" every agent's observation. Training is
	// bit-identical under each; only memory and speed differ. Unset it is
	// "" (meaning "auto") and left out of run.json, so the records of runs
	// started before the key existed still match on --resume.
	Replay string `json:",omitempty"` // `replay`: "auto", "states" or "observations"; default "" = "auto"

	// Precision is the element type MRA trains in (mra.Config.Precision):
	// "float64" or "float32" (twice the SIMD width; results agree with
	// float64 to float32 rounding, not bit for bit). A run resumes only in
	// the precision it started with; evaluation plays a float32 run's
	// networks converted exactly to float64. MADDPG runs in float64 only.
	// Unset it is "": `mrasim train` then starts a new run in
	// NewRunPrecision(Name) (float32, or float64 for maddpg) and records
	// that in run.json; a resumed or evaluated run takes the precision its
	// record names, float64 when the record has none (runs started before
	// the key existed, or before float32 became the default). To the
	// library (mra.Config) "" means float64.
	Precision string `json:",omitempty"` // `precision`: "float64" or "float32"; default "" = see above
}

// ApplyVariant sets Variant and the switches it governs from variant v
// (mra.Config.ApplyVariant); it returns that function's error for an
// unknown v.
func (a *Algo) ApplyVariant(v string) error {
	c := mra.DefaultConfig()
	if err := c.ApplyVariant(v); err != nil {
		return err
	}
	a.Variant = c.Variant
	a.TargetActionAtObs, a.TerminalEntropy = c.TargetActionAtObs, c.TerminalEntropy
	a.ClassifierCrossPairing, a.DoubleClipRelation = c.ClassifierCrossPairing, c.DoubleClipRelation
	return nil
}

// DefaultAlgo returns the official MRA hyper-parameters (mra.md §6.4), as
// mra.DefaultConfig holds them: the trainer's defaults are the one source.
func DefaultAlgo() Algo {
	c := mra.DefaultConfig()
	return Algo{
		Name:           c.Algo,
		Gamma:          c.Gamma,
		PolicyLR:       c.PolicyLR,
		CriticLR:       c.CriticLR,
		WeightDecay:    c.WeightDecay,
		BatchSize:      c.BatchSize,
		BufferLength:   c.BufferLength,
		StepsPerUpdate: c.StepsPerUpdate,
		NumUpdates:     c.NumUpdates,
		RewardScale:    c.RewardScale,
		Latents:        c.Latents,
		Resamples:      c.Resamples,
		GradClip:       c.GradClip,

		PriorTemperature:   c.PriorTemperature,
		Baseline:           c.Baseline,
		PerAgentCriticLoss: c.PerAgentCriticLoss,
		RecomputeNextGraph: c.RecomputeNextGraph,
		PolicySeesSelf:     c.PolicySeesSelf,
		CriticSeesSelf:     c.CriticSeesSelf,
		MetaLR:             c.MetaLR,
		InnerCycles:        c.InnerCycles,

		Variant:                c.Variant,
		TargetActionAtObs:      c.TargetActionAtObs,
		TerminalEntropy:        c.TerminalEntropy,
		ClassifierCrossPairing: c.ClassifierCrossPairing,
		DoubleClipRelation:     c.DoubleClipRelation,
		Tau:                    c.Tau,
	}
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
