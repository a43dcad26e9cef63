package mra

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
)

// Sizes the official code hard-codes and Config does not expose.
const (
	priorHidden      = 3  // ψ: m → Linear(H, 3) → ReLU → Linear(3, K)
	classifierHidden = 35 // ω: [e ; z] → 35 → ReLU → M
)

// Parameter groups, in the order they sit in the flat parameter vector.
// Each group has its own Adam.
const (
	groupCritic   = iota // the centralised critic Q (q_lr, clipped at GradClip·N)
	groupPolicy          // the policies θ, one per agent type (pi_lr, not clipped)
	groupRelation        // the relation net φ (pi_lr, clipped at GradClip·N)
	groupPrior           // the prior ψ and the game classifier ω (q_lr, not clipped)
	numGroups
)

var groupNames = [numGroups]string{"critic", "policy", "relation", "prior"}

// ParamGroup locates one group of trainable parameters in the flat vector
// of Params.
type ParamGroup struct {
	Name        string // "critic", "policy", "relation" or "prior" (ψ, ω, then ω's value net v_ω)
	Offset, Len int
}

// span is a half-open range [lo, hi) of the flat parameter vector.
type span struct{ lo, hi int }

// Model is MRA's set of networks (mra.md §2) with the optimizers and target
// networks of its four updates (mra.md §3.2):
//
//   - the relation net φ giving each agent's relation graph g over its
//     entity rows, selected by its latent z;
//   - one policy π_θ(a | o, g) per agent type;
//   - the centralised soft critic Q(o, a, g) and its target Q⁻, and the
//     target policies π⁻;
//   - the prior p_ψ(z | m) over K latent modes and the game classifier
//     q_ω(m | e, z).
//
// All trainable parameters live in one flat vector, laid out as
// critic | policies (type order) | φ | ψ | ω | v_ω; the targets are a copy of its
// critic | policies part. The updates split their batch into a fixed number
// of chunks run by a pool of worker goroutines (SetWorkers); results are
// identical bit for bit whatever the number of workers.
//
// A Model is not safe for concurrent use; use NewActor for acting from
// several goroutines.
//
// ModelOf computes in element type T (Config.Precision): parameters,
// gradients, targets, Adam moments, layer caches and the updates' row
// buffers are T; loss and statistics sums are float64 in both. Model is
// the float64 instantiation, the one gradient checks, the golden parity
// test, evaluation and the league use. The exported API takes and returns
// float64 (observations, latents, graphs, parameter vectors) in either
// precision; a float32 model converts at that boundary (float32 → float64
// exactly, float64 → float32 by rounding).
type ModelOf[T nn.Float] struct {
	cfg   Config
	f     replay.Features
	games [][]float64 // training descriptors m, one per game index

	params []T // all trainable parameters
	grad   []T // reduced gradient, same layout
	target []T // critic⁻ | policies⁻
	groups [numGroups]span
	opt    [numGroups]*optim.AdamOf[T] // the policy slot is unused: see typeOpt
	// typeOpt steps each agent type's policy on its own, and only when the
	// type is in the batch's population (torch's Adam skips
	// parameters without a gradient, so an absent type's policy keeps its
	// moments and takes no weight decay); typeSpan is each type's part of
	// the policy group.
	typeOpt  []*optim.AdamOf[T]
	typeSpan []span
	present  []bool // per type: in the population of the running policy update

	// proto is a network instance bound to params and grad; the main
	// goroutine uses its prior ψ (the rest is used by the layout only).
	proto  *nets[T]
	gumbel nn.GumbelSoftmaxOf[T] // straight-through sampler of z, temperature 1

	rng *rand.PCG // the model's own stream: seeds of the critic and policy updates

	act *ActorOf[T] // Act's instance

	// Parallel updates.
	chunks     chunk.Driver[*worker[T]] // one network instance per worker, and the pool
	chunkGrad  [][]T                    // per chunk, the gradient of the running update
	chunkStat  [][4]float64             // per chunk, partial sums of the running update
	chunkDZ    [][]T                    // per chunk, ∂L/∂z per agent (prior update)
	chunkTGrad [][]T                    // per chunk, the target policies' gradient of the relation update (diagnostics)
	tgradSum   []T                      // the chunks' chunkTGrad reduced
	job        job                      // the running update, read by the workers
	scratch    []T                      // main-goroutine scratch
	desc       []T                      // main-goroutine scratch: a descriptor in T
	latent     latentScratch[T]         // main-goroutine latents of the relation and prior updates
	layout     [numGroups][]nn.Segment
	stats      UpdateStats
	rec        *recording // testing seam, nil in production
	inj        *draws     // testing seam (recorded draws), nil in production
	err        error
}

// Model is MRA's float64 model (see ModelOf).
type Model = ModelOf[float64]

// NewModel builds MRA's networks for a game with features f, for the
// training games with descriptors games (one per game index, each of length
// len(f.Types); see Descriptor), and initialises them from rng layer by
// layer as the official code does (see initParams), targets equal to the
// online networks. It returns an
// error for an invalid config or a descriptor of the wrong length.
//
// With cfg.RecomputeNextGraph the batches given to UpdateCritic must hold
// the latents (NewBatch(enc, size, cfg.Latents)).
func NewModel(cfg Config, f replay.Features, games [][]float64, rng *rand.Rand) (*Model, error) {
	return NewModelOf[float64](cfg, f, games, rng)
}

// NewModelOf is NewModel for element type T. Config.Precision must name
// T. A float32 model draws its initial parameters as the float64 one does
// (same random stream) and rounds them to float32.
func NewModelOf[T nn.Float](cfg Config, f replay.Features, games [][]float64, rng *rand.Rand) (*ModelOf[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if got, want := cfg.precision(), precisionOf[T](); got != want {
		return nil, fmt.Errorf("mra: algo.precision = %q, but a %s model was asked for", got, want)
	}
	h := len(f.Types)
	if h < 1 || len(f.Actions) != h || f.D < 1 || f.A < 1 {
		return nil, fmt.Errorf("mra: features with %d types, %d action counts, row width %d: want ≥ 1 type, one action count each, width ≥ 1", h, len(f.Actions), f.D)
	}
	for k, a := range f.Actions {
		if a < 1 || a > f.A {
			return nil, fmt.Errorf("mra: type %q has %d actions, want 1 … %d", f.Types[k], a, f.A)
		}
	}
	if len(games) < 1 {
		return nil, errors.New("mra: no training games")
	}
	m := &ModelOf[T]{cfg: cfg, f: f}
	m.chunks = chunk.NewDriver(m.newWorker, m.runChunk)
	for g, d := range games {
		if len(d) != h {
			return nil, fmt.Errorf("mra: descriptor of game %d has %d entries, want one per type (%d)", g, len(d), h)
		}
		m.games = append(m.games, slices.Clone(d))
	}

	// Lay the groups out from a prototype instance.
	proto := m.newNets()
	off := 0
	for g := range numGroups {
		mods := proto.group(g)
		n := 0
		for _, mod := range mods {
			m.layout[g] = mod.AppendSegments(m.layout[g], off+n)
			n += mod.NumParams()
		}
		m.groups[g] = span{off, off + n}
		off += n
	}
	m.params = make([]T, off)
	m.grad = make([]T, off)
	m.target = make([]T, m.groups[groupPolicy].hi)
	m.proto = proto
	proto.bind(m, m.params, m.grad)

	m.initParams(rng)
	copy(m.target, m.params)

	lo := m.groups[groupPolicy].lo
	for _, p := range proto.policy {
		n := p.value.NumParams() + p.head.NumParams()
		m.typeSpan = append(m.typeSpan, span{lo, lo + n})
		lo += n
	}
	if err := m.resetOptimizers(); err != nil {
		return nil, err
	}
	m.rng = rand.NewPCG(rng.Uint64(), rng.Uint64())
	m.gumbel = nn.GumbelSoftmaxOf[T]{N: cfg.Latents, Temperature: 1}
	m.chunkGrad = make([][]T, chunk.Count)
	m.chunkStat = make([][4]float64, chunk.Count)
	m.chunkDZ = make([][]T, chunk.Count)
	m.chunkTGrad = make([][]T, chunk.Count)
	for c := range m.chunkGrad {
		m.chunkGrad[c] = make([]T, off)
	}
	m.act = m.NewActor()
	return m, nil
}

// precisionOf returns the Config.Precision value naming T.
func precisionOf[T nn.Float]() string {
	if chunk.Is64[T]() {
		return PrecisionFloat64
	}
	return PrecisionFloat32
}

// Float64 returns a float64 model with m's configuration (precision
// float64), features and training games, whose parameters and targets are
// m's, converted exactly (every float32 is a float64). Optimizer states
// and the random stream are fresh: it is for evaluation and analysis of
// what a float32 run trained, which then acts in float64. For a float64
// model it is a copy of the networks.
func (m *ModelOf[T]) Float64() (*Model, error) {
	cfg := m.cfg
	cfg.Precision = PrecisionFloat64
	out, err := NewModel(cfg, m.f, m.games, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	chunk.Widen(out.params, m.params)
	chunk.Widen(out.target, m.target)
	return out, nil
}

// Config returns the model's configuration.
func (m *ModelOf[T]) Config() Config { return m.cfg }

// Features returns the encoding widths the networks were built for.
func (m *ModelOf[T]) Features() replay.Features { return m.f }

// Games returns the number of training games M (the classifier's classes).
func (m *ModelOf[T]) Games() int { return len(m.games) }

// ParamCount returns the number of trainable parameters.
func (m *ModelOf[T]) ParamCount() int { return len(m.params) }

// ParamGroups returns where each parameter group sits in the vector of
// Params: critic, policy, relation (φ) and prior (ψ, ω, then the classifier's value net v_ω).
func (m *ModelOf[T]) ParamGroups() []ParamGroup {
	out := make([]ParamGroup, numGroups)
	for g := range numGroups {
		out[g] = ParamGroup{Name: groupNames[g], Offset: m.groups[g].lo, Len: m.groups[g].hi - m.groups[g].lo}
	}
	return out
}

// Params appends all trainable parameters to dst, as one flat vector
// critic | policies | φ | ψ | ω | v_ω (see ParamGroups), and returns the extended
// slice; Params(nil) returns a fresh copy. Targets and optimizer states are
// not included.
func (m *ModelOf[T]) Params(dst []float64) []float64 {
	n := len(dst)
	dst = slices.Grow(dst, len(m.params))[:n+len(m.params)]
	chunk.Widen(dst[n:], m.params)
	return dst
}

// SetParams overwrites all trainable parameters with p, laid out as Params
// returns them (the Reptile meta-step θ₀ ← θ₀ + ε·mean_k(θ_k − θ₀) is done
// on such vectors). Targets and optimizer states are left alone; call
// SyncTargets to copy the new parameters into the targets. It returns an
// error, and changes nothing, if the length differs from ParamCount. A
// float32 model rounds p to float32.
func (m *ModelOf[T]) SetParams(p []float64) error {
	if len(p) != len(m.params) {
		return fmt.Errorf("mra: SetParams got %d parameters, the model has %d", len(p), len(m.params))
	}
	chunk.Convert(m.params, p)
	return nil
}

// SyncTargets hard-copies the critic and the policies into their targets
// (mra.md §3.2: the official code's τ is unused).
func (m *ModelOf[T]) SyncTargets() { copy(m.target, m.params[:len(m.target)]) }

// SetWorkers sets how many goroutines run the updates' chunks (at least 1,
// at most the fixed number of chunks, 8). The default is GOMAXPROCS. The
// results do not depend on it.
func (m *ModelOf[T]) SetWorkers(n int) { m.chunks.SetWorkers(n) }

// Close stops the worker goroutines. The model stays usable: they are
// restarted by the next update that needs them.
func (m *ModelOf[T]) Close() { m.chunks.Close() }
