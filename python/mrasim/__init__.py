"""mrasim's population-varying Markov games from Python.

    import mrasim
    env = mrasim.parallel_env("resource", agents=6)       # PettingZoo ParallelEnv
    venv = mrasim.vector_env("spread", num_envs=1024, population="agents=3")  # batched
    policy = mrasim.load_policy("policy.npz")            # a trained MRA policy, in numpy

The games run in Go, in a shared library built with
    go build -buildmode=c-shared -o python/mrasim/libmrasim.so ./bindings/libmrasim
(or any library built from a main package that imports bindings/capi; load
it with load_library(path) or MRASIM_LIBRARY).
"""

from ._lib import (ArgumentError, HandleError, InternalError, MrasimError, StateError, UnknownGameError,
                   UnsupportedError, games, load_library, sub_seed)
from ._batch import RandomPolicy
from .parallel import ParallelEnv
from .policy import Policy, load_policy
from .vector import VectorEnv

__all__ = ["parallel_env", "vector_env", "load_policy", "load_library", "games", "sub_seed", "ParallelEnv", "VectorEnv",
           "Policy", "RandomPolicy", "MrasimError", "ArgumentError", "UnknownGameError", "StateError", "HandleError",
           "UnsupportedError", "InternalError"]


def parallel_env(game, agents=None, population=None, render_mode=None, **params):
    """PettingZoo ParallelEnv of game at a population: agents=N for a game of
    one agent type, or population="adversaries=3,good=1". Other keyword
    arguments are the game's parameters (see games())."""
    return ParallelEnv(game, agents=agents, population=population, render_mode=render_mode, **params)


def vector_env(game, num_envs, population=None, seed=0, agents=None, layout=None, workers=0, **params):
    """EnvPool-style batch of num_envs copies: population is one population
    for all copies or a list of one per copy. See VectorEnv."""
    return VectorEnv(game, num_envs, population=population, agents=agents, seed=seed, layout=layout, workers=workers, **params)
