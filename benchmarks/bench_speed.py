"""Issue 25's figures, each measured against its peer in the same process: REINFORCE
against its random-number bound, certified γ = 1 against a float64 sparse solve, one-θ
calls against each other under the default thread count.

    python benchmarks/bench_speed.py [--before DIR] [--rounds 3]

``--before DIR``: a checkout of an earlier version (e.g. ``git archive REV | tar -x -C
DIR``); every figure is also measured for it, in its own process, alternating with this
version round by round so both see the same load; the ratio after / before is the figure
to quote. Timings are CPU time of the calling thread (the machine is shared; CPU time is
less disturbed by other work than wall time) except where threads are the point.

**REINFORCE update.** The worked example: ``pw.make_env("corridor")``, θ_0 = 0, α = 1,
batch 1, the two vertex maxima as targets at ε = σ(−8) (what ``convergence_probabilities``
runs), 300 runs of up to 10⁵ updates on one thread.

- ``ns/update``: the kernel's time divided by the updates the runs made.
- RNG bound: a minimal Numba loop that draws exactly the uniforms the runs drew (it
  steps each run's xoshiro256** stream from its seed state to the state the kernel left
  in ``states``, converting every output to a double); its time per update is the cost
  of the random numbers alone, the floor of any sampler of these walks.

**REINFORCE against the NumPy peer.** ``convergence_probabilities`` on the worked example
(1 thread, ``--peer-runs`` runs of up to 10⁵ updates, maxima given) against
``peer_numpy_mc.numpy_convergence`` (vectorised NumPy, written independently) on the same
runs and updates in the same process: the ratio of their CPU times (process time).

**Certified γ = 1.** ``env.value_and_grad`` (the ``auto`` route: the linear solve with
its bound) against ``peer_sparse.SparsePeer`` (float64 ``splu`` + adjoint, no bound) on
the corridor of level 10⁴ at γ = 1, 10 θ ~ N(0, ¼ I): the ratio of median times per θ.

**One θ.** ``value_distribution``, ``value`` and ``value_grad`` at one θ on the triangle
of level 40 with the table built, under the default Numba thread count (wall time: the
threads are the point), median over 20 θ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
N_RUNS, N_UPDATES, SEED = 300, 100_000, 1
PEER_RUNS = 1000  # --peer-runs


def _worker_update(rng_bound: bool) -> dict:
    import importlib

    import numba
    from numba import njit

    import pgweyl as pw
    from pgweyl.sim import kernels

    rmod = importlib.import_module("pgweyl.sim.reinforce")
    numba.set_num_threads(1)
    env = pw.make_env("corridor")
    targets = np.array([[1.0, 0.0], [0.0, 1.0]])  # its two vertex maxima
    grabbed = {}

    def grab(kernel, n_rows, *args, threads=None):
        grabbed["kernel"], grabbed["args"] = kernel, args

    real = rmod.run_rows
    rmod.run_rows = grab
    try:
        rmod.reinforce(
            env,
            [0.0, 0.0],
            1.0,
            N_UPDATES,
            N_RUNS,
            seed=SEED,
            targets=targets,
            eps=pw.config.DEFAULT_EPS,
        )
    finally:
        rmod.run_rows = real
    kernel, args = grabbed["kernel"], list(grabbed["args"])
    out0, states0 = args[-1], args[-2].copy()

    def fresh():
        a = list(args)
        a[-2] = states0.copy()
        a[-1] = type(out0)(*(np.zeros_like(x) for x in out0))
        return a

    kernel(*fresh(), 0, 2)  # compile or load
    a = fresh()
    t0 = time.thread_time()
    kernel(*a, 0, N_RUNS)
    dt = time.thread_time() - t0
    stopped = a[-1].stopped_at
    updates = int(np.where(stopped >= 0, stopped, N_UPDATES).sum())
    res = {"ns_per_update": dt / updates * 1e9, "updates": updates}
    if rng_bound:

        @njit(nogil=True)
        def draws(s0, s1):
            n, acc = 0, 0.0
            for r in range(s0.shape[0]):
                st = s0[r].copy()
                while not (
                    st[0] == s1[r, 0]
                    and st[1] == s1[r, 1]
                    and st[2] == s1[r, 2]
                    and st[3] == s1[r, 3]
                ):
                    acc += kernels._uniform(st)
                    n += 1
            return n, acc

        draws(states0[:1], states0[:1])
        t0 = time.thread_time()
        n, _ = draws(states0, a[-2])
        dt = time.thread_time() - t0
        res["draws_per_update"] = n / updates
        res["rng_ns_per_update"] = dt / updates * 1e9
    return res


def _worker_peer() -> dict:
    sys.path.insert(0, HERE)
    import numba
    from peer_numpy_mc import numpy_convergence

    import pgweyl as pw

    numba.set_num_threads(1)
    env = pw.make_env("corridor")
    mx = pw.local_maxima(env, basin_samples=0)
    eps = pw.config.DEFAULT_EPS

    def ours():
        return pw.convergence_probabilities(
            env, [0.0, 0.0], 1.0, N_UPDATES, PEER_RUNS, maxima=mx, progress=False, seed=SEED
        )

    pw.convergence_probabilities(env, [0.0, 0.0], 1.0, 10, 10, maxima=mx, progress=False)
    t0 = time.process_time()
    ours()
    t1 = time.process_time()
    numpy_convergence(env, mx, [0.0, 0.0], 1.0, N_UPDATES, PEER_RUNS, eps, seed=SEED)
    t2 = time.process_time()
    return {"peer_ours_s": t1 - t0, "peer_s": t2 - t1, "vs_peer": (t1 - t0) / (t2 - t1)}


def _worker_gamma1() -> dict:
    sys.path.insert(0, HERE)
    from peer_sparse import SparsePeer

    import pgweyl as pw

    env = pw.make_env("corridor", level=10_000, gamma=1.0)
    peer = SparsePeer(env)
    rng = np.random.default_rng(0)
    thetas = [0.5 * rng.normal(size=2) for _ in range(10)]
    env.value_and_grad(thetas[0])  # compile, build
    peer.value_grad(thetas[0])
    ours, theirs, bounds = [], [], []
    for th in thetas:
        t0 = time.thread_time()
        res = env.value_and_grad(th)
        t1 = time.thread_time()
        peer.value_grad(th)
        t2 = time.thread_time()
        ours.append(t1 - t0)
        theirs.append(t2 - t1)
        bounds.append(max(res.error_value, res.error_grad))
    return {
        "gamma1_ms": float(np.median(ours)) * 1e3,
        "gamma1_peer_ms": float(np.median(theirs)) * 1e3,
        "gamma1_vs_peer": float(np.median(ours) / np.median(theirs)),
        "gamma1_max_bound": float(max(bounds)),
    }


def _worker_one_theta() -> dict:
    import pgweyl as pw

    env = pw.make_env("triangle", level=40)
    thetas = np.random.default_rng(0).normal(0.0, 0.5, (21, env.theta_dim))
    for f in (env.value_distribution, env.value, env.value_grad):
        f(thetas[0])  # compile, build the table
    out = {}
    for name, f in (
        ("dist", env.value_distribution),
        ("value", env.value),
        ("grad", env.value_grad),
    ):
        ts = []
        for th in thetas[1:]:
            t0 = time.perf_counter()
            f(th)
            ts.append(time.perf_counter() - t0)
        out[f"one_theta_{name}_ms"] = float(np.median(ts)) * 1e3
    out["one_theta_dist_vs_grad"] = out["one_theta_dist_ms"] / out["one_theta_grad_ms"]
    return out


WORKERS = {
    "update": lambda rng: _worker_update(rng),
    "peer": lambda rng: _worker_peer(),
    "gamma1": lambda rng: _worker_gamma1(),
    "one_theta": lambda rng: _worker_one_theta(),
}


def _run_worker(path: str, rng_bound: bool, what: str = "update") -> dict:
    env = {**os.environ, "PYTHONPATH": path}
    cmd = [sys.executable, os.path.join(HERE, "bench_speed.py"), "--worker", what]
    cmd += ["--peer-runs", str(PEER_RUNS)]
    if rng_bound:
        cmd.append("--rng")
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def bench_speed(before: str | None = None, rounds: int = 3, only=None) -> dict:
    """Interleaved rounds of this version (and ``before``); medians and ratios. ``only``:
    the workers to run (default all)."""
    here = os.path.dirname(HERE)
    only = list(WORKERS) if only is None else only
    now = {w: [] for w in WORKERS}
    old = {w: [] for w in WORKERS}
    for _ in range(rounds):
        for what in only:
            if before:
                old[what].append(_run_worker(before, what == "update", what))
            now[what].append(_run_worker(here, what == "update", what))

    def med(rows, key):
        return float(np.median([r[key] for r in rows]))

    def vs_rng(rows):
        return float(np.median([r["ns_per_update"] / r["rng_ns_per_update"] for r in rows]))

    out = {}
    lines = []
    if "update" in only:
        u = now["update"]
        out["update_ns"] = round(med(u, "ns_per_update"), 1)
        out["update_rng_ns"] = round(med(u, "rng_ns_per_update"), 2)
        out["update_draws"] = round(u[-1]["draws_per_update"], 3)
        out["update_vs_rng"] = round(vs_rng(u), 1)
        lines.append(
            f"REINFORCE update (worked example, 1 thread): {out['update_ns']} ns; RNG bound "
            f"{out['update_rng_ns']} ns ({out['update_draws']} draws); "
            f"update / bound = {out['update_vs_rng']}"
        )
        if before:
            out["update_before_ns"] = round(med(old["update"], "ns_per_update"), 1)
            out["update_before_vs_rng"] = round(vs_rng(old["update"]), 1)
            lines.append(
                f"before: {out['update_before_ns']} ns, update / bound = "
                f"{out['update_before_vs_rng']}"
            )
    if "peer" in only:
        pr = now["peer"]
        out["vs_peer"] = round(med(pr, "vs_peer"), 4)
        out["peer_s"] = round(med(pr, "peer_s"), 2)
        line = (
            f"convergence_probabilities / NumPy peer (corridor, {PEER_RUNS} runs, 1 thread, "
            f"CPU): {out['vs_peer']} (peer {out['peer_s']} s)"
        )
        if before:
            out["vs_peer_before"] = round(med(old["peer"], "vs_peer"), 4)
            line += f"; before {out['vs_peer_before']}"
        lines.append(line)
    if "gamma1" in only:
        g = now["gamma1"]
        out["gamma1_ms"] = round(med(g, "gamma1_ms"), 2)
        out["gamma1_vs_peer"] = round(med(g, "gamma1_vs_peer"), 2)
        out["gamma1_max_bound"] = max(r["gamma1_max_bound"] for r in g)
        lines.append(
            f"certified γ = 1, corridor 10^4: {out['gamma1_ms']} ms per θ, "
            f"{out['gamma1_vs_peer']}× the float64 peer; largest bound "
            f"{out['gamma1_max_bound']:.2g}"
        )
    if "one_theta" in only:
        o = now["one_theta"]
        for key in ("dist", "value", "grad"):
            out[f"one_theta_{key}_ms"] = round(med(o, f"one_theta_{key}_ms"), 3)
        out["one_theta_dist_vs_grad"] = round(med(o, "one_theta_dist_vs_grad"), 2)
        lines.append(
            f"one θ, triangle 40, default threads: value_distribution "
            f"{out['one_theta_dist_ms']} ms, value {out['one_theta_value_ms']} ms, value_grad "
            f"{out['one_theta_grad_ms']} ms (dist / grad = {out['one_theta_dist_vs_grad']})"
        )
    if before:
        pairs = [
            ("update", "ns_per_update", "update_vs_before"),
            ("gamma1", "gamma1_ms", "gamma1_vs_before"),
            ("one_theta", "one_theta_dist_ms", "one_theta_dist_vs_before"),
            ("one_theta", "one_theta_grad_ms", "one_theta_grad_vs_before"),
        ]
        said = []
        for what, key, name in pairs:
            if what in only:
                ratios = [a[key] / b[key] for a, b in zip(now[what], old[what])]
                out[name] = round(float(np.median(ratios)), 3)
                said.append(f"{name.replace('_vs_before', '')} {out[name]}")
        if said:
            lines.append("after / before (median over rounds): " + ", ".join(said))
    print("\nissue 25 figures (" + str(rounds) + " interleaved rounds)")
    for line in lines:
        print("  " + line)
    return out


def main() -> None:
    global PEER_RUNS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="a checkout of an earlier version to time alongside")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", help="comma-separated workers: " + ",".join(WORKERS))
    ap.add_argument("--peer-runs", type=int, default=PEER_RUNS)
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--rng", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    PEER_RUNS = args.peer_runs
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.rng)))
        return
    only = args.only.split(",") if args.only else None
    print(json.dumps(bench_speed(args.before, args.rounds, only)))


if __name__ == "__main__":
    main()
