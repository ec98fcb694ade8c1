"""Update rules compared on the corridor: vanilla REINFORCE, the natural gradient,
entropy regularisation and a constant baseline.

Reproduces THEORY §5 (one update of policy gradient as a Markov kernel on θ) and §7
(convergence probabilities) for update rules beyond vanilla REINFORCE (``pgweyl.rules``):

- ``vanilla``: θ += α G ∇log π(path) — the mean step is α ∇V;
- ``natural``: θ += α F(θ)⁺ G ∇log π(path), F(θ) = E[T] Cov_π(S) the Fisher information
  of the path law — the mean step is α F⁺ ∇V;
- ``entropy:tau=τ``: θ += α (G ∇log π(path) + τ ∇H(π_θ)) — it ascends J_τ = V + τ H,
  whose maxima are interior (a policy near, not at, V's treasure vertex);
- ``vanilla:baseline=b``: θ += α (G − b) ∇log π(path) — the same mean, another noise.

On the corridor (level 8: trap 2 steps away, r = 0.5; treasure 6 steps away, r = 1.0;
γ = 0.95; θ0 = 0, batch 1) it prints and draws, for each rule and step size α, the
probability that policy gradient ends at the global maximum — by Monte Carlo (Wilson 95%
interval, unresolved share) and by the θ-chain solver where the rule makes θ a Markov
chain the solver takes (± grid error) — and the exact mean step E[Δy] of each rule over
the effective coordinate y = θ1 − θ2 (``pgweyl.expected_update``), beside V(y).

Writes OUTDIR/update_rules.{png,pdf} and OUTDIR/update_rules.json.

    python examples/update_rules.py OUTDIR [--quick]
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
from pgweyl.cli import Parser, count, real, run_script  # noqa: E402
from pgweyl.plot import compare_figure  # noqa: E402
from pgweyl.plot._base import COLORS  # noqa: E402
from pgweyl.serialize import (
    check_folder_outputs,
    figure_files,
    json_text,
    prepare_folder,
    write_files,
)  # noqa: E402

RULES = ["vanilla", "natural", "entropy:tau=0.02", "vanilla:baseline=0.5"]
QUICK = {"lrs": [0.5, 2.0], "runs": 400, "updates": 20_000, "eps": 0.02}
FULL = {"lrs": [0.25, 0.5, 1.0, 2.0], "runs": 4000, "updates": 100_000, "eps": 0.01}
Y_RANGE = 6.0  # the drift panel covers |y| ≤ 6: π(e1) from 6e-6 to 1 − 6e-6
#: The files written into OUTDIR (checked before any work, written together at the end).
OUTPUTS = ("update_rules.png", "update_rules.pdf", "update_rules.json")


def main(argv=None) -> int:
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path, help="folder for the figure and the JSON")
    parser.add_argument("--quick", action="store_true", help="two step sizes, fewer runs")
    parser.add_argument("--rules", nargs="+", help=f"rule specs (default {' '.join(RULES)})")
    parser.add_argument("--lr", type=real, nargs="+", help="step sizes α")
    parser.add_argument("--level", type=count, default=8, help="corridor level (default 8)")
    parser.add_argument("--runs", type=count, help="Monte Carlo runs per rule and α")
    parser.add_argument("--updates", type=count, help="update budget per run")
    parser.add_argument("--eps", type=real, help="absorbing radius in total variation")
    parser.add_argument("--seed", type=count, default=0)
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    # Validate everything before the first computation, the output folder included.
    rules = [pw.parse_rule(r) for r in (args.rules or RULES)]
    lrs = sorted(validate.positive_real("--lr", v) for v in (args.lr or preset["lrs"]))
    runs = validate.positive_int("--runs", preset["runs"] if args.runs is None else args.runs)
    updates = validate.positive_int(
        "--updates", preset["updates"] if args.updates is None else args.updates
    )
    eps = validate.eps(args.eps if args.eps is not None else preset["eps"])
    validate.seed(args.seed)
    spec = f"corridor:level={args.level}"
    env = pw.load_env(spec)
    # The chain solver needs the law of (exit point, exit time) around θ0 = 0 to a tail of
    # 1e-12: that first-passage table is sized (and refused over the memory budget) here,
    # before any long work; a corridor of level 10^5 is refused in a second, not after its
    # local maxima and Monte Carlo runs.
    env.value_distribution(np.zeros(env.theta_dim))
    prepare_folder(args.outdir)
    check_folder_outputs(args.outdir, OUTPUTS, follow_links=True)

    t_start = time.perf_counter()
    res = pw.compare(
        spec,
        rules,
        lrs=lrs,
        n_runs=runs,
        n_updates=updates,
        eps=eps,
        seed=args.seed,
        progress=False,
    )
    # The exact mean step of each rule along y = θ1 − θ2 (the gauge direction carries
    # no information: every rule's mean step is orthogonal to it).
    L = env.effective_map()
    ys = np.linspace(-Y_RANGE, Y_RANGE, 121)
    values = np.array([env.value(env.lift([y])) for y in ys])
    drift, colors = {}, {}
    for i, rule in enumerate(rules):
        if rule.markov():  # a running-mean baseline has no mean step as a function of θ
            steps = [pw.expected_update(env, env.lift([y]), rule, lr=1.0) for y in ys]
            drift[str(rule)] = [float((L @ s)[0]) for s in steps]
            colors[str(rule)] = COLORS[(i + 1) % len(COLORS)]  # as in compare_figure
    grad_y = [float((L @ env.value_grad(env.lift([y])))[0]) for y in ys]
    elapsed = time.perf_counter() - t_start

    fig, (ax, ax_d) = plt.subplots(1, 2, figsize=(12, 4.6))
    compare_figure(res, ax=ax)
    ax.set_title(f"corridor level {args.level}: P(ends at the global maximum)", fontsize=10)
    for name, d in drift.items():
        style = "--" if "baseline" in name else "-"  # same mean as vanilla: drawn over it
        ax_d.plot(ys, d, style, color=colors[name], lw=1.4, label=name)
    ax_d.axhline(0.0, color="0.6", lw=0.8)
    ax_d.set_yscale("symlog", linthresh=1e-3)
    ax_d.set_xlabel("y = θ1 − θ2")
    ax_d.set_ylabel("mean step E[Δy] at α = 1")
    ax_v = ax_d.twinx()
    ax_v.plot(ys, values, color="k", lw=1, ls=":", label="V(y)")
    ax_v.set_ylabel("V(y)")
    lines = ax_d.get_lines()[: len(drift)] + ax_v.get_lines()
    ax_d.legend(lines, [ln.get_label() for ln in lines], fontsize=8, loc="lower right")
    ax_d.set_title("exact mean update of each rule", fontsize=10)
    fig.tight_layout()
    files = figure_files(fig, args.outdir / "update_rules")
    plt.close(fig)

    rows = []
    for i, rule in enumerate(res.rules):
        for j, lr in enumerate(res.x_values):
            rows.append(
                {
                    "rule": rule,
                    "lr": lr,
                    "p_mc": float(res.p_mc[i, j]),
                    "ci_low": float(res.ci_low[i, j]),
                    "ci_high": float(res.ci_high[i, j]),
                    "unresolved": float(res.unresolved[i, j]),
                    "p_chain": float(res.p_chain[i, j]),
                    "grid_error": float(res.grid_error[i, j]),
                    "global_value": float(res.global_value[i, j]),
                    "global_distance": float(res.global_distance[i, j]),
                }
            )
    result = {
        "example": "update_rules",
        "theory": "THEORY §5, §7",
        "quick": args.quick,
        "env": env.to_dict(),
        "settings": {"rules": res.rules, "lrs": lrs, "runs": runs, "updates": updates}
        | {"eps": eps, "seed": args.seed},
        "rows": rows,
        "drift": {"y": ys.tolist(), "value": values.tolist(), "grad_v": grad_y} | drift,
        "seconds": elapsed,
        "figures": [str(p) for p in files],
    }
    json_path = args.outdir / "update_rules.json"
    files[json_path] = json_text(result)
    write_files(files)  # all three files or none

    print("\n".join(res.table()))
    print(f"({elapsed:.1f} s) wrote {', '.join(result['figures'])}, {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
