"""Route 1 to restricted path counts: the reflection principle over W ⋉ mQ^∨.

    C_k(λ, μ) = Σ_{w ∈ W} Σ_{q ∈ Q^∨} det(w) · N_k(λ, w μ + m q)

(Gessel–Zeilberger 1992; Grabiner 2002), valid for reflectable step sets (THEORY §2).
Only images within k·max|s| of λ contribute; they come from
:func:`pgweyl.weyl.affine.affine_orbit_ball`, vectorised over all endpoints, and the
exact big-integer work is done only for the images in the support of N_k.

In the Weyl chamber (``Alcove(cartan, level=None)``) the sum runs over the finite group
only, C_k(λ, μ) = Σ_w det(w) N_k(λ, w μ) (Gessel–Zeilberger), and reflectability is
:func:`check_chamber_reflectable`:

>>> from pgweyl.weyl.alcove import Alcove
>>> from pgweyl.weyl.steps import StepSet
>>> C, S = Alcove("A1"), StepSet("unit", "A1")
>>> check_chamber_reflectable(C, S, (1, 0))
>>> count_paths_reflection(C, S, (1, 0), [[5, 2]], 6)  # ballot: C(6,4) − C(6,5)
[9]
"""

from __future__ import annotations

import math

import numpy as np

from pgweyl.errors import NotReflectableError, StepSetError
from pgweyl.weyl.affine import affine_orbit_ball
from pgweyl.weyl.free_counts import free_count, support_mask
from pgweyl.weyl.lattice import IntegerLattice
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


def check_chamber_reflectable(chamber, steps, start) -> None:
    """(R1)–(R3) of THEORY §2 for the Weyl chamber, with L = λ + Z·S; raise
    :class:`NotReflectableError` naming the condition and a witness.

    (R1) W permutes S; (R2) each simple reflection maps λ into L (the steps are covered
    by R1); (R3) no step jumps over a hyperplane (x, α) = 0: on L the values (x, α)
    form the coset (λ, α) + g_α Z, g_α = gcd_s (s, α), and a step changing (x, α) by v
    crosses 0 strictly exactly when that coset meets the open interval between −v and 0.
    The caller has validated the start (integer, interior)."""
    from pgweyl.weyl.reflectable import check_r1, validate_start

    if steps.cartan != chamber.cartan:
        raise StepSetError(f"step set is for {steps.cartan}, chamber is of type {chamber.cartan}")
    lam = validate_start(chamber, start)
    R = chamber.root_system
    S = steps.vectors
    check_r1(R, S)
    lattice = IntegerLattice(S.tolist())
    for alpha, g in zip(R.simple_roots, R.simple_reflection_matrices()):
        image = g @ lam
        if not lattice.contains(image - lam):
            raise NotReflectableError(
                "R2",
                f"the reflection in root {alpha.tolist()} maps the start {lam.tolist()} to "
                f"{image.tolist()}, which is not in start + Z·S",
                {"root": alpha.tolist(), "point": lam.tolist(), "image": image.tolist()},
            )
    for alpha in R.positive_roots:
        values = (S @ alpha).tolist()
        g = math.gcd(*values)
        base = int(lam @ alpha)
        for v, step in zip(values, S.tolist()):
            lo, hi = (-v, 0) if v > 0 else (0, -v)
            for a in range(lo + 1, hi):  # (x, α) = a, then a + v: 0 strictly between
                if g and (a - base) % g == 0:
                    raise NotReflectableError(
                        "R3",
                        f"step {step} changes (x, {alpha.tolist()}) by {v} and jumps over the "
                        f"hyperplane (x, {alpha.tolist()}) = 0 from a lattice point with "
                        f"(x, {alpha.tolist()}) = {a}",
                        {"step": step, "root": alpha.tolist(), "value": a},
                    )


__all__ = ["check_chamber_reflectable", "count_paths_reflection"]
