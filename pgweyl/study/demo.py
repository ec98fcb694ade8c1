"""``pgweyl demo``: the main job on the built-in default (the corridor and the triangle).

1. closed forms against simulation (``pgweyl check``) at two policies per env;
2. the local maxima with certificates and deterministic basins;
3. THEORY §7's worked example: P(treasure) by the θ-chain solver and by Monte Carlo —
   the first entry into the σ(−8)-ball — and the limit n → ∞ (the chain at ε → 0,
   ``chain_absorption(env, 1.0, eps=0.0)``), a different, lower number (docs/theory.md
   §12); P(first entry) against ε from 1e−2 down to 1e−30 with the limit as a line
   (``eps_corridor``), and P(absorbed at each maximum by update n) for n from 1 to 10⁶
   at ε = σ(−8) (``absorbed_by_corridor``, :meth:`ThetaChain.absorbed_by`);
4. convergence probability to the global maximum against the corridor's level (first
   entry and limit);
5. the triangle's convergence probabilities (2-D chain and Monte Carlo);
6. figures (PNG + PDF) and ``summary.json`` in the output folder — all of them or none
   (they are staged in a temporary folder inside it and moved in at the end).

Where the chain solver and Monte Carlo answer the same question, the log says whether
they agree within their combined errors (:func:`routes_agree`).
"""

from __future__ import annotations

import os
import time

import numpy as np

from pgweyl._version import __version__
from pgweyl.config import DEFAULT_EPS
from pgweyl.env import make_env
from pgweyl.landscape import (
    chain_absorption,
    convergence_probabilities,
    local_maxima,
)
from pgweyl.landscape.chain.markov import theta_chain
from pgweyl.serialize import (
    OutputError,
    check_folder_outputs,
    prepare_folder,
    staged_folder,
    write_json,
)
from pgweyl.study.checks import check_closed_forms
from pgweyl.study.difficulty import difficulty_sweep
from pgweyl.study.odds import LIMIT_LABEL, first_entry_label

FULL = {
    "episodes": 200_000,
    "basins": 16,
    "runs": 20_000,
    "updates": 200_000,
    "sweep_levels": [4, 6, 8, 10, 12, 14],
    "sweep_runs": 4000,
    "grid_1d": 2001,
    "grid_2d": 97,
    "tri_runs": 10_000,
    "landscape_res": 161,
    "grid_limit": None,  # the solver's default: 6001 nodes over the limit's box ±24
    "eps_curve": [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 1e-10, 1e-12, 1e-15, 1e-20, 1e-25, 1e-30],
    "grid_eps": None,  # the solver's default spacing over each ε's box
    "grid_markov": None,  # theta_chain's default (half the solver's nodes)
    "absorbed_n": 61,
}
QUICK = {
    "episodes": 20_000,
    "basins": 4,
    "runs": 2000,
    "updates": 100_000,
    "sweep_levels": [4, 8],
    "sweep_runs": 500,
    "grid_1d": 401,
    "grid_2d": 41,
    "tri_runs": 1000,
    "landscape_res": 61,
    "grid_limit": 401,
    "eps_curve": [1e-2, 1e-4, 1e-8, 1e-30],
    "grid_eps": 401,
    "grid_markov": 129,
    "absorbed_n": 13,
}


FIGURES = (
    "alcove_corridor",
    "alcove_triangle",
    "value_distribution_triangle",
    "landscape_triangle",
    "difficulty_corridor",
    "basins_triangle",
    "eps_corridor",
    "absorbed_by_corridor",
)
#: Every file the demo writes into its folder.
OUTPUT_NAMES = tuple(f"{n}.{ext}" for n in FIGURES for ext in ("png", "pdf")) + ("summary.json",)


def routes_agree(p_chain: float, grid_error: float, p_mc: float, n_runs: int, unresolved: float):
    """(agree, tolerance): whether the chain solver and Monte Carlo agree within their
    combined errors — 4 binomial standard errors of n_runs runs (at p_chain), plus the
    chain's grid error (fine − coarse), plus the unresolved share of the runs."""
    p = min(max(p_chain, 0.0), 1.0)
    tol = 4.0 * (p * (1.0 - p) / n_runs) ** 0.5 + grid_error + unresolved
    return bool(abs(p_mc - p_chain) <= tol), float(tol)


def _agreement_text(agree: bool, diff: float, tol: float) -> str:
    if agree:
        return f"chain and Monte Carlo agree within their errors (|diff| {diff:.3g} <= {tol:.3g})"
    return (
        f"chain and Monte Carlo DIFFER beyond their combined errors (|diff| {diff:.3g} > {tol:.3g})"
    )


def run_demo(
    out: str, quick: bool = False, seed: int = 0, progress: bool = False, log=print
) -> dict:
    """Run the demo into folder ``out``; return the summary (also in summary.json).

    Figures are written as soon as their data is ready, into a temporary folder inside
    ``out``; they and ``summary.json`` move into ``out`` only when everything
    succeeded, so a failure (a full disk, Ctrl-C) leaves ``out`` as it was. Before any
    work every file name it will write (:data:`OUTPUT_NAMES`) is checked: a directory, a
    read-only or hard-linked file, a FIFO or a symbolic link there (which could lead
    outside ``out``) is refused with :class:`OutputError`."""
    out = prepare_folder(out, "output folder")
    check_folder_outputs(out, OUTPUT_NAMES, "demo output")
    try:
        with staged_folder(out, "demo output") as stage:
            summary = _run(stage, quick, seed, progress, log)
    except OutputError as err:
        if err.reason is None:
            raise
        raise OutputError(
            f"cannot write the demo's files to {out!r}: {err.reason}; nothing was written",
            err.reason,
        ) from None
    log(
        f"  wrote {len(summary['figures'])} figure files and summary.json to {out} "
        f"in {summary['seconds']:.0f} s"
    )
    return summary


def _run(stage, quick, seed, progress, log) -> dict:
    import matplotlib.pyplot as plt

    from pgweyl import plot

    written = []

    def save(name, fig):
        try:
            paths = plot.save_figure(fig, os.path.join(stage, name))
        finally:
            plt.close(fig)
        written.extend(os.path.basename(p) for p in paths)

    budget = QUICK if quick else FULL
    t_start = time.perf_counter()
    corridor, triangle = make_env("corridor"), make_env("triangle")
    envs = {"corridor": corridor, "triangle": triangle}
    summary: dict = {
        "pgweyl_version": __version__,
        "env": {name: env.to_dict() for name, env in envs.items()},
        "quick": quick,
        "seed": seed,
        "budget": budget,
    }

    log("pgweyl demo: corridor (A1, level 8) and triangle (A2, level 6)")
    save("alcove_corridor", plot.alcove_figure(corridor, seed=seed))
    save("alcove_triangle", plot.alcove_figure(triangle, seed=seed))
    checks, agree = {}, True
    thetas = {
        "corridor": [np.zeros(2), np.array([0.5, -0.5])],
        "triangle": [np.zeros(3), np.array([0.3, -0.2, 0.0])],
    }
    for name, env in envs.items():
        for theta in thetas[name]:
            rep = check_closed_forms(env, theta, n_episodes=budget["episodes"], seed=seed)
            checks.setdefault(name, []).append(rep.to_dict())
            agree &= rep.ok
            worst = max((abs(r.value) for r in rep.rows if r.statistic == "z"), default=0.0)
            p = next(r.p_value for r in rep.rows if r.statistic == "chi2")
            log(
                f"  check {name:9s} theta={np.round(theta, 2).tolist()}: "
                f"{'agree' if rep.ok else 'DISAGREE'} (chi2 p = {p:.3g}, max |z| = {worst:.2f})"
            )
    summary["checks"] = checks
    summary["checks_agree"] = bool(agree)
    save(
        "value_distribution_triangle",
        plot.value_distribution_figure(
            triangle, np.zeros(3), n_episodes=budget["episodes"] // 4, seed=seed
        ),
    )

    maxima = {}
    for name, env in envs.items():
        ms = local_maxima(env, basin_samples=budget["basins"], seed=seed)
        maxima[name] = ms
        desc = "; ".join(
            f"{m.support} V={m.value:.4f} basin {m.basin_share:.2f} "
            f"[{m.basin_ci[0]:.2f}, {m.basin_ci[1]:.2f}]"
            for m in ms
        )
        log(f"  maxima {name} (basins from {budget['basins']} flow starts, 95%): {desc}")
    summary["maxima"] = {k: [m.to_dict() for m in v] for k, v in maxima.items()}
    save(
        "landscape_triangle",
        plot.landscape_figure(
            triangle, maxima=maxima["triangle"], resolution=budget["landscape_res"]
        ),
    )

    chain = chain_absorption(
        corridor, 1.0, grid=budget["grid_1d"], maxima=maxima["corridor"], refine=True
    )
    mc = convergence_probabilities(
        corridor,
        np.zeros(2),
        1.0,
        budget["updates"],
        budget["runs"],
        seed=seed,
        maxima=maxima["corridor"],
        progress=progress,
    )
    p_chain = float(chain.at(np.zeros(2), corridor)[0])
    grid_error = float(chain.grid_error(np.zeros(2), corridor)[0])
    p_mc = float(mc.probabilities[0])
    ok, tol = routes_agree(p_chain, grid_error, p_mc, mc.n_runs, mc.unresolved)
    summary["worked_example"] = {
        "first_entry": first_entry_label(DEFAULT_EPS),
        "p_treasure_chain": p_chain,
        "grid_error": grid_error,
        "p_treasure_mc": p_mc,
        "ci": [float(mc.ci_low[0]), float(mc.ci_high[0])],
        "unresolved": mc.unresolved,
        "n_runs": mc.n_runs,
        "routes_agree": ok,
        "agreement_tolerance": tol,
        "theory": 0.371,
        "treasure_value": maxima["corridor"][0].value,
        "trap_value": maxima["corridor"][1].value,
    }
    log(
        f"  worked example: P(treasure) = {p_chain:.4f} ± {grid_error:.1g} (chain), "
        f"{p_mc:.4f} [{mc.ci_low[0]:.4f}, {mc.ci_high[0]:.4f}] (Monte Carlo, {mc.n_runs} "
        f"runs); the treasure is the global maximum (V {maxima['corridor'][0].value:.3f} "
        f"vs {maxima['corridor'][1].value:.3f})"
    )
    log(f"    {_agreement_text(ok, abs(p_mc - p_chain), tol)}")
    _limit_and_time(corridor, maxima["corridor"], budget, summary, save, log)

    sweep = difficulty_sweep(
        "corridor",
        budget["sweep_levels"],
        n_runs=budget["sweep_runs"],
        n_updates=budget["updates"],
        seed=seed,
        grid=401,
        progress=progress,
    )
    summary["sweep"] = sweep.to_dict()
    curve = ", ".join(f"{v}: {p:.3f}" for v, p in zip(sweep.values.tolist(), sweep.p_mc))
    log(f"  corridor, P(treasure) against level: {curve}")
    save("difficulty_corridor", plot.difficulty_figure(sweep))

    tri_chain = chain_absorption(
        triangle, 1.0, grid=budget["grid_2d"], eps=0.01, maxima=maxima["triangle"], refine=True
    )
    tri_mc = convergence_probabilities(
        triangle,
        np.zeros(3),
        1.0,
        budget["updates"],
        budget["tri_runs"],
        seed=seed,
        eps=0.01,
        maxima=maxima["triangle"],
        progress=progress,
    )
    tri_p = tri_chain.at(np.zeros(3), triangle)
    tri_err = tri_chain.grid_error(np.zeros(3), triangle)
    tri_ok, tri_tol = routes_agree(
        float(tri_p[0]),
        float(tri_err[0]),
        float(tri_mc.probabilities[0]),
        tri_mc.n_runs,
        tri_mc.unresolved,
    )
    summary["triangle"] = {
        "maxima": [list(m.support) for m in maxima["triangle"]],
        "p_chain": tri_p.tolist(),
        "grid_error": tri_err.tolist(),
        "p_mc": tri_mc.probabilities.tolist(),
        "ci_low": tri_mc.ci_low.tolist(),
        "ci_high": tri_mc.ci_high.tolist(),
        "unresolved": tri_mc.unresolved,
        "routes_agree": tri_ok,
        "agreement_tolerance": tri_tol,
        "eps": 0.01,
    }
    log(
        f"  triangle from uniform: P(e1 vertex) = {tri_mc.probabilities[0]:.4f} (MC), "
        f"{tri_p[0]:.4f} ± {tri_err[0]:.1g} (chain)"
    )
    log(f"    {_agreement_text(tri_ok, abs(tri_mc.probabilities[0] - tri_p[0]), tri_tol)}")
    save("basins_triangle", plot.basin_figure(tri_chain, env=triangle))

    summary["figures"] = written
    summary["seconds"] = round(time.perf_counter() - t_start, 2)
    write_json(os.path.join(stage, "summary.json"), summary, "demo summary")
    return summary


def _limit_and_time(corridor, maxima, budget, summary, save, log) -> None:
    """The worked example beyond first entry: the limit n → ∞ (into ``worked_example``),
    P(first entry) against ε with the limit (``eps_curve``, figure ``eps_corridor``)
    and P(absorbed by update n) at ε = σ(−8) (``absorbed_by``, figure
    ``absorbed_by_corridor``)."""
    from pgweyl import plot

    theta0 = np.zeros(2)
    we = summary["worked_example"]
    lim = chain_absorption(corridor, 1.0, grid=budget["grid_limit"], eps=0.0, maxima=maxima)
    p_lim = lim.at(theta0)
    err_lim = lim.grid_error(theta0)
    we.update(
        limit=LIMIT_LABEL,
        p_treasure_limit=float(p_lim[0]),
        limit_error=float(err_lim[0]),
        limit_grid=int(lim.levels[0].size),
    )
    log(
        f"  worked example, limit n → ∞ (ε → 0): P(treasure) = {p_lim[0]:.4f} ± "
        f"{err_lim[0]:.1g}, below first entry into the σ(−8)-ball ({we['p_treasure_chain']:.4f}): "
        "a run that enters the treasure's ball may still leave it"
    )
    eps = [float(e) for e in budget["eps_curve"]]
    p_eps, err_eps = [], []
    for e in eps:
        res = chain_absorption(corridor, 1.0, grid=budget["grid_eps"], eps=e, maxima=maxima)
        p_eps.append(float(res.at(theta0)[0]))
        err_eps.append(float(res.grid_error(theta0)[0]))
    summary["eps_curve"] = {
        "quantity": "P(first entry into the treasure's ε-ball), chain solver",
        "eps": eps,
        "p_treasure": p_eps,
        "error": err_eps,
        "limit": float(p_lim[0]),
        "limit_error": float(err_lim[0]),
    }
    log(
        "  P(treasure) against ε: "
        + ", ".join(f"{e:.0e}: {p:.4f}" for e, p in zip(eps, p_eps))
        + f"; limit {p_lim[0]:.4f}"
    )
    fig = plot.eps_figure(
        eps,
        p_eps,
        err_eps,
        limit=float(p_lim[0]),
        limit_error=float(err_lim[0]),
        label="P(first entry into the treasure's ε-ball)",
    )
    fig.axes[0].set_title("corridor (worked example), α = 1, θ₀ = 0: first entry vs limit")
    save("eps_corridor", fig)
    chain = theta_chain(corridor, 1.0, grid=budget["grid_markov"], maxima=maxima)
    ns = np.unique(np.geomspace(1, 1e6, budget["absorbed_n"]).round().astype(np.int64))
    by = chain.absorbed_by(theta0, ns)
    summary["absorbed_by"] = {
        "quantity": "P(absorbed at each maximum by update n), ε = σ(−8)",
        "eps": DEFAULT_EPS,
        "n": ns.tolist(),
        "probabilities": np.asarray(by.probabilities).tolist(),
        "error": np.asarray(by.error).tolist(),
    }
    at = {int(n): float(by.probabilities[i][0]) for i, n in enumerate(ns)}
    log(
        "  P(absorbed at the treasure by update n), ε = σ(−8): "
        + ", ".join(f"{n:.0e}: {at[n]:.4f}" for n in (100, 10_000, 1_000_000) if n in at)
    )
    fig = plot.absorbed_by_figure(by, maxima, corridor)
    fig.axes[0].set_title("corridor (worked example), α = 1, θ₀ = 0, ε = σ(−8)")
    save("absorbed_by_corridor", fig)


__all__ = ["FIGURES", "OUTPUT_NAMES", "routes_agree", "run_demo"]
