package mra

// The adaptation's gradient steps on each type's distribution over the
// latent modes: its starting logits, the score-function estimate and the
// latent gradient through the frozen model (adapt.go has the search and
// the playing).

import (
	"fmt"
	"github.com/mrasim/mrasim/agents/replay"
	"math"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
	"github.com/mrasim/mrasim/env"
)

// startLogits returns the adaptation's starting logits, H×K (each type's
// prior ℓ(m')/T, or with cfg.InitBestMode a distribution putting InitMass
// on the search's best mode), and the optimizer that steps them.
func (ad *adapter) startLogits(cfg AdaptConfig, best []int) ([]float64, optim.Optimizer, error) {
	h, k := len(ad.nk), ad.model.cfg.Latents
	logits := make([]float64, h*k)
	prior := ad.model.priorLogits(ad.desc) // ℓ(m')/T: log p(z|m') up to a constant
	for t := range h {
		lt := logits[t*k : (t+1)*k]
		if cfg.InitBestMode && best[t] >= 0 && k > 1 {
			// softmax(lt)[best] = InitMass, the others (1 − InitMass)/(K−1).
			lt[best[t]] = math.Log(cfg.InitMass * float64(k-1) / (1 - cfg.InitMass))
		} else {
			copy(lt, prior)
		}
	}
	if cfg.Optimizer == AdaptSGD {
		opt, err := optim.NewSGD(h*k, optim.SGDConfig{LR: optim.Constant(cfg.LR)})
		return logits, opt, err
	}
	ac := optim.DefaultAdam()
	ac.LR = optim.Constant(cfg.LR)
	opt, err := optim.NewAdam(h*k, ac)
	return logits, opt, err
}

// gradient runs the first-order procedure; best holds the search's modes
// when cfg.InitBestMode.
func (ad *adapter) gradient(cfg AdaptConfig, best []int, seed uint64) (GradientResult, error) {
	h, k := len(ad.nk), ad.model.cfg.Latents
	logits, opt, err := ad.startLogits(cfg, best)
	if err != nil {
		return GradientResult{}, err
	}
	gr := GradientResult{InitLogits: splitTypes(logits, h, k)}
	latents := make([][]float64, h)
	for t := range h {
		latents[t] = make([]float64, k)
	}
	var tr trace
	grad := make([]float64, h*k)
	for s := 0; ; s++ {
		for t := range h {
			nn.SoftmaxInto(latents[t], logits[t*k:(t+1)*k])
		}
		last := s == cfg.Steps
		var rec *trace
		if !last {
			tr.reset()
			rec = &tr
		}
		ret := ad.play(cfg.EpisodesPerStep, latents, env.SubSeed(seed, uint64(s)), rec)
		gr.Curve = append(gr.Curve, ad.summarise(ret, cfg.EpisodesPerStep))
		if last {
			break
		}
		ad.latentGradient(&tr, cfg.EpisodesPerStep, latents, grad)
		if err := ascend(opt, logits, grad, s, &gr); err != nil {
			return GradientResult{}, err
		}
	}
	gr.Logits = splitTypes(logits, h, k)
	gr.Latents = latents
	return gr, nil
}

// latentChunkRows is how many entity rows (agent rows × E) one LatentGrad
// call of the adaptation takes at most.
var latentChunkRows = 1 << 15 // a variable for tests

// scoreGradient runs the one-hot first-order procedure (AdaptConfig.OneHot):
// the logits ℓ_t are those of a categorical distribution over the modes
// from which every agent of type t draws its one-hot latent per episode;
// see Adapt for the estimate.
func (ad *adapter) scoreGradient(cfg AdaptConfig, best []int, seed uint64) (GradientResult, error) {
	h, k := len(ad.nk), ad.model.cfg.Latents
	logits, opt, err := ad.startLogits(cfg, best)
	if err != nil {
		return GradientResult{}, err
	}
	gr := GradientResult{InitLogits: splitTypes(logits, h, k)}
	dist := make([][]float64, h)
	for t := range h {
		dist[t] = make([]float64, k)
	}
	none := make([][]float64, h) // no fixed latents: ad.dist decides
	ad.dist = dist
	defer func() { ad.dist = nil }()
	grad := make([]float64, h*k)
	episodes := cfg.EpisodesPerStep
	for s := 0; ; s++ {
		for t := range h {
			nn.SoftmaxInto(dist[t], logits[t*k:(t+1)*k])
		}
		ret := ad.play(episodes, none, env.SubSeed(seed, uint64(s)), nil)
		gr.Curve = append(gr.Curve, ad.summarise(ret, episodes))
		if s == cfg.Steps {
			break
		}
		ad.scoreEstimate(ret, episodes, dist, grad)
		if err := ascend(opt, logits, grad, s, &gr); err != nil {
			return GradientResult{}, err
		}
	}
	gr.Logits = splitTypes(logits, h, k)
	gr.Latents = dist
	return gr, nil
}

// scoreEstimate writes into grad (H×K) the score-function estimate of the
// gradient of each type's mean episode return with respect to its logits,
// from the returns ret (episodes×N) of episodes played with one-hot modes
// drawn from dist (recorded in ad.drawn); see Adapt.
func (ad *adapter) scoreEstimate(ret []float64, episodes int, dist [][]float64, grad []float64) {
	h, k, n := len(ad.nk), ad.model.cfg.Latents, ad.enc.N
	// W[ep, t]: type t's mean return in episode ep.
	w := make([]float64, episodes*h)
	sum := make([]float64, h)
	for ep := range episodes {
		for i := range n {
			t := ad.enc.Type[i]
			w[ep*h+t] += ret[ep*n+i] / float64(ad.nk[t])
		}
		for t := range h {
			sum[t] += w[ep*h+t]
		}
	}
	clear(grad)
	for ep := range episodes {
		for i := range n {
			t := ad.enc.Type[i]
			adv := w[ep*h+t]
			if episodes > 1 {
				adv -= (sum[t] - w[ep*h+t]) / float64(episodes-1) // leave-one-out baseline
			}
			mode := ad.drawn[ep*n+i]
			for j := range k {
				score := -dist[t][j]
				if j == mode {
					score++
				}
				grad[t*k+j] += adv * score / float64(episodes)
			}
		}
	}
}

// latentGradient writes into grad (H×K) the REINFORCE estimate of the
// gradient of each type's mean episode return with respect to its logits,
// from the steps recorded in tr (episodes episodes played with the soft
// latents z[t] = softmax(ℓ_t)); see Adapt.
func (ad *adapter) latentGradient(tr *trace, episodes int, z [][]float64, grad []float64) {
	enc := ad.enc
	n, h, k := enc.N, len(ad.nk), ad.model.cfg.Latents
	blocks := len(tr.episode)
	clear(grad)
	if blocks == 0 {
		return
	}
	weights := reinforceWeights(tr, enc, ad.nk, episodes)
	dz := make([]float64, blocks*n*k)
	// In chunks of whole blocks: the networks' activations are E rows wide
	// per agent row, so one call over every step of the batch held them all
	// at once (5 GB at N = 64); a chunk bounds them whatever the population.
	// Each row's ∂F/∂z depends on that row alone.
	e, d := enc.E, enc.D
	per := max(1, latentChunkRows/(n*max(e, 1))) // blocks per chunk
	for b0 := 0; b0 < blocks; b0 += per {
		r0, r1 := b0*n, min(blocks, b0+per)*n
		ad.actor.LatentGrad(enc, r1-r0, tr.self[r0*d:r1*d], tr.ents[r0*e*d:r1*e*d], tr.present[r0*e:r1*e],
			tr.z[r0*k:r1*k], tr.action[r0:r1], weights[r0:r1], dz[r0*k:r1*k])
	}
	// ∂/∂z_t summed over type t's rows, then through z_t = softmax(ℓ_t):
	// ∂/∂ℓ_t = z_t ⊙ (∂/∂z_t − ⟨z_t, ∂/∂z_t⟩).
	dzt := make([]float64, h*k)
	for r := range blocks * n {
		t := enc.Type[r%n]
		for j := range k {
			dzt[t*k+j] += dz[r*k+j]
		}
	}
	for t := range h {
		zt, dt := z[t], dzt[t*k:(t+1)*k]
		var dot float64
		for j := range k {
			dot += zt[j] * dt[j]
		}
		for j := range k {
			grad[t*k+j] = zt[j] * (dt[j] - dot)
		}
	}
}

// reinforceWeights returns the weight of every recorded row in the
// REINFORCE estimate (see Adapt): (W_{t,s} − b_{t,s}) / episodes for an
// acting agent of type t at step s, 0 for the others.
func reinforceWeights(tr *trace, enc *replay.Encoding, nk []int, episodes int) []float64 {
	n, h := enc.N, len(nk)
	blocks := len(tr.episode)
	// Return-to-go of every row: the blocks of an episode are recorded in
	// step order, so walking them backwards accumulates the future rewards.
	togo := make([]float64, blocks*n)
	acc := make([]float64, episodes*n)
	maxT := 0
	for b := blocks - 1; b >= 0; b-- {
		ep := tr.episode[b]
		for i := range n {
			acc[ep*n+i] += tr.reward[b*n+i]
			togo[b*n+i] = acc[ep*n+i]
		}
		maxT = max(maxT, tr.t[b])
	}
	// W[b, t]: type t's mean return-to-go; baseline: leave-one-out mean of
	// W over the other episodes' blocks at the same step.
	w := make([]float64, blocks*h)
	sum := make([]float64, (maxT+1)*h)
	count := make([]int, maxT+1)
	for b := range blocks {
		for i := range n {
			t := enc.Type[i]
			w[b*h+t] += togo[b*n+i] / float64(nk[t])
		}
		count[tr.t[b]]++
		for t := range h {
			sum[tr.t[b]*h+t] += w[b*h+t]
		}
	}
	weights := make([]float64, blocks*n)
	for b := range blocks {
		s := tr.t[b]
		for i := range n {
			if !tr.acting[b*n+i] {
				continue
			}
			t := enc.Type[i]
			adv := w[b*h+t]
			if c := count[s]; c > 1 {
				adv -= (sum[s*h+t] - w[b*h+t]) / float64(c-1)
			}
			weights[b*n+i] = adv / float64(episodes)
		}
	}
	return weights
}

// splitTypes copies a flat H×K vector into one slice per type.
func splitTypes(x []float64, h, k int) [][]float64 {
	out := make([][]float64, h)
	for t := range h {
		out[t] = append([]float64(nil), x[t*k:(t+1)*k]...)
	}
	return out
}

// ascend takes adaptation step s up the return's gradient grad (which it
// negates in place: the optimizers minimise) on logits, recording the
// gradient's norm in gr.
func ascend(opt optim.Optimizer, logits, grad []float64, s int, gr *GradientResult) error {
	var norm float64
	for j, g := range grad {
		norm += g * g
		grad[j] = -g
	}
	gr.GradNorm = append(gr.GradNorm, math.Sqrt(norm))
	if err := opt.Step(logits, grad); err != nil {
		return fmt.Errorf("mra: adaptation step %d: %w", s, err)
	}
	return nil
}
