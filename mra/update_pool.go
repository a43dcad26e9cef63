package mra

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
)

// How the updates run in parallel, deterministically:
//
//   - the batch is split into chunk.Count (8) fixed, contiguous sample ranges;
//   - each chunk is computed by some worker with its own network instance
//     (layer caches) sharing the parameters; the worker zeroes its gradient
//     buffer, runs the chunk, and copies the gradient of the group being
//     updated into the chunk's slot, with the chunk's partial sums;
//   - random numbers of chunk c come from PCG(seed, c), the seed being drawn
//     once per update on the calling goroutine;
//   - the caller then adds the chunk gradients in chunk order.
//
// Which worker runs which chunk never changes a result, so the number of
// workers (SetWorkers) does not either.

// phase names the update a job runs.
type phase int

const (
	phaseCritic phase = iota
	phasePolicy
	phaseRelation
	phasePrior
)

// job is the running update, set by the caller before dispatching chunks.
type job struct {
	phase phase
	group int
	b     *replay.Batch
	seed  uint64
	game  int
	alive int // alive agent rows in the batch
}

// worker is one goroutine's network instance and scratch.
type worker[T nn.Float] struct {
	n, t        *nets[T] // online (bound to params) and targets (bound to target)
	grad, tgrad []T
	pcg         rand.PCG
	rng         *rand.Rand
	rs          chunk.Rows[T]

	act  []int // rows: sampled actions
	lp   []T   // rows: log-probability of the sampled action
	y    []T   // rows: critic targets
	dq   []T   // rows×A: ∂L/∂Q-head
	q    []T   // rows×A: a copy of the Q-head outputs (policy update with Baseline)
	dlp  []T   // ∂L/∂log π of one type
	prob []T   // A
	ent  []T   // one row's log π, scratch
	mi   miScratch[T]
	pr   priorScratch[T]
}

func (m *ModelOf[T]) newWorker() *worker[T] {
	wk := &worker[T]{
		grad:  make([]T, len(m.params)),
		tgrad: make([]T, len(m.target)),
		prob:  make([]T, m.f.A),
	}
	wk.n = m.newBoundNets(m.params, wk.grad)
	wk.t = m.newBoundNets(m.target, wk.tgrad)
	wk.rng = rand.New(&wk.pcg)
	return wk
}

// recording is a testing seam. When Model.rec is set, the policy and relation
// updates record each chunk's sampled actions (and the actor's
// stop-gradient coefficients) into it, or, once on is set, take them from
// it instead of drawing and computing them, so that finite differences see
// the surrogate loss whose gradient the update follows. The critic update
// records each chunk's targets y (in the chunk's row order, see rows).
// Production models leave Model.rec nil.
type recording struct {
	on   bool
	act  [chunk.Count][]int
	coef [chunk.Count][]float64
	y    [chunk.Count][]float64
}

// recordTarget records the critic targets y of chunk c into rp (nil: no
// recording), as float64.
func recordTarget[T nn.Float](rp *recording, c int, y []T) {
	if rp != nil {
		rp.y[c] = rp.y[c][:0]
		for _, v := range y {
			rp.y[c] = append(rp.y[c], float64(v))
		}
	}
}

// sampled returns the action of row r of chunk c: the recorded one when
// replaying, else draw(), recorded when recording.
func (rp *recording) sampled(c, r int, draw int) int {
	if rp == nil {
		return draw
	}
	if rp.on {
		return rp.act[c][r]
	}
	for len(rp.act[c]) <= r {
		rp.act[c] = append(rp.act[c], 0)
	}
	rp.act[c][r] = draw
	return draw
}

// coefficient is sampled for the actor's stop-gradient coefficients.
func (rp *recording) coefficient(c, r int, v float64) float64 {
	if rp == nil {
		return v
	}
	if rp.on {
		return rp.coef[c][r]
	}
	for len(rp.coef[c]) <= r {
		rp.coef[c] = append(rp.coef[c], 0)
	}
	rp.coef[c][r] = v
	return v
}

// runChunk runs the current job on chunk c with worker w's instance.
func (m *ModelOf[T]) runChunk(w, c int) {
	wk := m.chunks.Work[w]
	j := &m.job
	s0, s1 := chunk.Range(c, j.b.Size)
	sp := m.groups[j.group]
	m.chunkStat[c] = [4]float64{}
	tp := m.groups[groupPolicy]
	if j.phase == phaseRelation {
		m.chunkTGrad[c] = chunk.Grow(m.chunkTGrad[c], tp.hi-tp.lo)
	}
	if s0 == s1 {
		clear(m.chunkGrad[c][sp.lo:sp.hi])
		clear(m.chunkDZ[c])
		clear(m.chunkTGrad[c])
		return
	}
	clear(wk.grad)
	clear(wk.tgrad)
	wk.pcg.Seed(j.seed, uint64(c))
	st := &m.chunkStat[c]
	switch j.phase {
	case phaseCritic:
		m.criticChunk(wk, c, s0, s1, st)
	case phasePolicy:
		m.policyChunk(wk, c, s0, s1, st)
	case phaseRelation:
		m.relationChunk(wk, c, s0, s1, st)
	case phasePrior:
		m.chunkDZ[c] = m.priorChunk(wk, s0, s1, st, m.chunkDZ[c])
	}
	copy(m.chunkGrad[c][sp.lo:sp.hi], wk.grad[sp.lo:sp.hi])
	if j.phase == phaseRelation {
		copy(m.chunkTGrad[c], wk.tgrad[tp.lo:tp.hi])
	}
}

// run runs phase ph of group g on b and reduces the chunk gradients into
// m.grad in chunk order. It returns the chunk partial sums, added in chunk
// order.
func (m *ModelOf[T]) run(ph phase, g int, b *replay.Batch, seed uint64, game int) [4]float64 {
	alive := 0
	for _, a := range b.Alive[:b.Size*b.Enc.N] {
		if a {
			alive++
		}
	}
	m.job = job{phase: ph, group: g, b: b, seed: seed, game: game, alive: alive}
	m.chunks.Run()
	m.job.b = nil
	sp := m.groups[g]
	grad := m.grad[sp.lo:sp.hi]
	clear(grad)
	var sum [4]float64
	for c := range chunk.Count {
		for i, v := range m.chunkGrad[c][sp.lo:sp.hi] {
			grad[i] += v
		}
		for i, v := range m.chunkStat[c] {
			sum[i] += v
		}
	}
	return sum
}

// runWhole runs phase ph of group g on the whole batch b as one piece, on
// the calling goroutine with worker 0's instance, for updates whose rows
// depend on other samples' rows. It writes the gradient into m.grad and
// the phase's ∂L/∂z into chunk 0's slot, and returns the partial sums.
func (m *ModelOf[T]) runWhole(ph phase, g int, b *replay.Batch, seed uint64, game int) [4]float64 {
	alive := 0
	for _, a := range b.Alive[:b.Size*b.Enc.N] {
		if a {
			alive++
		}
	}
	m.job = job{phase: ph, group: g, b: b, seed: seed, game: game, alive: alive}
	wk := m.chunks.First()
	clear(wk.grad)
	clear(wk.tgrad)
	wk.pcg.Seed(seed, 0)
	var st [4]float64
	switch ph {
	case phasePrior:
		m.chunkDZ[0] = m.priorChunk(wk, 0, b.Size, &st, m.chunkDZ[0])
	default:
		panic("mra: runWhole of a phase that chunks")
	}
	m.job.b = nil
	sp := m.groups[g]
	copy(m.grad[sp.lo:sp.hi], wk.grad[sp.lo:sp.hi])
	return st
}

// step clips group g's gradient at maxNorm (if positive) and takes its Adam
// step; the policy group steps only the types present (per type, nil: all).
func (m *ModelOf[T]) step(g int, maxNorm float64, present []bool) error {
	sp := m.groups[g]
	grad := m.grad[sp.lo:sp.hi]
	recordPreClip(m.inj, g, grad)
	if maxNorm > 0 {
		clip := optim.ClipGlobalNorm{MaxNorm: maxNorm}
		norm, err := optim.ClipOf(&clip, grad)
		if err != nil {
			return fmt.Errorf("mra: %s gradient: %w", groupNames[g], err)
		}
		m.inj.clipped(g, norm)
		if g == groupRelation && m.cfg.DoubleClipRelation {
			// Q4: the official code clips φ's gradient a second time.
			n2, _ := optim.ClipOf(&clip, grad)
			m.inj.clipped(g, n2)
		}
		if g == groupCritic {
			m.stats.CriticNorm = norm
		} else {
			m.stats.RelationNorm = norm
		}
	}
	if g == groupPolicy {
		return m.stepPolicies(present)
	}
	if err := m.opt[g].Step(m.params[sp.lo:sp.hi], grad); err != nil {
		return fmt.Errorf("mra: %s step: %w", groupNames[g], err)
	}
	return nil
}

// stepPolicies takes the Adam step of each type present (present[k]) in
// the batch's population; absent types' policies and moments do not move.
// A non-finite gradient anywhere leaves every policy unchanged.
func (m *ModelOf[T]) stepPolicies(present []bool) error {
	sp := m.groups[groupPolicy]
	for i, v := range m.grad[sp.lo:sp.hi] {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("mra: policy gradient: non-finite value %v at %d", v, i)
		}
	}
	for k, ts := range m.typeSpan {
		if !present[k] {
			continue
		}
		if err := m.typeOpt[k].Step(m.params[ts.lo:ts.hi], m.grad[ts.lo:ts.hi]); err != nil {
			return fmt.Errorf("mra: policy step of type %q: %w", m.f.Types[k], err)
		}
	}
	return nil
}

// finish clips and steps group g. On error it records the error (see Err)
// and returns NaN, else it returns loss.
func (m *ModelOf[T]) finish(g int, maxNorm, loss float64) float64 {
	return m.finishTypes(g, maxNorm, loss, nil)
}

// finishTypes is finish with the policy group stepping only the types
// present (per type; nil: all).
func (m *ModelOf[T]) finishTypes(g int, maxNorm, loss float64, present []bool) float64 {
	if present == nil && g == groupPolicy {
		m.present = chunk.Grow(m.present, len(m.typeSpan))
		for k := range m.present {
			m.present[k] = true
		}
		present = m.present
	}
	if err := m.step(g, maxNorm, present); err != nil {
		if m.err == nil {
			m.err = err
		}
		return math.NaN()
	}
	return loss
}

// Err returns the first error of an update since the model was built (or
// last restored by SetState): a gradient or parameter that was not finite.
// The failing update left its parameters and optimizer unchanged.
func (m *ModelOf[T]) Err() error { return m.err }

// UpdateStats are the figures of the latest update of each kind.
type UpdateStats struct {
	CriticLoss   float64 // UpdateCritic's loss
	CriticNorm   float64 // the critic's gradient norm before clipping
	PolicyLoss   float64 // UpdatePolicies' loss
	Entropy      float64 // mean policy entropy over alive rows
	MI           float64 // r_MI, the estimate of I(z; a | o)
	RelationNorm float64 // φ's gradient norm before clipping: ‖∂(−w·r_MI)/∂φ‖
	CE           float64 // the classifier's cross-entropy; log M − CE bounds I(m; z) from below
	Accuracy     float64 // the classifier's accuracy on the batch

	// Mode diagnostics (docs/algorithms/mra.md, "Mode diagnostics"),
	// measured by the updates without changing any of their numbers.
	ActorGrad      float64 // ‖∂(actor loss)/∂θ‖ of the latest policy step (never clipped)
	MIGradActor    float64 // ‖∂r_MI/∂θ⁻‖: the policies' gradient of r_MI, at the target policies it evaluates
	MIGradRelation float64 // ‖∂r_MI/∂φ‖, before the weight w and the clip
	RelationDecay  float64 // WeightDecay·‖φ‖: the L2 term Adam adds to φ's gradient
	HeadSpread     float64 // mean over agent rows of the mean pairwise total variation between the K heads' attention
}

// Stats returns the figures of the latest updates.
func (m *ModelOf[T]) Stats() UpdateStats { return m.stats }

// checkBatch panics unless b fits the model.
func (m *ModelOf[T]) checkBatch(b *replay.Batch) {
	enc := b.Enc
	switch {
	case b.Size < 1:
		panic("mra: empty batch")
	case enc.D != m.f.D || enc.A != m.f.A || len(enc.Types) != len(m.f.Types):
		panic(fmt.Sprintf("mra: batch encoded with D=%d, A=%d, %d types; the model takes D=%d, A=%d, %d types", enc.D, enc.A, len(enc.Types), m.f.D, m.f.A, len(m.f.Types)))
	case enc.E < 1:
		panic("mra: the population's agents observe no entity rows (E = 0)")
	case len(b.Self) < b.Size*enc.N*enc.D || len(b.Graph) < b.Size*enc.N*enc.E || len(b.Alive) < b.Size*enc.N:
		panic("mra: batch buffers shorter than its size")
	case m.cfg.RecomputeNextGraph && len(b.Latent) != len(b.Alive)*m.cfg.Latents:
		panic(fmt.Sprintf("mra: RecomputeNextGraph needs the batch's latents, K = %d wide: batch has %d latent entries for %d agent rows (make it with replay.NewBatch(enc, size, K))", m.cfg.Latents, len(b.Latent), len(b.Alive)))
	}
}
