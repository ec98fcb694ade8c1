"""Side-by-side timings for pgweyl (not part of the test run).

    python benchmarks/run.py [--quick]

Prints a table, then as its last line one JSON object with the measured figures.
Every comparison is a ratio of two timings taken in this same run (the C walk of
bench_sim.py is compiled now and times itself in a subprocess).
"""

from __future__ import annotations

import argparse
import functools
import json
import time

from bench_events import bench_events
from bench_exact import bench_exact, bench_peer, bench_samplers
from bench_landscape import bench_landscape
from bench_sim import bench_convergence, bench_reinforce, bench_walk
from bench_speed import bench_speed

import pgweyl as pw


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_counts(quick: bool) -> dict:
    """count_paths over all endpoints: reflection route against the transfer route."""
    cases = [
        ("A2", 12, "unit", (2, 1, 0), 60),
        ("B2", 12, "signed", (2, 1), 40),
        ("D4", 10, "signed", (3, 2, 1, 0), 12),
    ]
    if not quick:
        cases += [("A3", 12, "unit", (3, 2, 1, 0), 40), ("C3", 14, "signed", (3, 2, 1), 30)]
    rows, out = [], {}
    for name, level, kind, start, n in cases:
        A, S = pw.Alcove(name, level), pw.StepSet(kind, name)
        run = functools.partial(pw.count_paths, A, S, start, None, n)
        run()  # warm caches (Weyl group, factorials)
        t_ref = _best_of(run, 1 if quick else 3)
        t_tr = _best_of(functools.partial(run, method="transfer"), 1 if quick else 3)
        rows.append((f"{name} level {level} {kind} n={n}", t_ref, t_tr))
        out[f"count_paths_{name}_l{level}_n{n}_reflection_s"] = round(t_ref, 5)
        out[f"count_paths_{name}_l{level}_n{n}_transfer_s"] = round(t_tr, 5)
    print(
        f"{'count_paths, all endpoints':40s} {'reflection s':>13s} {'transfer s':>11s} "
        f"{'refl/transfer':>14s}"
    )
    for label, a, b in rows:
        print(f"{label:40s} {a:13.4f} {b:11.4f} {a / b:14.2f}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases and repeats")
    args = parser.parse_args()
    results = {}
    results.update(bench_counts(args.quick))
    results.update(bench_walk(args.quick))
    results.update(bench_reinforce(args.quick))
    results.update(bench_convergence(args.quick))
    results.update(bench_events(args.quick))
    results.update(bench_peer(args.quick))
    results.update(bench_exact(args.quick))
    results.update(bench_samplers(args.quick))
    results.update(bench_landscape(args.quick))
    results.update(bench_speed(rounds=1 if args.quick else 3))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
