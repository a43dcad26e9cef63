// Package optim is mrasim's shared optimizer core: first-order, curvature-aware
// and zeroth-order update rules that act in place on one flat []float64 of
// parameters.
//
// It is used by every learner (MRA and the baselines) and by the league runner's
// best-response and fast-adaptation computations. Every method implements the
// single required interface [Optimizer]; further abilities are small optional
// interfaces found by type assertion:
//
//   - [ClosureStepper]: methods that need gradients at other points
//     ([AdaHessian], via finite-difference Hessian-vector products);
//   - [ZeroOrder]: gradient-free methods that need loss values only ([SPSA], [CGE]);
//   - [Preconditioner]: the curvature solve on its own ([MFAC], [AdaHessian]);
//   - [Stateful]: checkpoints and league snapshots that restore bit for bit;
//   - [Transform]: gradient transforms applied before a step ([ClipGlobalNorm]).
//
// The methods are SGD with heavy-ball or Nesterov momentum ([SGD]), Adam with
// coupled L2 weight decay and AdamW with decoupled weight decay ([Adam]), M-FAC's
// sliding-window inverse-Hessian-vector products ([MFAC]), AdaHessian with
// Hutchinson diagonal estimates ([AdaHessian]), two-point SPSA with seed replay
// ([SPSA]) and coordinate-wise estimates ([CGE]). Learning rates come from a
// [Schedule].
//
// Conventions: everything is float64; scratch buffers are sized at construction,
// so a steady-state Step allocates nothing; randomness comes only from explicit
// math/rand/v2 PCG seeds held in the optimizer's serialisable state; non-finite
// inputs are reported as a [*NonFiniteError] naming the optimizer and the index,
// and the parameters are left untouched.
//
// The package is not a training loop, a model or a loss: it never owns the
// objective (the caller evaluates closures on a fixed minibatch), and it knows
// nothing about networks beyond the optional layout of a flat parameter vector,
// which it takes from the layers' package as an [nn.Layout] (optim imports
// agents/nn for that type; agents/nn never imports optim).
// It does not implement MKOR, TrAct, sketching or GNS yet; [LayerObserver] fixes
// the interface those will use.
//
// References: the method notes in docs/optimizers.md; Frantar, Kurtic and
// Alistarh, "M-FAC: Efficient Matrix-Free Approximations of Second-Order
// Information", arXiv 2107.03356; Yao et al., "ADAHESSIAN: An Adaptive Second
// Order Optimizer for Machine Learning", arXiv 2006.00719; Malladi et al.,
// "Fine-Tuning Language Models with Just Forward Passes" (MeZO), arXiv 2305.17333;
// Chen et al., "DeepZero", arXiv 2310.02025; Loshchilov and Hutter, "Decoupled
// Weight Decay Regularization", arXiv 1711.05101.
package optim
