"""PettingZoo's ParallelEnv API over one copy of an mrasim game."""

import numpy as np

from . import _batch, spaces

try:  # pragma: no cover - depends on the environment
    from pettingzoo import ParallelEnv as _Base
except ImportError:
    _Base = object


class ParallelEnv(_Base):
    """One game at one population, as pettingzoo.ParallelEnv: all agents act
    at once; agents that leave the episode (dead, terminated or truncated)
    leave `agents`.

    Observations are each agent's own observation (float32, its type's
    layout: self block, then entity blocks set by set). infos[agent] holds
    "action_mask" (int8, 1 = legal; the game refuses masked actions) and
    "entity_mask" (bool, one flag per entity block of the observation: false
    for entities gone from the game).

    Agent names are type_k, numbered within their type: "agents_0",
    "adversaries_2", "good_0".
    """

    metadata = {"render_modes": ["rgb_array"], "name": "mrasim", "is_parallelizable": True}

    def __init__(self, game, agents=None, population=None, render_mode=None, render_size=0, **params):
        if population is None:
            if agents is None:
                raise TypeError("mrasim.parallel_env: give agents=N (a game of one type) or population='type=count,…'")
            population = agents
        elif agents is not None:
            raise TypeError("mrasim.parallel_env: give agents or population, not both")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"mrasim.parallel_env: render_mode {render_mode!r}, want None or 'rgb_array'")
        self._b = _batch.Batch(game, [population], 1, params, layout=_batch.NATIVE, auto_reset=False, workers=1)
        info = self._b.info
        self.game = info["game"]
        self.metadata = dict(self.metadata, name=f"mrasim_{self.game}")
        self.render_mode = render_mode
        self._render_size = render_size
        self._pop = info["populations"][0]
        ags = self._pop["agents"]
        self.possible_agents = [a["name"] for a in ags]
        self.agents = []
        self._index = {name: i for i, name in enumerate(self.possible_agents)}
        self._lens = [(a["obs_len"], a["entities"], a["actions"]) for a in ags]
        self.observation_spaces = {a["name"]: spaces.obs_box(a["obs_len"]) for a in ags}
        self.action_spaces = {a["name"]: spaces.Discrete(a["actions"]) for a in ags}
        self.state_space = spaces.obs_box(info["agents"] * info["obs_width"])
        self.spec_info = self._pop
        self._acts = self._b.actions[0]
        self._live = np.zeros(len(ags), np.bool_)
        self._uniform = all(x == (info["obs_width"], info["entities"], info["actions"]) for x in self._lens)

    @property
    def unwrapped(self):
        """The environment itself (it wraps nothing)."""
        return self

    @property
    def num_agents(self):
        return len(self.agents)

    @property
    def max_num_agents(self):
        return len(self.possible_agents)

    @property
    def population(self):
        """The population, as mrasim writes it ("agents=6")."""
        return self._pop["population"]

    def observation_space(self, agent):
        return self.observation_spaces[agent]

    def action_space(self, agent):
        return self.action_spaces[agent]

    def _observe(self):
        """The current observations and infos of the agents in play, as
        dicts of views into copies of the shared buffers."""
        b = self._b
        obs, ent, act = b.obs[0].copy(), b.entity_mask[0].copy(), b.action_mask[0].astype(np.int8)
        if self._uniform:  # rows are exactly the agents' arrays: let numpy make the views
            orows, erows, arows = list(obs), list(ent), list(act)
        else:
            orows = [obs[i, :lo] for i, (lo, _, _) in enumerate(self._lens)]
            erows = [ent[i, :le] for i, (_, le, _) in enumerate(self._lens)]
            arows = [act[i, :la] for i, (_, _, la) in enumerate(self._lens)]
        if len(self.agents) == len(self.possible_agents):
            names = self.possible_agents
            return dict(zip(names, orows)), {n: {"action_mask": a, "entity_mask": e} for n, a, e in zip(names, arows, erows)}
        index = self._index
        observations, infos = {}, {}
        for name in self.agents:
            i = index[name]
            observations[name] = orows[i]
            infos[name] = {"action_mask": arows[i], "entity_mask": erows[i]}
        return observations, infos

    def _update_agents(self):
        b = self._b
        np.logical_and(b.alive[0], ~(b.terminated[0] | b.truncated[0]), out=self._live)
        live = self._live
        self.agents = [n for n, ok in zip(self.possible_agents, live) if ok]

    def reset(self, seed=None, options=None):
        """Start an episode from seed (a fresh random one when None): the
        game's own Reset(seed), so the same seed gives the same episode."""
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        self._b.reset_copy(0, seed)
        self._update_agents()
        return self._observe()

    def step(self, actions):
        """Apply actions (a dict: agent name → action) for the agents in
        play; missing agents in play are an error. Returns observations,
        rewards, terminations, truncations and infos for the agents that
        acted; afterwards `agents` holds those still in play."""
        before = self.agents
        if not before:
            raise RuntimeError("mrasim: step after the episode ended; call reset()")
        self._write_actions(before, actions)
        self._b.step()
        rewards, terminations, truncations, after = self._flags(before)
        observations, infos = self._observe()
        self.agents = after
        return observations, rewards, terminations, truncations, infos

    def _write_actions(self, before, actions):
        """Copy the actions of the agents in play into the library's buffer."""
        acts, index = self._acts, self._index
        try:
            if len(before) == len(self.possible_agents):
                acts[:] = [actions[n] for n in before]
            else:
                acts[:] = 0
                for name in before:
                    acts[index[name]] = actions[name]
        except KeyError as e:
            raise KeyError(f"mrasim: no action for agent {e.args[0]!r} (agents in play: {before})") from None

    def _flags(self, before):
        """Rewards, terminations and truncations of the agents that acted,
        and the agents still in play."""
        b = self._b
        rew, alive, term, trunc = b.reward[0].tolist(), b.alive[0].tolist(), b.terminated[0].tolist(), b.truncated[0].tolist()
        if len(before) == len(self.possible_agents):
            rewards = dict(zip(before, rew))
            terminations = {n: t or not a for n, t, a in zip(before, term, alive)}
            truncations = dict(zip(before, trunc))
        else:
            index = self._index
            rewards, terminations, truncations = {}, {}, {}
            for name in before:
                i = index[name]
                rewards[name] = rew[i]
                terminations[name] = term[i] or not alive[i]
                truncations[name] = trunc[i]
        after = [n for n, a, t, u in zip(self.possible_agents, alive, term, trunc) if a and not (t or u)]
        return rewards, terminations, truncations, after

    def render(self):
        """The current state drawn by mrasim's particle renderer, as an RGB
        array (height × width × 3, uint8)."""
        return self._b.render(0, self._render_size)

    def state(self):
        """The global state: every agent's observation row (padded to the
        widest), concatenated (float32)."""
        return self._b.obs[0].reshape(-1).copy()

    def save_state(self):
        """The game's full state as bytes (positions, step count, random
        generator): restore_state continues the episode bit for bit."""
        return self._b.save(0)

    def restore_state(self, state):
        """Go back to a state save_state returned."""
        self._b.restore(state, 0)
        self._update_agents()
        return self._observe()

    def random_policy(self, seed):
        """A RandomPolicy acting in this environment, drawing with Go's
        generator exactly as `mrasim rollout` does."""
        return _ParallelRandom(self, seed)

    def close(self):
        self._b.close()


class _ParallelRandom:
    def __init__(self, env, seed):
        self._env = env
        self._p = _batch.RandomPolicy(seed)

    def __call__(self, observations=None, infos=None):
        """Random legal actions of the agents in play, as a dict."""
        env = self._env
        self._p.fill(env._b)
        acts = env._b.actions[0]
        return {name: int(acts[env._index[name]]) for name in env.agents}
