"""The work of one sweep point, as it runs on a Dask worker (or in-process).

Three plain functions, each a Dask task: :func:`env_maxima` (once per environment),
:func:`env_chain` (once per environment, step size, ε, rule and grid — the chain does
not depend on θ_0, the update budget or the number of runs) and :func:`compute_point`
(once per point). They depend only on their arguments, never on the worker or on the
order in which points run: that is what makes sweeps bit-identical across backends.

**Labelling of maxima.** At each point the local maxima are sorted by value, best
first (ties by support); ``maximum = 0`` is the global maximum. ``support`` names a
maximum by the indices of its steps in ``env.steps.vectors`` ("0", "1,2"); ``treasure``
is the index of the maximum whose walk ends on wall 0 most often
(:func:`pgweyl.study.follow.treasure_index`), so a sweep can follow it.
"""

from __future__ import annotations

import time

import numpy as np

from pgweyl._version import __version__
from pgweyl.errors import PgweylError
from pgweyl.landscape.maxima import local_maxima
from pgweyl.study.follow import support_label, treasure_index
from pgweyl.study.odds import point_odds, solve_chain
from pgweyl.study.sweep.grid import PointTask, spec_key


def env_maxima(spec, rule: str = "vanilla") -> list:
    """The local maxima of the objective ``rule`` ascends (V, or J_τ for entropy) on
    ``spec``'s environment, best first (ties by support)."""
    maxima = local_maxima(spec.build(), basin_samples=0, rule=rule)
    return sorted(maxima, key=lambda m: (-m.value, tuple(int(s) for s in m.support)))


def env_chain(spec, settings, maxima):
    """The θ-chain solver's result (refined: with its grid error) for one environment, at
    the step size, ε, rule and grid of ``settings`` (it does not depend on θ_0, the
    update budget or the number of runs)."""
    return solve_chain(spec.build(), settings, maxima, progress=False)


def numeric_versions() -> dict:
    """Versions of the packages that make a point's bits (compared with the client's)."""
    import numba

    return {"pgweyl": __version__, "numpy": np.__version__, "numba": numba.__version__}


def env_treasure(spec, maxima) -> int:
    """Index in ``maxima`` of the treasure (−1 where it cannot be told), once per
    environment and process."""
    key = (spec_key(spec), tuple((support_label(m.support), m.value) for m in maxima))
    if key not in _TREASURES:
        try:
            _TREASURES[key] = treasure_index(spec.build(), maxima)
        except PgweylError:  # e.g. an exit law that cannot be cut at its tolerance
            _TREASURES[key] = -1
    return _TREASURES[key]


#: (spec, maxima) → treasure index, per process: points of one environment share it.
_TREASURES: dict = {}


def compute_point(task: PointTask, maxima, chain=None) -> dict:
    """The numbers of one point, aligned with ``maxima`` (best first).

    Returns a dict: ``index``; per maximum ``value``, ``support``, ``probability``,
    ``ci_low``, ``ci_high``, ``chain``, ``grid_error`` (NaN where a solver did not run);
    ``unresolved``, ``n_maxima``, ``global_maximum`` (0), ``treasure`` (index, −1 if
    none), ``seconds`` and ``versions``
    (:func:`numeric_versions` where the point ran)."""
    start = time.perf_counter()
    env = task.spec.build()
    odds = point_odds(env, task.settings, maxima, mc=task.mc, chain=chain, progress=False)
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
        "treasure": env_treasure(task.spec, maxima),
    }
    out["seconds"] = time.perf_counter() - start
    out["versions"] = numeric_versions()
    return out


__all__ = [
    "compute_point",
    "env_chain",
    "env_treasure",
    "env_maxima",
    "numeric_versions",
    "support_label",
]
