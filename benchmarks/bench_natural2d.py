"""The natural-gradient θ-chain in effective dimension 2 against Monte Carlo (issue 24).

For each case (``triangle``, ``triangle-signed``; θ₀ = 0; lr 0.25, 0.5, 1; ε = 0.01 by
default) the chain (chain/compact.py) runs in a fresh process (its wall time and peak
resident memory are its own), then Monte Carlo under the natural rule with ``--runs``
runs. One JSON line per case on stdout (and appended to ``--out``): P(each maximum),
the chain's bound, 1 − Σ P (stuck), MC ± SE, unresolved share, runs, seconds, peak MiB.

    python benchmarks/bench_natural2d.py --runs 100000 --out natural2d.jsonl
    python benchmarks/bench_natural2d.py --runs 0            # the chain only
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CASES = [(name, lr) for lr in (1.0, 0.5, 0.25) for name in ("triangle", "triangle-signed")]


def chain_case(name: str, lr: float, eps: float, grid: int | None) -> dict:
    import resource

    import numpy as np

    import pgweyl as pw

    env = pw.make_env(name)
    th = np.zeros(env.theta_dim)
    pw.local_maxima(env, basin_samples=0, rule="natural")  # compile and cache outside
    t0 = time.perf_counter()
    res = pw.chain_absorption(env, lr, eps=eps, grid=grid, rule="natural", progress=False)
    seconds = time.perf_counter() - t0
    p = res.at(th)
    return {
        "env": name,
        "lr": lr,
        "eps": eps,
        "grid": int(res.levels[0].size),
        "chain": p.tolist(),
        "bound": res.grid_error(th).tolist(),
        "stuck": float(1.0 - p.sum()),
        "stuck_error": res.stuck_error,
        "chain_seconds": round(seconds, 1),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
    }


def mc_case(name: str, lr: float, eps: float, runs: int, seed: int, updates: int) -> dict:
    import numpy as np

    import pgweyl as pw

    env = pw.make_env(name)
    t0 = time.perf_counter()
    mc = pw.convergence_probabilities(
        env,
        lr=lr,
        n_runs=runs,
        n_updates=updates,
        rule="natural",
        eps=eps,
        seed=seed,
        progress=False,
    )
    p = np.asarray(mc.probabilities)
    return {
        "mc": p.tolist(),
        "mc_se": np.sqrt(p * (1 - p) / runs).tolist(),
        "unresolved": float(mc.unresolved),
        "runs": runs,
        "updates": updates,
        "mc_seconds": round(time.perf_counter() - t0, 1),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--eps", type=float, default=0.01)
    ap.add_argument("--grid", type=int, default=None)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument(
        "--updates",
        type=int,
        default=5000,
        help="update budget per run (natural runs end in tens of updates or are stuck)",
    )
    ap.add_argument("--out", default=None)
    ap.add_argument("--env", default=None, help="only this environment's cases")
    ap.add_argument("--case", nargs=2, metavar=("ENV", "LR"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.case:  # the child: one chain solve
        print(json.dumps(chain_case(a.case[0], float(a.case[1]), a.eps, a.grid)))
        return 0
    for name, lr in CASES:
        if a.env and name != a.env:
            continue
        cmd = [sys.executable, __file__, "--case", name, str(lr), "--eps", str(a.eps)]
        if a.grid:
            cmd += ["--grid", str(a.grid)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        if a.runs > 0:
            row |= mc_case(name, lr, a.eps, a.runs, a.seed, a.updates)
            band = [4 * se + b for se, b in zip(row["mc_se"], row["bound"], strict=True)]
            row["within"] = all(
                abs(m - c) <= w for m, c, w in zip(row["mc"], row["chain"], band, strict=True)
            )
        line = json.dumps(row)
        print(line, flush=True)
        if a.out:
            with open(a.out, "a") as f:
                f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
