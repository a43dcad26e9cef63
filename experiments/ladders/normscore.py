#!/usr/bin/env python3
"""Normalised score of each arm of a sweep folder: the mean over evaluation
sizes and seeds of (return − random play's) / (nearest-landmark's − random
play's), from `mrasim eval` reports (results.json) that played the run, random play
and the references on the same evaluation episodes (standard library only).
Its folder layout is ROOT/ALGO/seed-S/eval/results.json, e.g. made by

    mrasim eval --run OUT/resource/ALGO/seed-S --populations "3 6 4 5 9 12 18 36 48" \
        --episodes 100 --br-episodes 0 --out ROOT/ALGO/seed-S/eval
    python3 experiments/ladders/normscore.py ROOT

Used by the rule of experiments/resource-mappo-select.toml.
"""
import glob
import json
import os
import statistics
import sys


def main():
    root = sys.argv[1]
    scores = {}
    for p in sorted(glob.glob(os.path.join(root, "*", "seed-*", "eval", "results.json"))):
        algo = p.split(os.sep)[-4]
        d = json.load(open(p))
        by = {}
        for r in d["results"]:
            by.setdefault(r["population"], {})[r["name"] if r["algo"] not in ("random", "scripted") else r["name"]] = r["returns"][0]["mean"]
        vals = []
        for pop, rs in by.items():
            own = [v for k, v in rs.items() if k not in ("random", "stand-still", "nearest-landmark", "greedy-cover")]
            if not own or "random" not in rs or "nearest-landmark" not in rs:
                continue
            vals.append((own[0] - rs["random"]) / (rs["nearest-landmark"] - rs["random"]))
        scores.setdefault(algo, []).append(statistics.fmean(vals))
    for algo, s in scores.items():
        print(f"{algo:20s} score {statistics.fmean(s):+.4f}  per seed {' '.join(f'{x:+.4f}' for x in s)}  ({len(s)} seeds)")


if __name__ == "__main__":
    main()
