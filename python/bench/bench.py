"""Speed of the Python APIs (a benchmark, not a test). Run from the
repository root after building the library:

    /usr/bin/python3 python/bench/bench.py [--repeats 5]

It prints, per game and population, the median over repeats of:
  vector   env-steps/s of vector_env at B copies with random actions made
           in numpy each step (rng.integers), as EnvPool users step it
  go-step  µs of one ctypes call of the library's step on one copy
           (the Go step, the engine's checks and writes, and the call), the
           floor of ParallelEnv.step; a bare ctypes call (mrasim_sub_seed)
           shows what the call itself costs
  parallel µs of one ParallelEnv.step, actions dict to returned dicts
  and where ParallelEnv.step's overhead goes: writing the actions, the
  ctypes call, reading flags and building the five dicts.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mrasim  # noqa: E402


def vector_rate(game, pop, B, seconds):
    venv = mrasim.vector_env(game, num_envs=B, population=pop, seed=1)
    venv.reset()
    rng = np.random.default_rng(0)
    n = venv.num_agents
    for _ in range(20):
        venv.step(rng.integers(0, 5, (B, n)))
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(10):
            venv.step(rng.integers(0, 5, (B, n)))
        steps += 10
    rate = steps * B / (time.perf_counter() - t0)
    venv.close()
    return rate


def per_call(f, seconds, renew=None):
    """Mean µs per call of f over about seconds; renew() runs (untimed)
    every 100 calls, to reset an episode before its horizon."""
    if renew is not None:
        renew()
    for _ in range(200):
        f()
    n, spent = 0, 0.0
    while spent < seconds:
        if renew is not None:
            renew()
        t0 = time.perf_counter()
        for _ in range(100):
            f()
        spent += time.perf_counter() - t0
        n += 100
    return spent / n * 1e6


def parallel_costs(game, pop, seconds):
    env = mrasim.parallel_env(game, population=pop, max_steps=1000)
    env.reset(seed=1)
    actions = {a: 1 for a in env.agents}
    b = env._b

    def renew():
        if b.t[0] > 600:
            env.reset(seed=int(b.t[0]))
    out = {}
    lib = mrasim._lib.lib()
    out["ctypes"] = per_call(lambda: lib.mrasim_sub_seed(1, 2), seconds)
    out["go-step"] = per_call(b.step, seconds, renew)
    out["parallel"] = per_call(lambda: env.step(actions), seconds, renew)

    before = list(env.agents)
    out["actions"] = per_call(lambda: env._write_actions(before, actions), seconds)
    out["flags"] = per_call(lambda: env._flags(before), seconds)
    out["dicts"] = per_call(env._observe, seconds)
    env.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--copies", type=int, default=1024)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    for game, pop in [("spread", "agents=3"), ("resource", "agents=3"), ("resource", "agents=24")]:
        rates = [vector_rate(game, pop, args.copies, args.seconds) for _ in range(args.repeats)]
        costs = [parallel_costs(game, pop, args.seconds / 2) for _ in range(args.repeats)]
        med = {k: statistics.median(c[k] for c in costs) for k in costs[0]}
        print(f"{game} {pop}: vector B={args.copies} {statistics.median(rates):,.0f} env-steps/s "
              f"(runs {', '.join(f'{r:,.0f}' for r in rates)}); "
              f"go-step {med['go-step']:.2f} µs, ParallelEnv.step {med['parallel']:.2f} µs "
              f"(overhead {med['parallel'] - med['go-step']:.2f} µs: a bare ctypes call {med['ctypes']:.2f}, actions {med['actions']:.2f}, flags and agents {med['flags']:.2f}, "
              f"obs/info dicts {med['dicts']:.2f})")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
