"""Uniform tensor grids over a box of effective coordinates y, and Lagrange stencils.

A grid of ``n`` nodes per axis over [−half, half]^dim has spacing Δ = 2·half/(n − 1).
A point y is represented by tensor Lagrange interpolation of degree q over q + 1
consecutive nodes per axis:

    u = (y_k − a_0)/Δ,   start = ⌊u⌋ − (q−1)/2 (q odd)  or  round(u) − q/2 (q even),
    w_i(u) = Π_{m ≠ i} (u − m_start − m)/(i − m)   (i, m = 0..q),

the start clipped so that the stencil stays inside the box (one-sided near its edges),
and y_k first clamped into [a_0, a_{n−1}]. q = 1 is multilinear interpolation (weights
≥ 0); q = 2 (the default of the chain solver) has weights of both signs and an error
O(Δ³ h''') per evaluation that vanishes with the distance to a node, which is what
keeps the chain's many small steps near a maximum free of numerical diffusion (see
:mod:`pgweyl.landscape.chain`).

>>> g = Grid.uniform(1, 1.0, 5)            # nodes −1, −0.5, 0, 0.5, 1
>>> idx, w = g.stencil(np.array([[0.5], [0.6]]), 2)
>>> idx.tolist(), (np.round(w, 12) + 0.0).tolist()
([[2, 3, 4], [2, 3, 4]], [[0.0, 1.0, 0.0], [-0.08, 0.96, 0.12]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    """Nodes ``axes[0] × … × axes[dim−1]`` (uniform axes), flattened in C order."""

    axes: tuple

    @classmethod
    def uniform(cls, dim: int, half: float, n: int) -> Grid:
        ax = np.linspace(-half, half, n)
        ax.setflags(write=False)
        return cls(tuple(ax for _ in range(dim)))

    @property
    def dim(self) -> int:
        return len(self.axes)

    @property
    def shape(self) -> tuple:
        return tuple(len(a) for a in self.axes)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def spacing(self) -> float:
        return float(self.axes[0][1] - self.axes[0][0])

    def mesh(self) -> np.ndarray:
        """Node coordinates (size × dim), C order."""
        return np.stack(np.meshgrid(*self.axes, indexing="ij"), axis=-1).reshape(-1, self.dim)

    def clamp(self, pts: np.ndarray) -> np.ndarray:
        lo = np.array([a[0] for a in self.axes])
        hi = np.array([a[-1] for a in self.axes])
        return np.clip(pts, lo, hi)

    def stencil(self, pts: np.ndarray, order: int):
        """Flat node indices and weights (P × (order+1)^dim) of degree-``order`` tensor
        Lagrange interpolation at ``pts`` (P × dim), clamped into the box.

        (Measured, not kept: a six-node quadratic stencil in 2-D would cut the
        nonzeros by a third with the same order, but the multilinear preconditioner
        then needs 2.5× the GMRES iterations and fails on triangle-signed. Stencils
        shifted to stay on the transient side of the absorbing boundary lose the
        boundary condition of the slow creep into a maximum: the system becomes
        ill-posed, h leaves [0, 1].)"""
        m = order + 1
        us, starts = [], []
        for a in self.axes:
            u = (np.clip(pts[:, len(us)], a[0], a[-1]) - a[0]) / (a[1] - a[0])
            if order % 2:
                start = np.floor(u).astype(np.int64) - (order - 1) // 2
            else:
                start = np.rint(u).astype(np.int64) - order // 2
            us.append(u)
            starts.append(np.clip(start, 0, len(a) - m))
        start = np.stack(starts, axis=1)
        per_idx, per_w = [], []
        for k in range(self.dim):
            t = us[k] - start[:, k]  # position in the stencil, in units of Δ
            w = np.ones((len(t), m))
            for i in range(m):
                for j in range(m):
                    if j != i:
                        w[:, i] *= (t - j) / (i - j)
            per_idx.append(start[:, k, None] + np.arange(m)[None, :])
            per_w.append(w)
        idx, w = per_idx[0], per_w[0]
        for k in range(1, self.dim):
            n = self.shape[k]
            width = idx.shape[1] * m  # explicit: reshape(0, -1) is ambiguous (no points)
            idx = (idx[:, :, None] * n + per_idx[k][:, None, :]).reshape(len(pts), width)
            w = (w[:, :, None] * per_w[k][:, None, :]).reshape(len(pts), width)
        return idx, w

    def interpolate(self, values: np.ndarray, pts: np.ndarray, order: int):
        """Σ_i w_i values[..., i] at each point: (…, P) for values (…, size)."""
        idx, w = self.stencil(np.atleast_2d(pts), order)
        return np.einsum("...pk,pk->...p", values[..., idx], w)


def refinement_sizes(n: int, levels: int) -> list[int]:
    """Nodes per axis of ``levels`` grids, finest first, each with spacing twice the
    previous one: n, (n−1)/2 + 1, … (rounded down). Grids with n ≡ 1 (mod 2^(levels−1))
    are nested and keep every coarse node (y = 0 among them for odd sizes)."""
    out = [int(n)]
    for _ in range(levels - 1):
        out.append((out[-1] - 1) // 2 + 1)
    return out


__all__ = ["Grid", "refinement_sizes"]
