package mappo

import (
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/replay"
)

// BeginEpisodes implements learner.Learner: the round's rollout starts
// empty. MAPPO draws no latents.
func (l *LearnerOf[T]) BeginEpisodes(int, []float64, *rand.Rand, []float64) { l.steps, l.enc = 0, nil }

// groupRows sets l.typeRows to the rows of each agent type among rows
// rows of enc's population (cached: it changes only with the population).
func (l *LearnerOf[T]) groupRows(enc *replay.Encoding, rows int) {
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

// gather copies the rollout rows idx of (self, ents, present) into the
// gather scratch and returns it.
func (l *LearnerOf[T]) gather(e int, idx []int, self, ents []T, present []bool) ([]T, []T, []bool) {
	d := l.feats.D
	l.gSelf = grow(l.gSelf, len(idx)*d)
	l.gEnts = grow(l.gEnts, len(idx)*e*d)
	l.gPresent = grow(l.gPresent, len(idx)*e)
	for j, r := range idx {
		copy(l.gSelf[j*d:(j+1)*d], self[r*d:(r+1)*d])
		copy(l.gEnts[j*e*d:(j+1)*e*d], ents[r*e*d:(r+1)*e*d])
		copy(l.gPresent[j*e:(j+1)*e], present[r*e:(r+1)*e])
	}
	return l.gSelf, l.gEnts, l.gPresent
}

// Act implements learner.Learner: each agent samples from its type's
// actor, and the step is kept for the round's update. graph receives the
// actor's attention weights (see attentionGraph) with encoder
// "attention", and zeros with Deep Sets, which weighs every entity alike.
func (l *LearnerOf[T]) Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, _ []float64, rng *rand.Rand, actions []int, graph []float64) {
	e, d := enc.E, enc.D
	clear(graph[:rows*e])
	l.groupRows(enc, rows)
	if l.enc != enc || l.rows != rows {
		l.enc, l.rows, l.steps = enc, rows, 0
	}
	t0 := l.steps * rows
	l.self = growKeep(l.self, (t0+rows)*d)
	l.ents = growKeep(l.ents, (t0+rows)*e*d)
	l.present = growKeep(l.present, (t0+rows)*e)
	l.action = growKeep(l.action, t0+rows)
	l.logp = growKeep(l.logp, t0+rows)
	l.reward = growKeep(l.reward, t0+rows)
	l.acted = growKeep(l.acted, t0+rows)
	chunk.Convert(l.self[t0*d:(t0+rows)*d], self[:rows*d])
	chunk.Convert(l.ents[t0*e*d:(t0+rows)*e*d], ents[:rows*e*d])
	copy(l.present[t0*e:], present[:rows*e])
	stepSelf, stepEnts, stepPresent := l.self[t0*d:], l.ents[t0*e*d:], l.present[t0*e:]
	for t, idx := range l.typeRows {
		if len(idx) == 0 {
			continue
		}
		na := l.feats.Actions[t]
		gs, ge, gp := l.gather(e, idx, stepSelf, stepEnts, stepPresent)
		out := l.actors[t].forward(len(idx), e, gs, ge, gp)
		l.actors[t].enc.attentionGraph(idx, graph)
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
func (l *LearnerOf[T]) Observe(_ int, reward []float64, acted, _ []bool) {
	t0 := l.steps * l.rows
	copy(l.reward[t0:t0+l.rows], reward)
	copy(l.acted[t0:t0+l.rows], acted)
	l.steps++
}
