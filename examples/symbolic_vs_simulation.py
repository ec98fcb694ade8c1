"""The closed form of V on the corridor, checked against numerics and simulation.

Reproduces THEORY §4: V(θ) from the generating functions Φ_b(z) of the first-passage
counts (a sympy expression in θ; printed as LaTeX and, with p = π_θ(e1) = σ(θ1 − θ2), as
a rational function of p), the numeric V from the tilted log table, and a Monte Carlo
estimate from simulated walks (``simulate_episodes``). For each θ the table gives the
closed form, the numeric value, their difference, the Monte Carlo mean return with its
standard error SE = σ(G)/√n — σ from the exact value distribution, not the sample, so a
rare return never seen does not make SE vanish — and the z-score (mean − V)/SE. It also
draws the value distribution of §4 — P(T = n, exit on wall j) — against the simulated exit times.

The closed form is compared with the numeric V within the error of both sides: the
closed form is enclosed in interval arithmetic (``certified_value``, radius r) with γ and
the rewards at the exact values of the floats the numerics use, the numeric V carries its
guaranteed bound e (``tol`` = NUMERIC_TOL); they disagree only when |closed − numeric| >
r + e. The rational form in p is held, the same way, against the printed closed form
(both with γ and the rewards read as decimals). Float evaluation of
the same closed form loses 6–8 digits at level 30–40, so it is used for the figure only.
Exit code 1 on such a disagreement or when a |z| exceeds 4 (by chance with probability
< 1e-4 per θ), 0 otherwise.

Writes OUTDIR/symbolic_vs_simulation.{png,pdf} (V along y = θ1 − θ2: closed form,
numeric points and Monte Carlo error bars), OUTDIR/value_distribution.{png,pdf},
OUTDIR/symbolic_value.tex and OUTDIR/symbolic_vs_simulation.json.

    python examples/symbolic_vs_simulation.py OUTDIR [--quick]
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
import sympy  # noqa: E402

import pgweyl as pw  # noqa: E402
from pgweyl import validate  # noqa: E402
from pgweyl.cli import Parser, count, real, run_script  # noqa: E402
from pgweyl.exact import value_function, value_latex  # noqa: E402
from pgweyl.exact.closed_forms import policy_probabilities  # noqa: E402
from pgweyl.exact.symbolic import certified_value, theta_symbols  # noqa: E402
from pgweyl.plot import value_distribution_figure  # noqa: E402
from pgweyl.serialize import (
    check_folder_outputs,
    figure_files,
    json_text,
    prepare_folder,
    write_files,
)  # noqa: E402
from pgweyl.sim.episodes import require_episodes  # noqa: E402
from pgweyl.study.checks import SYMBOLIC_MAX_STATES  # noqa: E402

QUICK = {"episodes": 20_000, "thetas": [-1.0, 0.0, 0.5, 1.5]}
FULL = {"episodes": 1_000_000, "thetas": [-2.0, -1.0, -0.3, 0.0, 0.3, 0.5, 1.0, 1.5, 2.5]}
NUMERIC_TOL = 1e-14  # the guaranteed accuracy asked of the numeric V
Z_MAX = 4.0


def rational_in_p(expr):
    """V as a rational function of p = π(e1) (policy "exp" on A1, unit steps).

    In the gauge Σθ = 0 the expression depends on q = exp((θ1 − θ2)/2) only, and
    q² = p / (1 − p); sympy's cancel/factor (not simplify) put it in lowest terms."""
    t0, t1 = sympy.symbols("theta_0 theta_1", real=True)
    q, p = sympy.symbols("q p", positive=True)
    in_q = sympy.cancel(
        sympy.powsimp(sympy.expand_power_exp(expr.subs({t0: 2 * sympy.log(q), t1: 0})), force=True)
    )
    return sympy.factor(sympy.cancel(in_q.subs(q, sympy.sqrt(p / (1 - p))))), p


def monte_carlo(env, theta, n, seed):
    """Mean return of n simulated walks and its standard error σ/√n, with σ² the exact
    variance of G under the value distribution."""
    points, times = pw.simulate_episodes(env, theta, n, seed=seed)
    uniq, inverse = np.unique(points, axis=0, return_inverse=True)
    reward = np.array([env.reward(b) for b in uniq])[np.ravel(inverse)]
    G = env.returns(reward, times)
    dist = env.value_distribution(theta)
    var = float(dist.probs @ (dist.returns - dist.value) ** 2)
    return float(G.mean()), math.sqrt(var / n)


#: The files written into OUTDIR (checked before any work, written together at the end).
OUTPUTS = (
    "symbolic_value.tex",
    "symbolic_vs_simulation.png",
    "symbolic_vs_simulation.pdf",
    "symbolic_vs_simulation.json",
    "value_distribution.png",
    "value_distribution.pdf",
)


def main(argv=None) -> int:
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path, help="folder for the figures, LaTeX and JSON")
    parser.add_argument("--quick", action="store_true", help="fewer θ and episodes")
    parser.add_argument("--level", type=count, default=8, help="corridor level (default 8)")
    parser.add_argument("--episodes", type=count, help="Monte Carlo episodes per θ")
    parser.add_argument("--y", type=real, nargs="+", help="points y = θ1 − θ2 (θ = (y/2, −y/2))")
    parser.add_argument("--seed", type=count, default=0)
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    # Validate everything before the first computation, the output folder included.
    n = validate.integer(
        "--episodes", preset["episodes"] if args.episodes is None else args.episodes, lo=2
    )
    ys = args.y or preset["thetas"]
    validate.seed(args.seed)
    env = pw.make_env("corridor", level=args.level)
    # sympy's closed form grows with the alcove: it is built only for alcoves as small as
    # those pgweyl check builds it for (a corridor of level 10^5 would never finish).
    if len(env.states) > SYMBOLIC_MAX_STATES:
        raise pw.ArgumentError(
            f"--level {args.level}: the corridor has {len(env.states)} states; the closed "
            f"form is built for at most {SYMBOLIC_MAX_STATES} (level <= "
            f"{SYMBOLIC_MAX_STATES + 1}), as pgweyl check does"
        )
    require_episodes(env, n)  # the walks of one θ are held at once
    prepare_folder(args.outdir)
    check_folder_outputs(args.outdir, OUTPUTS, follow_links=True)

    t_start = time.perf_counter()
    expr = env.symbolic_value()  # γ and rewards read as decimals: the printed form
    # the same closed form at the floats' exact binary values: what the numerics solve
    expr_binary = env.symbolic_value(binary=True)
    latex = value_latex(env, expr)
    closed = value_function(env, expr)  # float: for the figure only
    v_of_p, p = rational_in_p(expr)
    # the rational form with p = π_θ(e1) written in θ again, so it is enclosed exactly too
    p_of_theta = policy_probabilities(env, theta_symbols(env))[0]
    v_of_p_theta = v_of_p.xreplace({p: p_of_theta})

    rows = []
    for k, y in enumerate(ys):
        theta = np.array([y / 2, -y / 2])
        v_sym, r_sym = certified_value(expr, theta)
        v_bin, r_bin = certified_value(expr_binary, theta)
        v_rat, r_rat = certified_value(v_of_p_theta, theta)
        num = env.value_and_grad(theta, tol=NUMERIC_TOL)
        v_num = num.value
        mean, se = monte_carlo(env, theta, n, args.seed + k)
        z = (mean - v_num) / se if se > 0 else (0.0 if mean == v_num else math.inf)
        pi_up = float(env.policy(theta)[0])
        rows.append(
            {
                "y": y,
                "theta": theta.tolist(),
                "p": pi_up,
                "v_symbolic": v_sym,
                "v_rational_in_p": v_rat,
                "v_numeric": v_num,
                # closed form (binary model) against the numerics
                "abs_difference": abs(v_bin - v_num),
                "tolerance": r_bin + num.error_value,
                # the rational form in p against the closed form (decimal model, both)
                "abs_difference_rational": abs(v_rat - v_sym),
                "tolerance_rational": r_rat + r_sym,
                "mc_mean": mean,
                "mc_se": se,
                "z": z,
            }
        )
    agree = all(
        r["abs_difference"] <= r["tolerance"]
        and r["abs_difference_rational"] <= r["tolerance_rational"]
        and abs(r["z"]) <= Z_MAX
        for r in rows
    )

    files = {
        args.outdir / "symbolic_value.tex": (
            "% sympy's theta_0, theta_1 are the coordinates θ1, θ2 of the figures\n"
            f"V(\\theta) = {latex}\n\n% with p = \\pi_\\theta(e_1):\nV = {sympy.latex(v_of_p)}\n"
        )
    }
    fig, ax = plt.subplots(figsize=(7, 4.5))
    grid = np.linspace(min(ys) - 1.0, max(ys) + 1.0, 201)
    ax.plot(grid, [closed([g / 2, -g / 2]) for g in grid], color="k", lw=1.5, label="closed form")
    ax.plot(ys, [r["v_numeric"] for r in rows], "o", mfc="none", ms=9, label="numeric V")
    ax.errorbar(
        ys,
        [r["mc_mean"] for r in rows],
        yerr=[2 * r["mc_se"] for r in rows],
        fmt="x",
        color="tab:red",
        capsize=3,
        label=f"Monte Carlo mean return ± 2 SE ({n} episodes)",
    )
    ax.set_xlabel("y = θ1 − θ2  (p = π(e1) = σ(y))")
    ax.set_ylabel("V")
    ax.set_title(f"corridor level {args.level}: V in closed form, numerically, simulated")
    ax.legend(fontsize=8)
    value_files = figure_files(fig, args.outdir / "symbolic_vs_simulation")
    plt.close(fig)
    y_fig = ys[len(ys) // 2]
    fig = value_distribution_figure(env, [y_fig / 2, -y_fig / 2], n_episodes=n, seed=args.seed)
    dist_files = figure_files(fig, args.outdir / "value_distribution")
    plt.close(fig)
    files |= value_files | dist_files
    elapsed = time.perf_counter() - t_start

    result = {
        "example": "symbolic_vs_simulation",
        "theory": "THEORY §4",
        "quick": args.quick,
        "env": env.to_dict(),
        "settings": {"episodes": n, "y": ys, "seed": args.seed},
        "symbolic": str(expr),
        "latex": latex,
        "rational_in_p": str(v_of_p),
        "rows": rows,
        "agree": agree,
        "tolerances": {"numeric": NUMERIC_TOL, "z_max": Z_MAX},
        "seconds": elapsed,
        "figures": [str(q) for q in (*value_files, *dist_files)],
    }
    json_path = args.outdir / "symbolic_vs_simulation.json"
    files[json_path] = json_text(result)
    write_files(files)  # all six files or none

    print(f"corridor level {args.level}: V(θ) in closed form ({len(latex)} characters of LaTeX)")
    print(f"with p = π(e1):  V = {v_of_p}")
    print(
        f"{'y=θ1−θ2':>8} {'p':>7} {'closed form':>13} {'numeric':>13} {'|diff|':>8} {'tol':>8} "
        f"{'Monte Carlo':>12} {'SE':>8} {'z':>6}"
    )
    for r in rows:
        print(
            f"{r['y']:>8.2f} {r['p']:>7.4f} {r['v_symbolic']:>13.10f} {r['v_numeric']:>13.10f} "
            f"{r['abs_difference']:>8.1e} {r['tolerance']:>8.1e} {r['mc_mean']:>12.6f} "
            f"{r['mc_se']:>8.1e} {r['z']:>6.2f}"
        )
    verdict = "agree" if agree else "DISAGREE"
    print(f"closed form, numeric V and simulation {verdict} ({elapsed:.1f} s)")
    print(f"wrote {', '.join(result['figures'])}, {json_path}")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(run_script(main))
