"""A closed form for a policy outside the exponential family, checked against simulation.

On the B2 triangle (``triangle-signed``: x1 > x2 > 0, x1 + x2 < 7, start (2, 1), signed
steps ±e_i) the policy π = (2/5, 1/10, 3/10, 1/5) over (+e1, −e1, +e2, −e2) is not in the
exponential family (π(+e1)π(−e1) = 1/25 ≠ 3/50 = π(+e2)π(−e2)), so the first-passage
table cannot be tilted to it. pgweyl's first-step route still gives its exit law exactly
(docs/closed_forms.md): the exit probabilities, E[T], V at γ = 19/20 and P(T > n) as
rationals, and E[T] and V as rational functions of the step probabilities p_0..p_3
(printed; LaTeX in OUTDIR/closed_form.tex).

The check: a plain NumPy walk (``simulate_episodes`` covers exp/softmax θ only) draws
episodes with the same π. The table compares, per exit point, the exact probability with
the simulated frequency (z-score), and E[T] and the mean return with the exact values
(z = (mean − exact)/SE); a χ² test covers all exit points at once. The figure shows the
exit law and the survival curve P(T > n), exact and simulated.

Exit code 1 when a |z| exceeds 4 or the χ² p-value is below 1e-4 (each by chance with
probability < 1e-4), 0 otherwise.

Writes OUTDIR/closed_form_vs_simulation.{png,pdf,json} and OUTDIR/closed_form.tex.

    python examples/closed_form_vs_simulation.py OUTDIR [--quick]
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
from scipy import stats  # noqa: E402

import pgweyl as pw  # noqa: E402
from pgweyl import budget, validate  # noqa: E402
from pgweyl.cli import Parser, count, run_script  # noqa: E402
from pgweyl.serialize import (  # noqa: E402
    check_folder_outputs,
    figure_files,
    figure_paths,
    json_text,
    prepare_folder,
    write_files,
)

QUICK = {"episodes": 20_000}
FULL = {"episodes": 1_000_000}
PROBS = ["2/5", "1/10", "3/10", "1/5"]
Z_MAX = 4.0
CHI2_MIN_P = 1e-4
#: Peak bytes per episode of :func:`walk`, which advances all n walks together: the
#: positions (2 int64), time, alive flag, the index and step draws of the live walks and
#: the n × 4 wall test: 73 bytes measured (tracemalloc peak, n = 2·10⁵, B2 level 7).
WALK_BYTES_PER_EPISODE = 128


def walk(env, probs, n, seed):
    """Exit points (n×d) and exit times of n walks with step probabilities ``probs``,
    all advanced together until every one has left the open alcove."""
    rng = np.random.default_rng(seed)
    steps = env.steps.vectors
    pos = np.repeat(env.start[None, :], n, axis=0)
    times = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    normals, offsets = env.alcove.inward_normals, env.alcove.inward_offsets
    while alive.any():
        idx = np.flatnonzero(alive)
        pos[idx] += steps[rng.choice(len(steps), size=len(idx), p=probs)]
        times[idx] += 1
        inside = np.all(pos[idx] @ normals.T > offsets, axis=1)
        alive[idx[~inside]] = False
    return pos, times


#: The files written into OUTDIR (checked before any work, written together at the end).
OUTPUTS = (
    "closed_form.tex",
    "closed_form_vs_simulation.png",
    "closed_form_vs_simulation.pdf",
    "closed_form_vs_simulation.json",
)


def main(argv=None) -> int:
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path, help="folder for the figure, LaTeX and JSON")
    parser.add_argument("--quick", action="store_true", help="fewer episodes")
    parser.add_argument("--episodes", type=count, help="simulated episodes")
    parser.add_argument("--seed", type=count, default=0)
    args = parser.parse_args(argv)
    # Validate everything before the first computation, the output folder included.
    preset = QUICK if args.quick else FULL
    n = validate.integer(
        "--episodes", preset["episodes"] if args.episodes is None else args.episodes, lo=2
    )
    validate.seed(args.seed)
    budget.require(
        n * WALK_BYTES_PER_EPISODE,
        f"{n} walks advanced together",
        "use fewer --episodes",
    )
    prepare_folder(args.outdir)
    check_folder_outputs(args.outdir, OUTPUTS, follow_links=True)

    t_start = time.perf_counter()
    env = pw.make_env("triangle-signed")
    probs = [sympy.Rational(p) for p in PROBS]
    # Exact closed forms at π (rationals) and as functions of p_0..p_3.
    exits = pw.exit_probabilities(env, probs)
    mean_t = pw.mean_exit_time(env, probs)
    value = pw.closed_form_value(env, probs)
    n_surv = 12
    surv = [pw.survival(env, k, probs) for k in range(n_surv + 1)]
    mean_t_p = pw.mean_exit_time(env)
    value_p = pw.closed_form_value(env)
    assert mean_t_p.subs(dict(zip(sympy.symbols("p_0:4"), probs))) == mean_t

    pf = np.array([float(p) for p in probs])
    points, times = walk(env, pf, n, args.seed)
    keys = list(exits)
    index = {k: i for i, k in enumerate(keys)}
    hits = np.zeros(len(keys), dtype=np.int64)
    for p in map(tuple, points.tolist()):
        hits[index[p]] += 1
    rewards = np.array([env.reward(b) for b in points])
    returns = env.returns(rewards, times)

    rows = []
    for k, h in zip(keys, hits):
        p = float(exits[k])
        se = math.sqrt(p * (1 - p) / n)
        rows.append(
            {
                "point": list(k),
                "walls": list(env.alcove.walls_at(k)),
                "exact": str(exits[k]),
                "exact_float": p,
                "simulated": h / n,
                "z": (h / n - p) / se,
            }
        )
    chi2 = stats.chisquare(hits, [float(exits[k]) * n for k in keys])
    t_se = times.std(ddof=1) / math.sqrt(n)
    g_se = returns.std(ddof=1) / math.sqrt(n)
    summary = {
        "mean_exit_time": {
            "exact": str(mean_t),
            "exact_float": float(mean_t),
            "simulated": float(times.mean()),
            "z": float((times.mean() - float(mean_t)) / t_se),
        },
        "value": {
            "exact": str(value),
            "exact_float": float(value),
            "simulated": float(returns.mean()),
            "z": float((returns.mean() - float(value)) / g_se),
        },
        "chi2": {"statistic": float(chi2.statistic), "p_value": float(chi2.pvalue)},
    }
    agree = (
        all(abs(r["z"]) <= Z_MAX for r in rows)
        and abs(summary["mean_exit_time"]["z"]) <= Z_MAX
        and abs(summary["value"]["z"]) <= Z_MAX
        and summary["chi2"]["p_value"] >= CHI2_MIN_P
    )

    files = {}  # written together at the end: all of them or none
    files[args.outdir / "closed_form.tex"] = (
        "% B2 triangle, level 7, start (2, 1); p_0..p_3 = P(+e1), P(-e1), P(+e2), P(-e2)\n"
        f"E[T] = {sympy.latex(mean_t_p)}\n\n"
        f"V = {sympy.latex(value_p)}\n\n"
        f"% at p = (2/5, 1/10, 3/10, 1/5): E[T] = {sympy.latex(mean_t)}, "
        f"V = {sympy.latex(value)}\n"
    )
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    x = np.arange(len(keys))
    ax1.bar(x, [r["exact_float"] for r in rows], color="0.8", label="closed form")
    ax1.errorbar(
        x,
        [r["simulated"] for r in rows],
        yerr=[2 * math.sqrt(r["exact_float"] * (1 - r["exact_float"]) / n) for r in rows],
        fmt="o",
        color="tab:red",
        ms=4,
        capsize=3,
        label=f"simulated ± 2 SE ({n} episodes)",
    )
    ax1.set_xticks(x, [str(k) for k in keys], rotation=60, fontsize=8)
    ax1.set_xlabel("exit point")
    ax1.set_ylabel("P(X_T = b)")
    ax1.legend(fontsize=8)
    ax1.set_title("exit law")
    ns = np.arange(n_surv + 1)
    ax2.semilogy(ns, [float(v) for v in surv], "k-", label="closed form P(T > n)")
    empirical = [(times > k).mean() for k in ns]
    ax2.semilogy(ns, empirical, "x", color="tab:red", label="simulated")
    ax2.set_xlabel("n")
    ax2.set_ylabel("P(T > n)")
    ax2.legend(fontsize=8)
    ax2.set_title("survival")
    fig.suptitle("B2 triangle, π = (2/5, 1/10, 3/10, 1/5): exact closed form against simulation")
    paths = figure_paths(args.outdir / "closed_form_vs_simulation")
    files.update(figure_files(fig, args.outdir / "closed_form_vs_simulation"))
    plt.close(fig)
    elapsed = time.perf_counter() - t_start

    result = {
        "example": "closed_form_vs_simulation",
        "theory": "THEORY §3, §4; docs/closed_forms.md",
        "quick": args.quick,
        "env": env.to_dict(),
        "settings": {"episodes": n, "seed": args.seed, "probs": PROBS},
        "closed_form": {
            "mean_exit_time_in_p": str(mean_t_p),
            "value_in_p": str(value_p),
            "mean_exit_time": str(mean_t),
            "value": str(value),
            "survival": [str(v) for v in surv],
        },
        "rows": rows,
        "summary": summary,
        "agree": agree,
        "tolerances": {"z_max": Z_MAX, "chi2_min_p": CHI2_MIN_P},
        "seconds": elapsed,
        "figures": [str(p) for p in paths],
    }
    json_path = args.outdir / "closed_form_vs_simulation.json"
    files[json_path] = json_text(result)
    write_files(files)

    print("B2 triangle (level 7, start (2, 1)), steps +e1, -e1, +e2, -e2 with p_0..p_3:")
    print(f"  E[T] = {mean_t_p}")
    print(f"at p = ({', '.join(PROBS)}): E[T] = {mean_t}, V = {value} (γ = 19/20)")
    print(f"{'exit point':>12} {'walls':>6} {'exact':>14} {'simulated':>10} {'z':>6}")
    for r in rows:
        print(
            f"{str(tuple(r['point'])):>12} {str(r['walls']):>6} {r['exact']:>14} "
            f"{r['simulated']:>10.5f} {r['z']:>6.2f}"
        )
    for name in ("mean_exit_time", "value"):
        s = summary[name]
        print(
            f"{name:>14}: exact {s['exact_float']:.6f}, simulated {s['simulated']:.6f}, "
            f"z = {s['z']:.2f}"
        )
    print(f"chi-square over exit points: p = {summary['chi2']['p_value']:.3g}")
    verdict = "agree" if agree else "DISAGREE"
    print(f"closed form and simulation {verdict} ({elapsed:.1f} s)")
    print(f"wrote {', '.join(result['figures'])}, {json_path}")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(run_script(main))
