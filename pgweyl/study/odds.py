"""P(policy gradient from θ_0 ends at each local maximum), by both routes.

The studies that tabulate this number — :func:`pgweyl.study.difficulty.difficulty_sweep` over
a knob, :func:`pgweyl.compare` over rules and step sizes, and each point of
:func:`pgweyl.sweep` — share one record of its columns, :class:`GlobalOdds`, and one
computation, :func:`point_odds`: the Monte Carlo share of runs absorbed near each
maximum (:func:`pgweyl.convergence_probabilities`, with its Wilson 95% interval and the
unresolved share) and the θ-chain solver's absorption probability there
(:func:`pgweyl.chain_absorption`, with its grid error).

Two different numbers answer "converges to maximum j" (docs/theory.md §12):

- **first entry** at ε (columns ``p_mc``, ``p_chain``): P(the run enters the ε-ball of
  maximum j, {θ : TV(π_θ, π_j) ≤ ε}, before any other ball) — what both routes measure
  at the settings' ε (default σ(−8));
- **the limit** (columns ``p_limit``, ``limit_error``): P(θ_n → maximum j as n → ∞),
  the ε → 0 limit of the first, ``chain_absorption(env, lr, eps=0.0)``. A run that
  enters a ball may leave it again, so the two differ (on the worked example 0.371
  against 0.325). The limit is solved where the chain applies in effective dimension 1
  under a rule without entropy (:func:`limit_refusal`); NaN elsewhere.
"""

from __future__ import annotations

import copy
import math
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from pgweyl.errors import ArgumentError
from pgweyl.landscape.chain import chain_absorption, limit_refusal
from pgweyl.landscape.chain.linear import Background, wait
from pgweyl.landscape.convergence import convergence_probabilities
from pgweyl.landscape.settings import RunSettings
from pgweyl.progress import enabled

#: The columns of :class:`GlobalOdds`: Monte Carlo, the chain solver (first entry at ε),
#: then the chain's ε → 0 limit.
ODDS = (
    "p_mc",
    "ci_low",
    "ci_high",
    "unresolved",
    "p_chain",
    "grid_error",
    "p_limit",
    "limit_error",
)

#: What the limit columns hold, for tables and JSON.
LIMIT_LABEL = "limit n → ∞ (ε → 0)"


def first_entry_label(eps: float) -> str:
    """What the first-entry columns hold at radius ``eps``, for tables and JSON."""
    return (
        f"first entry into the ε-ball (ε = {eps:.3g})"
        if eps >= 0.01
        else (f"first entry into the ε-ball (ε = {eps:.2e})")
    )


@dataclass(frozen=True, eq=False, repr=False, kw_only=True)
class GlobalOdds:
    """P(ends at the global maximum), arrays of one shape (NaN where a route did not run):
    ``p_mc``, ``ci_low``, ``ci_high`` (Wilson 95%), ``unresolved`` (share of runs near
    no maximum) by Monte Carlo; ``p_chain`` and ``grid_error`` by the chain solver — both
    the first entry into the ε-ball; ``p_limit`` and ``limit_error``: the ε → 0 limit,
    P(θ_n → the maximum as n → ∞), with its bound (NaN where it was not solved)."""

    p_mc: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    unresolved: np.ndarray
    p_chain: np.ndarray
    grid_error: np.ndarray
    p_limit: np.ndarray
    limit_error: np.ndarray


def chain_grid(chain) -> int:
    """Nodes per axis of the finest grid a chain solve used (its resolved ``grid``)."""
    return int(chain.levels[0].size)


def solve_chain(env, settings: RunSettings, maxima, progress=None):
    """:func:`pgweyl.chain_absorption` of ``env`` for ``maxima`` at the step size, ε, rule
    and grid of ``settings``, refined (with its grid error); it does not depend on θ_0,
    the update budget or the number of runs."""
    return chain_absorption(
        env,
        settings.lr,
        grid=settings.grid,
        eps=settings.eps,
        maxima=maxima,
        refine=True,
        rule=settings.rule,
        progress=enabled(progress),
    )


def apart(env):
    """A copy of ``env`` for a solve in another thread: the exact solver's caches (the
    first-passage table, grown on demand; the cells' prefixes) are filled lazily and not
    locked, so two threads must not share them (two solves on one environment raced on
    them: an IndexError in its cells). Its read-only arrays (the step graph, the alcove,
    the start) are shared, not copied: nobody writes them, and a copy would be writeable,
    a different type to Numba, so every kernel they reach would compile a second time
    (1.4–1.7 CPU s for the table kernel alone)."""
    memo = {id(a): a for a in _read_only_arrays(env)}
    return copy.deepcopy(env, memo)


def _read_only_arrays(obj, seen=None):
    """The read-only ndarrays reachable from ``obj`` through attributes, dicts, lists and
    tuples: where ``copy.deepcopy`` would reach them (no depth limit, as it has none)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        if not obj.flags.writeable:
            yield obj
        return
    if isinstance(obj, dict):
        items = obj.values()
    elif isinstance(obj, (list, tuple)):
        items = obj
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        items = vars(obj).values()
    else:
        return
    for item in items:
        yield from _read_only_arrays(item, seen)


def solve_limit(env, settings: RunSettings, maxima, progress=None):
    """The ε → 0 limit, :func:`pgweyl.chain_absorption` with ``eps=0.0``, at the step size,
    rule and grid (nodes per axis over the limit's box, default the solver's) of
    ``settings``, refined (its :meth:`~pgweyl.ChainResult.grid_error` covers grid, box and
    ε-tail). Raises :class:`pgweyl.errors.ArgumentError` where it does not apply
    (:func:`limit_refusal`, or a chain whose maxima are no attractors)."""
    why = limit_refusal(env, settings.rule)
    if why is not None:
        raise ArgumentError(why)
    return chain_absorption(
        env,
        settings.lr,
        grid=settings.grid,
        eps=0.0,
        maxima=maxima,
        refine=True,
        rule=settings.rule,
        progress=enabled(progress),
    )


def _limit_where_it_applies(env, settings, maxima, progress):
    """:func:`solve_limit`, or None where it does not apply."""
    if limit_refusal(env, settings.rule) is not None:
        return None
    try:
        return solve_limit(env, settings, maxima, progress)
    except ArgumentError:
        return None


def point_odds(
    env, settings: RunSettings, maxima, *, mc=True, chain=None, limit=None, progress=None
) -> dict:
    """P(policy gradient from θ_0 ends at each of ``maxima``) by both routes:
    {column of :data:`ODDS`: array aligned with ``maxima``} (``unresolved`` a float), NaN
    for a route not run, and ``grid``: the chain grid used (None when it did not run).

    ``settings`` (trusted: a :class:`RunSettings`): θ_0, the step size, the rule, the
    Monte Carlo budget and seed, ε (the absorbing radius of both routes) and the chain
    grid. ``mc``: run Monte Carlo (:func:`pgweyl.convergence_probabilities`). ``chain``:
    None skips the chain solver; True runs :func:`pgweyl.chain_absorption` (refined, for
    these maxima; beside the Monte Carlo runs when both run, in a thread of its own,
    :class:`~pgweyl.landscape.chain.linear.Background`); a :class:`pgweyl.ChainResult`
    already computed (for these maxima, step size, rule and ε), or the Future of one
    being computed, is read at θ_0.
    ``limit``: the same for the ε → 0 limit (columns ``p_limit``, ``limit_error``): None
    skips it, True runs :func:`solve_limit`,
    "auto" runs it where it applies (NaN where :func:`limit_refusal` or the solver
    refuses, e.g. a baseline under which a maximum is no attractor), a
    :class:`pgweyl.ChainResult` solved with ``eps=0.0`` is read at θ_0."""
    theta0 = settings.theta_for(env)
    nan = np.full(len(maxima), math.nan)
    out = {k: nan.copy() for k in ODDS}
    out["unresolved"] = math.nan
    out["grid"] = None
    if mc and chain is True:  # the chain solve beside the runs
        with Background() as background:
            job = background.submit(solve_chain, apart(env), settings, maxima, progress)
            out |= _mc_columns(env, settings, maxima, progress)
            chain = background.result(job)
    elif mc:
        out |= _mc_columns(env, settings, maxima, progress)
    if chain is True:
        chain = solve_chain(env, settings, maxima, progress)
    elif isinstance(chain, Future):  # started by the caller (compare)
        chain = wait(chain)
    if chain is not None:
        out["p_chain"] = np.asarray(chain.at(theta0, env), dtype=float)
        out["grid_error"] = np.asarray(chain.grid_error(theta0, env), dtype=float)
        out["grid"] = chain_grid(chain)
    if isinstance(limit, str) and limit == "auto":
        limit = _limit_where_it_applies(env, settings, maxima, progress)
    elif limit is True:
        limit = solve_limit(env, settings, maxima, progress)
    if limit is not None:
        if not limit.limit:
            raise ArgumentError("limit must be a ChainResult solved with eps=0.0")
        out["p_limit"] = np.asarray(limit.at(theta0, env), dtype=float)
        out["limit_error"] = np.asarray(limit.grid_error(theta0, env), dtype=float)
    return out


def _mc_columns(env, settings, maxima, progress) -> dict:
    """The Monte Carlo columns of :func:`point_odds`."""
    res = convergence_probabilities(env, settings=settings, maxima=maxima, progress=progress)
    return {
        "p_mc": np.asarray(res.probabilities, dtype=float),
        "ci_low": np.asarray(res.ci_low, dtype=float),
        "ci_high": np.asarray(res.ci_high, dtype=float),
        "unresolved": float(res.unresolved),
    }


def global_odds(env, settings: RunSettings, maxima, index: int, **routes) -> dict:
    """{column of :data:`ODDS`: float}: :func:`point_odds` at the maximum
    ``maxima[index]`` (the global one of a study), and ``grid``; ``routes``: ``mc``,
    ``chain``, ``limit``, ``progress`` as there."""
    odds = point_odds(env, settings, maxima, **routes)
    return {k: v if k in ("unresolved", "grid") else float(v[index]) for k, v in odds.items()}


def resolved_grid(settings: RunSettings, grids) -> RunSettings:
    """``settings`` with ``grid`` resolved: the one grid every chain solve of a study used
    (``grids``, None where the chain did not run). Where they used several (the solver's
    default depends on the environment's dimension and the rule), ``grid`` stays None,
    which resolves to each of them again on a rerun."""
    used = {g for g in grids if g is not None}
    return settings.replace(grid=used.pop()) if len(used) == 1 else settings


__all__ = [
    "LIMIT_LABEL",
    "ODDS",
    "GlobalOdds",
    "apart",
    "chain_grid",
    "first_entry_label",
    "global_odds",
    "limit_refusal",
    "point_odds",
    "resolved_grid",
    "solve_chain",
    "solve_limit",
]
