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

    def offset_stencil(self, origin: np.ndarray, offset: np.ndarray, order: int):
        """The stencil of :meth:`stencil` at the landing points y = node + δ, given as the
        node's multi-index ``origin`` (P × dim ints) and the displacement in units of the
        spacing ``offset`` = δ/Δ (P × dim), never as the sum y (a displacement far below
        ulp(y) would be rounded away).

        Per axis the offset is split into an integer m = round(δ/Δ) and a fraction
        f = δ/Δ − m (exact in floating point), so the landing point is node i + m plus f;
        each Lagrange factor (t − j) is formed as an integer plus f. Returns (flat
        indices, weights, ``keep``) where ``keep`` = 1 − w_self is the weight *not* on the
        origin node (the part of the cell's probability that leaves the node), computed
        without cancellation: when the origin is the nearest node (m = 0) the weight on it
        is Π_{j≠p} (1 + f/(p − j)) and 1 − w = −expm1(Σ log1p(f/(p − j))). Points beyond
        the box are clamped onto its edge (f = 0 there), as :meth:`clamp` does."""
        m_ = order + 1
        n_pts = len(origin)
        per_idx, per_w, per_self = [], [], []
        for k, a in enumerate(self.axes):
            n_ax = len(a)
            o = offset[:, k]
            m = np.rint(o)
            f = o - m  # exact: |o| < 2^52
            base = origin[:, k] + m.astype(np.int64)
            out = (base < 0) | (base > n_ax - 1) | ((base == 0) & (f < 0))
            out |= (base == n_ax - 1) & (f > 0)
            base = np.clip(base, 0, n_ax - 1)
            f = np.where(out, 0.0, f)
            if order % 2:
                # ⌊base + f⌋ − (order − 1)/2
                start = base - (f < 0) - (order - 1) // 2
            else:
                start = base - order // 2
            start = np.clip(start, 0, n_ax - m_)
            pos = base - start  # integer position of the base node in the stencil
            w = np.ones((n_pts, m_))
            for i in range(m_):
                for j in range(m_):
                    if j != i:
                        w[:, i] *= ((pos - j) + f) / (i - j)
            # weight on the origin node, and 1 − it without cancellation
            p_self = origin[:, k] - start
            inside = (p_self >= 0) & (p_self < m_)
            self_w = np.zeros(n_pts)
            rows = np.flatnonzero(inside)
            self_w[rows] = w[rows, p_self[rows]]
            near = inside & (base == origin[:, k])
            one_minus = 1.0 - self_w
            if near.any():
                r = np.flatnonzero(near)
                ps = p_self[r]
                s = np.zeros(len(r))
                for j in range(m_):
                    d = ps - j
                    nz = d != 0
                    s[nz] += np.log1p(f[r][nz] / d[nz])
                one_minus[r] = -np.expm1(s)
            per_idx.append(start[:, None] + np.arange(m_)[None, :])
            per_w.append(w)
            per_self.append((self_w, one_minus, inside))
        idx, w = per_idx[0], per_w[0]
        self_w, keep, inside = per_self[0]
        for k in range(1, self.dim):
            n = self.shape[k]
            width = idx.shape[1] * per_idx[k].shape[1]  # reshape(0, -1) is ambiguous
            idx = (idx[:, :, None] * n + per_idx[k][:, None, :]).reshape(n_pts, width)
            w = (w[:, :, None] * per_w[k][:, None, :]).reshape(n_pts, width)
            sw, om, ins = per_self[k]
            # 1 − w_a w_b = (1 − w_a) + w_a (1 − w_b)
            keep = np.where(inside & ins, keep + self_w * om, 1.0)
            self_w = np.where(inside & ins, self_w * sw, 0.0)
            inside = inside & ins
        return idx, w, keep

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
