"""A batch of game copies over numpy buffers the library writes in place."""

import ctypes
import json

import numpy as np

from . import _lib

NATIVE, ALIGNED = 0, 1


def population_text(pop):
    """A population as mrasim writes it: "agents=6" from "agents=6", 6, or
    {"agents": 6}."""
    if isinstance(pop, dict):
        return ",".join(f"{k}={int(v)}" for k, v in pop.items())
    if isinstance(pop, (int, np.integer)):
        return str(int(pop))
    if isinstance(pop, str):
        return pop
    raise TypeError(f"mrasim: population {pop!r}: want text such as 'agents=6', a count or a dict of type to count")


def _params_json(params):
    def plain(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            return float(v)
        return v
    return json.dumps({k: plain(v) for k, v in (params or {}).items()})


class Batch:
    """B copies of one game; see bindings/engine for the semantics.

    The buffers (obs, entity_mask, action_mask, reward, alive, terminated,
    truncated, t, reset, final_obs, final_entity_mask, actions) are numpy
    arrays the library writes into in place on every reset and step: read
    them, copy what must outlive the next step. Write actions into
    `actions` (B×N int64) before step().
    """

    def __init__(self, game, populations, copies, params=None, layout=NATIVE, auto_reset=False, workers=0):
        L = _lib.lib()
        pops = json.dumps([population_text(p) for p in populations])
        self._h = _lib.check(L.mrasim_env_new(game.encode(), _params_json(params).encode(), pops.encode(),
                                              int(copies), int(layout), int(bool(auto_reset)), int(workers)))
        self._L = L
        self.info = _lib.read_text(L.mrasim_env_info, self._h)
        B, N = self.info["copies"], self.info["agents"]
        W, E, A = self.info["obs_width"], self.info["entities"], self.info["actions"]
        self.obs = np.zeros((B, N, W), np.float32)
        self.entity_mask = np.zeros((B, N, E), np.bool_)
        self.action_mask = np.zeros((B, N, A), np.bool_)
        self.reward = np.zeros((B, N), np.float64)
        self.alive = np.zeros((B, N), np.bool_)
        self.terminated = np.zeros((B, N), np.bool_)
        self.truncated = np.zeros((B, N), np.bool_)
        self.t = np.zeros(B, np.int64)
        self.reset_flag = np.zeros(B, np.bool_)
        self.actions = np.zeros((B, N), np.int64)
        if auto_reset:
            self.final_obs = np.zeros((B, N, W), np.float32)
            self.final_entity_mask = np.zeros((B, N, E), np.bool_)
            fo, fm = self.final_obs.ctypes.data, self.final_entity_mask.ctypes.data
        else:
            self.final_obs = self.final_entity_mask = None
            fo = fm = None
        self._bind(fo, fm)
        self._step = L.mrasim_env_step

    def _bind(self, fo, fm):
        L = self._L
        r = L.mrasim_env_bind(self._h, self.obs.ctypes.data, self.entity_mask.ctypes.data, self.action_mask.ctypes.data,
                              self.reward.ctypes.data, self.alive.ctypes.data, self.terminated.ctypes.data,
                              self.truncated.ctypes.data, self.t.ctypes.data, self.reset_flag.ctypes.data, fo, fm,
                              self.actions.ctypes.data)
        if r < 0:
            self.close()
            _lib.check(r)

    def reset(self, seed):
        """Start episode 0 of every copy; copy e's k-th episode is seeded
        sub_seed(sub_seed(seed, e), k)."""
        _lib.check(self._L.mrasim_env_reset(self._handle(), int(seed) & (2**64 - 1)))

    def reset_copy(self, e, seed):
        """Start a new episode of copy e from exactly seed."""
        _lib.check(self._L.mrasim_env_reset_copy(self._handle(), int(e), int(seed) & (2**64 - 1)))

    def step(self):
        """Step every copy with `actions`."""
        r = self._step(self._handle())
        if r < 0:
            _lib.check(r)

    def save(self, e=0):
        """Copy e's full game state, as bytes."""
        h = self._handle()
        n = _lib.check(self._L.mrasim_env_save(h, int(e), None, 0))
        buf = ctypes.create_string_buffer(max(n, 1))
        _lib.check(self._L.mrasim_env_save(h, int(e), buf, n))
        return buf.raw[:n]

    def restore(self, state, e=0):
        """Put copy e back into a state save() returned."""
        state = bytes(state)
        _lib.check(self._L.mrasim_env_restore(self._handle(), int(e), state, len(state)))

    def render(self, e=0, size=0):
        """Copy e drawn by mrasim's particle renderer: an RGB array
        (height × width × 3, uint8). size is the world view's side in
        pixels (0: the renderer's default)."""
        h = self._handle()
        packed = _lib.check(self._L.mrasim_env_render_shape(h, int(size)))
        rows, cols = packed >> 32, packed & 0xFFFFFFFF
        img = np.empty((rows, cols, 3), np.uint8)
        _lib.check(self._L.mrasim_env_render(h, int(e), int(size), img.ctypes.data, img.nbytes))
        return img

    def _handle(self):
        if self._h is None:
            raise _lib.HandleError(4, "mrasim: the environment is closed")
        return self._h

    def close(self):
        """Free the copies; the buffers stay readable numpy arrays."""
        if getattr(self, "_h", None) is not None:
            self._L.mrasim_env_free(self._h)
            self._h = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class RandomPolicy:
    """Uniformly random legal actions drawn by Go's agents.Random, the policy
    `mrasim rollout` plays: seeded as rollout seeds it, it replays rollout's
    episodes exactly (see tests/test_rollout_parity.py)."""

    def __init__(self, seed):
        self._L = _lib.lib()
        self._h = _lib.check(self._L.mrasim_random_new(int(seed) & (2**64 - 1)))

    def fill(self, batch):
        """Write one random legal action for every live agent of every copy
        into batch.actions."""
        _lib.check(self._L.mrasim_random_act(self._h, batch._handle()))

    def close(self):
        if getattr(self, "_h", None) is not None:
            self._L.mrasim_random_free(self._h)
            self._h = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
