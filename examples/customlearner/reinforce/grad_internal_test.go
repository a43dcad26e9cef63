package reinforce

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// rollout fills l's rollout with steps random steps of copies copies of
// the tiny spec (some rows not played) and random weights, as Act and
// Observe would.
func rollout(t *testing.T, rng *rand.Rand, spec *env.Spec, copies, steps int) *Learner {
	f := replay.GameFeatures(spec)
	enc, err := replay.NewEncoding(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	s := Defaults()
	s.Entropy = 0.3
	l, err := New(s, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range [][]float64{l.pol, l.base} {
		for i := range w {
			w[i] = 0.3 * rng.NormFloat64()
		}
	}
	l.enc, l.rows, l.horizon = enc, copies*enc.N, steps
	for range steps * l.rows {
		for range l.in {
			l.x = append(l.x, rng.NormFloat64())
		}
		l.action = append(l.action, rng.IntN(f.A))
		l.reward = append(l.reward, rng.NormFloat64())
		l.acted = append(l.acted, rng.Float64() < 0.8)
	}
	return l
}

// TestGradients compares the analytic gradients of the policy loss and
// of the baseline's loss with central differences of the losses written
// out here on their own, on a random rollout of a two-type game.
func TestGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := rollout(t, rng, learnertest.TagSpec(t), 2, 5)
	if l.gradients(nil) == 0 {
		t.Fatal("no played row")
	}
	gPol, gBase := append([]float64(nil), l.gPol...), append([]float64(nil), l.gBase...)
	// The advantages with the baseline's current weights, held fixed in
	// the policy loss as the estimator does.
	adv := make([]float64, len(l.acted))
	for i := range adv {
		s, r := i/l.rows, i%l.rows
		adv[i] = l.ret[i] - l.baseline(l.enc.Type[r%l.enc.N], l.x[i*l.in:(i+1)*l.in], l.timeLeft(s))
	}
	loss := func(policy bool) float64 {
		var total float64
		var n int
		for i, played := range l.acted {
			if !played {
				continue
			}
			n++
			s, r := i/l.rows, i%l.rows
			ty := l.enc.Type[r%l.enc.N]
			x := l.x[i*l.in : (i+1)*l.in]
			if !policy {
				d := l.ret[i] - l.baseline(ty, x, l.timeLeft(s))
				total += d * d / 2
				continue
			}
			p := make([]float64, l.enc.Actions[ty])
			l.policy(ty, x, p)
			var h float64
			for _, v := range p {
				h -= v * math.Log(v)
			}
			total -= adv[i]*math.Log(p[l.action[i]]) + l.s.Entropy*h
		}
		return total / float64(n)
	}
	learnertest.CheckGrad(t, "policy", l.pol, gPol, func() float64 { return loss(true) })
	learnertest.CheckGrad(t, "baseline", l.base, gBase, func() float64 { return loss(false) })
}
