// Package mappo is multi-agent PPO (Yu et al., "The Surprising
// Effectiveness of PPO in Cooperative Multi-Agent Games", NeurIPS 2022)
// and its independent form IPPO, registered with the learner registry as
// algorithms "mappo" and "ippo". It is written only against
// agents/learner's interfaces: the shared trainer, checkpoints, resume,
// evaluation and the command drive it without naming it.
//
// Each agent type has one actor, shared by its agents: the count-aware
// entity encoder (see encoder) on the agent's encoded observation and an
// MLP to the action logits. The value function is one network for every
// agent: the same kind of encoder and, for MAPPO, the features of every
// agent of the game copy pooled in the same count-aware way (a centralised
// value over all agents' entity rows), for IPPO the agent's own features
// only. Training is on-policy (learner.OnPolicy): each round's episodes of
// a population are one PPO batch — GAE(γ, λ) per agent, advantages
// normalised, the clipped surrogate with an entropy bonus, the clipped
// value loss on values normalised by the running mean and standard
// deviation of the returns, minibatch epochs — all from agents/ppo, the
// PPO core the league's best response uses too.
package mappo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
	"github.com/mrasim/mrasim/agents/ppo"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

func init() {
	for _, a := range []struct{ name, summary string }{
		{NameMAPPO, "multi-agent PPO: shared actors per type, a centralised value, a count-aware entity encoder"},
		{NameIPPO, "independent PPO: MAPPO's actors and encoder with per-agent values"},
	} {
		learner.Register(learner.Algorithm{
			Name: a.name, Summary: a.summary,
			New: func(s learner.Settings, b learner.Build) (learner.Learner, error) {
				return New(s.(Settings), b.Features, b.RNG)
			},
			Load:       load,
			DecodeJSON: decodeJSON,
			Keys:       keys,
			Decode:     decode(a.name),
			Memory:     memory,
		})
	}
}

// load builds the networks of settings s and restores them from state, to
// be played.
func load(s learner.Settings, b learner.Build, state []byte) (learner.Trained, error) {
	l, err := New(s.(Settings), b.Features, b.RNG)
	if err != nil {
		return nil, err
	}
	if err := l.SetState(state); err != nil {
		return nil, err
	}
	return l, nil
}

// Learner is MAPPO's (or IPPO's) networks, optimizers and the rollout of
// the round being played. It implements learner.Learner,
// learner.OnPolicy and learner.Trained.
type Learner struct {
	s      Settings
	feats  replay.Features
	actors []*net // per agent type
	critic *net
	opts   []*optim.Chain // per actor, then the critic's
	vn     valueNorm
	err    error

	// The rollout of the population being played: step t's rows are
	// t·rows … (t+1)·rows−1, row c·N+i being agent i of copy c, so that a
	// sample (step, copy) is N consecutive rows.
	enc          *replay.Encoding
	rows, steps  int
	self, ents   []float64
	present      []bool
	action       []int
	logp, reward []float64
	acted        []bool

	// Acting scratch.
	typeRows     [][]int // per type: the rows of that type
	typeRowsOf   *replay.Encoding
	typeRowsN    int
	gSelf, gEnts []float64
	gPresent     []bool
	lp, prob     []float64

	// Learning scratch.
	vOld, adv, ret, tgt      []float64
	seqR, seqV, seqA, seqRet []float64
	seqLast                  []bool
	seqRow, order, mbRows    []int
	dOut                     []float64
	dlp, dent                []float64
}

// New builds a learner of settings s for games of features f, drawing the
// initial parameters from rng.
func New(s Settings, f replay.Features, rng *rand.Rand) (*Learner, error) {
	if err := s.Check(learner.Setup{}); err != nil {
		return nil, err
	}
	l := &Learner{s: s, feats: f, vn: newValueNorm()}
	newOpt := func(d int, lr float64) (*optim.Chain, error) {
		c := optim.DefaultAdam()
		c.LR, c.Eps = optim.Constant(lr), s.AdamEpsilon
		adam, err := optim.NewAdam(d, c)
		if err != nil {
			return nil, fmt.Errorf("mappo: %w", err)
		}
		return &optim.Chain{Transforms: []optim.Transform{&optim.ClipGlobalNorm{MaxNorm: s.GradClip}}, Opt: adam}, nil
	}
	for _, a := range f.Actions {
		m := newNet(f, &s, a, false, rng)
		opt, err := newOpt(len(m.params.Value), s.LR)
		if err != nil {
			return nil, err
		}
		l.actors = append(l.actors, m)
		l.opts = append(l.opts, opt)
	}
	l.critic = newNet(f, &s, 1, s.Central(), rng)
	opt, err := newOpt(len(l.critic.params.Value), s.CriticLR)
	if err != nil {
		return nil, err
	}
	l.opts = append(l.opts, opt)
	l.lp, l.prob, l.dlp, l.dent = make([]float64, f.A), make([]float64, f.A), make([]float64, f.A), make([]float64, f.A)
	return l, nil
}

// BeginEpisodes implements learner.Learner: the round's rollout starts
// empty. MAPPO draws no latents.
func (l *Learner) BeginEpisodes(int, []float64, *rand.Rand, []float64) { l.steps, l.enc = 0, nil }

// groupRows sets l.typeRows to the rows of each agent type among rows
// rows of enc's population (cached: it changes only with the population).
func (l *Learner) groupRows(enc *replay.Encoding, rows int) {
	if l.typeRowsOf == enc && l.typeRowsN == rows {
		return
	}
	l.typeRows = make([][]int, len(l.actors))
	for r := range rows {
		t := enc.Type[r%enc.N]
		l.typeRows[t] = append(l.typeRows[t], r)
	}
	l.typeRowsOf, l.typeRowsN = enc, rows
}

// gather copies the encoded rows idx of (self, ents, present) into the
// gather scratch and returns it.
func (l *Learner) gather(e int, idx []int, self, ents []float64, present []bool) ([]float64, []float64, []bool) {
	d := l.feats.D
	l.gSelf = grow(l.gSelf, len(idx)*d)
	l.gEnts = grow(l.gEnts, len(idx)*e*d)
	l.gPresent = growBool(l.gPresent, len(idx)*e)
	for j, r := range idx {
		copy(l.gSelf[j*d:(j+1)*d], self[r*d:(r+1)*d])
		copy(l.gEnts[j*e*d:(j+1)*e*d], ents[r*e*d:(r+1)*e*d])
		copy(l.gPresent[j*e:(j+1)*e], present[r*e:(r+1)*e])
	}
	return l.gSelf, l.gEnts, l.gPresent
}

// Act implements learner.Learner: each agent samples from its type's
// actor, and the step is kept for the round's update. MAPPO has no
// relation graph (graph is zeroed).
func (l *Learner) Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, _ []float64, rng *rand.Rand, actions []int, graph []float64) {
	e, d := enc.E, enc.D
	clear(graph[:rows*e])
	l.groupRows(enc, rows)
	if l.enc != enc || l.rows != rows {
		l.enc, l.rows, l.steps = enc, rows, 0
	}
	t0 := l.steps * rows
	l.self = growKeep(l.self, (t0+rows)*d)
	l.ents = growKeep(l.ents, (t0+rows)*e*d)
	l.present = growKeepBool(l.present, (t0+rows)*e)
	l.action = growKeepInt(l.action, t0+rows)
	l.logp = growKeep(l.logp, t0+rows)
	l.reward = growKeep(l.reward, t0+rows)
	l.acted = growKeepBool(l.acted, t0+rows)
	copy(l.self[t0*d:], self[:rows*d])
	copy(l.ents[t0*e*d:], ents[:rows*e*d])
	copy(l.present[t0*e:], present[:rows*e])
	for t, idx := range l.typeRows {
		if len(idx) == 0 {
			continue
		}
		na := l.feats.Actions[t]
		gs, ge, gp := l.gather(e, idx, self, ents, present)
		out := l.actors[t].forward(len(idx), e, gs, ge, gp)
		lp, prob := l.lp[:na], l.prob[:na]
		for j, r := range idx {
			logSoftmax(lp, out[j*na:(j+1)*na])
			for a, v := range lp {
				prob[a] = math.Exp(v)
			}
			a := nn.Sample(rng, prob)
			actions[r] = a
			l.action[t0+r] = a
			l.logp[t0+r] = lp[a]
		}
	}
}

// Observe implements learner.OnPolicy: the rewards of the step acted on
// last, and which of its rows were played.
func (l *Learner) Observe(_ int, reward []float64, acted, _ []bool) {
	t0 := l.steps * l.rows
	copy(l.reward[t0:t0+l.rows], reward)
	copy(l.acted[t0:t0+l.rows], acted)
	l.steps++
}

// Learn implements learner.OnPolicy: one PPO update on the round's
// episodes of the population.
func (l *Learner) Learn(_ int, _ []float64, rng *rand.Rand, st *learner.Stats) {
	if l.err != nil || l.steps == 0 || l.enc == nil {
		return
	}
	n, e := l.enc.N, l.enc.E
	rows, total := l.rows, l.steps*l.rows
	copies := rows / n
	samples := l.steps * copies

	// Old values (normalised units) and their returns in reward units.
	l.vOld = grow(l.vOld, total)
	copy(l.vOld, l.critic.forwardSamples(n, total, e, l.self, l.ents, l.present))
	l.adv, l.ret, l.tgt = grow(l.adv, total), grow(l.ret, total), grow(l.tgt, total)
	clear(l.adv)
	clear(l.ret)
	for r := range rows {
		l.seqR, l.seqV, l.seqLast, l.seqRow = l.seqR[:0], l.seqV[:0], l.seqLast[:0], l.seqRow[:0]
		for t := range l.steps {
			R := t*rows + r
			if !l.acted[R] {
				continue
			}
			l.seqR = append(l.seqR, l.reward[R])
			l.seqV = append(l.seqV, l.vn.denorm(l.vOld[R]))
			l.seqLast = append(l.seqLast, false)
			l.seqRow = append(l.seqRow, R)
		}
		if len(l.seqRow) == 0 {
			continue
		}
		l.seqLast[len(l.seqLast)-1] = true
		l.seqA, l.seqRet = grow(l.seqA, len(l.seqRow)), grow(l.seqRet, len(l.seqRow))
		ppo.GAE(l.seqA, l.seqRet, l.seqR, l.seqV, l.seqLast, l.s.Gamma, l.s.Lambda)
		for j, R := range l.seqRow {
			l.adv[R], l.ret[R] = l.seqA[j], l.seqRet[j]
		}
	}
	// Normalise the played rows' advantages; update the value
	// normalisation with their returns and set the value targets.
	l.seqA = l.seqA[:0]
	l.seqRet = l.seqRet[:0]
	for R := range total {
		if l.acted[R] {
			l.seqA = append(l.seqA, l.adv[R])
			l.seqRet = append(l.seqRet, l.ret[R])
		}
	}
	if len(l.seqA) == 0 {
		l.steps = 0
		return
	}
	ppo.Normalize(l.seqA)
	if l.s.ValueNorm {
		l.vn.update(l.seqRet)
	}
	j := 0
	for R := range total {
		if l.acted[R] {
			l.adv[R] = l.seqA[j]
			j++
		}
		l.tgt[R] = l.vn.norm(l.ret[R])
	}

	var err error
	l.order, err = ppo.Epochs(l.order, samples, l.s.Epochs, l.s.Minibatches, rng, func(mb []int) error {
		for t := range l.actors {
			if err := l.actorStep(t, n, e, mb, st); err != nil {
				return fmt.Errorf("actor of type %s: %w", l.feats.Types[t], err)
			}
		}
		if err := l.criticStep(n, e, mb, st); err != nil {
			return fmt.Errorf("value function: %w", err)
		}
		return nil
	})
	if err != nil {
		l.err = fmt.Errorf("mappo: update on %v: %w", l.enc.Spec.Population, err)
	}
	l.steps = 0
}

// minibatchRows sets l.mbRows to the rows of the minibatch's samples
// (whole samples when all is set, else the played rows of agents of type
// t) and returns them.
func (l *Learner) minibatchRows(n int, mb []int, all bool, t int) []int {
	l.mbRows = l.mbRows[:0]
	for _, s := range mb {
		for i := range n {
			R := s*n + i
			if all || (l.acted[R] && l.enc.Type[i] == t) {
				l.mbRows = append(l.mbRows, R)
			}
		}
	}
	return l.mbRows
}

// actorStep takes one step of type t's actor on the clipped surrogate
// with the entropy bonus over the minibatch's played rows of that type.
func (l *Learner) actorStep(t, n, e int, mb []int, st *learner.Stats) error {
	idx := l.minibatchRows(n, mb, false, t)
	if len(idx) == 0 {
		return nil
	}
	a := l.actors[t]
	na := l.feats.Actions[t]
	a.params.ZeroGrad()
	gs, ge, gp := l.gather(e, idx, l.self, l.ents, l.present)
	out := a.forward(len(idx), e, gs, ge, gp)
	l.dOut = grow(l.dOut, len(idx)*na)
	scale, beta := 1/float64(len(idx)), l.s.Entropy
	lp := l.lp[:na]
	var obj, ent float64
	for j, R := range idx {
		logSoftmax(lp, out[j*na:(j+1)*na])
		act := l.action[R]
		surr, coef := ppo.Surrogate(math.Exp(lp[act]-l.logp[R]), l.adv[R], l.s.Clip)
		h := nn.Entropy(lp)
		obj += scale * surr
		ent += scale * h
		nn.LogProbGrad(l.dlp[:na], lp, act)
		nn.EntropyGrad(l.dent[:na], lp)
		d := l.dOut[j*na : (j+1)*na]
		for k := range d {
			d[k] = -scale * (coef*l.dlp[k] + beta*l.dent[k])
		}
	}
	a.backward(l.dOut)
	st.Policy.Add(-(obj + beta*ent))
	st.Entropy.Add(ent)
	return l.opts[t].Step(a.params.Value, a.params.Grad)
}

// criticStep takes one step of the value function on the (clipped) value
// loss over the minibatch's played rows.
func (l *Learner) criticStep(n, e int, mb []int, st *learner.Stats) error {
	idx := l.minibatchRows(n, mb, true, 0)
	var played int
	for _, R := range idx {
		if l.acted[R] {
			played++
		}
	}
	if played == 0 {
		return nil
	}
	c := l.critic
	c.params.ZeroGrad()
	gs, ge, gp := l.gather(e, idx, l.self, l.ents, l.present)
	v := c.forwardSamples(n, len(idx), e, gs, ge, gp)
	l.dOut = grow(l.dOut, len(idx))
	scale := 1 / float64(played)
	var loss float64
	for j, R := range idx {
		l.dOut[j] = 0
		if !l.acted[R] {
			continue
		}
		lv, g := ppo.ValueLoss(v[j], l.vOld[R], l.tgt[R], l.s.ValueClip)
		loss += scale * lv
		l.dOut[j] = scale * g
	}
	c.backward(l.dOut)
	st.Critic.Add(loss)
	return l.opts[len(l.actors)].Step(c.params.Value, c.params.Grad)
}

// forwardSamples evaluates the net on rows rows that are whole samples of
// n agents (the centralised value pools over them).
func (m *net) forwardSamples(n, rows, e int, self, ents []float64, present []bool) []float64 {
	m.n = n
	return m.forward(rows, e, self, ents, present)
}

// Update implements learner.Learner. MAPPO learns on-policy (Learn), so
// the trainer never runs a replay update cycle for it; a call is a
// misuse, reported through Err.
func (l *Learner) Update(int, []float64, *replay.Buffer, *replay.Batch, *rand.Rand, *learner.Stats) {
	if l.err == nil {
		l.err = errors.New("mappo: learns on-policy from its own rollouts; a replay update cycle was asked of it")
	}
}

// Err implements learner.Learner.
func (l *Learner) Err() error { return l.err }

// Close implements learner.Learner and learner.Trained: MAPPO runs no
// workers.
func (l *Learner) Close() {}

// stateMagic opens a MAPPO state, with its version.
const stateMagic = "mappo-state-1"

// AppendState implements learner.Learner: the networks' parameters, the
// optimizers' states and the value normalisation. The rollout is never
// part of it (a checkpoint is taken between rounds, after Learn).
func (l *Learner) AppendState(dst []byte) []byte {
	dst = append(dst, stateMagic...)
	nets := append(append([]*net(nil), l.actors...), l.critic)
	for i, m := range nets {
		dst = appendFloats(dst, m.params.Value)
		st, err := l.opts[i].MarshalState()
		if err != nil {
			panic(fmt.Sprintf("mappo: optimizer state: %v", err)) // Adam's state always marshals
		}
		dst = binary.LittleEndian.AppendUint64(dst, uint64(len(st)))
		dst = append(dst, st...)
	}
	return appendFloats(dst, []float64{l.vn.mean, l.vn.meanSq, l.vn.debias})
}

// SetState implements learner.Learner: it restores an AppendState of a
// learner of the same settings and features, or returns an error and
// leaves l unchanged.
func (l *Learner) SetState(data []byte) error {
	if len(data) < len(stateMagic) || string(data[:len(stateMagic)]) != stateMagic {
		return errors.New("mappo: the state is not a MAPPO state (or of another version)")
	}
	data = data[len(stateMagic):]
	nets := append(append([]*net(nil), l.actors...), l.critic)
	params := make([][]float64, len(nets))
	opts := make([][]byte, len(nets))
	var err error
	for i, m := range nets {
		if params[i], data, err = readFloats(data, len(m.params.Value)); err != nil {
			return fmt.Errorf("mappo: network %d: %w", i, err)
		}
		if len(data) < 8 {
			return fmt.Errorf("mappo: network %d: the optimizer state is missing", i)
		}
		k := binary.LittleEndian.Uint64(data)
		if k > uint64(len(data)-8) {
			return fmt.Errorf("mappo: network %d: optimizer state of %d bytes, %d left", i, k, len(data)-8)
		}
		opts[i], data = data[8:8+k], data[8+k:]
	}
	vn, data, err := readFloats(data, 3)
	if err != nil {
		return fmt.Errorf("mappo: value normalisation: %w", err)
	}
	if len(data) != 0 {
		return fmt.Errorf("mappo: %d bytes after the state", len(data))
	}
	// Check every optimizer state on a copy before changing anything.
	for i := range nets {
		probe := *l.opts[i]
		if err := probe.UnmarshalState(opts[i]); err != nil {
			return fmt.Errorf("mappo: network %d: %w", i, err)
		}
	}
	for i, m := range nets {
		copy(m.params.Value, params[i])
		if err := l.opts[i].UnmarshalState(opts[i]); err != nil {
			return fmt.Errorf("mappo: network %d: %w", i, err)
		}
	}
	l.vn.mean, l.vn.meanSq, l.vn.debias = vn[0], vn[1], vn[2]
	return nil
}

func appendFloats(dst []byte, x []float64) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(x)))
	for _, v := range x {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
	}
	return dst
}

func readFloats(data []byte, n int) ([]float64, []byte, error) {
	if len(data) < 8 || binary.LittleEndian.Uint64(data) != uint64(n) || len(data)-8 < 8*n {
		return nil, nil, fmt.Errorf("want %d numbers", n)
	}
	data = data[8:]
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return out, data[8*n:], nil
}

// valueNorm is the running normalisation of the value targets of the
// MAPPO reference code: debiased exponential moving averages (rate
// 1 − 1e-5 per batch) of the returns' mean and mean square, with the
// variance floored at 1e-2.
type valueNorm struct {
	mean, meanSq, debias float64
}

const (
	valueNormBeta = 0.99999
	valueNormEps  = 1e-5
)

func newValueNorm() valueNorm { return valueNorm{} }

func (v *valueNorm) update(x []float64) {
	var m, sq float64
	for _, r := range x {
		m += r
		sq += r * r
	}
	m /= float64(len(x))
	sq /= float64(len(x))
	v.mean = valueNormBeta*v.mean + (1-valueNormBeta)*m
	v.meanSq = valueNormBeta*v.meanSq + (1-valueNormBeta)*sq
	v.debias = valueNormBeta*v.debias + (1 - valueNormBeta)
}

func (v *valueNorm) stats() (mean, sd float64) {
	if v.debias == 0 {
		return 0, 1
	}
	d := max(v.debias, valueNormEps)
	mean = v.mean / d
	return mean, math.Sqrt(max(v.meanSq/d-mean*mean, 1e-2))
}

func (v *valueNorm) norm(x float64) float64 {
	m, sd := v.stats()
	return (x - m) / sd
}

func (v *valueNorm) denorm(y float64) float64 {
	m, sd := v.stats()
	return y*sd + m
}

// Player implements learner.Trained: every agent of spec's population
// samples from its type's actor. The player has its own copy of the
// actors, so players may act concurrently.
func (l *Learner) Player(spec *env.Spec, seed uint64) (agents.Policy, error) {
	enc, err := replay.NewEncoding(l.feats, spec)
	if err != nil {
		return nil, fmt.Errorf("mappo: %w", err)
	}
	c, err := New(l.s, l.feats, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	for t, a := range l.actors {
		copy(c.actors[t].params.Value, a.params.Value)
	}
	n, e, d := enc.N, enc.E, enc.D
	p := &player{l: c, enc: enc, self: make([]float64, n*d), ents: make([]float64, n*e*d), present: make([]bool, n*e), graph: make([]float64, n*e), acts: make([]int, n)}
	p.Reseed(seed)
	return p, nil
}

type player struct {
	l          *Learner
	enc        *replay.Encoding
	self, ents []float64
	present    []bool
	graph      []float64
	acts       []int
	rng        *rand.Rand
}

// Reseed restarts the player's draws from seed.
func (p *player) Reseed(seed uint64) { p.rng = rand.New(rand.NewPCG(seed, 0x6d6170706f)) }

// Act implements agents.Policy.
func (p *player) Act(f *env.Frame, actions []int) {
	enc := p.enc
	n, e, d := enc.N, enc.E, enc.D
	for i := range n {
		replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), p.self[i*d:(i+1)*d], p.ents[i*e*d:(i+1)*e*d], p.present[i*e:(i+1)*e])
	}
	p.l.Act(enc, n, p.self, p.ents, p.present, nil, p.rng, p.acts, p.graph)
	p.l.steps = 0 // a player keeps no rollout
	for i := range n {
		if f.Alive[i] {
			actions[i] = p.acts[i]
		}
	}
}

// growKeep returns buf with length n, keeping its contents.
func growKeep(buf []float64, n int) []float64 {
	if cap(buf) < n {
		nb := make([]float64, n, max(n, 2*cap(buf)))
		copy(nb, buf)
		return nb
	}
	return buf[:n]
}

func growKeepBool(buf []bool, n int) []bool {
	if cap(buf) < n {
		nb := make([]bool, n, max(n, 2*cap(buf)))
		copy(nb, buf)
		return nb
	}
	return buf[:n]
}

func growKeepInt(buf []int, n int) []int {
	if cap(buf) < n {
		nb := make([]int, n, max(n, 2*cap(buf)))
		copy(nb, buf)
		return nb
	}
	return buf[:n]
}
