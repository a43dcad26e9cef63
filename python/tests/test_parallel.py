"""The ParallelEnv API: PettingZoo's contract (see api_checks), errors as
exceptions, rendering, state and save/restore."""

import numpy as np
import pytest

import api_checks
import mrasim

GAMES = [
    ("resource", {"agents": 6}),
    ("spread", {"agents": 3}),
    ("tag", {"population": "adversaries=3,good=1"}),
    ("pacman", {"population": "pacmen=3,ghosts=2"}),
    ("treasure", {"population": "collectors=4,deposits=2"}),
    ("volunteer", {"agents": 3}),
    ("repeatedvolunteer", {"agents": 3}),
]


@pytest.mark.parametrize("game,kw", GAMES, ids=[g for g, _ in GAMES])
def test_api_contract(game, kw):
    env = mrasim.parallel_env(game, **kw)
    rng = np.random.default_rng(1)
    lengths = [api_checks.play(env, seed, rng) for seed in range(3)]
    assert all(n >= 1 for n in lengths)
    api_checks.check_seeding(lambda: mrasim.parallel_env(game, **kw))


def test_agents_leave_when_caught():
    """In pacman, caught pac-men leave `agents` before the episode ends."""
    env = mrasim.parallel_env("pacman", population="pacmen=3,ghosts=2")
    rng = np.random.default_rng(0)
    left_early = False
    for seed in range(40):
        env.reset(seed=seed)
        while env.agents:
            n = len(env.agents)
            _, _, term, trunc, _ = env.step({a: int(rng.integers(5)) for a in env.agents})
            if env.agents and len(env.agents) < n:
                left_early = True
                assert any(term[a] for a in term if a not in env.agents)
        if left_early:
            break
    assert left_early, "no pac-man was caught in 40 episodes"


def test_seeds_differ():
    env = mrasim.parallel_env("resource", agents=3)
    a, _ = env.reset(seed=1)
    b, _ = env.reset(seed=2)
    assert not np.array_equal(a["agents_0"], b["agents_0"])
    c, _ = env.reset(seed=1)
    np.testing.assert_array_equal(a["agents_0"], c["agents_0"])


def test_observations_outlive_the_next_step():
    env = mrasim.parallel_env("spread", agents=3)
    obs, _ = env.reset(seed=0)
    keep = obs["agents_0"].copy()
    env.step({a: 1 for a in env.agents})
    np.testing.assert_array_equal(obs["agents_0"], keep)


def test_errors_are_exceptions():
    with pytest.raises(mrasim.UnknownGameError, match='did you mean "resource"'):
        mrasim.parallel_env("resorce", agents=3)
    with pytest.raises(mrasim.ArgumentError, match="refuses population"):
        mrasim.parallel_env("spread", population="goodies=3")
    with pytest.raises(mrasim.ArgumentError, match="max_steps"):
        mrasim.parallel_env("spread", agents=3, max_steps=0)
    with pytest.raises(mrasim.ArgumentError, match="unknown parameter|max_step"):
        mrasim.parallel_env("spread", agents=3, max_step=5)
    env = mrasim.parallel_env("spread", agents=3, max_steps=2)
    env.reset(seed=0)
    with pytest.raises(mrasim.ArgumentError, match="action 7, want 0 … 4"):
        env.step({a: 7 for a in env.agents})
    with pytest.raises(KeyError, match="no action for agent"):
        env.step({"agents_0": 1})
    env.step({a: 0 for a in env.agents})
    env.step({a: 0 for a in env.agents})
    assert env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})
    with pytest.raises(mrasim.StateError):
        env.restore_state(b"not a state")
    with pytest.raises(mrasim.UnsupportedError, match="not a particle world"):
        mrasim.parallel_env("volunteer", agents=3).render()
    env.close()
    with pytest.raises(mrasim.HandleError):
        env.reset(seed=0)


def test_render_rgb():
    env = mrasim.parallel_env("tag", population="adversaries=3,good=1", render_mode="rgb_array")
    env.reset(seed=0)
    img = env.render()
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and img.shape[0] >= 64
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 2, "the frame shows entities, not just the background"


def test_save_restore_continues_bit_for_bit():
    env = mrasim.parallel_env("resource", agents=4)
    env.reset(seed=5)
    for _ in range(3):
        env.step({a: 2 for a in env.agents})
    state = env.save_state()
    runs = []
    for _ in range(2):
        env.restore_state(state)
        runs.append([env.step({a: k % 5 for a in env.agents})[1] for k in range(4)])
    assert runs[0] == runs[1]


def test_pettingzoo_parallel_api_test():
    """PettingZoo's own test, when pettingzoo is installed."""
    test = pytest.importorskip("pettingzoo.test")
    test.parallel_api_test(mrasim.parallel_env("resource", agents=6), num_cycles=100)
    test.parallel_api_test(mrasim.parallel_env("tag", population="adversaries=3,good=1"), num_cycles=100)
    test.parallel_seed_test(lambda: mrasim.parallel_env("resource", agents=3))
