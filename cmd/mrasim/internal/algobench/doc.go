// Package algobench measures what one training episode costs with each
// built-in algorithm (mra, single, reptile, maddpg, mappo, ippo), through
// the learner registry and the shared Trainer exactly as `mrasim train`
// runs them, on resource occupation at 3 and at 6 agents with the settings
// of the shipped scenario files.
//
// It holds only a benchmark (go test -bench . ./cmd/mrasim/internal/algobench/;
// docs/performance.md, "Cost per episode by algorithm", gives the command and
// the measured table). It lives under the command because it imports every
// algorithm, which nothing below the command may do; nothing imports it.
package algobench
