"""mrasim.load_policy computes the Go player's action probabilities in
numpy: `mrasim export` records frames of the Go player with its
probabilities, and the numpy forward pass must agree to 1e-6."""

import os
import subprocess

import numpy as np
import pytest

import mrasim
from conftest import REPO


@pytest.fixture(scope="module", params=["resource.toml", "tag.toml", "volunteer.toml", "resource-reptile.toml", "resource-mappo.toml"])
def exported(request, mrasim_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    scenario = os.path.join(REPO, "scenarios", request.param)
    subprocess.run([mrasim_bin, "train", scenario, "--episodes", "24", "--out", str(tmp / "run"), "--quiet"], check=True, capture_output=True)
    out = str(tmp / "policy.npz")
    subprocess.run([mrasim_bin, "export", "--run", str(tmp / "run"), "--out", out], check=True, capture_output=True)
    return out


def test_probabilities_match_go_player(exported):
    p = mrasim.load_policy(exported)
    assert p.checks["probs"].shape[0] == 32
    assert p.check() < 1e-6


def test_policy_plays_through_both_apis(exported):
    p = mrasim.load_policy(exported)
    pop = p.meta["populations"][-1]
    env = mrasim.parallel_env(p.meta["game"], population=pop, **p.meta["params"])
    rng = np.random.default_rng(0)
    obs, infos = env.reset(seed=1)
    names = env.possible_agents
    W = max(o.shape[0] for o in obs.values())
    while env.agents:
        o = np.zeros((len(names), W), np.float32)
        m = np.zeros((len(names), max(len(infos[a]["entity_mask"]) for a in infos) or 1), bool)
        for i, a in enumerate(names):
            if a in obs:
                o[i, :len(obs[a])] = obs[a]
                m[i, :len(infos[a]["entity_mask"])] = infos[a]["entity_mask"]
        acts = p.act(env.spec_info["spec"], o, m, rng)
        obs, _, _, _, infos = env.step({a: int(acts[i]) for i, a in enumerate(names) if a in env.agents})
    venv = mrasim.vector_env(p.meta["game"], num_envs=4, population=pop, **p.meta["params"])
    obs, info = venv.reset()
    spec = venv.populations[0]["spec"]
    for _ in range(5):
        acts = np.stack([p.act(spec, obs[b], info["entity_mask"][b], rng) for b in range(4)])
        venv.step(acts)


def test_refuses_other_files(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, **{"meta.json": np.frombuffer(b'{"format": "other"}', np.uint8)})
    with pytest.raises(ValueError, match="format"):
        mrasim.load_policy(str(path))
