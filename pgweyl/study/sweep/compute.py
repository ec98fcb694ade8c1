"""The work of one sweep point, as it runs on a Dask worker (or in-process).

Three plain functions, each a Dask task: :func:`env_maxima` (once per environment),
:func:`env_chain` (once per environment, step size, ε, rule and grid — the chain does
not depend on θ_0, the update budget or the number of runs) and :func:`compute_point`
(once per point). They depend only on their arguments, never on the worker or on the
order in which points run: that is what makes sweeps bit-identical across backends.

**Labelling of maxima.** At each point the local maxima are sorted by value, best
first (ties by support); ``maximum = 0`` is the global maximum. ``support`` names a
maximum by the indices of its steps in ``env.steps.vectors`` ("0", "1,2").
"""

from __future__ import annotations

import time

import numpy as np

from pgweyl.study.sweep.grid import PointTask, rule_kwargs

#: Chain-solver nodes per effective axis of the finest grid when ``grid`` is not given
#: (the refinement adds grids of spacing 2Δ and 4Δ; in 2-D Δ ≈ 0.3 at ε = 0.01, answers
#: within ≈ 2e−3 of long Monte Carlo, a sixth of the default 217² grid's time).
DEFAULT_GRID = {1: 801, 2: 65}


def env_maxima(spec, rule: str = "vanilla") -> list:
    """The local maxima of the objective ``rule`` ascends (V, or J_τ for entropy) on
    ``spec``'s environment, best first (ties by support)."""
    from pgweyl.landscape import local_maxima

    maxima = local_maxima(spec.build(), basin_samples=0, rule=rule)
    return sorted(maxima, key=lambda m: (-m.value, tuple(int(s) for s in m.support)))


def env_chain(spec, lr: float, eps: float, rule: str, grid, maxima):
    """The θ-chain solver's result (refined: with its grid error) for one environment."""
    from pgweyl.landscape import chain_absorption

    env = spec.build()
    g = DEFAULT_GRID[env.effective_dim] if grid is None else grid
    return chain_absorption(
        env, lr, grid=g, eps=eps, maxima=maxima, refine=True, **rule_kwargs(rule)
    )


def numeric_versions() -> dict:
    """Versions of the packages that make a point's bits (compared with the client's)."""
    import numba

    import pgweyl

    return {"pgweyl": pgweyl.__version__, "numpy": np.__version__, "numba": numba.__version__}


def support_label(support) -> str:
    """ "0" or "1,2": the step indices of a maximum's support."""
    return ",".join(str(int(s)) for s in support)


def compute_point(task: PointTask, maxima, chain=None) -> dict:
    """The numbers of one point, aligned with ``maxima`` (best first).

    Returns a dict: ``index``; per maximum ``value``, ``support``, ``probability``,
    ``ci_low``, ``ci_high``, ``chain``, ``grid_error`` (NaN where a solver did not run);
    ``unresolved``, ``n_maxima``, ``global_maximum`` (0), ``seconds`` and ``versions``
    (:func:`numeric_versions` where the point ran)."""
    from pgweyl.study.odds import point_odds

    start = time.perf_counter()
    env = task.spec.build()
    theta0 = np.zeros(env.theta_dim) if task.theta0 is None else np.array(task.theta0)
    run = {
        "n_updates": task.n_updates,
        "n_runs": task.runs,
        "seed": task.seed,
        "eps": task.eps,
        "progress": False,
    }
    odds = point_odds(
        env,
        theta0,
        task.lr,
        maxima,
        run,
        mc=task.mc,
        chain=chain,
        **rule_kwargs(task.rule),
    )
    out = {
        "index": task.index,
        "value": np.array([m.value for m in maxima], dtype=float),
        "support": [support_label(m.support) for m in maxima],
        "probability": odds["p_mc"],
        "ci_low": odds["ci_low"],
        "ci_high": odds["ci_high"],
        "chain": odds["p_chain"],
        "grid_error": odds["grid_error"],
        "unresolved": odds["unresolved"],
        "n_maxima": len(maxima),
        "global_maximum": 0,
    }
    out["seconds"] = time.perf_counter() - start
    out["versions"] = numeric_versions()
    return out


__all__ = [
    "DEFAULT_GRID",
    "compute_point",
    "env_chain",
    "env_maxima",
    "numeric_versions",
    "support_label",
]
