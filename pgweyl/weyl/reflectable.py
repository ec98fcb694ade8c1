"""Brute-force validation of reflectability, THEORY §2.

A step set S is reflectable for an alcove A_m (walk lattice L = λ + Z·S) when

- (R1) W S = S: every Weyl group element permutes the steps (checked on the simple
  reflections, which generate W);
- (R2) every wall reflection of A_m maps L to L;
- (R3) no step strictly crosses a hyperplane {(x, α) = k m} of the level-m
  arrangement: for every lattice point x of the closed alcove, step s and positive
  root α, no integer k has k m strictly between (x, α) and (x + s, α).

Failure raises :class:`NotReflectableError` naming the condition and a witness.

>>> from pgweyl.weyl.alcove import Alcove
>>> from pgweyl.weyl.steps import StepSet
>>> try:
...     check_reflectable(Alcove("C2", 7), StepSet("signed", "C2"))
... except NotReflectableError as err:
...     print(err.condition, err.witness)
R3 {'step': [1, 0], 'point': [3, 0], 'root': [2, 0], 'k': 1}
"""

from __future__ import annotations

import math

import numpy as np

from pgweyl.errors import NotReflectableError, StartError, StepSetError
from pgweyl.weyl.alcove import Alcove, as_int_vector
from pgweyl.weyl.lattice import IntegerLattice
from pgweyl.weyl.steps import StepSet


def validate_start(alcove: Alcove, start) -> np.ndarray:
    """Return start as an integer vector, or raise DimensionError / StartError."""
    v = as_int_vector(start, alcove.dim, what="start")
    if v is None:
        raise StartError(
            f"start {list(np.asarray(start).tolist())} is not on the lattice Z^{alcove.dim}"
        )
    slack = alcove._slack(v)
    bad = [int(j) for j in np.flatnonzero(slack <= 0)]
    if bad:
        walls = "; ".join(str(alcove.walls[j]) for j in bad)
        raise StartError(
            f"start {v.tolist()} is not in the open alcove of {alcove.cartan} at level "
            f"{alcove.level}: it is on or beyond {walls}"
        )
    return v


def check_r1(root_system, vectors) -> None:
    """(R1) W S = S, checked on the simple reflections (they generate W); raise
    :class:`NotReflectableError` with the first step whose image is not a step."""
    step_set = {tuple(v) for v in vectors.tolist()}
    for alpha, g in zip(root_system.simple_roots, root_system.simple_reflection_matrices()):
        for s in vectors:
            image = g @ s
            if tuple(image.tolist()) not in step_set:
                raise NotReflectableError(
                    "R1",
                    f"the reflection in root {alpha.tolist()} maps step {s.tolist()} to "
                    f"{image.tolist()}, which is not a step; W must permute the steps",
                    {"step": s.tolist(), "root": alpha.tolist(), "image": image.tolist()},
                )


def check_reflectable(alcove: Alcove, steps: StepSet, start=None) -> None:
    """Validate (R1)–(R3) by brute force; raise :class:`NotReflectableError` on failure.

    With ``start`` given, L = start + Z·S and the start is validated too (integer,
    right dimension, interior). With ``start=None`` the checks run on every integer
    point (L = Z^d), which is stronger for step sets spanning a proper sublattice.
    On a Weyl chamber (``level=None``) the chamber's own conditions are checked
    (:func:`check_chamber_reflectable`; a start is needed there).

    Returns None. The :class:`NotReflectableError` carries ``condition`` (``"R1"``,
    ``"R2"``, ``"R3"``) and ``witness`` (a dict: step, point, root, …); a bad start
    raises :class:`StartError` or :class:`DimensionError`.

    >>> from pgweyl.weyl import Alcove, StepSet
    >>> check_reflectable(Alcove("C2", 8), StepSet("signed", "C2")) is None  # even level
    True
    """
    if alcove.is_chamber:
        if start is None:
            raise StartError("the Weyl chamber's reflectability is checked on start + Z·S")
        return check_chamber_reflectable(alcove, steps, validate_start(alcove, start))
    if steps.cartan != alcove.cartan:
        raise StepSetError(f"step set is for {steps.cartan}, alcove is of type {alcove.cartan}")
    if start is not None:
        lam = validate_start(alcove, start)
    else:
        lam = None
    S = steps.vectors
    R = alcove.root_system

    check_r1(R, S)

    # (R2): wall reflections x -> M x + t preserve L. The linear parts lie in W, which
    # permutes S by (R1); what remains is the translation of the base point.
    gen_lattice = IntegerLattice(S.tolist())
    for j, wall in enumerate(alcove.walls):
        M, t = alcove.reflection(j)
        for s in S:
            if not gen_lattice.contains(M @ s):
                raise NotReflectableError(
                    "R2",
                    f"the reflection in {wall} maps step {s.tolist()} outside Z·S",
                    {"wall": j, "step": s.tolist(), "image": (M @ s).tolist()},
                )
        base = lam if lam is not None else np.zeros(alcove.dim, dtype=np.int64)
        shift = M @ base + t - base
        if lam is not None and not gen_lattice.contains(shift):
            raise NotReflectableError(
                "R2",
                f"the reflection in {wall} maps the start {lam.tolist()} to "
                f"{(M @ base + t).tolist()}, which is not in start + Z·S",
                {"wall": j, "point": lam.tolist(), "image": (M @ base + t).tolist()},
            )

    # (R3): no step strictly crosses a hyperplane (x, α) = k m.
    pts = alcove.closed_points()
    if lam is not None:
        coset_gens = S.tolist()
        if alcove.is_prism:  # representatives: membership modulo (1, …, 1)
            coset_gens = coset_gens + [[1] * alcove.dim]
        coset = IntegerLattice(coset_gens)
        pts = pts[coset.contains_many(pts - lam)]
    m = alcove.level
    roots = R.positive_roots
    before = pts @ roots.T
    for s in S:
        after = before + s @ roots.T
        lo, hi = np.minimum(before, after), np.maximum(before, after)
        first_multiple = m * (lo // m + 1)
        bad = np.argwhere(first_multiple < hi)
        if len(bad):
            i, r = bad[0]
            k = int(first_multiple[i, r] // m)
            p, alpha = pts[i].tolist(), roots[r].tolist()
            raise NotReflectableError(
                "R3",
                f"step {s.tolist()} from point {p} strictly crosses the hyperplane "
                f"(x, {alpha}) = {k * m} (root {alpha}, k = {k}) of the level-{m} "
                f"arrangement of {alcove.cartan}",
                {"step": s.tolist(), "point": p, "root": alpha, "k": k},
            )


def check_chamber_reflectable(chamber, steps, start) -> None:
    """(R1)–(R3) of THEORY §2 for the Weyl chamber, with L = λ + Z·S; raise
    :class:`NotReflectableError` naming the condition and a witness.

    (R1) W permutes S; (R2) each simple reflection maps λ into L (the steps are covered
    by R1); (R3) no step jumps over a hyperplane (x, α) = 0: on L the values (x, α)
    form the coset (λ, α) + g_α Z, g_α = gcd_s (s, α), and a step changing (x, α) by v
    crosses 0 strictly exactly when that coset meets the open interval between −v and 0.
    The caller has validated the start (integer, interior)."""
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


__all__ = ["check_chamber_reflectable", "check_r1", "check_reflectable", "validate_start"]
