"""Timings of the exact layer (issue targets in brackets).

- V and ∇V against the peer a user would write instead: a scipy.sparse absorbing-chain
  solve with one adjoint solve (``peer_sparse.py``, independent of pgweyl's engine), per θ
  and for 20 θ including each side's setup, as ratios pgweyl / peer     [≤ 0.5, ≤ 1.0]

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


PEER_CASES = [
    ("triangle", {"level": 40}),
    ("corridor", {"level": 100}),
    ("triangle", {"level": 80}),
    ("corridor", {"level": 1000}),
    ("simplex", {"level": 24}),
    ("corridor", {"level": 1000, "gamma": 1.0}),
]


def bench_peer(quick: bool) -> dict:
    """pgweyl's V and ∇V (auto route, bound ≤ 1e-12) against the sparse peer.

    Both are timed in this process on the same 20 θ ~ N(0, 0.25 I); "setup" includes
    building the environment (pgweyl) and the BFS (peer); best of 3 (1 with --quick).
    Every θ's answers are checked to agree within 1e-9."""
    from peer_sparse import SparsePeer

    pw.make_env("triangle").value_and_grad([0.0, 0.0, 0.0])  # compile the kernels
    pw.make_env("triangle").value_and_grad([0.0, 0.0, 0.0], method="linear")
    out, rows = {}, []
    cases = PEER_CASES[:2] if quick else PEER_CASES
    for name, knobs in cases:
        env0 = pw.make_env(name, **knobs)
        rng = np.random.default_rng(0)
        thetas = [0.5 * rng.normal(size=env0.theta_dim) for _ in range(20)]
        best_pg = best_peer = float("inf")
        for _ in range(1 if quick else 3):
            t0 = time.perf_counter()
            env = pw.make_env(name, **knobs)
            for th in thetas:
                env.value_and_grad(th)
            best_pg = min(best_pg, time.perf_counter() - t0)
            t0 = time.perf_counter()
            peer = SparsePeer(env0)
            for th in thetas:
                peer.value_grad(th)
            best_peer = min(best_peer, time.perf_counter() - t0)
        per_pg, per_peer = [], []
        for th in thetas:
            t0 = time.perf_counter()
            res = env.value_and_grad(th)
            per_pg.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            v, g = peer.value_grad(th)
            per_peer.append(time.perf_counter() - t0)
            assert abs(res.value - v) < 1e-9 and np.abs(res.grad - g).max() < 1e-9
        label = name + "".join(f" {k}={v}" for k, v in knobs.items())
        r_theta = float(np.median(per_pg) / np.median(per_peer))
        r_setup = best_pg / best_peer
        rows.append((label, np.median(per_pg), np.median(per_peer), r_theta, r_setup, res.method))
        key = label.replace(" ", "_").replace("=", "")
        out[f"peer_{key}_per_theta"] = round(r_theta, 3)
        out[f"peer_{key}_20theta_setup"] = round(r_setup, 3)
    print(
        f"{'V and grad V vs scipy.sparse peer':36s} {'pgweyl s':>9s} {'peer s':>9s} "
        f"{'per θ':>6s} {'20θ+setup':>9s}  route"
    )
    for label, a, b, r1, r2, m in rows:
        print(f"{label:36s} {a:9.5f} {b:9.5f} {r1:6.2f} {r2:9.2f}  {m}")
    return out


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
