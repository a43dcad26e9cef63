"""Run in its own process by test_custom_game.py with MRASIM_LIBRARY naming a
library built from examples/customenv/pylib: a game registered in a user's
Go package reaches Python, and its action masks are honoured."""

import numpy as np

import api_checks
import mrasim

names = [g["name"] for g in mrasim.games()]
assert "line" in names and "resource" in names, names
env = mrasim.parallel_env("line", agents=3)
assert env.possible_agents == ["walkers_0", "walkers_1", "walkers_2"]
rng = np.random.default_rng(0)
for seed in range(5):
    api_checks.play(env, seed, rng)
api_checks.check_seeding(lambda: mrasim.parallel_env("line", agents=3))
assert api_checks.check_masks_refused(env)
venv = mrasim.vector_env("line", num_envs=4, population=["walkers=2", "walkers=4", "walkers=3", "walkers=2"], seed=1)
obs, info = venv.reset()
for _ in range(40):
    acts = venv.random_actions(rng)
    rows = venv.agent_mask
    assert np.all(np.take_along_axis(info["action_mask"], acts[..., None], -1)[..., 0][rows])
    venv.step(acts)
print("custom game OK")
