"""Checks of PettingZoo's ParallelEnv contract, written for mrasim after
the list of properties pettingzoo.test.parallel_api_test verifies: spaces
contain what the environment returns, agent lists stay consistent, seeding
reproduces episodes, and action masks are honoured. Used by the tests and by
the custom-game script (which runs in its own process)."""

import numpy as np

import mrasim


def play(env, seed, rng, steps=10_000, record=None):
    """One episode with random legal actions, checking every step."""
    obs, infos = env.reset(seed=seed)
    check_agents_at_reset(env, obs, infos)
    gone = set()
    t = 0
    while env.agents and t < steps:
        actions = {a: int(env.action_space(a).sample(infos[a]["action_mask"])) for a in env.agents}
        for a, act in actions.items():
            assert infos[a]["action_mask"][act] == 1
        before = list(env.agents)
        obs, rew, term, trunc, infos = env.step(actions)
        check_step(env, before, obs, rew, term, trunc, infos, gone)
        if record is not None:
            record.append((actions, {a: o.copy() for a, o in obs.items()}, dict(rew)))
        t += 1
    return t


def check_agents_at_reset(env, obs, infos):
    assert env.agents == env.possible_agents, "every agent plays from the start"
    assert len(set(env.possible_agents)) == len(env.possible_agents)
    assert set(obs) == set(env.agents) == set(infos)
    for a in env.agents:
        check_obs(env, a, obs[a], infos[a])


def check_obs(env, a, o, info):
    space = env.observation_space(a)
    assert space is env.observation_space(a), "spaces are the same object on every call"
    assert space.contains(o), f"{a}: observation {o.shape} {o.dtype} not in {space}"
    assert isinstance(o, np.ndarray) and o.dtype == np.float32
    mask = info["action_mask"]
    assert mask.dtype == np.int8 and mask.shape == (env.action_space(a).n,)
    assert set(np.unique(mask)) <= {0, 1}
    assert info["entity_mask"].dtype == np.bool_


def check_step(env, before, obs, rew, term, trunc, infos, gone):
    for d in (obs, rew, term, trunc, infos):
        assert set(d) == set(before), "step returns every agent that acted, and only those"
    for a in before:
        check_obs(env, a, obs[a], infos[a])
        assert isinstance(rew[a], float)
        assert isinstance(term[a], bool) and isinstance(trunc[a], bool)
    assert set(env.agents) <= set(before), "no agent joins mid-episode"
    for a in before:
        out = term[a] or trunc[a]
        assert (a not in env.agents) == out, f"{a}: in agents {a in env.agents} after terminated={term[a]} truncated={trunc[a]}"
        if out:
            gone.add(a)
    assert not (gone & set(env.agents)), "an agent that left came back"
    assert env.agents == [a for a in env.possible_agents if a in env.agents], "agents keep possible_agents' order"
    assert env.state_space.contains(env.state())


def check_seeding(make, seed=7):
    """Two environments reset with one seed and given the same actions play
    the same episode."""
    runs = []
    for _ in range(2):
        env = make()
        for i, a in enumerate(env.possible_agents):
            env.action_space(a).seed(i)
        rec = []
        play(env, seed, np.random.default_rng(3), record=rec)
        runs.append(rec)
        env.close()
    assert len(runs[0]) == len(runs[1]) > 0
    for (a0, o0, r0), (a1, o1, r1) in zip(*runs):
        assert a0 == a1 and r0 == r1
        for k in o0:
            np.testing.assert_array_equal(o0[k], o1[k])


def check_masks_refused(env, seed=0):
    """A masked action is refused with ValueError, and the refused step
    changes nothing."""
    obs, infos = env.reset(seed=seed)
    for t in range(200):
        masked = [(a, int(np.flatnonzero(infos[a]["action_mask"] == 0)[0])) for a in env.agents if not infos[a]["action_mask"].all()]
        if masked:
            a, bad = masked[0]
            actions = {b: int(np.flatnonzero(infos[b]["action_mask"])[0]) for b in env.agents}
            actions[a] = bad
            state = env.state()
            try:
                env.step(actions)
            except mrasim.ArgumentError as e:
                assert "masked" in str(e)
            else:
                raise AssertionError("a masked action was accepted")
            np.testing.assert_array_equal(state, env.state())
            return True
        obs, _, _, _, infos = env.step({a: int(np.flatnonzero(infos[a]["action_mask"])[-1]) for a in env.agents})
        if not env.agents:
            obs, infos = env.reset(seed=seed + t + 1)
    raise AssertionError("no state with a masked action met")
