package reinforce

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// Learner is the algorithm's parameters, their Adam moments and the
// rollout of the round being played. It implements learner.Learner,
// learner.OnPolicy and (restored by Load) learner.Trained.
type Learner struct {
	s     Settings
	feats replay.Features
	in    int // F = 2D: the features an agent acts on

	// pol holds each type's policy weights (Actions[t] × F, row-major)
	// one type after another from polOff[t]; base holds each type's
	// baseline weights (F + 1: the features and the time left).
	pol, base       []float64
	polOff          []int
	polAdam, bsAdam adam
	gPol, gBase     []float64 // gradient scratch

	// The rollout of the round being played (one population at a time):
	// per step, per row (copy × agent) the features x, action, reward
	// and whether the agent played.
	enc     *replay.Encoding
	rows    int
	x       []float64
	action  []int
	reward  []float64
	acted   []bool
	ret     []float64 // Learn's scratch: the returns
	probs   []float64 // acting scratch: one agent's action probabilities
	horizon int

	err error
}

// New returns a fresh learner of settings s for a game of features f:
// every weight zero, so that the untrained policy plays uniformly at
// random and the baseline is 0.
func New(s Settings, f replay.Features) (*Learner, error) {
	if err := s.Check(learner.Setup{}); err != nil {
		return nil, err
	}
	l := &Learner{s: s, feats: f, in: 2 * f.D, probs: make([]float64, f.A)}
	for _, a := range f.Actions {
		l.polOff = append(l.polOff, len(l.pol))
		l.pol = append(l.pol, make([]float64, a*l.in)...)
	}
	l.base = make([]float64, len(f.Types)*(l.in+1))
	l.gPol, l.gBase = make([]float64, len(l.pol)), make([]float64, len(l.base))
	l.polAdam, l.bsAdam = newAdam(len(l.pol)), newAdam(len(l.base))
	return l, nil
}

// features writes agent row r's features into x: its own row and the
// mean of the entity rows it sees (zeros when it sees none).
func features(d, e int, self, ents []float64, present []bool, x []float64) {
	copy(x[:d], self)
	mean := x[d : 2*d]
	clear(mean)
	seen := 0
	for j := range e {
		if !present[j] {
			continue
		}
		seen++
		for c, v := range ents[j*d : (j+1)*d] {
			mean[c] += v
		}
	}
	if seen > 0 {
		inv := 1 / float64(seen)
		for c := range mean {
			mean[c] *= inv
		}
	}
}

// policy writes type t's action probabilities at features x into p (its
// length is the type's actions): a softmax of the logits W_t·x.
func (l *Learner) policy(t int, x, p []float64) {
	w := l.pol[l.polOff[t]:]
	hi := math.Inf(-1)
	for a := range p {
		var z float64
		for c, v := range x {
			z += w[a*l.in+c] * v
		}
		p[a] = z
		hi = max(hi, z)
	}
	var total float64
	for a := range p {
		p[a] = math.Exp(p[a] - hi)
		total += p[a]
	}
	for a := range p {
		p[a] /= total
	}
}

// draw returns an action drawn from p with rng.
func draw(p []float64, rng *rand.Rand) int {
	u := rng.Float64()
	for a, v := range p[:len(p)-1] {
		if u < v {
			return a
		}
		u -= v
	}
	return len(p) - 1
}

// baseline returns type t's baseline at features x with frac of the
// horizon left.
func (l *Learner) baseline(t int, x []float64, frac float64) float64 {
	w := l.base[t*(l.in+1) : (t+1)*(l.in+1)]
	b := w[l.in] * frac
	for c, v := range x {
		b += w[c] * v
	}
	return b
}

// BeginEpisodes implements learner.Learner: the agents have no latents.
func (l *Learner) BeginEpisodes(int, []float64, *rand.Rand, []float64) {}

// Act implements learner.Learner: every row draws from its type's policy,
// and the step's features and actions join the rollout.
func (l *Learner) Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, _ []float64, rng *rand.Rand, actions []int, graph []float64) {
	clear(graph[:rows*enc.E])
	l.enc, l.rows, l.horizon = enc, rows, enc.Spec.Horizon
	d, e := enc.D, enc.E
	base := len(l.x)
	l.x = grow(l.x, rows*l.in)
	for r := range rows {
		x := l.x[base+r*l.in : base+(r+1)*l.in]
		features(d, e, self[r*d:(r+1)*d], ents[r*e*d:(r+1)*e*d], present[r*e:(r+1)*e], x)
		t := enc.Type[r%enc.N]
		p := l.probs[:enc.Actions[t]]
		l.policy(t, x, p)
		actions[r] = draw(p, rng)
		l.action = append(l.action, actions[r])
	}
}

// grow extends x by n values, reusing its capacity.
func grow(x []float64, n int) []float64 {
	if len(x)+n <= cap(x) {
		return x[:len(x)+n]
	}
	return append(x, make([]float64, n)...)
}

// Observe implements learner.OnPolicy: the rewards of the step last acted
// on, and which rows played it.
func (l *Learner) Observe(_ int, reward []float64, acted, _ []bool) {
	l.reward = append(l.reward, reward...)
	l.acted = append(l.acted, acted...)
}

// Learn implements learner.OnPolicy: one Adam step of each of the
// policy gradient and the baseline's regression, on the round's episodes
// of population k, then the rollout is emptied.
func (l *Learner) Learn(_ int, _ []float64, _ *rand.Rand, st *learner.Stats) {
	defer func() {
		l.x, l.action, l.reward, l.acted = l.x[:0], l.action[:0], l.reward[:0], l.acted[:0]
	}()
	if l.err != nil || l.gradients(st) == 0 {
		return
	}
	l.polAdam.step(l.pol, l.gPol, l.s.LR)
	l.bsAdam.step(l.base, l.gBase, l.s.BaselineLR)
	if !finite(l.pol) || !finite(l.base) {
		l.err = fmt.Errorf("reinforce: a parameter is not finite after an update (lr %v, baseline_lr %v): lower them", l.s.LR, l.s.BaselineLR)
	}
}

// gradients computes, over the rollout's n played agent steps, the
// gradient of the policy loss −(1/n)·Σ [A·log π(a|x) + β·H(π(·|x))]
// (A = G − b(x) held fixed: the score-function estimator) into gPol and
// of the baseline loss (1/n)·Σ ½(G − b(x))² into gBase, adds the losses
// and the mean entropy to st when it is not nil, and returns n.
func (l *Learner) gradients(st *learner.Stats) int {
	rows := l.rows
	steps := len(l.acted) / max(rows, 1)
	clear(l.gPol)
	clear(l.gBase)
	// Discounted returns from each step, per row, over the steps it
	// played (a copy plays one episode per round).
	l.ret = grow(l.ret[:0], steps*rows)
	for r := range rows {
		var g float64
		for s := steps - 1; s >= 0; s-- {
			i := s*rows + r
			if l.acted[i] {
				g = l.reward[i] + l.s.Gamma*g
			}
			l.ret[i] = g
		}
	}
	var n int
	var sqErr, surrogate, entropy float64
	for s := range steps {
		frac := l.timeLeft(s)
		for r := range rows {
			i := s*rows + r
			if !l.acted[i] {
				continue
			}
			n++
			t := l.enc.Type[r%l.enc.N]
			x := l.x[i*l.in : (i+1)*l.in]
			p := l.probs[:l.enc.Actions[t]]
			l.policy(t, x, p)
			adv := l.ret[i] - l.baseline(t, x, frac)
			sqErr += adv * adv / 2
			a := l.action[i]
			surrogate += adv * math.Log(max(p[a], 1e-300))
			var h float64
			for _, v := range p {
				if v > 0 {
					h -= v * math.Log(v)
				}
			}
			entropy += h
			// The loss's gradient in the logits z: ∂(−A·log p_a)/∂z_b =
			// −A·(1[b = a] − p_b) and ∂(−β·H)/∂z_b = β·p_b·(log p_b + H).
			g := l.gPol[l.polOff[t]:]
			for b, pb := range p {
				dz := adv * pb
				if b == a {
					dz -= adv
				}
				if pb > 0 {
					dz += l.s.Entropy * pb * (math.Log(pb) + h)
				}
				row := g[b*l.in : (b+1)*l.in]
				for c, v := range x {
					row[c] += dz * v
				}
			}
			// ∂½(G − b)²/∂w = −(G − b)·[x ; time left].
			gb := l.gBase[t*(l.in+1) : (t+1)*(l.in+1)]
			for c, v := range x {
				gb[c] -= adv * v
			}
			gb[l.in] -= adv * frac
		}
	}
	if n == 0 {
		return 0
	}
	inv := 1 / float64(n)
	for i := range l.gPol {
		l.gPol[i] *= inv
	}
	for i := range l.gBase {
		l.gBase[i] *= inv
	}
	if st != nil {
		st.Critic.Add(sqErr * inv)
		st.Policy.Add(-(surrogate + l.s.Entropy*entropy) * inv)
		st.Entropy.Add(entropy * inv)
	}
	return n
}

// timeLeft is the baseline's time feature at step s of an episode: the
// fraction of the horizon still to play.
func (l *Learner) timeLeft(s int) float64 {
	return float64(l.horizon-s) / float64(max(l.horizon, 1))
}

// Update implements learner.Learner. An on-policy learner gets no replay
// update cycles; the trainer never calls it.
func (l *Learner) Update(int, []float64, *replay.Buffer, *replay.Batch, *rand.Rand, *learner.Stats) {}

// Err implements learner.Learner: the first non-finite update.
func (l *Learner) Err() error { return l.err }

// Close implements learner.Learner and learner.Trained: no workers.
func (l *Learner) Close() {}

// adam is Adam's state for one parameter vector.
type adam struct {
	m, v []float64
	t    int
}

func newAdam(n int) adam { return adam{m: make([]float64, n), v: make([]float64, n)} }

// step moves x against g by Adam (β₁ 0.9, β₂ 0.999, ε 1e-8) with rate lr.
func (a *adam) step(x, g []float64, lr float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	a.t++
	c1 := 1 - math.Pow(b1, float64(a.t))
	c2 := 1 - math.Pow(b2, float64(a.t))
	for i, gi := range g {
		a.m[i] = b1*a.m[i] + (1-b1)*gi
		a.v[i] = b2*a.v[i] + (1-b2)*gi*gi
		x[i] -= lr * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + eps)
	}
}

// stateTag opens the learner's state, so that the state of another
// algorithm or version is refused rather than misread.
const stateTag = "reinforce/1"

// AppendState implements learner.Learner: the tag, the lengths, the
// parameters, Adam's moments and step counts. Nothing of a round's
// rollout: the trainer saves between rounds.
func (l *Learner) AppendState(dst []byte) []byte {
	dst = append(dst, stateTag...)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(l.pol)))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(l.base)))
	for _, v := range [][]float64{l.pol, l.polAdam.m, l.polAdam.v, l.base, l.bsAdam.m, l.bsAdam.v} {
		for _, x := range v {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
		}
	}
	dst = binary.LittleEndian.AppendUint64(dst, uint64(l.polAdam.t))
	return binary.LittleEndian.AppendUint64(dst, uint64(l.bsAdam.t))
}

// SetState implements learner.Learner: it restores what AppendState
// wrote for a learner of the same game, or returns an error and leaves
// the learner unchanged.
func (l *Learner) SetState(data []byte) error {
	np, nb := len(l.pol), len(l.base)
	want := len(stateTag) + 16 + 8*(3*np+3*nb) + 16
	if len(data) < len(stateTag)+16 || string(data[:len(stateTag)]) != stateTag {
		return fmt.Errorf("reinforce: state does not start with %q: not a state of this algorithm", stateTag)
	}
	p := data[len(stateTag):]
	if gp, gb := binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:]); gp != uint64(np) || gb != uint64(nb) {
		return fmt.Errorf("reinforce: state of %d policy and %d baseline weights, want %d and %d (a state of another game?)", gp, gb, np, nb)
	}
	if len(data) != want {
		return fmt.Errorf("reinforce: state of %d bytes, want %d", len(data), want)
	}
	p = p[16:]
	for _, v := range [][]float64{l.pol, l.polAdam.m, l.polAdam.v, l.base, l.bsAdam.m, l.bsAdam.v} {
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(p))
			p = p[8:]
		}
	}
	l.polAdam.t = int(binary.LittleEndian.Uint64(p))
	l.bsAdam.t = int(binary.LittleEndian.Uint64(p[8:]))
	l.err = nil
	return nil
}

// Player implements learner.Trained: every agent of spec's population
// (trained at or not) draws from its type's policy, from seed. The
// features are width-independent of the population, so any population of
// the game is played.
func (l *Learner) Player(spec *env.Spec, seed uint64) (agents.Policy, error) {
	enc, err := replay.NewEncoding(l.feats, spec)
	if err != nil {
		return nil, fmt.Errorf("reinforce: population %v: %w", spec.Population, err)
	}
	p := &player{l: l, enc: enc, self: make([]float64, enc.D), ents: make([]float64, enc.E*enc.D), present: make([]bool, enc.E), x: make([]float64, l.in), probs: make([]float64, l.feats.A)}
	p.Reseed(seed)
	return p, nil
}

// player is one policy playing a trained learner's parameters (read
// only, so several play concurrently) with its own scratch and stream.
type player struct {
	l          *Learner
	enc        *replay.Encoding
	self, ents []float64
	present    []bool
	x, probs   []float64
	rng        *rand.Rand
}

// Reseed restarts the player's draws from seed.
func (p *player) Reseed(seed uint64) { p.rng = rand.New(rand.NewPCG(seed, 0x7265696e)) }

// Act implements agents.Policy.
func (p *player) Act(f *env.Frame, actions []int) {
	enc := p.enc
	for i := range actions {
		if !f.Alive[i] {
			actions[i] = 0
			continue
		}
		replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), p.self, p.ents, p.present)
		features(enc.D, enc.E, p.self, p.ents, p.present, p.x)
		t := enc.Type[i]
		pr := p.probs[:enc.Actions[t]]
		p.l.policy(t, p.x, pr)
		actions[i] = draw(pr, p.rng)
	}
}
