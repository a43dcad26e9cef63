"""A random episode from Python gives the same returns as `mrasim rollout`
with the same seed: rollout seeds population k's episodes e with
sub_seed(sub_seed(seed, k), e) and its random agents with
sub_seed(sub_seed(seed, k), 2⁶⁴−1), and draws with Go's agents.Random,
which RandomPolicy calls."""

import json
import os
import subprocess
import tomllib

import pytest

import mrasim
from conftest import REPO

CASES = [("scenarios/resource.toml", "agents=6"), ("scenarios/spread.toml", "agents=3"), ("scenarios/tag.toml", "adversaries=3,good=1")]


@pytest.mark.parametrize("scenario,population", CASES)
def test_random_episode_matches_rollout(mrasim_bin, scenario, population):
    seed, episodes = 12345, 3
    out = subprocess.run([mrasim_bin, "rollout", os.path.join(REPO, scenario), "--population", population,
                          "--episodes", str(episodes), "--seed", str(seed), "--out", "-"],
                         check=True, capture_output=True, text=True).stdout
    want = {}
    for line in out.splitlines():
        rec = json.loads(line)
        ret = want.setdefault(rec["episode"], [0.0] * len(rec["rewards"]))
        for i, r in enumerate(rec["rewards"]):
            ret[i] += r
    with open(os.path.join(REPO, scenario), "rb") as f:
        game = tomllib.load(f)["game"]
    env = mrasim.parallel_env(game["name"], population=population, **game.get("params", {}))
    pop_seed = mrasim.sub_seed(seed, 0)
    policy = env.random_policy(mrasim.sub_seed(pop_seed, 2**64 - 1))
    for e in range(episodes):
        env.reset(seed=mrasim.sub_seed(pop_seed, e))
        ret = {a: 0.0 for a in env.possible_agents}
        while env.agents:
            _, rew, _, _, _ = env.step(policy())
            for a, r in rew.items():
                ret[a] += r
        assert [ret[a] for a in env.possible_agents] == want[e], f"episode {e}"
