"""The value landscape of the triangle: local maxima, certificates, basin shares.

Reproduces THEORY §6 (local maxima in the compactified policy space) and the chain
solver of §7 in two effective dimensions. The triangle is the A2 alcove
x1 > x2 > x3 > x1 − level with unit steps e1, e2, e3, start (2, 1, 0) — one step from
wall 1 (r1 = 0.6) and wall 2 (r2 = 0.3), level − 2 steps from the far wall 0 (r0 = 1) —
and γ = 0.95. The policy π_θ ∝ exp(θ_i) lives on y = (θ1 − θ3, θ2 − θ3).

The script finds every local maximum of V over the closure of the policy family with its
certificate (within-face gradient norm, largest within-face Hessian eigenvalue, largest
first-order gain into a bigger face, largest gain of finite perturbations) and its
deterministic basin share (the α → 0 limit: the fraction of starts θ0 ~ N(0, I) whose
gradient flow dθ/dt = ∇V ends there), then computes the probability that REINFORCE
(α = 1, batch 1, no baseline) from θ0 = 0 ends at each maximum twice: with the θ-chain
solver (degree-2 stencils on grids of spacing Δ, 2Δ, 4Δ; ± its grid error
2|a₀ − a₁| + |a₁ − a₂|/4 plus the leak bound, checked against long Monte Carlo runs) and
by Monte Carlo (Wilson 95% interval).

Writes OUTDIR/triangle_landscape.{png,pdf} (V with gradient streamlines and the maxima;
next to it the chain's absorption probability into the global maximum),
OUTDIR/triangle_alcove.{png,pdf} (the alcove with sample walks at θ = 0) and
OUTDIR/triangle_landscape.json.

    python examples/triangle_landscape.py OUTDIR [--quick]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script that writes files: no window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import pgweyl as pw  # noqa: E402
from pgweyl import validate  # noqa: E402
from pgweyl.budget import require_chain_grid  # noqa: E402
from pgweyl.cli import Parser, count, real, run_script  # noqa: E402
from pgweyl.landscape.maxima import MAX_BASIN_SAMPLES  # noqa: E402
from pgweyl.plot import alcove_figure, basin_figure, landscape_figure  # noqa: E402
from pgweyl.serialize import (
    check_folder_outputs,
    figure_files,
    json_text,
    prepare_folder,
    write_files,
)  # noqa: E402

QUICK = {"samples": 16, "resolution": 41, "grid": 33, "runs": 1000, "updates": 50_000}
FULL = {"samples": 200, "resolution": 101, "grid": 101, "runs": 10_000, "updates": 200_000}


def steps_of(env, support) -> str:
    """The steps of a face, e.g. "{e1}" for "always step e1"."""
    names = [f"e{int(np.flatnonzero(env.steps.vectors[i])[0]) + 1}" for i in support]
    return "{" + ", ".join(names) + "}"


def fmt(x, spec=".2e"):
    return "—" if x is None else format(x, spec)


#: The files written into OUTDIR (checked before any work, written together at the end).
OUTPUTS = (
    "triangle_landscape.png",
    "triangle_landscape.pdf",
    "triangle_landscape.json",
    "triangle_alcove.png",
    "triangle_alcove.pdf",
)


def main(argv=None) -> int:
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path, help="folder for the figures and the JSON")
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer samples")
    parser.add_argument("--level", type=count, default=6, help="alcove level (default 6)")
    parser.add_argument("--samples", type=count, help="starts for the deterministic basins")
    parser.add_argument("--resolution", type=count, help="landscape grid points per axis")
    parser.add_argument(
        "--grid", type=count, help="chain-solver grid per axis (the finest; refinement adds 2Δ, 4Δ)"
    )
    parser.add_argument("--runs", type=count, help="Monte Carlo runs of policy gradient")
    parser.add_argument("--updates", type=count, help="update budget per Monte Carlo run")
    parser.add_argument("--lr", type=real, default=1.0, help="step size α of the chain")
    parser.add_argument("--seed", type=count, default=0)
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL

    def pick(name):
        value = getattr(args, name)
        return preset[name] if value is None else value

    # Validate everything before the first computation, the output folder included.
    samples = validate.positive_int("--samples", pick("samples"), MAX_BASIN_SAMPLES)
    resolution = validate.integer("--resolution", pick("resolution"), lo=2, hi=2000)
    grid = validate.integer("--grid", pick("grid"), lo=9)
    runs = validate.positive_int("--runs", pick("runs"))
    updates = validate.positive_int("--updates", pick("updates"))
    lr = validate.positive_real("--lr", args.lr)
    seed = validate.seed(args.seed)
    env = pw.make_env("triangle", level=args.level)
    require_chain_grid(2, grid)
    prepare_folder(args.outdir)
    check_folder_outputs(args.outdir, OUTPUTS, follow_links=True)

    t0 = time.perf_counter()
    maxima = pw.local_maxima(env, basin_samples=samples, seed=seed)
    chain = pw.chain_absorption(env, lr, grid=grid, maxima=maxima, refine=True)
    theta0 = np.zeros(env.theta_dim)
    p_chain = chain.at(theta0, env)
    chain_err = chain.grid_error(theta0, env)
    p_extra = chain.extrapolated(theta0, env)
    mc = pw.convergence_probabilities(env, theta0, lr, updates, runs, seed=seed, maxima=maxima)

    fig, (ax_v, ax_h) = plt.subplots(1, 2, figsize=(13, 5))
    span = float(chain.axes[0][-1])  # the chain's box, so the two panels align
    landscape_figure(env, maxima=maxima, span=span, resolution=resolution, ax=ax_v)
    best = int(np.argmax([m.value for m in maxima]))
    basin_figure(chain, env=env, index=best, ax=ax_h)
    fig.tight_layout()
    files = figure_files(fig, args.outdir / "triangle_landscape")
    plt.close(fig)
    fig = alcove_figure(env, theta=theta0, n_walks=8, seed=seed)
    files |= figure_files(fig, args.outdir / "triangle_alcove")
    plt.close(fig)
    elapsed = time.perf_counter() - t0

    rows = []
    for j, m in enumerate(maxima):
        c = m.certificate
        rows.append(
            {
                "support": list(m.support),
                "steps": steps_of(env, m.support),
                "policy": m.policy.tolist(),
                "value": m.value,
                "gradient_norm": c.get("gradient_norm"),
                "hessian_max_eig": c.get("hessian_max_eig"),
                "gain_rate": c.get("gain_rate"),
                "perturbation_gain": c.get("perturbation_gain"),
                "basin_share": m.basin_share,
                "basin_ci": m.basin_ci,
                "p_chain_theta0": float(p_chain[j]),
                "chain_grid_error": float(chain_err[j]),
                "p_chain_extrapolated": float(p_extra[j]),
                "p_mc": float(mc.probabilities[j]),
                "ci_low": float(mc.ci_low[j]),
                "ci_high": float(mc.ci_high[j]),
            }
        )
    result = {
        "example": "triangle_landscape",
        "theory": "THEORY §6, §7",
        "quick": args.quick,
        "env": env.to_dict(),
        "settings": {
            "samples": samples,
            "resolution": resolution,
            "grid": grid,
            "runs": runs,
            "updates": updates,
            "lr": lr,
            "seed": seed,
        },
        "maxima": rows,
        "chain": chain.to_dict()
        | {
            "at_theta0": p_chain.tolist(),
            "grid_error": chain_err.tolist(),
            "extrapolated": p_extra.tolist(),
        },
        "monte_carlo": mc.to_dict(),
        "seconds": elapsed,
        "figures": [str(p) for p in files],
    }
    json_path = args.outdir / "triangle_landscape.json"
    files[json_path] = json_text(result)
    write_files(files)  # all five files or none

    print(f"{env!r}")
    print(
        f"{len(maxima)} local maxima (best first); basin shares from {samples} starts "
        "θ0 ~ N(0, I), with Wilson 95% intervals;"
    )
    fine = len(chain.axes[0])
    print(
        f"P = P(policy gradient from θ0 = 0 ends here), α = {lr}: chain on a {fine}×{fine} "
        f"grid ± its grid error, Richardson extrapolation; Monte Carlo with {runs} runs"
    )
    print(
        f"{'steps':<6} {'V':>8} {'|∇V| face':>9} {'gain rate':>10} {'pert. gain':>10} "
        f"{'basin [95% CI]':>19} {'P chain ± err':>16} {'extrap.':>7} "
        f"{'P Monte Carlo [95% CI]':>25}"
    )
    for r in rows:
        print(
            f"{r['steps']:<6} {r['value']:>8.5f} {fmt(r['gradient_norm']):>9} "
            f"{fmt(r['gain_rate']):>10} {fmt(r['perturbation_gain']):>10} "
            f"{fmt(r['basin_share'], '.3f'):>6} [{r['basin_ci'][0]:.2f}, {r['basin_ci'][1]:.2f}] "
            f"{r['p_chain_theta0']:>7.4f} ± {r['chain_grid_error']:.1g} "
            f"{r['p_chain_extrapolated']:>7.4f} "
            f"{r['p_mc']:>7.4f} [{r['ci_low']:.4f}, {r['ci_high']:.4f}]"
        )
    if all(r["hessian_max_eig"] is None for r in rows):
        print("(every maximum is a vertex of the policy simplex: no within-face Hessian)")
    print(f"({elapsed:.1f} s) wrote {', '.join(result['figures'])}, {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
