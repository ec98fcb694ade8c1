"""Timings of the landscape layer (issue targets in brackets).

- chain solver, corridor (1-D), 2,000 grid points                     [< 10 s]
- chain solver, triangle (2-D, ε = 0.01): 101², 201², 401² without refinement
  [401² ≤ 120 s], and the default call (217², 109², 55²) with its grid error [< 60 s]
- convergence_probabilities, corridor, 1e5 runs × 1e3 updates, 2 cores [< 30 s]
- local_maxima for each catalog family
"""

from __future__ import annotations

import time

import numpy as np

import pgweyl as pw


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def bench_landscape(quick: bool) -> dict:
    out, rows = {}, []
    for name in ("corridor", "triangle", "triangle-signed", "simplex"):
        env = pw.make_env(name)
        maxima, secs = _timed(lambda env=env: pw.local_maxima(env))
        rows.append((f"local_maxima {name} ({len(maxima)} maxima)", secs, ""))
        out[f"local_maxima_{name}_s"] = round(secs, 3)
    corridor = pw.make_env("corridor")
    m1 = pw.local_maxima(corridor, basin_samples=0)
    res, secs = _timed(
        lambda: pw.chain_absorption(
            corridor, 1.0, grid=2000, maxima=m1, refine=False, progress=False
        )
    )
    rows.append(
        (
            "chain 1-D corridor, 2000 points",
            secs,
            f"P(treasure) = {res.at([0.0, 0.0], corridor)[0]:.4f}; target < 10 s",
        )
    )
    out["chain_1d_2000_s"] = round(secs, 3)
    tri = pw.make_env("triangle")
    m2 = pw.local_maxima(tri, basin_samples=0)
    pw.chain_absorption(tri, 1.0, grid=33, eps=0.01, maxima=m2, progress=False)  # compile
    zero = np.zeros(3)
    for grid in (101, 201) if quick else (101, 201, 401):
        res, secs = _timed(
            lambda g=grid: pw.chain_absorption(
                tri, 1.0, grid=g, eps=0.01, maxima=m2, refine=False, progress=False
            )
        )
        lev = res.levels[0]
        rows.append(
            (
                f"chain 2-D triangle, {grid}x{grid}",
                secs,
                f"P(e1) = {res.at(zero)[0]:.4f}; {lev.unknowns} unknowns, {lev.nonzeros} nonzeros,"
                f" {lev.solver} ({lev.iterations} iterations)",
            )
        )
        out[f"chain_2d_{grid}_s"] = round(secs, 3)
    res, secs = _timed(lambda: pw.chain_absorption(tri, 1.0, eps=0.01, maxima=m2, progress=False))
    sizes = "/".join(str(lev.size) for lev in res.levels)
    rows.append(
        (
            f"chain 2-D triangle, default ({sizes})",
            secs,
            f"P(e1) = {res.at(zero)[0]:.4f} ± {res.grid_error(zero)[0]:.4f}; target < 60 s",
        )
    )
    out["chain_2d_default_s"] = round(secs, 3)
    pw.convergence_probabilities(corridor, [0.0, 0.0], 1.0, 10, 10, maxima=m1)  # compile
    runs = 20_000 if quick else 100_000
    res, secs = _timed(
        lambda: pw.convergence_probabilities(
            corridor, [0.0, 0.0], 1.0, 1000, runs, seed=0, maxima=m1, progress=False
        )
    )
    rows.append(
        (
            f"Monte Carlo corridor, {runs} runs x 1000 updates",
            secs,
            f"unresolved {res.unresolved:.3f}; target < 30 s at 1e5 runs",
        )
    )
    out["convergence_mc_s"] = round(secs, 3)
    out["convergence_mc_runs"] = runs
    print(f"{'landscape':50s} {'seconds':>9s}  note")
    for label, s, note in rows:
        print(f"{label:50s} {s:9.3f}  {note}")
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(bench_landscape(quick=False)))
