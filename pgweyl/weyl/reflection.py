"""Route 1 to restricted path counts: the reflection principle over W ⋉ mQ^∨.

    C_k(λ, μ) = Σ_{w ∈ W} Σ_{q ∈ Q^∨} det(w) · N_k(λ, w μ + m q)

(Gessel–Zeilberger 1992; Grabiner 2002), valid for reflectable step sets (THEORY §2).
Only images within k·max|s| of λ contribute; they come from
:func:`pgweyl.weyl.affine.affine_orbit_ball`, vectorised over all endpoints, and the
exact big-integer work is done only for the images in the support of N_k.

In the Weyl chamber (``Alcove(cartan, level=None)``) the sum runs over the finite group
only, C_k(λ, μ) = Σ_w det(w) N_k(λ, w μ) (Gessel–Zeilberger), and reflectability is
:func:`pgweyl.weyl.reflectable.check_chamber_reflectable`:

>>> from pgweyl.weyl.alcove import Alcove
>>> from pgweyl.weyl.steps import StepSet
>>> C, S = Alcove("A1"), StepSet("unit", "A1")
>>> count_paths_reflection(C, S, (1, 0), [[5, 2]], 6)  # ballot: C(6,4) − C(6,5)
[9]
"""

from __future__ import annotations

import numpy as np

from pgweyl.weyl.affine import affine_orbit_ball
from pgweyl.weyl.free_counts import free_count, support_mask
from pgweyl.weyl.weyl_group import WeylGroup

_GROUPS: dict = {}


def _group(cartan) -> WeylGroup:
    key = str(cartan)
    if key not in _GROUPS:
        _GROUPS[key] = WeylGroup(key)
    return _GROUPS[key]


def count_paths_reflection(alcove, steps, start, ends, n: int) -> list[int]:
    """C_n(start, μ) for every row μ of ``ends`` (full coordinates, assumed interior).

    The caller has validated reflectability and the start."""
    ends = np.atleast_2d(np.asarray(ends, dtype=np.int64))
    if len(ends) == 0:
        return []
    lam = np.asarray(start, dtype=np.int64)
    kind = steps.kind if steps.kind != "custom" else tuple(map(tuple, steps.vectors.tolist()))
    radius = n * steps.max_norm
    idx, images, signs = affine_orbit_ball(ends, _group(alcove.cartan), alcove.level, lam, radius)
    deltas = images - lam
    keep = support_mask(kind, n, deltas)
    totals = [0] * len(ends)
    for i, delta, sg in zip(idx[keep].tolist(), deltas[keep].tolist(), signs[keep].tolist()):
        c = free_count(kind, n, delta)
        if c:
            totals[i] += c if sg > 0 else -c
    return totals


__all__ = ["count_paths_reflection"]
