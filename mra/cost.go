package mra

import "github.com/mrasim/mrasim/agents/learner"

// The measured training costs of the algorithms this package registers
// (learner.TrainCost), fitted to the user time of `mrasim train FILE
// --episodes 240` of the shipped resource scenarios (max_steps 20,
// batch_size 256, steps_per_update 100) at num_updates 10 and 2: the
// difference of the two gives the cost of a gradient-step row, the rest
// the cost of an agent-step (2026-12-07, a shared 2-core x86-64 machine at
// a load of 11–16). mra: 240 × (3 + 6) × 20 agent-steps and 48 cycles × U
// × 256 × (3 + 6) rows, 5.67 s at U = 10 and 1.91 s at U = 2; single at 3
// agents: 1.43 s and 0.42 s. Checked on full runs of
// scenarios/volunteer.toml (6000 episodes, a one-shot game): estimated
// 27.5 s at num_updates 40, measured 27.7 s; 7.9 s at 10, measured 6.5 s;
// resource.toml at num_updates 40 and 240 episodes: 19.8 s against
// 20.0 s.
var (
	mraCost    = learner.TrainCost{StepSeconds: 2.25e-5, RowSeconds: 4.25e-6, Measured: "scenarios/resource.toml, 240 episodes at num_updates 10 and 2"}
	singleCost = learner.TrainCost{StepSeconds: 1.16e-5, RowSeconds: 3.42e-6, Measured: "scenarios/resource-single.toml, 240 episodes at num_updates 10 and 2"}
	// Reptile takes MRA's costs: resource-reptile.toml at 240 episodes
	// was estimated at 5.7 s with them and measured at 4.8 s.
	reptileCost = learner.TrainCost{StepSeconds: mraCost.StepSeconds, RowSeconds: mraCost.RowSeconds, Measured: "MRA's costs (scenarios/resource-reptile.toml, 240 episodes: estimated 5.7 s, measured 4.8 s)"}
)
