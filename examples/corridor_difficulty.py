"""Convergence probability to the treasure against the level on the corridor.

Reproduces THEORY §3 ("exploration difficulty") and the worked example of §7. The
corridor is the A1 alcove 0 < x1 − x2 < level with unit steps; the start is 2 steps from
the trap (wall 1, r = 0.5) and level − 2 steps from the treasure (wall 0, r = 1.0),
γ = 0.95. The treasure is the global maximum at every level shown, yet REINFORCE
(batch 1, no baseline, θ0 = 0, constant step size α) ends there less and less often as
the treasure moves away. Each level is solved twice: by Monte Carlo (N runs, Wilson 95%
interval, unresolved share reported) and by the θ-chain solver on a grid (with its grid
error). At level 8 THEORY §7 gives P(treasure) ≈ 0.371.

Writes OUTDIR/corridor_difficulty.{png,pdf,json}.

    python examples/corridor_difficulty.py OUTDIR [--quick]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import pgweyl as pw
from pgweyl import validate
from pgweyl.cli import Parser, count, real, run_script
from pgweyl.plot import difficulty_figure
from pgweyl.serialize import (
    check_folder_outputs,
    figure_files,
    json_text,
    prepare_folder,
    write_files,
)
from pgweyl.study import difficulty_sweep

QUICK = {"levels": [4, 6, 8, 10, 12], "runs": 1000, "updates": 50_000, "grid": 201}
FULL = {"levels": [4, 6, 8, 10, 12, 14, 16], "runs": 10_000, "updates": 200_000, "grid": 401}
#: The files written into OUTDIR (checked before any work, written together at the end).
OUTPUTS = ("corridor_difficulty.png", "corridor_difficulty.pdf", "corridor_difficulty.json")


def main(argv=None) -> int:
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path, help="folder for the figure and the JSON")
    parser.add_argument("--quick", action="store_true", help="fewer levels and runs (< 60 s)")
    parser.add_argument("--levels", type=count, nargs="+", help="levels to sweep")
    parser.add_argument("--runs", type=count, help="Monte Carlo runs per level")
    parser.add_argument("--updates", type=count, help="update budget per run")
    parser.add_argument(
        "--grid",
        type=count,
        help="chain-solver grid (nodes of the finest grid; refinement adds 2Δ, 4Δ)",
    )
    parser.add_argument("--lr", type=real, default=1.0, help="step size α (default 1.0)")
    parser.add_argument("--seed", type=count, default=0)
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    levels = preset["levels"] if args.levels is None else args.levels
    # Everything is validated before the first computation (the sweep validates its
    # levels, the budgets and the grid itself, and builds every environment first).
    runs = validate.positive_int("--runs", preset["runs"] if args.runs is None else args.runs)
    updates = validate.positive_int(
        "--updates", preset["updates"] if args.updates is None else args.updates
    )
    grid = validate.integer("--grid", preset["grid"] if args.grid is None else args.grid, lo=9)
    # A bad level is refused before the folder is created. The chain solver needs the law
    # of (exit point, exit time) around θ0 = 0 to a tail of 1e-12 at every level: that
    # first-passage table is sized (and refused over the memory budget) here, largest
    # level first, before any long work; a level of 10^5 is refused in a second, not after
    # the local maxima and Monte Carlo runs of the levels before it.
    for level in sorted(levels, reverse=True):
        env = pw.make_env("corridor", level=level)
        env.value_distribution(np.zeros(env.theta_dim))
    prepare_folder(args.outdir)
    check_folder_outputs(args.outdir, OUTPUTS, follow_links=True)

    t0 = time.perf_counter()
    sweep = difficulty_sweep(
        "corridor", levels, lr=args.lr, n_updates=updates, n_runs=runs, seed=args.seed, grid=grid
    )
    elapsed = time.perf_counter() - t0
    env = pw.make_env("corridor", level=levels[0])
    d = int(env.start[0] - env.start[1])  # steps to the trap (wall 1)
    trap_value = env.gamma ** (d - 1) * env.wall_rewards[1]  # G = γ^(T−1) R at T = d

    files = figure_files(difficulty_figure(sweep), args.outdir / "corridor_difficulty")
    png, pdf = files

    rows = []
    for i, level in enumerate(sweep.values.tolist()):
        rows.append(
            {
                "level": level,
                "treasure_value": float(sweep.global_value[i]),
                "n_maxima": int(sweep.n_maxima[i]),
                "p_mc": float(sweep.p_mc[i]),
                "ci_low": float(sweep.ci_low[i]),
                "ci_high": float(sweep.ci_high[i]),
                "unresolved": float(sweep.unresolved[i]),
                "p_chain": float(sweep.p_chain[i]),
                "grid_error": float(sweep.grid_error[i]),
            }
        )
    result = {
        "example": "corridor_difficulty",
        "theory": "THEORY §3, §7",
        "quick": args.quick,
        "settings": {
            "levels": levels,
            "runs": runs,
            "updates": updates,
            "grid": grid,
            "lr": args.lr,
            "seed": args.seed,
        },
        "trap_value": trap_value,
        "rows": rows,
        "sweep": sweep.to_dict(),
        "seconds": elapsed,
        "figures": [str(png), str(pdf)],
    }
    json_path = args.outdir / "corridor_difficulty.json"
    files[json_path] = json_text(result)
    write_files(files)  # all three files or none

    print(f"corridor: P(policy gradient ends at the treasure), α = {args.lr}, θ0 = 0")
    print(f"the trap (always step e2) is worth {trap_value:.4f} at every level")
    print(
        f"{'level':>5}  {'V(treasure)':>11}  {'P Monte Carlo [95% CI]':>26}  "
        f"{'unres.':>6}  {'P chain ± grid err':>20}"
    )
    for r in rows:
        print(
            f"{r['level']:>5}  {r['treasure_value']:>11.4f}  "
            f"{r['p_mc']:>8.4f} [{r['ci_low']:.4f}, {r['ci_high']:.4f}]  "
            f"{r['unresolved']:>6.3f}  {r['p_chain']:>10.4f} ± {r['grid_error']:.1g}"
        )
    print(f"({runs} runs × ≤ {updates} updates per level; {elapsed:.1f} s)")
    print(f"wrote {png}, {pdf}, {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
