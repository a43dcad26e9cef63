package maddpg

import "github.com/mrasim/mrasim/agents/learner"

// cost is MADDPG's measured training cost (learner.TrainCost), fitted as
// MRA's (mra/cost.go) to the user time of `mrasim train
// scenarios/resource-maddpg.toml --episodes 240` at num_updates 10 and 2:
// 13.30 s and 2.79 s (2026-12-07, a shared 2-core x86-64 machine).
var cost = learner.TrainCost{StepSeconds: 3.8e-6, RowSeconds: 1.19e-5, Measured: "scenarios/resource-maddpg.toml, 240 episodes at num_updates 10 and 2"}
