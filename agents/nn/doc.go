// Package nn provides the neural-network building blocks of mrasim's
// agents, with hand-written backpropagation over flat parameter vectors.
//
// It is for small, fixed-architecture networks evaluated on batches of
// float64 rows on the CPU: Linear layers, activations, MLPs, softmax and
// log-softmax, categorical sampling, straight-through Gumbel-softmax,
// masked entity attention over variable-size sets, and MRA's relation net
// with attention heads selected by a latent z. It is not an autodiff
// framework, a tensor library or a GPU back end, and it holds no
// optimizer: optimizers (package agents/optim) step on the flat vectors
// this package exposes and read their Layout. It sits at the bottom of the
// agents' layers and imports no other mrasim package.
//
// # Precision
//
// Everything computes in float64 by default. The matrix products and the
// Linear, ReLU and MLP layers are generic over the element type (Float):
// LinearOf[float32], ReLUOf[float32] and MLPOf[float32] run the same
// source with float32 kernels of twice the SIMD width, bound to float32
// parameter vectors by SetParams. The other layers, Params and the
// gradient checks are float64 only.
//
// # Parameters
//
// Every Module reads its parameters from views into one flat []float64 and
// adds its gradients into a twin slice of the same length (see NewParams).
// The layout is a list of Segments: each weight matrix W (outputs × inputs)
// row-major, its bias immediately after it, modules back to back in the
// order given. Optimizers can use Params.Layout to view layers as matrices.
//
// # Batches and sets
//
// A batch is a flat row-major []float64 of shape batch×features; a set is
// batch×n×width with the set size n given at run time. Shapes are stated
// in each method's comment. Layers own their output and gradient buffers:
// the slices returned by Forward and Backward stay valid until the next
// call of the same method, grow to the largest shape seen, and are then
// reused, so steady-state passes do not allocate. Backward must follow the
// Forward it differentiates, and it accumulates (adds) parameter gradients;
// clear them with Params.ZeroGrad. Layers are not safe for concurrent use:
// give each goroutine its own layers, bound to shared parameters and
// separate gradient vectors if needed.
//
// # Randomness
//
// Functions that draw random numbers take an explicit *rand.Rand from
// math/rand/v2, so a seed reproduces a run exactly.
package nn
