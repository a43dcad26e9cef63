// Package natsrun runs jobs of package league/jobs (jobs.Job, any
// registered kind: league evaluations, best responses, sweeps) on many
// machines through NATS JetStream, behind the jobs.Runner interface. It
// imports league/jobs and no other mrasim package: the handlers of the job
// kinds register with league/jobs, and a worker binary gets them by
// importing their packages (the command line does).
//
// A submitter (Runner) uploads the blobs jobs refer to into a JetStream
// object store, named by their SHA-256, publishes each job missing a
// result to a work-queue stream, and watches a key-value bucket where
// workers store results under "<batch>.<job id>". Workers (Worker) share
// one durable pull consumer: each takes one job at a time per slot, keeps
// it alive with InProgress while it runs, stores the result with a
// create-only write (a duplicate delivery finds the key and is dropped)
// and only then acknowledges. A worker that dies mid-job leaves its job
// unacknowledged, so the server delivers it again after AckWait; a job
// that fails MaxDeliver times is stored as failed with its error. A
// restarted submitter finds the results already stored and publishes only
// what is missing. Payloads that fail validation (unknown version,
// checksum mismatch, a game or checkpoint that does not load) are refused
// at once and the refusal is stored as the job's result.
//
// Package natsrun is not for running jobs in one process (jobs.Local
// does that) and defines no job: jobs and their handlers belong to the
// packages that register them. The core packages (env, agents, mra,
// league) do not import NATS; only this package and the command line do.
package natsrun
