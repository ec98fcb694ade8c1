"""count_paths: the number of n-step walks that stay in the open alcove.

C_n(λ, μ) counts words s_1…s_n in S with λ + s_1 + … + s_t interior for t = 0..n and
λ + s_1 + … + s_n = μ. Two independent routes (THEORY §4): ``"reflection"`` (signed
sum over the affine Weyl group orbit, needs a reflectable step set) and
``"transfer"`` (powers of the interior step graph, any step set). Both work in the Weyl
chamber too (``Alcove(cartan)``, level None): the reflection sum over the finite group W
(Gessel–Zeilberger) and the transfer matrix on the ball reachable in n steps.

>>> from pgweyl.weyl.alcove import Alcove
>>> from pgweyl.weyl.steps import StepSet
>>> A, S = Alcove("A1", 4), StepSet("unit", "A1")
>>> count_paths(A, S, (1, 0), (2, 1), 2), count_paths(A, S, (1, 0), (2, 1), 2, method="transfer")
(1, 1)
>>> count_paths(A, S, (1, 0), None, 2)   # every endpoint at once
{(2, 1): 1, (3, 0): 1}
>>> C = Alcove("A2")                      # chamber x1 > x2 > x3, from ρ = (2, 1, 0):
>>> sum(count_paths(C, StepSet("unit", "A2"), (2, 1, 0), None, 6).values())  # Motzkin M_6
51
"""

from __future__ import annotations

import numbers

import numpy as np

from pgweyl.budget import require
from pgweyl.errors import ArgumentError, DimensionError
from pgweyl.weyl.alcove import as_int_vector
from pgweyl.weyl.reflectable import check_chamber_reflectable, check_reflectable, validate_start
from pgweyl.weyl.reflection import count_paths_reflection
from pgweyl.weyl.transfer import ball_size_bound, count_paths_transfer

METHODS = ("reflection", "transfer")


def _chamber_endpoints(chamber, steps, start, n: int) -> np.ndarray:
    """Interior points of the chamber of the form start + (a sum of n steps), sorted."""
    vecs = steps.vectors
    bound = ball_size_bound(n, len(vecs), chamber.dim)
    require(
        bound * len(vecs) * chamber.dim * 8 * 2,
        f"the endpoints of {n}-step walks in the Weyl chamber of {chamber.cartan} "
        f"({bound} candidates at most)",
        "ask for fewer steps",
    )
    sums = np.zeros((1, chamber.dim), dtype=np.int64)
    for _ in range(n):
        sums = np.unique((sums[:, None, :] + vecs[None, :, :]).reshape(-1, chamber.dim), axis=0)
    pts = np.asarray(start, dtype=np.int64) + sums
    slack = pts @ chamber.inward_normals.T - chamber.inward_offsets
    return pts[np.all(slack > 0, axis=1)]


def endpoints_at(alcove, steps, start, n: int) -> np.ndarray:
    """Interior points (full coordinates) that an n-step walk from start could occupy.

    For A_n the representative x (x_{n+1} = 0) is lifted by t(1, …, 1) with
    Σ(x + t·1) = Σλ + n·c; representatives with no integer t are dropped. In the Weyl
    chamber: the interior points start + (a sum of n steps)."""
    if alcove.is_chamber:
        return _chamber_endpoints(alcove, steps, start, n)
    pts = alcove.interior_points()
    if not alcove.is_prism:
        return pts
    total = int(np.sum(start)) + n * steps.coordinate_sum
    t_num = total - pts.sum(axis=1)
    ok = t_num % alcove.dim == 0
    return pts[ok] + (t_num[ok] // alcove.dim)[:, None]


def count_paths(alcove, steps, start, end, n, method: str = "reflection"):
    """Number of n-step paths from ``start`` to ``end`` inside the open alcove.

    ``end=None`` returns a dict {endpoint tuple: count} over every endpoint with a
    non-zero count. Points are full coordinates (for A_n in Z^{n+1}). Counts are exact
    Python integers (C_n(λ, μ)). An ``end`` outside the open alcove has count 0.
    ``method="reflection"`` is the signed sum over the affine Weyl group (needs a
    reflectable step set); ``method="transfer"`` uses powers of the interior step
    graph (any step set).

    Raises :class:`NotReflectableError` for ``method="reflection"`` on a
    non-reflectable step set, :class:`StartError` / :class:`DimensionError` for a bad
    start or end, :class:`ArgumentError` for a bad ``n`` or ``method``.

    >>> from pgweyl.weyl import Alcove, StepSet
    >>> count_paths(Alcove("B2", 7), StepSet("signed", "B2"), (2, 1), (3, 1), 3)
    3
    """
    if method not in METHODS:
        raise ArgumentError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ArgumentError(f"n must be a non-negative integer, got {n!r}")
    n = int(n)
    lam = validate_start(alcove, start)
    if method == "reflection":
        if alcove.is_chamber:
            check_chamber_reflectable(alcove, steps, lam)
        else:
            check_reflectable(alcove, steps, lam)
    if end is None:
        ends = endpoints_at(alcove, steps, lam, n)
    else:
        mu = as_int_vector(end, alcove.dim, what="end")
        if mu is None:
            raise DimensionError(f"end {list(np.asarray(end).tolist())} is not an integer point")
        if not alcove.is_interior(mu):
            return 0
        ends = mu[None, :]
    route = count_paths_reflection if method == "reflection" else count_paths_transfer
    counts = route(alcove, steps, lam, ends, n)
    if end is not None:
        return counts[0]
    return {tuple(mu): c for mu, c in zip(ends.tolist(), counts) if c}


__all__ = ["count_paths", "endpoints_at", "METHODS"]
