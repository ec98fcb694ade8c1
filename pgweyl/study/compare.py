"""Update rules compared on one exactly solvable landscape: ``pgweyl compare``.

For each rule (:mod:`pgweyl.rules`) and each value of the x axis — the step size ``lr``
or a catalog knob such as the level — the probability that policy gradient from θ_0 ends
at the *global* maximum: by Monte Carlo (Wilson 95% interval, unresolved share) and, where
θ is a Markov chain and the effective dimension is 1 or 2 (3 with method "chain" or
"both"), by the θ-chain solver (with its grid error).

Which maximum is "global" for a rule: the rule's own maxima are those of the objective
it ascends (V for vanilla and natural, J_τ = V + τH for entropy); the global one is the
maximum of the rule whose policy is nearest (total variation) to V's global maximum, and
its distance is reported (``global_distance``).

>>> import pgweyl as pw
>>> res = compare("corridor:level=4", ["vanilla", "natural"], lrs=[1.0], n_runs=200,
...               n_updates=2000, eps=0.05, method="mc", progress=False)
>>> res.rules, res.p_mc.shape
(['vanilla', 'natural'], (2, 1))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgweyl import validate
from pgweyl._version import __version__
from pgweyl.env.spec import parse_env_spec
from pgweyl.errors import ArgumentError, ResourceError
from pgweyl.landscape.chain.linear import Background
from pgweyl.landscape.maxima import local_maxima
from pgweyl.landscape.settings import RunSettings, settings_of
from pgweyl.rules import parse_rule
from pgweyl.serialize import dataclass_to_dict
from pgweyl.study.odds import (
    ODDS,
    GlobalOdds,
    apart,
    global_odds,
    resolved_grid,
    solve_chain,
)


@dataclass(frozen=True, repr=False)
class CompareResult(GlobalOdds):
    """P(ends at the global maximum) per rule (rows) and x value (columns).

    The :class:`pgweyl.study.odds.GlobalOdds` columns ``p_mc``, ``ci_low``,
    ``ci_high``, ``unresolved`` (Monte Carlo), ``p_chain``, ``grid_error`` (the chain
    solver; NaN where it did not run) — first entry into the ε-ball; ``p_limit`` and
    ``limit_error`` (the ε → 0 limit) are NaN here (compare does not solve it),
    ``global_value`` (V of the global maximum) and
    ``global_distance`` (TV from the rule's global maximum to V's) are arrays of shape
    (rules, x values). ``env`` is the environment's spec, ``settings`` the
    :class:`RunSettings` of the cells (each with its rule and, on the lr axis, its step
    size; ``grid`` resolved to the one the chain used), ``pgweyl_version``."""

    env: str
    x_name: str
    x_values: list
    rules: list
    global_value: np.ndarray
    global_distance: np.ndarray
    settings: RunSettings
    pgweyl_version: str

    def to_dict(self) -> dict:
        """Every field, JSON-ready (NaN as None; :func:`pgweyl.serialize.dataclass_to_dict`)."""
        return dataclass_to_dict(self)

    def table(self) -> list[str]:
        """The comparison as text lines."""
        lines = [
            f"{self.env}: P(policy gradient ends at the global maximum) by rule and {self.x_name}",
            f"{'rule':24s} {self.x_name:>8s} {'MC':>8s} {'95% CI':>17s} {'unres.':>7s} "
            f"{'chain':>8s} {'± grid':>8s}",
        ]
        for i, rule in enumerate(self.rules):
            for j, x in enumerate(self.x_values):
                chain = self.p_chain[i, j]
                lines.append(
                    f"{rule:24s} {x!s:>8s} {self.p_mc[i, j]:8.4f} "
                    f"[{self.ci_low[i, j]:.4f}, {self.ci_high[i, j]:.4f}] "
                    f"{self.unresolved[i, j]:7.4f} "
                    + (
                        "       —        —"
                        if np.isnan(chain)
                        else f"{chain:8.4f} {self.grid_error[i, j]:8.1e}"
                    )
                )
        return lines

    def __repr__(self) -> str:
        return "\n".join(self.table())


def _global_index(maxima, v_global_policy) -> tuple[int, float]:
    d = [0.5 * float(np.abs(m.policy - v_global_policy).sum()) for m in maxima]
    j = int(np.argmin(d))
    return j, d[j]


def compare(
    env_spec,
    rules,
    *,
    lrs=None,
    param: str | None = None,
    values=None,
    settings: RunSettings | None = None,
    progress=None,
    **run,
) -> CompareResult:
    """Compare update ``rules`` (specs) on ``env_spec`` against ``lrs`` (the default x
    axis) or the catalog knob ``param`` taking ``values`` (at step size ``lr``).

    The run settings: ``settings`` (a :class:`RunSettings`, e.g. ``RunSettings.from_dict``
    of a result's record, which reruns it) or the keywords ``run`` named as its fields
    — ``lr``, ``theta0``, ``n_updates``, ``n_runs``, ``eps``, ``seed``, ``method``,
    ``grid`` (absent: the defaults of :class:`RunSettings`), not both; each cell runs
    them with its rule and step size. ``method``: "auto" (default), "mc", "chain" or "both"
    (:meth:`RunSettings.routes`). The cells' chain solves run in a thread beside the
    Monte Carlo runs, within half the memory budget each (docs/performance.md, "Issue 25,
    fourth pass"); the numbers are those of each route called alone."""
    settings = settings_of(settings, **run)
    spec = parse_env_spec(env_spec)
    rules = [parse_rule(r) for r in ([rules] if isinstance(rules, str) else rules)]
    if not rules:
        raise ArgumentError("compare needs at least one rule")
    if param is None:
        x_name = "lr"
        xs = [validate.positive_real("lr", v) for v in (lrs if lrs is not None else [settings.lr])]
        envs = [spec.build()] * len(xs)
    else:
        if lrs is not None:
            raise ArgumentError("give either lrs or param with values, not both")
        if spec.family is None or values is None:
            raise ArgumentError("a knob axis needs a catalog family and its values")
        x_name, xs = param, list(values)
        envs = [spec.with_knobs(**{param: v}).build() for v in xs]  # all built first
    # every cell's settings and routes, checked before the first computation
    cells = {}
    for j, (x, env) in enumerate(zip(xs, envs)):
        settings.theta_for(env)
        for i, rule in enumerate(rules):
            cell = settings.replace(rule=rule, lr=x if param is None else settings.lr)
            cells[i, j] = cell, cell.routes(env, f"rule {rule} on {env!r}")
    shape = (len(rules), len(xs))
    out = {k: np.full(shape, np.nan) for k in _ARRAYS}
    found, index, jobs = {}, {}, {}

    def chain_columns(key, chain) -> dict:  # of cell ``key``, from a Future or True
        cell = cells[key][0]
        solved = global_odds(
            envs[key[1]], cell, found[key], index[key], mc=False, chain=chain, progress=progress
        )
        return {k: solved[k] for k in ("p_chain", "grid_error", "grid")}

    # Each chain solve is queued as soon as its maxima are known, in a thread beside this
    # one (Background, within half the memory budget), and this thread goes on with the
    # maxima of the other cells and the Monte Carlo runs of every cell: the cores are
    # shared all along, and no cell's runs wait for its solve. (Two solves at once beside
    # the runs cost 10 % more CPU: they contend for memory bandwidth.)
    with Background(1, parts=2) as background:
        for j, env in enumerate(envs):
            v_max = local_maxima(env, basin_samples=0)
            # the rules that ascend V first: their solves start before J_τ's search
            for i in sorted(range(len(rules)), key=lambda i: rules[i].kind == "entropy"):
                # J_τ's maxima for entropy (local_maxima remembers them per τ), else V's
                entropy = rules[i].kind == "entropy"
                found[i, j] = local_maxima(env, rule=rules[i]) if entropy else v_max
                index[i, j], dist = _global_index(found[i, j], v_max[0].policy)
                out["global_value"][i, j] = v_max[0].value
                out["global_distance"][i, j] = dist
                cell, (_, chain) = cells[i, j]
                if chain:
                    job = (solve_chain, apart(env), cell, found[i, j], progress)
                    jobs[i, j] = background.submit(*job)
        odds = {
            key: global_odds(envs[key[1]], cell, found[key], index[key], mc=mc, progress=progress)
            for key, (cell, (mc, _)) in cells.items()
        }
        alone = []  # solves refused their half of the memory budget: solved alone below

        def settle(key, chain):
            try:
                odds[key] |= chain_columns(key, chain)
            except ResourceError:
                alone.append(key)

        # The solves not started yet are taken back and solved here, from the last, while
        # the worker goes on from the first: both cores stay busy to the end.
        for key in reversed(list(jobs)):
            if jobs[key].cancel():
                del jobs[key]
                with background.beside():
                    settle(key, True)
        for key, job in jobs.items():
            settle(key, job)
    for key in alone:
        odds[key] |= chain_columns(key, True)
    grids = []
    for (i, j), cell_odds in odds.items():
        grids.append(cell_odds.pop("grid"))
        for k, v in cell_odds.items():
            out[k][i, j] = v
    return CompareResult(
        str(spec),
        x_name,
        xs,
        [str(r) for r in rules],
        settings=resolved_grid(settings, grids),
        pgweyl_version=__version__,
        **out,
    )


#: The float arrays of a :class:`CompareResult` (rules × x values), NaN until computed.
_ARRAYS = ODDS + ("global_value", "global_distance")


__all__ = ["CompareResult", "compare"]
