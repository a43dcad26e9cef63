// Package league plays agents against each other at every population size
// of a game, seen and unseen in training, and says how far each is from a
// Nash equilibrium at each size.
//
// Entries are trained runs of any registered algorithm (agents/learner;
// the league never names one) and built-in players (uniformly random). In
// games with one agent type an entry plays its own team; in games with
// several types every entry of one type meets every entry of the others,
// which gives payoff tables per population for every meta-solver of the
// table of league/meta (meta.Solvers; MetaGame holds their results by
// name, and reports iterate the table). Runs whose networks can adapt
// (learner.Adapter, as MRA's) are adapted to unseen sizes when their
// settings ask for it (learner.Adaptive); zero-shot, best-mode and adapted
// play are compared on selection episodes and measured on held-out test
// episodes, and the entry plays the chosen candidate (adapt.go).
//
// NashConv per population is exact where the game gives exact expected
// payoffs of mixed profiles (the one-shot games of env/matrix) or exact
// best responses against Markov policies (env.ExactResponder), and the
// policy its exact action distribution. Otherwise only a lower bound from
// the deviations found is known (league/br): for each agent type a PPO
// response warm-started from the entry's own policy (learner.Responder; from
// scratch for networks without it), its greedy version
// and a search response compete with the incumbent on selection episodes,
// the best of them is measured on separate test episodes, and the report
// gives the unclipped measured gain Σ_types count·gain with its Student-t
// interval, the one-sided 95% lower bound "NashConv ≥ L" and the gain the
// test episodes would have detected (lowerBound). Options.NashConv forces
// either method. Games may offer scripted reference policies
// (env.ScriptedPolicies), which play as Reference entries.
//
// Every job (an evaluation, an adaptation, a best response) is plain data
// (Job, with output JobResult), carries its own seeds and runs through a
// jobs.Runner of package league/jobs, with which the league registers its
// job kind (KindEval), so results do not depend on how many goroutines or
// machines run them. Intervals on means are Student-t (internal/stats).
// The files follow the work: league.go the options and report types and
// Play, schedule.go the list of jobs, job.go running one job (evaluate,
// bestResponse), assemble.go the report from the jobs' results, evaljobs.go
// the job kind registered with league/jobs.
// Package league is not for training (agents/learner), nor for carrying
// jobs across machines (league/natsrun), nor for the command line.
package league
