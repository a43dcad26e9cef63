package mappo

import "github.com/mrasim/mrasim/agents/learner"

// costs are MAPPO's and IPPO's measured training costs
// (learner.TrainCost). On-policy: learning is per round, so it is in the
// cost of an agent-step, fitted to the user time of `mrasim train
// scenarios/resource-mappo.toml --episodes 240` (240 × (3 + 6) × 20
// agent-steps): 5.30 s for mappo, 4.82 s for ippo (2026-12-07, a shared
// 2-core x86-64 machine, float64, the default settings).
var costs = map[string]*learner.TrainCost{
	NameMAPPO: {StepSeconds: 1.23e-4, Measured: "scenarios/resource-mappo.toml, 240 episodes"},
	NameIPPO:  {StepSeconds: 1.12e-4, Measured: "scenarios/resource-mappo.toml with name = \"ippo\", 240 episodes"},
}
