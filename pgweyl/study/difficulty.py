"""Convergence probability against exploration difficulty (THEORY §3, §7).

For each value of one catalog knob (the family's difficulty knob, ``level`` by
default) build the environment, find its local maxima, and compute the probability that
policy gradient from θ_0 ends at the *global* maximum (the best value): by Monte Carlo
(Wilson 95% interval) and, where the effective dimension is 1 or 2, by the θ-chain
solver (with its grid error). The trap/treasure story of THEORY §3 is this curve
falling as the treasure moves away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgweyl import budget, validate
from pgweyl.env.catalog import FAMILIES, make_env
from pgweyl.errors import ArgumentError
from pgweyl.landscape.chain import chain_refusal
from pgweyl.landscape.maxima import local_maxima
from pgweyl.study.odds import ODDS, GlobalOdds, global_odds, study_settings

#: Most values one sweep may have (each value is a whole convergence study).
MAX_SWEEP_VALUES = 100


def _size_key(v):
    """Order values by size where they are numbers (the level is the difficulty)."""
    return (0, float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else (-1, 0)


@dataclass(frozen=True, repr=False, kw_only=True)
class SweepResult(GlobalOdds):
    """P(policy gradient ends at the global maximum) for each value of ``param``.

    Arrays are aligned with ``values``; NaN where a method was not run.
    ``global_support``/``global_value``: the best maximum at each value;
    ``n_maxima``: how many maxima there are; the :class:`GlobalOdds` columns ``p_mc``,
    ``ci_low``, ``ci_high``, ``unresolved`` (Monte Carlo), ``p_chain``, ``grid_error``
    (the chain solver);
    ``settings``: the call's arguments. Also ``family``, ``param``, ``values`` and
    ``knobs`` (the other knobs). Built by keyword; :meth:`to_dict` (NaN as null)."""

    family: str
    param: str
    values: np.ndarray
    knobs: dict
    global_support: tuple
    global_value: np.ndarray
    n_maxima: np.ndarray
    settings: dict

    def to_dict(self) -> dict:
        """Every field, JSON-ready (NaN as None; :func:`pgweyl.serialize.dataclass_to_dict`)."""
        from pgweyl.serialize import dataclass_to_dict

        return dataclass_to_dict(self)

    def __repr__(self) -> str:
        rows = ", ".join(f"{v}: {p:.3f}" for v, p in zip(self.values.tolist(), self.p_mc))
        return f"SweepResult({self.family}, {self.param} -> P(global max): {rows})"


#: The float arrays of a :class:`SweepResult` (one entry per value), NaN until computed.
_ARRAYS = ("global_value",) + ODDS


def difficulty_sweep(
    family: str,
    values,
    *,
    param: str | None = None,
    knobs: dict | None = None,
    theta0=None,
    lr: float = 1.0,
    n_updates: int = 200_000,
    n_runs: int = 10_000,
    seed: int = 0,
    eps: float | None = None,
    method: str = "both",
    grid: int = 201,
    progress=None,
) -> SweepResult:
    """Sweep one knob of a catalog family; see the module docstring.

    ``method``: "mc", "chain" or "both" (the chain only where the effective dimension
    is 1 or 2; NaN elsewhere). At most ``MAX_SWEEP_VALUES`` values; every
    environment is built (largest value first) and every argument validated before
    the first computation.

    ``param``: the knob swept (default the family's difficulty knob ``level``); other
    knobs from ``knobs``. ``theta0`` (default 0), ``lr``, ``n_updates``, ``n_runs``,
    ``seed``, ``eps``: as in :func:`pgweyl.convergence_probabilities`; ``grid``: nodes
    of the chain solver's grid (in 2-D ``max(33, grid // 4)``).

    >>> sweep = difficulty_sweep("corridor", [4, 8], method="chain", grid=101, progress=False)
    >>> sweep.p_chain.round(3)
    array([0.711, 0.371])
    """
    if family not in FAMILIES:
        raise ArgumentError(f"unknown environment {family!r}; known: {', '.join(FAMILIES)}")
    param = FAMILIES[family].difficulty if param is None else param
    if param not in FAMILIES[family].knobs:
        raise ArgumentError(
            f"{family}: unknown knob {param!r}; knobs are {', '.join(FAMILIES[family].knobs)}"
        )
    method = validate.choice("method", method, ("mc", "chain", "both"))
    count = len(values) if hasattr(values, "__len__") else None  # a range: before listing it
    values = list(values) if count is None or count <= MAX_SWEEP_VALUES else []
    if (count or len(values)) > MAX_SWEEP_VALUES:
        raise ArgumentError(
            f"the sweep has {count or len(values)} values of {param}; at most "
            f"{MAX_SWEEP_VALUES} (each runs a whole convergence study): use a step"
        )
    if not values:
        raise ArgumentError("the sweep needs at least one value")
    knobs = dict(knobs or {})
    lr = validate.positive_real("lr", lr)
    n_updates = validate.positive_int("n_updates", n_updates)
    n_runs = validate.positive_int("n_runs", n_runs)
    seed = validate.seed(seed)
    eps = None if eps is None else validate.eps(eps)
    grid = validate.integer("grid", grid, lo=3)
    # Build every environment first, the hardest (largest value) first: a value that is
    # invalid or too large for the memory budget is refused before any long work.
    order = sorted(range(len(values)), key=lambda i: _size_key(values[i]), reverse=True)
    envs, chains = {}, {}  # chains: the chain solver's keywords where it runs, else None
    for i in order:
        envs[i] = env = make_env(family, **{**knobs, param: values[i]})
        chains[i] = None
        if method != "mc" and chain_refusal(env) is None:
            dim = env.effective_dim
            g = grid if dim == 1 else max(33, grid // 4)  # refinement needs >= 33 nodes
            budget.require_chain_grid(dim, g)
            chains[i] = {"grid": g, "refine": True}
    settings = study_settings(theta0, n_updates, n_runs, seed, eps, method, lr=lr, grid=grid)
    run = {**settings, "progress": progress}
    n = len(values)
    out = {k: np.full(n, np.nan) for k in _ARRAYS}
    n_maxima = np.zeros(n, dtype=np.int64)
    supports = []
    for i in range(len(values)):
        env = envs[i]
        t0 = np.zeros(env.theta_dim) if theta0 is None else np.asarray(theta0, dtype=float)
        maxima = local_maxima(env, basin_samples=0)
        best = int(np.argmax([m.value for m in maxima]))
        supports.append(tuple(maxima[best].support))
        n_maxima[i] = len(maxima)
        out["global_value"][i] = maxima[best].value
        odds = global_odds(env, t0, lr, maxima, best, run, mc=method != "chain", chain=chains[i])
        for k, v in odds.items():
            out[k][i] = v
    return SweepResult(
        family=family,
        param=param,
        values=np.array(values),
        knobs=knobs,
        global_support=tuple(supports),
        n_maxima=n_maxima,
        settings=settings,
        **out,
    )


__all__ = ["SweepResult", "difficulty_sweep"]
