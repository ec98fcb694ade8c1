"""Nanoseconds per REINFORCE update on the worked example, against its random-number bound.

    python benchmarks/bench_update.py [--before DIR] [--rounds 3]

The worked example: ``pw.make_env("corridor")``, θ_0 = 0, α = 1, batch 1, the two
vertex maxima as targets at ε = σ(−8) (what ``convergence_probabilities`` runs), 300 runs
of up to 10⁵ updates on one thread, timed as CPU time of the calling thread (the machine
is shared; CPU time is less disturbed by other work than wall time).

- ``ns/update``: the kernel's time divided by the updates the runs made.
- RNG bound: a minimal Numba loop that draws exactly the uniforms the runs drew (it
  steps each run's xoshiro256** stream from its seed state to the state the kernel left
  in ``states``, converting every output to a double); its time per update is the cost
  of the random numbers alone, the floor of any sampler of these walks.
- ``--before DIR``: a checkout of an earlier version (e.g. ``git archive REV | tar -x -C
  DIR``); it is timed in its own process, alternating with this version round by round,
  so both see the same load; the ratio after / before is the figure to quote.
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


def _worker(rng_bound: bool) -> dict:
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


def _run_worker(path: str, rng_bound: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": path}
    cmd = [sys.executable, os.path.join(HERE, "bench_update.py"), "--worker"]
    if rng_bound:
        cmd.append("--rng")
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def bench_update(before: str | None = None, rounds: int = 3) -> dict:
    """Interleaved rounds of this version (and ``before``); medians and ratios."""
    here = os.path.dirname(HERE)
    now, old, rng = [], [], []
    for _ in range(rounds):
        if before:
            old.append(_run_worker(before, False)["ns_per_update"])
        r = _run_worker(here, True)
        now.append(r["ns_per_update"])
        rng.append(r["rng_ns_per_update"])
        draws = r["draws_per_update"]
    out = {
        "update_ns": round(float(np.median(now)), 1),
        "update_rng_ns": round(float(np.median(rng)), 2),
        "update_draws": round(draws, 3),
        "update_vs_rng": round(float(np.median(np.array(now) / np.array(rng))), 1),
    }
    print(f"\n{'REINFORCE update, worked example, 1 thread':44s} {'ns/update (rounds)':>30s}")
    print(f"{'this version':44s} {' '.join(f'{v:6.1f}' for v in now):>30s}")
    if before:
        print(f"{'before (' + before + ')':44s} {' '.join(f'{v:6.1f}' for v in old):>30s}")
        ratio = float(np.median(np.array(now) / np.array(old)))
        out["update_vs_before"] = round(ratio, 3)
        out["update_before_ns"] = round(float(np.median(old)), 1)
        print(f"  after / before (median of rounds): {ratio:.3f}")
    print(
        f"  RNG bound: {draws:.2f} draws per update, {out['update_rng_ns']:.2f} ns; "
        f"update / RNG bound = {out['update_vs_rng']:.1f}"
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="a checkout of an earlier version to time alongside")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--rng", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.rng)))
        return
    print(json.dumps(bench_update(args.before, args.rounds)))


if __name__ == "__main__":
    main()
