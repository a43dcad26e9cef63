#!/usr/bin/env python3
"""Markdown tables of a ladder's committed rung records: per rung, the mean
return per agent of every arm and of the references at every evaluation
population, mean over seeds ± the 95% Student-t half-width across seeds,
and the mode diagnostics of the arms that have them.

    python3 experiments/ladders/tables.py experiments/ladders/resource-modes

Standard library only.
"""
import glob
import json
import math
import os
import statistics
import sys

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
REFS = ["random", "stand-still", "nearest-landmark", "greedy-cover"]


def cell(xs, digits=2):
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    if not xs:
        return "—"
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ± {T975[len(xs) - 1] * statistics.stdev(xs) / math.sqrt(len(xs)):.{digits}f}"


def main():
    root = sys.argv[1]
    recs = {}
    for p in glob.glob(os.path.join(root, "*", "*", "seed-*", "rung-*.json")):
        r = json.load(open(p))
        recs.setdefault(r["rung"], {}).setdefault(r["algo"], {})[r["seed"]] = r
    for algos in recs.values():  # every per-seed list below is in seed order
        for a in algos:
            algos[a] = dict(sorted(algos[a].items()))
    for rung in sorted(recs):
        algos = recs[rung]
        names = list(algos)
        order = ["mra", "mra-k1", "corrected", "corrected-k1", "fix-mi", "fix-temp", "fix-pool", "fix-pool-k1", "single-3", "single-6", "maddpg"]
        names = [n for n in order if n in names] + [n for n in names if n not in order]
        pops = []
        for a in names:
            for rec in algos[a].values():
                for o in rec["outcomes"]:
                    if o["population"] not in pops:
                        pops.append(o["population"])
        pops.sort(key=lambda p: int(p.split("=")[1]))
        any_rec = next(iter(algos[names[0]].values()))
        refs = [n for n in REFS if any(o["algo"] == n for o in any_rec.get("references") or [])]
        print(f"### Rung {rung} episodes per training population\n")
        print("| agents | " + " | ".join(names + refs) + " |")
        print("|---" * (1 + len(names) + len(refs)) + "|")
        for pop in pops:
            row = []
            for a in names:
                row.append(cell([next((o["values"].get("return") for o in rec["outcomes"] if o["population"] == pop), None) for rec in algos[a].values()]))
            for n in refs:
                # each seed's reference on that seed's evaluation episodes (the same in every arm's record)
                row.append(cell([next((o["values"].get("return") for o in rec.get("references") or [] if o["population"] == pop and o["algo"] == n), None) for rec in algos[names[0]].values()]))
            trained = any(o["trained"] for rec in algos[names[0]].values() for o in rec["outcomes"] if o["population"] == pop)
            print(f"| {pop.split('=')[1]}{' (trained)' if trained else ''} | " + " | ".join(row) + " |")
        print()
        for a in names:
            recs_a = algos[a]
            mi = [r.get("mi_estimate") for r in recs_a.values()]
            if all(x is None for x in mi) or not any(r.get("prior_entropy") for r in recs_a.values()):
                continue
            acc = [r.get("classifier_accuracy") for r in recs_a.values()]
            ent = {}
            for r in recs_a.values():
                for k, v in (r.get("prior_entropy") or {}).items():
                    ent.setdefault(k, []).append(v)
            print(f"- **{a}**: MI estimate {cell(mi, 4)} nats (per seed {', '.join(f'{x:+.4f}' for x in mi if x is not None)}); classifier accuracy {cell(acc)}; prior entropy " +
                  ", ".join(f"{k} {cell(v)}" for k, v in sorted(ent.items())) + " nats (a uniform prior over K modes has ln K: 1.79 for K = 6, 0 for K = 1)")
            spreads = {}
            for r in recs_a.values():
                for pop, d in (r.get("modes") or {}).items():
                    sp = d.get("spread") or {}
                    if sp.get("mean") is not None:
                        spreads.setdefault(pop, []).append((sp["mean"], sp.get("ci95")))
            if spreads:
                print("  mode spread (best − worst one-hot mode, per seed with its 95% half-width over episodes): " + "; ".join(
                    f"{pop.split('=')[1]}: " + ", ".join(f"{m:+.2f} ± {h:.2f}" if h is not None else f"{m:+.2f}" for m, h in v)
                    for pop, v in sorted(spreads.items(), key=lambda kv: int(kv[0].split('=')[1]))))
            md = [r.get("mode_diagnostics") for r in recs_a.values() if r.get("mode_diagnostics")]
            if md:
                keys = ["actor_grad", "mi_grad_actor", "mi_grad_relation", "relation_decay", "head_tv"]
                print("  training's last log interval: " + "; ".join(f"{k} {cell([m.get(k) for m in md], 4)}" for k in keys))
        print()


if __name__ == "__main__":
    main()
