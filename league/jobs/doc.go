// Package jobs runs units of work given as plain data, in this process or
// on other machines, with results that do not depend on where or in what
// order they ran. It is the job system of the league (league evaluations,
// adaptations and best responses) and of the sweep (training and
// evaluation of a grid's runs); league/natsrun carries its jobs over NATS.
//
// Package jobs imports nothing of mrasim: a package that has work to hand
// out (league, league/sweep) registers a Handler per job kind in its init,
// and a runner or worker (Local here, league/natsrun) looks the handler up
// by the job's kind, so it can run a league's jobs without importing
// league, mra or env. A worker binary runs the kinds of the packages it
// imports (Kinds lists them).
//
// # Glossary
//
// Each word names one thing in this package and its users:
//
//   - Job: one unit of work in serialised form — an ID unique in its
//     batch, a Kind and a Payload that is its whole input.
//   - Kind: the registered name of a Handler ("league.eval",
//     "sweep.train"); Register adds one, Kinds lists them.
//   - Handler: the function that does one job of a kind, given its payload
//     and an Env. Handle looks up the job's kind and calls its handler:
//     what every runner and worker does with one job.
//   - Env: what a handler may use besides its payload (blobs, in-process
//     values, liveness, storing outputs).
//   - Blob: content a job refers to by its hex SHA-256 (BlobSum), shipped
//     once per batch in Batch.Blobs; a handler's large outputs are blobs
//     too (Env.Put, read back with BlobRunner.Blob).
//   - Batch: the jobs submitted together and the blobs they refer to.
//   - Runner: what runs a batch (Runner.Run) and returns the results by job
//     ID: Local on goroutines of this process, natsrun.Runner on workers
//     through NATS. "Run" as a verb means only this here.
//   - Worker: a process (or goroutine of Local) that takes jobs and handles
//     them.
//   - Error: the failure of one job; ErrRefused marks a payload that can
//     never succeed, which a runner does not retry.
//
// A "run" as a noun — a training run and its folder, league.Run — is not a
// concept of this package.
//
// Package jobs is not for deciding what work there is (the league and the
// sweep do that) nor for carrying it across machines (league/natsrun).
package jobs
