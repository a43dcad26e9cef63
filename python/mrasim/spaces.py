"""Observation and action spaces: gymnasium's when gymnasium is importable,
minimal stand-ins with the same attributes and methods otherwise (shape,
dtype, low, high, n, start, nvec; contains, sample, seed)."""

import numpy as np

try:  # pragma: no cover - depends on the environment
    import gymnasium as _gym
    from gymnasium.spaces import Box, Discrete, MultiDiscrete

    HAVE_GYMNASIUM = True
except ImportError:
    _gym = None
    HAVE_GYMNASIUM = False

    class Space:
        """The part of gymnasium.spaces.Space the stand-ins share."""

        def __init__(self, shape, dtype, seed=None):
            self.shape = tuple(shape) if shape is not None else None
            self.dtype = np.dtype(dtype)
            self._rng = np.random.default_rng(seed)

        @property
        def np_random(self):
            return self._rng

        def seed(self, seed=None):
            self._rng = np.random.default_rng(seed)
            return [seed]

        def __contains__(self, x):
            return self.contains(x)

    class Box(Space):
        """A box of real vectors, as gymnasium.spaces.Box."""

        def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
            shape = shape if shape is not None else np.shape(low)
            super().__init__(shape, dtype, seed)
            self.low = np.full(self.shape, low, dtype=self.dtype)
            self.high = np.full(self.shape, high, dtype=self.dtype)

        def contains(self, x):
            if not isinstance(x, np.ndarray):
                try:
                    x = np.asarray(x, dtype=self.dtype)
                except (ValueError, TypeError):
                    return False
            return bool(np.can_cast(x.dtype, self.dtype) and x.shape == self.shape
                        and np.all(x >= self.low) and np.all(x <= self.high))

        def sample(self, mask=None):
            low = np.where(np.isfinite(self.low), self.low, -1.0)
            high = np.where(np.isfinite(self.high), self.high, 1.0)
            return self._rng.uniform(low, high, self.shape).astype(self.dtype)

        def __repr__(self):
            return f"Box({self.low.min()}, {self.high.max()}, {self.shape}, {self.dtype})"

        def __eq__(self, other):
            return isinstance(other, Box) and self.shape == other.shape and np.array_equal(self.low, other.low) and np.array_equal(self.high, other.high)

    class Discrete(Space):
        """Integers start … start+n−1, as gymnasium.spaces.Discrete."""

        def __init__(self, n, seed=None, start=0):
            super().__init__((), np.int64, seed)
            self.n = np.int64(n)
            self.start = np.int64(start)

        def contains(self, x):
            if isinstance(x, (int, np.integer)) or (isinstance(x, np.ndarray) and x.shape == () and np.issubdtype(x.dtype, np.integer)):
                return bool(self.start <= int(x) < self.start + self.n)
            return False

        def sample(self, mask=None):
            """A uniform draw, among the actions mask allows (int8 0/1) when given."""
            if mask is not None:
                legal = np.flatnonzero(mask)
                return np.int64(self.start + (self._rng.choice(legal) if len(legal) else 0))
            return np.int64(self.start + self._rng.integers(self.n))

        def __repr__(self):
            return f"Discrete({self.n})"

        def __eq__(self, other):
            return isinstance(other, Discrete) and self.n == other.n and self.start == other.start

    class MultiDiscrete(Space):
        """A vector of Discrete spaces, as gymnasium.spaces.MultiDiscrete."""

        def __init__(self, nvec, dtype=np.int64, seed=None):
            self.nvec = np.asarray(nvec, dtype=dtype)
            super().__init__(self.nvec.shape, dtype, seed)

        def contains(self, x):
            x = np.asarray(x)
            return bool(x.shape == self.shape and np.issubdtype(x.dtype, np.integer) and np.all(x >= 0) and np.all(x < self.nvec))

        def sample(self, mask=None):
            return (self._rng.random(self.shape) * self.nvec).astype(self.dtype)

        def __repr__(self):
            return f"MultiDiscrete({self.nvec})"


def obs_box(width):
    """An observation space of width real numbers (float32, unbounded)."""
    return Box(-np.inf, np.inf, shape=(int(width),), dtype=np.float32)
