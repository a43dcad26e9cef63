// Package sweep runs an experiment grid — scenarios × algorithms × seeds —
// and aggregates it into one report: for every algorithm and evaluation
// population, the mean over seeds with a 95% Student-t interval across
// seeds.
//
// A sweep is a Plan of runs. Executing it submits two kinds of jobs through
// a jobs.Runner, as jobs (package league/jobs) of kinds KindTrain and KindEval: a
// TrainJob per run, then an EvalJob per run (and one per scenario and seed
// for uniform random play). Each job is fully described by a small
// JSON-serialisable struct (the run's scenario document, its seed and its
// folder) and answers with a serialisable result, so a runner that sends
// jobs to other machines can carry them; Handle is the worker's side, and a
// worker process gets its handlers from SetWorkerHandlers. With
// Options.Ship the run folders travel with the jobs and back through the
// runner's blobs (tasks.go), for workers that do not share the file system.
// Jobs are idempotent: a handler skips a finished run, resumes an
// interrupted one and re-evaluates only when the evaluation changed, which is
// what makes a sweep restartable and a redelivered job harmless.
//
// The package knows nothing of TOML, run folders' files or training: the
// command line parses the grid (package scenarios), builds the Plan and
// supplies the handlers that train (package mra, through the command's
// train) and evaluate (package league). What it owns is the plan's layout on
// disk, the job protocol, the aggregation across seeds and the report
// (sweep.md, sweep.csv, sweep.json, the training curves across seeds in
// curves.csv, and plots); the command reads the runs' training logs for
// the curves (Report.SetCurves).
package sweep
