package mappo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/ppo"
)

// Learn implements learner.OnPolicy: one PPO update on the round's
// episodes of the population.
func (l *LearnerOf[T]) Learn(_ int, _ []float64, rng *rand.Rand, st *learner.Stats) {
	if l.err != nil || l.steps == 0 || l.enc == nil {
		return
	}
	n, e := l.enc.N, l.enc.E
	rows, total := l.rows, l.steps*l.rows
	copies := rows / n
	samples := l.steps * copies

	// Old values (normalised units) and their returns in reward units.
	l.vOld = grow(l.vOld, total)
	chunk.Widen(l.vOld, l.critic.forwardSamples(n, total, e, l.self, l.ents, l.present))
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
func (l *LearnerOf[T]) minibatchRows(n int, mb []int, all bool, t int) []int {
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
func (l *LearnerOf[T]) actorStep(t, n, e int, mb []int, st *learner.Stats) error {
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
			d[k] = T(-scale * (coef*l.dlp[k] + beta*l.dent[k]))
		}
	}
	a.backward(l.dOut)
	st.Policy.Add(-(obj + beta*ent))
	st.Entropy.Add(ent)
	return l.opts[t].Step(a.params.Value, a.params.Grad)
}

// criticStep takes one step of the value function on the (clipped) value
// loss over the minibatch's played rows.
func (l *LearnerOf[T]) criticStep(n, e int, mb []int, st *learner.Stats) error {
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
		lv, g := ppo.ValueLoss(float64(v[j]), l.vOld[R], l.tgt[R], l.s.ValueClip)
		loss += scale * lv
		l.dOut[j] = T(scale * g)
	}
	c.backward(l.dOut)
	st.Critic.Add(loss)
	return l.opts[len(l.actors)].Step(c.params.Value, c.params.Grad)
}

// forwardSamples evaluates the net on rows rows that are whole samples of
// n agents (the centralised value pools over them).
func (m *net[T]) forwardSamples(n, rows, e int, self, ents []T, present []bool) []T {
	m.n = n
	return m.forward(rows, e, self, ents, present)
}
