"""P(policy gradient from θ_0 ends at each local maximum), by both routes.

The studies that tabulate this number — :func:`pgweyl.study.difficulty.difficulty_sweep` over
a knob, :func:`pgweyl.compare` over rules and step sizes, and each point of
:func:`pgweyl.sweep` — share one record of its columns, :class:`GlobalOdds`, and one
computation, :func:`point_odds`: the Monte Carlo share of runs absorbed near each
maximum (:func:`pgweyl.convergence_probabilities`, with its Wilson 95% interval and the
unresolved share) and the θ-chain solver's absorption probability there
(:func:`pgweyl.chain_absorption`, with its grid error).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: The columns of :class:`GlobalOdds`: Monte Carlo, then the chain solver.
ODDS = ("p_mc", "ci_low", "ci_high", "unresolved", "p_chain", "grid_error")


@dataclass(frozen=True, eq=False, repr=False, kw_only=True)
class GlobalOdds:
    """P(ends at the global maximum), arrays of one shape (NaN where a route did not run):
    ``p_mc``, ``ci_low``, ``ci_high`` (Wilson 95%), ``unresolved`` (share of runs near
    no maximum) by Monte Carlo; ``p_chain`` and ``grid_error`` by the chain solver."""

    p_mc: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    unresolved: np.ndarray
    p_chain: np.ndarray
    grid_error: np.ndarray


def study_settings(theta0, n_updates, n_runs, seed, eps, method, **extra) -> dict:
    """The settings record of a study: what :func:`global_odds` reads, and what the
    study's result keeps to rerun it — θ_0 as a list (None: θ = 0), the Monte Carlo
    budget ``n_updates`` × ``n_runs``, ``seed``, ``eps``, ``method``, then ``extra``."""
    t0 = None if theta0 is None else [float(v) for v in np.ravel(theta0)]
    return {
        "theta0": t0,
        "n_updates": n_updates,
        "n_runs": n_runs,
        "seed": seed,
        "eps": eps,
        "method": method,
        **extra,
    }


def point_odds(env, theta0, lr, maxima, settings: dict, *, mc=True, chain=None, rule=None) -> dict:
    """P(policy gradient from θ_0 with step size ``lr`` ends at each of ``maxima``) by
    both routes: {column of :data:`ODDS`: array aligned with ``maxima``} (``unresolved``
    a float), NaN for a route not run.

    ``settings``: the study's record of what it runs (the one its result keeps):
    ``n_updates``, ``n_runs``, ``seed`` and ``eps`` (the absorbing radius of both
    routes); ``progress`` when present. ``mc``: run Monte Carlo
    (:func:`pgweyl.convergence_probabilities`). ``chain``: None skips the chain solver;
    a dict gives its further keywords (``grid``, ``refine``) for
    :func:`pgweyl.chain_absorption`; a :class:`pgweyl.ChainResult` already computed
    (for these maxima, ``lr`` and ε) is read at θ_0. ``rule``: the update rule (None:
    vanilla)."""
    from pgweyl.landscape.chain import chain_absorption
    from pgweyl.landscape.convergence import convergence_probabilities

    nan = np.full(len(maxima), math.nan)
    out = {k: nan.copy() for k in ODDS}
    out["unresolved"] = math.nan
    rule_kw = {} if rule is None else {"rule": rule}
    if mc:
        res = convergence_probabilities(
            env,
            theta0,
            lr,
            settings["n_updates"],
            settings["n_runs"],
            seed=settings["seed"],
            eps=settings["eps"],
            maxima=maxima,
            progress=settings.get("progress"),
            **rule_kw,
        )
        out["p_mc"] = np.asarray(res.probabilities, dtype=float)
        out["ci_low"] = np.asarray(res.ci_low, dtype=float)
        out["ci_high"] = np.asarray(res.ci_high, dtype=float)
        out["unresolved"] = float(res.unresolved)
    if isinstance(chain, dict):
        chain = chain_absorption(env, lr, eps=settings["eps"], maxima=maxima, **chain, **rule_kw)
    if chain is not None:
        out["p_chain"] = np.asarray(chain.at(theta0, env), dtype=float)
        out["grid_error"] = np.asarray(chain.grid_error(theta0, env), dtype=float)
    return out


def global_odds(env, theta0, lr, maxima, index: int, settings: dict, **routes) -> dict:
    """{column of :data:`ODDS`: float}: :func:`point_odds` at the maximum
    ``maxima[index]`` (the global one of a study); ``routes``: ``mc``, ``chain``,
    ``rule`` as there."""
    odds = point_odds(env, theta0, lr, maxima, settings, **routes)
    return {k: float(v if k == "unresolved" else v[index]) for k, v in odds.items()}


__all__ = ["ODDS", "GlobalOdds", "global_odds", "point_odds", "study_settings"]
