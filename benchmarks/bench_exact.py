"""Timings of the exact layer (issue targets in brackets).

- F table for triangle level 30 up to tail 1e-12 at uniform θ        [< 5 s]
- value_distribution at a new θ after that                           [< 20 ms]
- value_grad at a new θ                                              [< 30 ms]
- the tilt of the table against the policy-weighted transfer matrix (the independent
  per-θ route), as a ratio measured in the same process.
"""

from __future__ import annotations

import time

import numpy as np

import pgweyl as pw


def _median_time(fn, thetas) -> float:
    times = []
    for th in thetas:
        t0 = time.perf_counter()
        fn(th)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def bench_exact(quick: bool) -> dict:
    env = pw.make_env("triangle", level=30)
    t0 = time.perf_counter()
    dist = env.value_distribution(np.zeros(3), tol=1e-12)
    t_table = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    thetas = [rng.normal(size=3) for _ in range(5 if quick else 20)]
    t_dist = _median_time(env.value_distribution, thetas)
    t_grad = _median_time(env.value_grad, thetas)
    t_transfer = _median_time(lambda th: env.solver.tilted.run(env.policy(th), None, 1e-12), thetas)
    rows = [
        ("F table, triangle level 30, tail 1e-12", t_table, f"{dist.n_max} rows, target < 5 s"),
        ("value_distribution at a new theta", t_dist, "target < 0.020 s"),
        ("value_grad at a new theta", t_grad, "target < 0.030 s"),
        (
            "weighted transfer at a new theta",
            t_transfer,
            f"tilt is {t_transfer / t_dist:.1f}x faster",
        ),
    ]
    print(f"{'exact layer':44s} {'seconds':>9s}  note")
    for label, secs, note in rows:
        print(f"{label:44s} {secs:9.4f}  {note}")
    return {
        "f_table_triangle30_s": round(t_table, 4),
        "value_distribution_s": round(t_dist, 5),
        "value_grad_s": round(t_grad, 5),
        "tilt_vs_transfer": round(t_transfer / t_dist, 2),
    }


def bench_samplers(quick: bool) -> dict:
    """simulate_episodes: the exact sampler (tilted table) against the lattice walk.

    ``exact_vs_walk_sampler`` = walk time / exact time for the same n episodes (> 1: the
    exact sampler is faster), after both are compiled and the table is built."""
    from pgweyl.sim import simulate_episodes

    rows, out = [], {}
    n = 200_000 if quick else 2_000_000
    for name, level in (("triangle", 6), ("triangle", 20), ("corridor", 8)):
        env = pw.make_env(name, level=level)
        theta = np.zeros(env.theta_dim)
        for sampler in ("walk", "exact"):
            simulate_episodes(env, theta, 1000, seed=0, sampler=sampler)  # compile, table
        times = {}
        for sampler in ("walk", "exact"):
            t0 = time.perf_counter()
            simulate_episodes(env, theta, n, seed=1, sampler=sampler)
            times[sampler] = time.perf_counter() - t0
        ratio = times["walk"] / times["exact"]
        rows.append((f"{name} level {level}, {n} episodes", times["walk"], times["exact"], ratio))
        if (name, level) == ("triangle", 6):
            out["exact_vs_walk_sampler"] = round(ratio, 3)
        out[f"exact_vs_walk_sampler_{name}{level}"] = round(ratio, 3)
    print(f"{'simulate_episodes':40s} {'walk s':>9s} {'exact s':>9s} {'walk/exact':>11s}")
    for label, a, b, r in rows:
        print(f"{label:40s} {a:9.4f} {b:9.4f} {r:11.2f}")
    return out


if __name__ == "__main__":
    import json

    print(json.dumps({**bench_exact(quick=False), **bench_samplers(quick=False)}))
