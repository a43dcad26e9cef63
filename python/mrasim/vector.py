"""A batched vector API in EnvPool's style over B copies of an mrasim game."""

import numpy as np

from . import _batch, spaces


class VectorEnv:
    """B copies of one game stepped together by the library's goroutines.

    Arrays have shape (B, N, …): N agent rows per copy, the most agents any
    copy's population has; rows of absent agents hold zeros and false masks.
    The arrays returned by reset() and step() are the buffers the library
    writes in place (no copy per step): copy what must outlive the next
    step.

    With one population, observations are each agent's own observation
    (layout="native"). With populations that vary by copy, the default is
    layout="aligned": every entity set sits at the same offset in every copy,
    with as many slots as the largest population needs, and
    info["entity_mask"] marks the slots a copy fills (see `sets`).

    Finished copies reset in the same step (auto-reset): step() returns the
    new episode's first observation for them, sets info["reset"][b], and
    keeps the finished episode's last observation in
    info["final_observation"][b] (and its entity mask in
    info["final_entity_mask"][b]). Rewards and flags are those of the step
    that ended the episode. Copy b's k-th episode is seeded
    sub_seed(sub_seed(seed, b), k).
    """

    def __init__(self, game, num_envs, population=None, agents=None, seed=0, layout=None, workers=0, **params):
        if population is None:
            if agents is None:
                raise TypeError("mrasim.vector_env: give population (one, or a list of one per copy) or agents=N")
            population = agents
        pops = list(population) if isinstance(population, (list, tuple)) else [population]
        if len(pops) not in (1, num_envs):
            raise ValueError(f"mrasim.vector_env: {len(pops)} populations for {num_envs} copies, want one or one per copy")
        if layout is None:
            layout = "aligned" if len({_batch.population_text(p) for p in pops}) > 1 else "native"
        if layout not in ("native", "aligned"):
            raise ValueError(f"mrasim.vector_env: layout {layout!r}, want 'native' or 'aligned'")
        self._b = _batch.Batch(game, pops, num_envs, params, layout=_batch.ALIGNED if layout == "aligned" else _batch.NATIVE,
                               auto_reset=True, workers=workers)
        info = self._b.info
        self.game = info["game"]
        self.num_envs = info["copies"]
        self.num_agents = info["agents"]
        self.layout = layout
        self.sets = info["sets"]
        self.populations = info["populations"]
        self.copy_population = np.asarray(info["copy_population"])
        self.seed = seed
        self.single_observation_space = spaces.Box(-np.inf, np.inf, shape=(info["agents"], info["obs_width"]), dtype=np.float32)
        self.single_action_space = spaces.MultiDiscrete([info["actions"]] * info["agents"])
        #: (B, N) int64: write actions here (or pass them to step) — the library reads them in place.
        self.actions = self._b.actions
        #: (B, N) bool: the rows that hold an agent of the copy's population.
        self.agent_mask = np.zeros((self.num_envs, self.num_agents), np.bool_)
        #: (B, N) int64: each row's number of actions (0 for absent rows).
        self.num_actions = np.zeros((self.num_envs, self.num_agents), np.int64)
        for b, k in enumerate(self.copy_population):
            ags = self.populations[k]["agents"]
            self.agent_mask[b, :len(ags)] = True
            self.num_actions[b, :len(ags)] = [a["actions"] for a in ags]
        b = self._b
        self._info = {"action_mask": b.action_mask, "entity_mask": b.entity_mask, "alive": b.alive, "t": b.t,
                      "reset": b.reset_flag, "final_observation": b.final_obs, "final_entity_mask": b.final_entity_mask}

    def reset(self, seed=None):
        """Start episode 0 of every copy; returns (observations, info)."""
        if seed is not None:
            self.seed = seed
        self._b.reset(self.seed)
        return self._b.obs, self._info

    def step(self, actions=None):
        """Step every copy with actions (B×N integers; None: the contents of
        `actions`, written in place). Returns observations, rewards,
        terminations, truncations and info, all (B, N, …) arrays."""
        b = self._b
        if actions is not None and actions is not b.actions:
            np.copyto(b.actions, actions, casting="unsafe")
        b.step()
        return b.obs, b.reward, b.terminated, b.truncated, self._info

    def random_actions(self, rng):
        """Uniformly random legal actions made in numpy with generator rng:
        a (B, N) int64 array (the rows' action masks honoured)."""
        m = self._b.action_mask
        if m.all():
            return (rng.random((self.num_envs, self.num_agents)) * self.num_actions).astype(np.int64)
        u = rng.random(m.shape) * m
        return u.argmax(axis=-1).astype(np.int64)

    def random_policy(self, seed):
        """Go's agents.Random over every copy (copy by copy, one generator)."""
        p = _batch.RandomPolicy(seed)

        def act():
            p.fill(self._b)
            return self._b.actions
        return act

    def render(self, env=0, size=0):
        """Copy env drawn by the particle renderer, an RGB array."""
        return self._b.render(env, size)

    def save_state(self, env=0):
        return self._b.save(env)

    def restore_state(self, state, env=0):
        self._b.restore(state, env)

    def close(self):
        self._b.close()
