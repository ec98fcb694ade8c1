"""Convergence probability against exploration difficulty (THEORY §3, §7).

For each value of one catalog knob (the family's difficulty knob, ``level`` by
default) build the environment, find its local maxima, and compute the probability that
policy gradient from θ_0 ends at the *global* maximum (the best value) — or at one
maximum followed by name across the values (``follow``: "treasure" or a support label,
:mod:`pgweyl.study.follow`) — by Monte Carlo (Wilson 95% interval) and, where the
effective dimension is 1 or 2 (3 with method "chain" or "both"), by the θ-chain
solver (with its grid error), both as the first entry into the ε-ball; beside them,
where the chain's ε → 0 limit applies (effective dimension 1, no entropy),
P(θ_n → that maximum as n → ∞) with its bound (:mod:`pgweyl.study.odds`). The
trap/treasure story of THEORY §3 is this curve falling as the treasure moves away; the
values where the global maximum changes are recorded (``global_changes``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgweyl import budget
from pgweyl.env.catalog import FAMILIES, make_env
from pgweyl.errors import ArgumentError
from pgweyl.landscape.maxima import local_maxima
from pgweyl.landscape.settings import RunSettings, provenance, settings_of
from pgweyl.serialize import dataclass_to_dict
from pgweyl.study.follow import changes, follow_index, parse_follow, support_label
from pgweyl.study.odds import ODDS, GlobalOdds, global_odds, resolved_grid

#: Most values one sweep may have (each value is a whole convergence study).
MAX_SWEEP_VALUES = 100


def _size_key(v):
    """Order values by size where they are numbers (the level is the difficulty)."""
    return (0, float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else (-1, 0)


@dataclass(frozen=True, repr=False, kw_only=True)
class SweepResult(GlobalOdds):
    """P(policy gradient ends at the followed maximum) for each value of ``param``.

    Arrays are aligned with ``values``; NaN where a method was not run or the followed
    maximum does not exist. ``follow``: "global" (the best maximum at each value),
    "treasure" or a support label (:mod:`pgweyl.study.follow`);
    ``followed_support``/``followed_value``: the followed maximum at each value (None and
    NaN where absent); ``global_support``/``global_value``: the best maximum at each value;
    ``global_changes``: the values where the global maximum's support differs from the
    value before; ``n_maxima``: how many maxima there are; the :class:`GlobalOdds`
    columns ``p_mc``,
    ``ci_low``, ``ci_high``, ``unresolved`` (Monte Carlo), ``p_chain``, ``grid_error``
    (the chain solver);
    ``settings``: the :class:`RunSettings` that ran (``grid`` resolved to the one the chain
    used); ``env``: the family, knobs and param; ``pgweyl_version``. Also ``family``,
    ``param``, ``values`` and ``knobs`` (the other knobs). Built by keyword;
    :meth:`to_dict` (NaN as null)."""

    family: str
    param: str
    values: np.ndarray
    knobs: dict
    global_support: tuple
    global_value: np.ndarray
    n_maxima: np.ndarray
    follow: str = "global"
    followed_support: tuple = ()
    followed_value: np.ndarray | None = None
    global_changes: tuple = ()
    settings: RunSettings
    env: dict
    pgweyl_version: str

    def to_dict(self) -> dict:
        """Every field, JSON-ready (NaN as None; :func:`pgweyl.serialize.dataclass_to_dict`)."""
        return dataclass_to_dict(self)

    def __repr__(self) -> str:
        p = self.p_mc if np.isfinite(self.p_mc).any() else self.p_chain
        rows = ", ".join(f"{v}: {q:.3f}" for v, q in zip(self.values.tolist(), p))
        what = "global max" if self.follow == "global" else self.follow
        return f"SweepResult({self.family}, {self.param} -> P({what}): {rows})"


#: The float arrays of a :class:`SweepResult` (one entry per value), NaN until computed.
_ARRAYS = ("global_value", "followed_value") + ODDS


def difficulty_sweep(
    family: str,
    values,
    *,
    param: str | None = None,
    knobs: dict | None = None,
    settings: RunSettings | None = None,
    follow: str = "global",
    limit: bool = True,
    progress=None,
    **run,
) -> SweepResult:
    """Sweep one knob of a catalog family; see the module docstring.

    The run settings: ``settings`` (a :class:`RunSettings`, e.g. ``RunSettings.from_dict``
    of a result's record, which reruns it bit-identically) or the keywords ``run`` named
    as its fields — ``theta0``, ``lr``, ``rule``, ``n_updates``, ``n_runs``, ``seed``,
    ``eps``, ``method``, ``grid`` (absent: the defaults of :class:`RunSettings`), not
    both. ``method``: "auto"
    (default: Monte Carlo, and the chain solver where it applies — effective dimension 1
    or 2, NaN elsewhere), "mc", "chain" or "both" (the chain must apply at every value).
    ``grid``: nodes per axis of the chain solver's finest grid (None: its default; the
    result records the grid used). At most ``MAX_SWEEP_VALUES`` values; every
    environment is built (largest value first) and every argument validated before the
    first computation.

    ``param``: the knob swept (default the family's difficulty knob ``level``); other
    knobs from ``knobs``. ``follow``: which maximum the probabilities are of — "global"
    (default: the best at each value, which may change along the sweep: see
    ``global_changes``), "treasure" (the one ending on wall 0) or a support label ("0",
    "1,2"; NaN where no maximum has that support).
    ``limit``: also solve the ε → 0 limit wherever the chain runs
    and the limit applies (:func:`pgweyl.study.odds.solve_limit`, on ``grid`` nodes
    over the limit's box; NaN elsewhere); False skips it (about as costly again as the
    chain at ε).

    >>> sweep = difficulty_sweep("corridor", [4, 8], method="chain", grid=101, progress=False)
    >>> sweep.p_chain.round(3)                 # first entry into the σ(−8)-ball
    array([0.711, 0.371])
    >>> bool((sweep.p_limit < sweep.p_chain).all())   # the ε → 0 limit is lower
    True
    """
    settings = settings_of(settings, **run)
    follow = parse_follow(follow)
    if family not in FAMILIES:
        raise ArgumentError(f"unknown environment {family!r}; known: {', '.join(FAMILIES)}")
    param = FAMILIES[family].difficulty if param is None else param
    if param not in FAMILIES[family].knobs:
        raise ArgumentError(
            f"{family}: unknown knob {param!r}; knobs are {', '.join(FAMILIES[family].knobs)}"
        )
    count = len(values) if hasattr(values, "__len__") else None  # a range: before listing it
    values = list(values) if count is None or count <= MAX_SWEEP_VALUES else []
    if (count or len(values)) > MAX_SWEEP_VALUES:
        raise ArgumentError(
            f"the sweep has {count or len(values)} values of {param}; at most "
            f"{MAX_SWEEP_VALUES} (each runs a whole convergence study): use a step"
        )
    if not values:
        raise ArgumentError("the sweep needs at least one value")
    if not isinstance(limit, (bool, np.bool_)):
        raise ArgumentError(f"limit must be True or False, got {limit!r}")
    knobs = dict(knobs or {})
    # Build every environment first, the hardest (largest value) first: a value that is
    # invalid or too large for the memory budget is refused before any long work.
    order = sorted(range(len(values)), key=lambda i: _size_key(values[i]), reverse=True)
    envs, routes = {}, {}
    for i in order:
        envs[i] = env = make_env(family, **{**knobs, param: values[i]})
        settings.theta_for(env)
        routes[i] = settings.routes(env, f"{param}={values[i]}")
        if routes[i][1] and settings.grid is not None:
            budget.require_chain_grid(env.effective_dim, settings.grid, True)
    n = len(values)
    out = {k: np.full(n, np.nan) for k in _ARRAYS}
    n_maxima = np.zeros(n, dtype=np.int64)
    supports, followed, grids = [], [], []
    for i in range(len(values)):
        env = envs[i]
        maxima = local_maxima(env, basin_samples=0, rule=settings.rule)
        best = follow_index(env, maxima, "global")
        supports.append(tuple(maxima[best].support))
        n_maxima[i] = len(maxima)
        out["global_value"][i] = maxima[best].value
        j = best if follow == "global" else follow_index(env, maxima, follow)
        followed.append(None if j < 0 else tuple(maxima[j].support))
        if j < 0:  # no such maximum here: nothing to follow (NaN)
            grids.append(None)
            continue
        out["followed_value"][i] = maxima[j].value
        mc, chain = routes[i]
        odds = global_odds(
            env,
            settings,
            maxima,
            j,
            mc=mc,
            chain=chain or None,
            limit="auto" if chain and limit else None,
            progress=progress,
        )
        grids.append(odds.pop("grid"))
        for k, v in odds.items():
            out[k][i] = v
    return SweepResult(
        family=family,
        param=param,
        values=np.array(values),
        knobs=knobs,
        global_support=tuple(supports),
        n_maxima=n_maxima,
        follow=follow,
        followed_support=tuple(followed),
        global_changes=tuple(changes(values, [support_label(g) for g in supports])),
        settings=resolved_grid(settings, grids),
        **provenance({"family": family, "knobs": knobs, "param": param}),
        **out,
    )


__all__ = ["SweepResult", "difficulty_sweep"]
