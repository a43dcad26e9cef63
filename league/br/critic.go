package br

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
	"github.com/mrasim/mrasim/agents/ppo"
)

// critic is the learned state-value baseline V(x, t): an MLP on the
// response's input and the time t/horizon, fitted to the GAE returns by
// least squares with clipped Adam steps.
type critic struct {
	nin     int     // the response's input width
	horizon float64 // the game's horizon, to scale t
	mlp     *nn.MLP
	params  *nn.Params
	opt     optim.Optimizer
	x, dv   []float64
}

func newCritic(nin, hidden, horizon int, cfg Config, rng *rand.Rand) (*critic, error) {
	c := &critic{nin: nin, horizon: float64(max(horizon, 1))}
	c.mlp = nn.NewMLP(nn.NewReLU, nin+1, hidden, hidden, 1)
	c.params = nn.NewParams(c.mlp)
	nn.HeNormal(rng, c.params.Value, c.params.Layout)
	adamCfg := optim.DefaultAdam()
	adamCfg.LR = optim.Constant(cfg.LR)
	adam, err := optim.NewAdam(len(c.params.Value), adamCfg)
	if err != nil {
		return nil, fmt.Errorf("br: critic: %w", err)
	}
	c.opt = &optim.Chain{Transforms: []optim.Transform{&optim.ClipGlobalNorm{MaxNorm: cfg.GradClip}}, Opt: adam}
	return c, nil
}

// load writes the critic's input rows [x | t/horizon] into c.x.
func (c *critic) load(inputs []float64, step []int) {
	rows, w := len(step), c.nin+1
	c.x = slices.Grow(c.x[:0], rows*w)[:rows*w]
	for r := range rows {
		copy(c.x[r*w:], inputs[r*c.nin:(r+1)*c.nin])
		c.x[r*w+c.nin] = float64(step[r]) / c.horizon
	}
}

// values returns V for the rows (a buffer of the network, valid until its
// next Forward).
func (c *critic) values(inputs []float64, step []int) []float64 {
	c.load(inputs, step)
	return c.mlp.Forward(c.x)
}

// fit takes one step on (1/rows) Σ (V − target)².
func (c *critic) fit(inputs []float64, step []int, target []float64) error {
	c.load(inputs, step)
	c.gradient(target)
	return c.opt.Step(c.params.Value, c.params.Grad)
}

// gradient evaluates V on the rows of c.x, writes the gradient of the loss
// (1/rows) Σ (V − target)² into the critic's gradient vector and returns V
// and the loss.
func (c *critic) gradient(target []float64) (v []float64, loss float64) {
	rows := len(target)
	c.params.ZeroGrad()
	v = c.mlp.Forward(c.x)
	c.dv = slices.Grow(c.dv[:0], rows)[:rows]
	for r := range rows {
		l, g := ppo.ValueLoss(v[r], 0, target[r], 0) // no value clipping
		loss += l / float64(rows)
		c.dv[r] = g / float64(rows)
	}
	c.mlp.Backward(c.dv)
	return v, loss
}
