"""Issue 25 item 5: the natural rule's E_θ[T] per update, and the theorist's compare case.

    python benchmarks/bench_natural.py [--part et|runs|compare|case|all] [--runs N]

**E_θ[T] per update.** The natural rule needs E_θ[T] = τ(λ), (I − M_π) τ = 1 on the interior
states, at every update. Timed in one process, on the same policies: the old route (dense
Gaussian elimination, ``pgweyl.sim.kernels._mean_exit_time`` as it was, copied here as
``_dense``) against the new one (:mod:`pgweyl.sim.natural`: a sparse elimination on an
order fixed once per graph, subtraction-free), per call, on corridors and triangles of
several sizes, at 200 policies around the uniform one and near a vertex.

**Natural runs per update.** Whole natural-rule runs on one thread (``reinforce``), the
dense route against the new one (both with the one-update memo), vanilla through the
same kernel as the floor.

**The compare case.** ``pw.compare("triangle", RULES, lrs=[0.5, 1, 2], n_runs=3000)`` with
the defaults of :class:`pgweyl.RunSettings` (200 000 updates, ε = σ(−8), method "auto": Monte
Carlo, and the θ-chain solver where it applies), the five rules below; each rule is timed
as its own ``compare`` call (so the per-rule times add up to the case, plus the repeated
``local_maxima``), wall and CPU time. ``--part case`` times the case as the theorist
calls it: one ``compare`` call with all five rules (whose chain solves then run beside
the Monte Carlo of every cell, not only of their own rule). For the version before, run
this file with ``PYTHONPATH`` set to a checkout of it (``git archive REV | tar -x -C DIR``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

RULES = [
    "vanilla",
    "natural",
    "entropy:tau=0.01",
    "vanilla:baseline=mean",
    "vanilla:schedule=decay",
]
LRS = [0.5, 1.0, 2.0]
N_RUNS = 3000


ET_CASES = [
    ("corridor", {"level": 8}),
    ("corridor", {"level": 64}),
    ("corridor", {"level": 256}),
    ("corridor", {"level": 400}),
    ("triangle", {"level": 6}),
    ("triangle", {"level": 12}),
    ("triangle", {"level": 24}),
    ("triangle", {"level": 30}),
]


def _loops():
    """Numba loops calling each route over a stack of policies (no dispatch per call)."""
    from numba import njit

    from pgweyl.sim.natural import dense_mean_exit_time, mean_exit_time

    @njit
    def new_loop(graph, probs, work, reps):
        acc = 0.0
        for _ in range(reps):
            for i in range(probs.shape[0]):
                acc += mean_exit_time(graph, probs[i], work)
        return acc

    @njit
    def dense_loop(graph, probs, work, reps):
        acc = 0.0
        for _ in range(reps):
            for i in range(probs.shape[0]):
                acc += dense_mean_exit_time(graph, probs[i], work)
        return acc

    return new_loop, dense_loop


def _per_call(loop, graph, probs, work, budget: float = 0.3) -> float:
    """CPU seconds per call of the route in ``loop`` over the policies ``probs`` (repeated
    until ``budget`` seconds have passed)."""
    loop(graph, probs[:1], work, 1)
    reps, calls, t0 = 1, 0, time.process_time()
    while True:
        loop(graph, probs, work, reps)
        calls += reps * len(probs)
        spent = time.process_time() - t0
        if spent >= budget:
            return spent / calls
        reps *= 2


def bench_et() -> dict:
    """E_θ[T] per call: the dense reference route against the new elimination, and their
    largest relative difference, on the same 200 policies (θ ~ N(0, 3² I): near-uniform
    to near-deterministic)."""
    import pgweyl as pw
    from pgweyl.sim.natural import (
        dense_graph,
        dense_mean_exit_time,
        exit_time_graph,
        exit_time_work,
        mean_exit_time,
    )

    new_loop, dense_loop = _loops()
    out = {}
    print(
        f"{'E_θ[T] per call':28s} {'n':>5s} {'w':>4s} {'dense µs':>10s} {'new µs':>9s} "
        f"{'dense/new':>10s} {'max rel diff':>13s}"
    )
    for name, knobs in ET_CASES:
        env = pw.make_env(name, **knobs)
        rng = np.random.default_rng(0)
        probs = np.array([env.policy(rng.normal(size=env.theta_dim) * 3.0) for _ in range(200)])
        g, gd = exit_time_graph(env), dense_graph(env)
        w, wd = exit_time_work(g), exit_time_work(gd)
        n = g.n_states
        t_new = _per_call(new_loop, g, probs, w)
        t_dense = _per_call(dense_loop, gd, probs[:20] if n > 100 else probs, wd)
        diff = max(
            abs(mean_exit_time(g, p, w) / dense_mean_exit_time(gd, p, wd) - 1.0) for p in probs[:20]
        )
        label = f"{name} level {knobs['level']}"
        print(
            f"{label:28s} {n:5d} {g.width:4d} {1e6 * t_dense:10.2f} {1e6 * t_new:9.3f} "
            f"{t_dense / t_new:10.1f} {diff:13.1e}",
            flush=True,
        )
        out[label] = {
            "n": n,
            "width": g.width,
            "dense_us": round(1e6 * t_dense, 3),
            "new_us": round(1e6 * t_new, 4),
            "ratio": round(t_dense / t_new, 1),
            "max_rel_diff": diff,
        }
    return out


RUN_CASES = [
    # (name, knobs, θ_0, lr, updates): interior starts with a small step (the policy stays
    # off the faces), and the default triangle's frozen vertex (π = (5e−324, 5e−324, 1),
    # where 5–18 % of its natural runs in the compare case spend their budget)
    ("corridor", {"level": 8}, (0.3, -0.3), 0.01, 20_000),
    ("corridor", {"level": 400}, (-0.5, 0.5), 0.002, 2_000),
    ("triangle", {"level": 6}, (0.5, 0.0, -0.5), 0.001, 20_000),
    ("triangle", {"level": 20}, (0.5, 0.0, -0.5), 0.001, 2_000),
    ("triangle", {"level": 6}, (-496.539, -496.539, 248.394), 2.0, 20_000),
]


def bench_runs(n_runs: int = 20) -> dict:
    """ns per update of natural-rule runs on one thread: the dense route (``dense_graph``,
    with the memo) against the new one, and vanilla through the same general kernel
    (``baseline=0``, which keeps it off the lean kernel) as the floor."""
    import importlib

    import numba

    import pgweyl as pw
    from pgweyl.sim.natural import dense_graph

    reinforce_module = importlib.import_module("pgweyl.sim.reinforce")
    numba.set_num_threads(1)
    graph_for = reinforce_module._graph_for
    out = {}
    print(
        f"{'natural run, ns/update':44s} {'vanilla':>8s} {'dense':>9s} {'new':>9s} "
        f"{'dense/new':>10s}"
    )
    for name, knobs, theta0, lr, n_up in RUN_CASES:
        env = pw.make_env(name, **knobs)
        row = {}
        for label, rule, route in (
            ("vanilla", "vanilla:baseline=0", graph_for),
            ("dense", "natural", lambda env, rule: dense_graph(env)),
            ("new", "natural", graph_for),
        ):
            reinforce_module._graph_for = route
            try:
                reinforce_module.reinforce(env, theta0, lr, 2, 2, rule=rule, seed=1)
                t0 = time.process_time()
                reinforce_module.reinforce(env, theta0, lr, n_up, n_runs, rule=rule, seed=1)
                row[label] = 1e9 * (time.process_time() - t0) / (n_up * n_runs)
            finally:
                reinforce_module._graph_for = graph_for
        label = f"{name} level {knobs['level']} θ0 {theta0}"
        print(
            f"{label:44s} {row['vanilla']:8.0f} {row['dense']:9.0f} {row['new']:9.0f} "
            f"{row['dense'] / row['new']:10.1f}",
            flush=True,
        )
        out[label] = {k: round(v, 1) for k, v in row.items()}
    return out


def _warm_up() -> None:
    """Compile the runs' kernels outside the timings."""
    import pgweyl as pw

    pw.compare(
        "triangle",
        ["vanilla", "natural"],
        lrs=[1.0],
        n_runs=8,
        n_updates=100,
        method="mc",
        progress=False,
    )


def bench_compare(n_runs: int, rules=RULES) -> dict:
    import pgweyl as pw

    out = {}
    _warm_up()
    for rule in rules:
        w0, c0 = time.perf_counter(), time.process_time()
        res = pw.compare("triangle", [rule], lrs=LRS, n_runs=n_runs, progress=False)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        out[rule] = {
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "p_mc": [round(float(v), 4) for v in res.p_mc[0]],
            "unresolved": [round(float(v), 4) for v in res.unresolved[0]],
        }
        print(
            f"  {rule:26s} wall {wall:8.1f} s  cpu {cpu:8.1f} s  P(global) "
            f"{out[rule]['p_mc']} unresolved {out[rule]['unresolved']}",
            flush=True,
        )
    out["total_wall_s"] = round(sum(v["wall_s"] for v in out.values()), 1)
    out["total_cpu_s"] = round(sum(v["cpu_s"] for k, v in out.items() if k in rules), 1)
    print(f"  total wall {out['total_wall_s']} s, cpu {out['total_cpu_s']} s", flush=True)
    return out


def bench_case(n_runs: int, rules=RULES) -> dict:
    """The whole case in one ``compare`` call (after the same warm-up as
    :func:`bench_compare`)."""
    import pgweyl as pw

    _warm_up()
    w0, c0 = time.perf_counter(), time.process_time()
    res = pw.compare("triangle", rules, lrs=LRS, n_runs=n_runs, progress=False)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(f"  one call: wall {wall:.1f} s, cpu {cpu:.1f} s", flush=True)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "p_mc": np.round(res.p_mc, 4).tolist(),
        "p_chain": np.round(res.p_chain, 4).tolist(),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("et", "runs", "compare", "case", "all"), default="all")
    ap.add_argument("--runs", type=int, default=N_RUNS)
    ap.add_argument("--rules", default=None, help="comma-separated subset of the rules")
    args = ap.parse_args(argv)
    rules = args.rules.split(";") if args.rules else RULES
    res = {}
    if args.part in ("et", "all"):
        res["et"] = bench_et()
    if args.part in ("runs", "all"):
        res["runs"] = bench_runs()
    if args.part in ("compare", "all"):
        print(f"compare triangle, lrs {LRS}, {args.runs} runs:")
        res["compare"] = bench_compare(args.runs, rules)
    if args.part in ("case", "all"):
        print(f"compare triangle, lrs {LRS}, {args.runs} runs, one call:")
        res["case"] = bench_case(args.runs, rules)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
