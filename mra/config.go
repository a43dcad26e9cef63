package mra

import (
	"fmt"
	"math"
	"slices"

	"github.com/mrasim/mrasim/agents/replay"
)

// Algorithms Config.Algo selects.
const (
	AlgoMRA     = "mra"     // the full method
	AlgoSingle  = "single"  // MRA's networks trained at one population
	AlgoReptile = "reptile" // first-order meta-learning across populations, one unimodal policy
)

// Variants Config.Variant names; ApplyVariant sets every quirk switch to
// the variant's value at once.
const (
	// VariantOfficial reproduces the official code's behaviour wherever it
	// changes a number (the golden parity test pins it).
	VariantOfficial = "official"
	// VariantCorrected fixes the official behaviours that are defects:
	// the critic's target action is sampled at o', terminal targets drop
	// the entropy term, and the classifier pairs each agent's graph with its
	// own values, φ's gradient is clipped once.
	VariantCorrected = "corrected"
)

// Config holds every hyper-parameter of training: a scenario's [algo] table
// for this package's algorithms, decoded over the defaults, and what
// run.json records, under the scenario's keys (each field's comment names
// its key). DefaultConfig returns the official MRA code's values (mra.md
// §6.4) in the official variant: every switch named after a quirk of the
// official code (the golden data's README Q1–Q14) reproduces it. Config
// implements learner.Settings, and *Config learner.Resolver.
type Config struct {
	Algo           string  `json:"name"`             // `name`: AlgoMRA, AlgoSingle or AlgoReptile
	Gamma          float64 `json:"gamma"`            // `gamma`: discount γ in (0, 1]
	PolicyLR       float64 `json:"pi_lr"`            // `pi_lr`: Adam learning rate of policies θ and relation net φ
	CriticLR       float64 `json:"q_lr"`             // `q_lr`: Adam learning rate of critic, prior ψ and classifier ω
	WeightDecay    float64 `json:"weight_decay"`     // `weight_decay`: Adam L2 weight decay (torch Adam(weight_decay))
	BatchSize      int     `json:"batch_size"`       // `batch_size`: transitions per gradient step
	BufferLength   int     `json:"buffer_length"`    // `buffer_length`: replay capacity per training population, in transitions
	StepsPerUpdate int     `json:"steps_per_update"` // `steps_per_update`: environment steps (over all copies) between update cycles
	NumUpdates     int     `json:"num_updates"`      // `num_updates`: critic + policy gradient steps per cycle
	RewardScale    float64 `json:"reward_scale"`     // `reward_scale`: 1/α, the inverse entropy temperature
	Latents        int     `json:"latents"`          // `latents`: K, number of latent modes = attention heads of φ
	Resamples      int     `json:"resamples"`        // `resamples`: K', latents resampled by the diversity estimator
	GradClip       float64 `json:"grad_clip"`        // `grad_clip`: gradient-norm clip per agent: critic and φ clip at GradClip·n

	// Variant (`variant`) is VariantOfficial or VariantCorrected;
	// ApplyVariant sets the quirk switches it governs from it. A switch set
	// after ApplyVariant (given explicitly) overrides its variant's value.
	Variant string `json:"variant"`

	// Quirks of the official code, kept by default (mra.md §7.8).
	PriorTemperature   float64 `json:"prior_temperature"`     // `prior_temperature`: p(z|m) = softmax(ℓ / T); official 4
	Baseline           bool    `json:"baseline"`              // `baseline`: subtract Σ_a π(a)Q(a) in the actor loss (official: no baseline)
	PerAgentCriticLoss bool    `json:"per_agent_critic_loss"` // `per_agent_critic_loss`: mean of per-agent MSEs (official: MSE of the sums over agents)
	RecomputeNextGraph bool    `json:"recompute_next_graph"`  // `recompute_next_graph`: recompute g at o' for the target (official: reuse the stored g)
	// PolicySeesSelf (`policy_sees_self`) feeds each policy head [e_i ;
	// s_i], the relational embedding and the agent's own self row
	// (ValueDim+D → Hidden → A_k). Official quirk (mra.md §2, §7.8): the
	// policy never sees its own features directly, only through the
	// attention g, so when every entity row is alike (one-shot matrix
	// games) it cannot tell populations apart.
	PolicySeesSelf bool `json:"policy_sees_self"`
	// CriticSeesSelf (`critic_sees_self`) feeds the critic's per-agent MLPs
	// the agent's own self row too: x_i = [e^c_i ; onehot(a_i) ; self_i]
	// (ValueDim+A+D) into MLP_c and MLP_s, in the online and the target
	// critic. Official quirk (mra.md §2, §7.8): the critic sees the agent's
	// own row only as its attention key, so when every entity row is alike
	// the attention is uniform and Q cannot depend on the population;
	// PolicySeesSelf alone then learns the same strategy at every n.
	CriticSeesSelf bool `json:"critic_sees_self"`

	// Switches the variant sets. The official value is first.
	//
	// TargetActionAtObs (`target_action_at_obs`) samples the critic's
	// target action a' and its log π⁻ at o with the stored g, as the
	// official code does (Q1, relation_marl.py:159); off, a' ~ π⁻(· | o', g').
	TargetActionAtObs bool `json:"target_action_at_obs"`
	// TerminalEntropy (`terminal_entropy`) keeps −α·log π⁻(a') in the
	// critic target of a terminal o' (Q3); off, y = r + (1 − d)(γQ⁻ − α log π⁻).
	TerminalEntropy bool `json:"terminal_entropy"`
	// ClassifierCrossPairing (`classifier_cross_pairing`) pairs the
	// classifier's agent row b·N+i with the relation graph of sample
	// (b·N+i) mod B, agent (b·N+i) div B, as the official ObsEncode's
	// permute of a (batch, agent, other) tensor does (Q5, obs_emb.py:82).
	// The update then runs on one goroutine over the whole batch. Off,
	// each row uses its own graph.
	ClassifierCrossPairing bool `json:"classifier_cross_pairing"`
	// DoubleClipRelation (`double_clip_relation`) clips φ's gradient twice
	// (Q4, relation_marl.py:228-229): when the first clip fires the second
	// shrinks it once more by max/(max+1e−6·…).
	DoubleClipRelation bool `json:"double_clip_relation"`

	// Switches of the corrected variant only: the official variant
	// refuses any value but the official one (Validate), since each
	// departs from the official code. Unset they are zero and left out of
	// run.json, so the records of runs started before the keys existed
	// still match.
	//
	// MIWeight w (`mi_weight`) scales the relation net's loss, loss_φ =
	// −w·r_MI (the official loss is −r_MI, relation_marl.py:225: w = 1);
	// 0 means 1. φ's only loss is this one, so under Adam w acts only
	// against φ's weight decay, its clip at GradClip·N and Adam's ε.
	MIWeight float64 `json:"mi_weight,omitempty"`
	// RelationPooling (`relation_pooling`) is how each policy pools the
	// value rows v_ij under the relation graph g_i into e_i: PoolingSoftmax
	// (""; the official e_i = Σ_j g_ij·v_ij, blind to the count),
	// PoolingSum (c_i·Σ_j g_ij·v_ij) or PoolingMeanLogCount ([Σ_j
	// g_ij·v_ij ; ln(1 + c_i)]), with c_i the present entity rows agent i
	// observes (nn.PoolOf).
	RelationPooling string `json:"relation_pooling,omitempty"`

	// Reptile baseline.
	MetaLR      float64 `json:"meta_lr"`      // `meta_lr`: ε in θ₀ ← θ₀ + ε·mean_k(θ_k − θ₀)
	InnerCycles int     `json:"inner_cycles"` // `inner_cycles`: rounds (ParallelEnvs episodes with their update cycles) per game between meta-steps
	// KeepMoments (`keep_moments`, Reptile only) carries the Adam moments
	// (and step counts) of one game's inner loop into the next game's and
	// across meta-steps, instead of starting each game's inner loop from
	// fresh moments (the default, so that no game keeps another's
	// momentum). Measured on resource at four training sizes, it changes
	// nothing (docs/results, "The paper's three environments"): Reptile's
	// budget, not Adam's first steps, is what holds it back there. Left
	// out of run.json when off.
	KeepMoments bool `json:"keep_moments,omitempty"`

	// Replay (`replay`) is what the replay buffer stores per transition:
	// ModeAuto (the default, "" means the same) picks whichever of the two
	// takes fewer bytes per transition for the game, ModeStates the game's
	// compact state (observations regenerated when sampled, O(N) bytes)
	// and ModeObservations every agent's observation (O(N²) bytes in the
	// particle games). Training is bit-identical under either. Left out
	// of run.json when unset.
	Replay string `json:"replay,omitempty"`

	// Precision (`precision`) is the element type MRA's networks train in:
	// PrecisionFloat64 or PrecisionFloat32 (parameters, gradients, Adam
	// moments, targets and layer buffers in float32, with the float32 SIMD
	// kernels; see ModelOf). The algorithm and its random streams are the
	// same in both; the results agree to float32 rounding, not bit for
	// bit. A checkpoint records it and resumes only under the same
	// precision; evaluation plays a float32 run's networks converted
	// exactly to float64. To the library "" means float64; `mrasim train`
	// resolves an unset precision (Resolve): a new run takes
	// NewRunPrecision, a resumed or evaluated one the precision its record
	// names.
	Precision string `json:"precision,omitempty"`

	// Network sizes; the official code hard-codes these, and scenarios do
	// not set them (tests build smaller networks).
	Hidden    int `json:"-"` // hidden width of the relation, value and policy MLPs (32)
	HeadDim   int `json:"-"` // per-head key/query width of φ (16)
	ValueDim  int `json:"-"` // entity value embedding width, e_i (64)
	CriticKey int `json:"-"` // critic key/query hidden width and output (16 → 32)
}

// miWeight returns MIWeight with 0 resolved to the official weight 1.
func (c Config) miWeight() float64 {
	if c.MIWeight == 0 {
		return 1
	}
	return c.MIWeight
}

// relationPooling returns RelationPooling with "" resolved to
// PoolingSoftmax.
func (c Config) relationPooling() string {
	if c.RelationPooling == "" {
		return PoolingSoftmax
	}
	return c.RelationPooling
}

// precision returns Precision with "" resolved to PrecisionFloat64.
func (c Config) precision() string {
	if c.Precision == "" {
		return PrecisionFloat64
	}
	return c.Precision
}

// The values of Config.Precision.
const (
	PrecisionFloat64 = "float64"
	PrecisionFloat32 = "float32"
)

// DefaultConfig returns the official hyper-parameters.
func DefaultConfig() Config {
	return Config{
		Algo:             AlgoMRA,
		Gamma:            0.95,
		PolicyLR:         3e-4,
		CriticLR:         3e-4,
		WeightDecay:      3e-4,
		BatchSize:        1024,
		BufferLength:     1_000_000,
		StepsPerUpdate:   100,
		NumUpdates:       10,
		RewardScale:      30,
		Latents:          6,
		Resamples:        5,
		GradClip:         10,
		Hidden:           32,
		HeadDim:          16,
		ValueDim:         64,
		CriticKey:        16,
		PriorTemperature: 4,
		MetaLR:           0.1,
		InnerCycles:      1,

		Variant:                VariantOfficial,
		TargetActionAtObs:      true,
		TerminalEntropy:        true,
		ClassifierCrossPairing: true,
		DoubleClipRelation:     true,
	}
}

// ApplyVariant sets Variant and every quirk switch to the values of
// variant v (VariantOfficial or VariantCorrected). Switches that are not
// defects in either reading (Baseline, PerAgentCriticLoss,
// RecomputeNextGraph, PolicySeesSelf, CriticSeesSelf, PriorTemperature)
// keep their values. It returns an error naming the allowed values for any
// other v.
func (c *Config) ApplyVariant(v string) error {
	var official bool
	switch v {
	case VariantOfficial:
		official = true
	case VariantCorrected:
	default:
		return fmt.Errorf("mra: variant %q, want %q or %q", v, VariantOfficial, VariantCorrected)
	}
	c.Variant = v
	c.TargetActionAtObs = official
	c.TerminalEntropy = official
	c.ClassifierCrossPairing = official
	c.DoubleClipRelation = official
	return nil
}

// Validate reports the first value out of its range.
func (c Config) Validate() error {
	switch {
	case c.Algo != AlgoMRA && c.Algo != AlgoSingle && c.Algo != AlgoReptile:
		return fmt.Errorf("mra: unknown algorithm %q", c.Algo)
	case !(c.Gamma > 0 && c.Gamma <= 1):
		return fmt.Errorf("mra: gamma %v not in (0, 1]", c.Gamma)
	case !(c.PolicyLR > 0) || !(c.CriticLR > 0) || !(c.WeightDecay >= 0):
		return fmt.Errorf("mra: learning rates must be > 0 and weight decay ≥ 0")
	case c.BatchSize < 1 || c.BufferLength < c.BatchSize || c.StepsPerUpdate < 1 || c.NumUpdates < 1:
		return fmt.Errorf("mra: batch %d, buffer %d, steps per update %d, updates %d: want 1 ≤ batch ≤ buffer and ≥ 1 each", c.BatchSize, c.BufferLength, c.StepsPerUpdate, c.NumUpdates)
	case !(c.RewardScale > 0) || c.Latents < 1 || c.Resamples < 1 || !(c.GradClip > 0):
		return fmt.Errorf("mra: reward scale, latents, resamples and grad clip must be positive")
	case c.Hidden < 1 || c.HeadDim < 1 || c.ValueDim < 1 || c.CriticKey < 1 || !(c.PriorTemperature > 0):
		return fmt.Errorf("mra: network sizes and prior temperature must be positive")
	case c.Variant != VariantOfficial && c.Variant != VariantCorrected:
		return fmt.Errorf("mra: variant %q, want %q or %q", c.Variant, VariantOfficial, VariantCorrected)
	case c.Algo == AlgoReptile && (!(c.MetaLR > 0 && c.MetaLR <= 1) || c.InnerCycles < 1):
		return fmt.Errorf("mra: reptile needs meta_lr in (0, 1] and inner_cycles ≥ 1")
	case c.KeepMoments && c.Algo != AlgoReptile:
		return fmt.Errorf("mra: keep_moments is Reptile's; algo %q never resets its moments", c.Algo)
	case c.Replay != "" && c.Replay != replay.ModeAuto && c.Replay != replay.ModeStates && c.Replay != replay.ModeObservations:
		return fmt.Errorf("mra: replay %q, want %q, %q or %q", c.Replay, replay.ModeAuto, replay.ModeStates, replay.ModeObservations)
	case !(c.MIWeight >= 0) || math.IsInf(c.MIWeight, 0):
		return fmt.Errorf("mra: algo.mi_weight = %v: want a finite weight > 0", c.MIWeight)
	case !slices.Contains(RelationPoolings, c.relationPooling()):
		return fmt.Errorf("mra: algo.relation_pooling = %q: want one of %q", c.RelationPooling, RelationPoolings)
	case c.Variant == VariantOfficial && c.miWeight() != 1:
		return fmt.Errorf("mra: algo.mi_weight = %v departs from the official code (weight 1): a switch of variant %q", c.MIWeight, VariantCorrected)
	case c.Variant == VariantOfficial && c.relationPooling() != PoolingSoftmax:
		return fmt.Errorf("mra: algo.relation_pooling = %q departs from the official code (%q): a switch of variant %q", c.RelationPooling, PoolingSoftmax, VariantCorrected)
	case c.Precision != "" && c.Precision != PrecisionFloat64 && c.Precision != PrecisionFloat32:
		return fmt.Errorf("mra: algo.precision = %q: want %q or %q", c.Precision, PrecisionFloat32, PrecisionFloat64)
	}
	return nil
}

// Alpha returns the entropy temperature α = 1/RewardScale.
func (c Config) Alpha() float64 { return 1 / c.RewardScale }
