// Package chunk is the machinery the algorithms' update cycles share to run
// a replay batch in parallel and still give the same result bit for bit on
// any number of cores:
//
//   - a batch is split into Count fixed, contiguous sample ranges (Range);
//   - a Pool runs the chunks on worker goroutines, the caller taking its
//     share as worker 0; each algorithm binds its own chunk function and
//     reduces the chunks' gradients in chunk order, so which worker ran
//     which chunk never changes a result;
//   - a Driver holds an algorithm's per-worker state (network instances,
//     gradient and scratch buffers), runs the chunks on the calling
//     goroutine or on a Pool it starts on demand, and stops it on Close;
//   - Rows lays a chunk's agent rows out type-major (the rows the
//     policies of one agent type run on are contiguous) and gathers them
//     from the batch in the network's element type.
//
// It sits beside agents/learner, above agents/replay and agents/nn and
// below the algorithms (mra, maddpg), which use it without importing each
// other.
package chunk
