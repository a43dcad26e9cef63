"""The batched vector API: buffers written in place, automatic resets with
the final observation kept, seeding per copy, and populations that vary by
copy."""

import numpy as np
import pytest

import mrasim


def test_shapes_and_in_place_buffers():
    venv = mrasim.vector_env("spread", num_envs=8, population="agents=3", seed=4)
    obs, info = venv.reset()
    assert obs.shape == (8, 3, venv.single_observation_space.shape[1]) and obs.dtype == np.float32
    assert venv.single_observation_space.contains(obs[0])
    assert venv.single_action_space.contains(np.zeros(3, np.int64))
    rng = np.random.default_rng(0)
    obs2, rew, term, trunc, info2 = venv.step(venv.random_actions(rng))
    assert obs2 is obs and info2 is info, "the same buffers, written in place"
    assert rew.shape == term.shape == trunc.shape == (8, 3)
    assert info["action_mask"].shape == (8, 3, 5) and info["entity_mask"].shape[:2] == (8, 3)


def test_copies_follow_their_seeds_and_auto_reset():
    """Copy b plays episode k from sub_seed(sub_seed(seed, b), k): the same
    episodes as a ParallelEnv reset with those seeds, and a finished copy
    restarts in the same step with its last observation in info."""
    B, seed, horizon = 3, 9, 5
    venv = mrasim.vector_env("resource", num_envs=B, population="agents=3", seed=seed, max_steps=horizon)
    envs = [mrasim.parallel_env("resource", agents=3, max_steps=horizon) for _ in range(B)]
    obs, info = venv.reset()
    episode = [0] * B
    cur = []
    for b, env in enumerate(envs):
        o, _ = env.reset(seed=mrasim.sub_seed(mrasim.sub_seed(seed, b), 0))
        cur.append(o)
        episode[b] = 1
    rng = np.random.default_rng(2)
    resets = 0
    for t in range(3 * horizon + 2):
        for b in range(B):
            np.testing.assert_array_equal(obs[b], np.stack([cur[b][a] for a in envs[b].possible_agents]))
        acts = venv.random_actions(rng)
        obs, rew, term, trunc, info = venv.step(acts)
        for b, env in enumerate(envs):
            o, r, te, tr, _ = env.step({a: int(acts[b, i]) for i, a in enumerate(env.possible_agents)})
            np.testing.assert_array_equal(rew[b], [r[a] for a in env.possible_agents])
            np.testing.assert_array_equal(trunc[b], [tr[a] for a in env.possible_agents])
            if not env.agents:
                resets += 1
                assert info["reset"][b]
                np.testing.assert_array_equal(info["final_observation"][b], np.stack([o[a] for a in env.possible_agents]))
                o, _ = env.reset(seed=mrasim.sub_seed(mrasim.sub_seed(seed, b), episode[b]))
                episode[b] += 1
            else:
                assert not info["reset"][b]
            cur[b] = o
    assert resets == 3 * B


def test_populations_vary_by_copy():
    """Aligned layout: every copy's entity set starts at the same offset;
    masks mark the slots a copy's population fills, and absent agent rows
    are empty."""
    pops = ["agents=3", "agents=6", "agents=4"]
    venv = mrasim.vector_env("resource", num_envs=3, population=pops, seed=1)
    assert venv.layout == "aligned" and venv.num_agents == 6
    obs, info = venv.reset()
    np.testing.assert_array_equal(venv.agent_mask.sum(axis=1), [3, 6, 4])
    (agents_set,) = [s for s in venv.sets if s["name"] == "agents"]
    for b, n in enumerate([3, 6, 4]):
        assert not obs[b, n:].any() and not info["entity_mask"][b, n:].any() and not info["alive"][b, n:].any()
        assert info["alive"][b, :n].all()
        seen = info["entity_mask"][b, :n, agents_set["entity"]:agents_set["entity"] + agents_set["slots"]]
        np.testing.assert_array_equal(seen.sum(axis=1), [n - 1] * n)  # every other agent, no padding slot
    rng = np.random.default_rng(0)
    for _ in range(30):
        venv.step(venv.random_actions(rng))
        assert not obs[0, 3:].any()


def test_random_actions_honour_masks():
    venv = mrasim.vector_env("spread", num_envs=4, population="agents=3")
    venv.reset()
    venv._b.action_mask[:, :, 0] = False  # as a game with masks would
    a = venv.random_actions(np.random.default_rng(0))
    assert (a != 0).all()


def test_bad_actions_refused():
    venv = mrasim.vector_env("spread", num_envs=2, population="agents=3")
    venv.reset()
    acts = np.zeros((2, 3), np.int64)
    acts[1, 2] = 5
    with pytest.raises(mrasim.ArgumentError, match="copy 1 agent 2"):
        venv.step(acts)
