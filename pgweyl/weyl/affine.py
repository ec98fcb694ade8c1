"""Orbits of the level-m affine Weyl group W_m = W ⋉ mQ^∨ inside a ball.

The group acts by x ↦ w x + m q (q ∈ Q^∨) with sign ε(w, q) = det(w). For the
reflection principle only images within a distance R of a centre λ matter, since
farther terms have no paths. This module enumerates exactly those images for a batch
of points at once, in integer arithmetic. ``level=None`` (the Weyl chamber) leaves the
finite group W alone: the images are the w μ, as in Gessel–Zeilberger's reflection sum.

>>> from pgweyl.weyl.weyl_group import WeylGroup
>>> idx, img, sgn = affine_orbit_ball([[2, 0]], WeylGroup("A1"), 8, center=[2, 0], radius=9)
>>> sorted(zip(img.tolist(), sgn.tolist()))  # (2+8k, -8k) with +, (8k, 2-8k) with -
[([0, 2], -1), ([2, 0], 1), ([8, -6], -1)]
>>> affine_orbit_ball([[2, 0]], WeylGroup("A1"), None, center=[2, 0], radius=9)[1].tolist()
[[2, 0], [0, 2]]
"""

from __future__ import annotations

import itertools

import numpy as np


def _translation_box(basis: np.ndarray, reach: float) -> np.ndarray:
    """Integer coefficient vectors c with |c @ basis| ≤ reach possible.

    With D the dual basis (rows d_i, (d_i, b_j) = δ_ij on span(basis)), c_i = (c@basis, d_i),
    so |c_i| ≤ reach·|d_i|. Returns the full box of candidates (filtered later)."""
    dual = np.linalg.pinv(basis.astype(float)).T
    bounds = np.floor(reach * np.linalg.norm(dual, axis=1) + 1e-9).astype(int)
    ranges = [range(-b, b + 1) for b in bounds]
    return np.array(list(itertools.product(*ranges)), dtype=np.int64).reshape(-1, len(basis))


def affine_orbit_ball(points, weyl_group, level, center, radius: float):
    """All images w μ + m q of each μ in ``points`` with |w μ + m q − center| ≤ radius.

    Returns ``(index, images, signs)``: image k is of ``points[index[k]]`` and carries
    the sign det(w). Distinct (w, q) give distinct images when μ has trivial
    stabilizer, which holds for interior points of the alcove. ``level=None``: q = 0
    only (the finite group W, for the Weyl chamber).
    """
    pts = np.atleast_2d(np.asarray(points, dtype=np.int64))
    center = np.asarray(center, dtype=np.int64)
    mats = weyl_group.matrices
    basis = weyl_group.root_system.coroot_lattice_basis
    wmu = np.einsum("gij,pj->gpi", mats, pts)  # |W| × P × d
    rel = wmu - center
    if level is None:
        shifts = np.zeros((1, pts.shape[1]), dtype=np.int64)
    else:
        # |m q| ≤ radius + |w μ − λ| for any image inside the ball.
        reach = (radius + np.sqrt((rel.astype(float) ** 2).sum(-1)).max()) / level
        coeffs = _translation_box(basis, reach)
        shifts = level * (coeffs @ basis)  # T × d
    out_idx, out_img, out_sgn = [], [], []
    r2 = radius * radius + 1e-9
    for g in range(len(mats)):
        cand = rel[g][:, None, :] + shifts[None, :, :]  # P × T × d
        keep = (cand.astype(float) ** 2).sum(-1) <= r2
        p_idx, t_idx = np.nonzero(keep)
        out_idx.append(p_idx)
        out_img.append(wmu[g][p_idx] + shifts[t_idx])
        out_sgn.append(np.full(len(p_idx), weyl_group.signs[g], dtype=np.int64))
    return (
        np.concatenate(out_idx),
        np.concatenate(out_img).reshape(-1, pts.shape[1]),
        np.concatenate(out_sgn),
    )


__all__ = ["affine_orbit_ball"]
