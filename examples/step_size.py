"""Convergence probabilities against the step size α on the corridor.

Reproduces THEORY §5 (policy gradient as a Markov chain on θ) and §7 (convergence
probabilities by Monte Carlo and by the chain solver) for the worked example: the
corridor at level 8 (trap 2 steps away, r = 0.5; treasure 6 steps away, r = 1.0;
γ = 0.95), REINFORCE with batch 1, no baseline, θ0 = 0 and a constant step size α in the
``unit`` parametrization θ ∈ R² (α on θ ∈ R² is the chain of α/2 on the logit
t = (θ1 − θ2)/2 with π(e1) = σ(2t): Euclidean steps depend on the parametrization).

For each α the probability of ending at the treasure is computed by Monte Carlo
(``convergence_probabilities``: Wilson 95% interval and the unresolved share, the
budget of updates growing like 1/α²) and by the θ-chain solver
(``chain_absorption``, refined grid, ± grid error), which also runs alone at smaller α
where Monte Carlo would need millions of updates. As α → 0 the chain follows the
gradient flow dθ/dt = ∇V; its end point from θ0 (``deterministic_basin``) is drawn as
the α → 0 limit. THEORY §7: at α = 1, P(treasure) ≈ 0.371.

Writes OUTDIR/step_size.{png,pdf} (P(treasure) against α; the absorption probability
h(y) of the treasure over y = θ1 − θ2 for each α) and OUTDIR/step_size.json.

    python examples/step_size.py OUTDIR [--quick]
"""

from __future__ import annotations

import argparse
import math
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
from pgweyl.serialize import (
    check_folder_outputs,
    figure_files,
    json_text,
    prepare_folder,
    write_files,
)  # noqa: E402

QUICK = {
    "lrs": [0.5, 1.0, 2.0, 4.0],
    "chain_lrs": [0.125, 0.25],
    "runs": 1000,
    "updates": 20_000,
    "grid": 201,
}
FULL = {
    "lrs": [0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
    "chain_lrs": [1 / 64, 1 / 32, 1 / 16, 1 / 8],
    "runs": 5000,
    "updates": 40_000,
    "grid": 801,
}
MAX_UPDATES = 2_000_000


def alpha_label(v: float) -> str:
    """A step size for a tick: "1/64" for the reciprocal of an integer, else "2", "0.3"."""
    if 0 < v < 1 and float(round(1 / v)) == 1 / v:
        return f"1/{round(1 / v)}"
    return f"{v:g}"


#: The files written into OUTDIR (checked before any work, written together at the end).
OUTPUTS = ("step_size.png", "step_size.pdf", "step_size.json")


def main(argv=None) -> int:
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path, help="folder for the figure and the JSON")
    parser.add_argument("--quick", action="store_true", help="fewer step sizes and runs")
    parser.add_argument("--lr", type=real, nargs="+", help="step sizes α (both methods)")
    parser.add_argument(
        "--chain-lr", type=real, nargs="*", help="further step sizes for the chain solver only"
    )
    parser.add_argument("--level", type=count, default=8, help="corridor level (default 8)")
    parser.add_argument("--runs", type=count, help="Monte Carlo runs per α")
    parser.add_argument(
        "--updates", type=count, help="update budget at α = 1 (scaled by 1/α², capped)"
    )
    parser.add_argument(
        "--grid",
        type=count,
        help="chain-solver grid (nodes of the finest grid; refinement adds 2Δ, 4Δ)",
    )
    parser.add_argument("--seed", type=count, default=0)
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    # Validate everything before the first computation, the output folder included.
    lrs = sorted(validate.positive_real("--lr", v) for v in (args.lr or preset["lrs"]))
    chain_lrs = preset["chain_lrs"] if args.chain_lr is None else args.chain_lr
    chain_lrs = [validate.positive_real("--chain-lr", v) for v in chain_lrs]
    all_lrs = sorted(set(lrs) | set(chain_lrs))
    runs = validate.positive_int("--runs", preset["runs"] if args.runs is None else args.runs)
    base = validate.positive_int(
        "--updates", preset["updates"] if args.updates is None else args.updates
    )
    grid = validate.integer("--grid", preset["grid"] if args.grid is None else args.grid, lo=9)
    validate.seed(args.seed)
    env = pw.make_env("corridor", level=args.level)
    require_chain_grid(1, grid)
    # The chain solver needs the law of (exit point, exit time) around θ0 = 0 to a tail of
    # 1e-12: that first-passage table is sized (and refused over the memory budget) here,
    # before any long work; a corridor of level 10^5 is refused in a second, not after its
    # local maxima and Monte Carlo runs.
    env.value_distribution(np.zeros(env.theta_dim))
    prepare_folder(args.outdir)
    check_folder_outputs(args.outdir, OUTPUTS, follow_links=True)

    t_start = time.perf_counter()
    theta0 = np.zeros(env.theta_dim)
    maxima = pw.local_maxima(env)
    best = int(np.argmax([m.value for m in maxima]))  # the treasure
    flow_end = pw.deterministic_basin(env, theta0, maxima)

    rows, curves = [], []
    nan = float("nan")
    for lr in all_lrs:
        row = {"lr": lr, "n_updates": None, "p_mc": nan, "ci_low": nan, "ci_high": nan}
        row.update(unresolved=nan, mean_stop_update=nan)
        if lr in lrs:
            n_updates = int(min(MAX_UPDATES, math.ceil(base / lr**2)))
            mc = pw.convergence_probabilities(
                env, theta0, lr, n_updates, runs, seed=args.seed, maxima=maxima
            )
            row.update(
                n_updates=n_updates,
                p_mc=float(mc.probabilities[best]),
                ci_low=float(mc.ci_low[best]),
                ci_high=float(mc.ci_high[best]),
                unresolved=mc.unresolved,
                mean_stop_update=mc.mean_stop_update,
            )
        ch = pw.chain_absorption(env, lr, grid=grid, maxima=maxima, refine=True)
        curves.append((lr, ch.axes[0], ch.h[best]))
        rows.append(
            row
            | {
                "p_chain": float(ch.at(theta0, env)[best]),
                "grid_error": float(ch.grid_error(theta0, env)[best]),
                "chain_leak": ch.leak,
            }
        )
    elapsed = time.perf_counter() - t_start

    fig, (ax, ax_h) = plt.subplots(1, 2, figsize=(12, 4.6))
    x = np.array(all_lrs)
    mc_rows = [r for r in rows if r["n_updates"] is not None]
    xm = np.array([r["lr"] for r in mc_rows])
    lo = np.array([r["ci_low"] for r in mc_rows])
    hi = np.array([r["ci_high"] for r in mc_rows])
    p_mc = np.array([r["p_mc"] for r in mc_rows])
    ax.fill_between(xm, lo, hi, color="tab:blue", alpha=0.25, label="Wilson 95% band")
    ax.plot(xm, p_mc, "o-", color="tab:blue", ms=4, label=f"Monte Carlo ({runs} runs)")
    ax.errorbar(
        x,
        [r["p_chain"] for r in rows],
        yerr=[r["grid_error"] for r in rows],
        fmt="s",
        mfc="none",
        color="tab:red",
        capsize=3,
        label="chain solver (± grid error)",
    )
    ax.plot(
        xm, [r["unresolved"] for r in mc_rows], "v:", color="0.5", ms=4, label="unresolved (MC)"
    )
    ax.axhline(
        1.0 if flow_end == best else 0.0,
        ls="--",
        color="k",
        lw=1,
        label="α → 0: gradient flow from θ0",
    )
    ax.set_xscale("log", base=2)
    ax.set_xticks(x, [alpha_label(v) for v in x], rotation=45, ha="right", rotation_mode="anchor")
    ax.minorticks_off()
    ax.set_xlabel("step size α")
    ax.set_ylabel("P(ends at the treasure)")
    ax.set_ylim(-0.02, 1.05)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(f"corridor level {args.level}, θ0 = 0, batch 1", fontsize=10)
    cmap = plt.get_cmap("viridis")
    for k, (lr, y, h) in enumerate(curves):
        color = cmap(k / max(1, len(curves) - 1))
        ax_h.plot(y, h, color=color, lw=1.4, label=f"α = {alpha_label(lr)}")
    ax_h.axvline(0.0, color="0.6", lw=0.8, ls=":")
    ax_h.set_xlabel("y = θ1 − θ2 at the start")
    ax_h.set_ylabel("h(y) = P(ends at the treasure)")
    ax_h.legend(fontsize=8)
    ax_h.set_title("absorption probability of the θ-chain", fontsize=10)
    fig.tight_layout()
    files = figure_files(fig, args.outdir / "step_size")
    plt.close(fig)

    result = {
        "example": "step_size",
        "theory": "THEORY §5, §7",
        "quick": args.quick,
        "env": env.to_dict(),
        "settings": {
            "lrs": lrs,
            "chain_lrs": chain_lrs,
            "runs": runs,
            "updates_at_lr_1": base,
            "grid": grid,
            "seed": args.seed,
        },
        "treasure": {"support": list(maxima[best].support), "value": maxima[best].value},
        "gradient_flow_limit": {"ends_at_treasure": flow_end == best, "maximum_index": flow_end},
        "rows": rows,
        "seconds": elapsed,
        "figures": [str(p) for p in files],
    }
    json_path = args.outdir / "step_size.json"
    files[json_path] = json_text(result)
    write_files(files)  # all three files or none

    print(f"corridor level {args.level}: P(policy gradient ends at the treasure) against α")
    print(
        f"{'α':>6} {'updates':>8} {'P Monte Carlo [95% CI]':>26} {'unres.':>7} "
        f"{'P chain ± grid err':>20}"
    )
    for r in rows:
        if r["n_updates"] is None:
            mc_text = f"{'—':>8} {'(chain only)':>26} {'—':>7}"
        else:
            mc_text = (
                f"{r['n_updates']:>8} {r['p_mc']:>8.4f} "
                f"[{r['ci_low']:.4f}, {r['ci_high']:.4f}] {r['unresolved']:>7.3f}"
            )
        print(f"{r['lr']:>6g} {mc_text} {r['p_chain']:>10.4f} ± {r['grid_error']:.1g}")
    where = "the treasure" if flow_end == best else f"maximum {flow_end}"
    print(f"α → 0: the gradient flow from θ0 = 0 ends at {where}")
    print(f"({elapsed:.1f} s) wrote {', '.join(result['figures'])}, {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
