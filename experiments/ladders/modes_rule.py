#!/usr/bin/env python3
"""Apply the pre-registered decision rule of experiments/resource-modes.toml
to the committed rung records under experiments/ladders/resource-modes/.

    python3 experiments/ladders/modes_rule.py [RECORD_DIR] [--nearest 3=X,6=Y] [--arms ARM:CONTROL,...]

Standard library only. Prints, per rung and arm, the rule's quantities and
the outcome. --arms names the arms the rule judges, each with its one-mode
control (default mra:mra-k1, the ladder's; the held-out fixes grid,
experiments/resource-modes-fixes.toml, judges
corrected:corrected-k1,fix-mi:corrected-k1,fix-temp:corrected-k1,fix-pool:fix-pool-k1). The nearest-landmark script's returns at 3 and 6 agents are the
mean over seeds of the records' reference outcomes (each seed's on that
seed's evaluation episodes), else given with --nearest (mean return per
agent over an episode, as the records' return).
"""
import glob
import json
import math
import os
import statistics
import sys

# Student-t 0.975 quantiles by degrees of freedom.
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}

INSIDE = ["agents=4", "agents=5"]
TRAINED = ["agents=3", "agents=6"]


def tci(xs):
    """Mean and 95% Student-t half-width of xs (None with one value)."""
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, None
    return m, T975[len(xs) - 1] * statistics.stdev(xs) / math.sqrt(len(xs))


def load(root):
    recs = {}
    for p in glob.glob(os.path.join(root, "*", "*", "seed-*", "rung-*.json")):
        with open(p) as f:
            r = json.load(f)
        recs.setdefault(r["rung"], {}).setdefault(r["algo"], {})[r["seed"]] = r
    return recs


def ref_return(rec, name, pop):
    for o in rec.get("references") or []:
        if o["algo"] == name and o["population"] == pop:
            return o["values"].get("return")
    return None


def ret(rec, pop):
    for o in rec["outcomes"]:
        if o["population"] == pop and o["algo"] == rec["algo"]:
            return o["values"].get("return")
    return None


def judge(algos, name, control, nearest):
    """Print the rule's quantities for arm name at one rung; return its outcome."""
    arm = algos.get(name, {})
    seeds = sorted(arm)
    if not seeds:
        print(f"  {name}: no records")
        return None
    # modes on
    on_seeds = []
    for s in seeds:
        r = arm[s]
        mi = r.get("mi_estimate")
        spread_sizes = []
        for pop, d in sorted((r.get("modes") or {}).items()):
            sp = d["spread"]
            if sp.get("ci95") is not None and sp["mean"] > sp["ci95"]:
                spread_sizes.append(pop)
        mx = max(((d["spread"]["mean"], pop) for pop, d in (r.get("modes") or {}).items()), default=(float("nan"), "-"))
        md = r.get("mode_diagnostics") or {}
        if md:
            print(f"  {name} seed {s}: gradient norms over the last log interval: actor loss {md.get('actor_grad', float('nan')):.4g}, MI term on the actor {md.get('mi_grad_actor', float('nan')):.4g}, MI term on the relation net {md.get('mi_grad_relation', float('nan')):.4g}, relation weight decay {md.get('relation_decay', float('nan')):.4g}; heads' attention TV distance {md.get('head_tv', float('nan')):.4f}")
        print(f"  {name} seed {s}: MI {mi:+.4f} nats; largest spread {mx[0]:+.3f} at {mx[1]}; spread beyond its interval at {spread_sizes or 'no size'}")
        if mi is not None and mi > 0.1 and spread_sizes:
            on_seeds.append(s)
    modes_on = len(on_seeds) >= 2
    # transfer shown
    transfer = False
    for pop in INSIDE:
        d_k1 = [ret(arm[s], pop) - ret(algos[control][s], pop) for s in seeds if s in algos.get(control, {})]
        if not d_k1:
            print(f"  {pop}: no {control} records: transfer not judged")
            continue
        m, h = tci(d_k1)
        line = f"  {pop}: {name} − {control} {m:+.3f} ± {h:.3f}" if h is not None else f"  {pop}: {name} − {control} {m:+.3f}"
        below_single = []
        for single in ("single-3", "single-6"):
            ds = [ret(arm[s], pop) - ret(algos[single][s], pop) for s in seeds if s in algos.get(single, {})]
            if not ds:
                continue
            sm, sh = tci(ds)
            line += f"; {name} − {single} {sm:+.3f} ± {sh:.3f}" if sh is not None else f"; {name} − {single} {sm:+.3f}"
            if sh is not None and sm + sh < 0:
                below_single.append(single)
        print(line)
        if h is not None and m - h > 0 and len(below_single) < 2:
            transfer = True
    # fails
    learned = True
    for pop in TRAINED:
        vals = [ret(arm[s], pop) for s in seeds]
        m = statistics.fmean(vals)
        refs = [ref_return(arm[s], "nearest-landmark", pop) for s in seeds]
        n = statistics.fmean(refs) if None not in refs else nearest.get(pop)
        print(f"  {pop}: {name} return {m:.3f}, half of nearest-landmark {n / 2 if n else float('nan'):.3f}")
        if n is None or m < n / 2:
            learned = False
    outcome = "modes on" if modes_on else "transfer shown" if transfer else "fails" if learned else "undecided: not yet learned"
    print(f"  {name}: outcome at this rung: {outcome}")
    return outcome


def main():
    args = sys.argv[1:]
    nearest = {}
    if "--nearest" in args:
        i = args.index("--nearest")
        for kv in args[i + 1].split(","):
            k, v = kv.split("=")
            nearest["agents=" + k] = float(v)
        del args[i:i + 2]
    arms = [("mra", "mra-k1")]
    if "--arms" in args:
        i = args.index("--arms")
        arms = [tuple(a.split(":")) for a in args[i + 1].split(",")]
        del args[i:i + 2]
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "resource-modes")
    recs = load(root)
    decided = {}
    for rung in sorted(recs):
        print(f"== rung {rung} episodes per population")
        for name, control in arms:
            outcome = judge(recs[rung], name, control, nearest)
            # "modes on" or "transfer shown" at any rung overturns an
            # earlier "fails"; "fails" is decided at the first learned rung.
            if outcome in ("modes on", "transfer shown") and (name not in decided or decided[name][1] == "fails"):
                decided[name] = (rung, outcome)
            elif name not in decided and outcome == "fails":
                decided[name] = (rung, outcome)
    for name, _ in arms:
        d = decided.get(name)
        prefix = f"{name}: " if len(arms) > 1 else ""
        print(f"{prefix}decided:", f"{d[1]} at rung {d[0]}" if d else "not yet")


if __name__ == "__main__":
    main()
