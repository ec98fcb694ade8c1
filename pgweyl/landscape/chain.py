"""The θ-chain of policy gradient on a grid, solved for absorption probabilities (§5, §7).

REINFORCE with one episode per update and constant step size α moves θ by

    θ' = θ + α (G(b, n) − β) ((b − λ) − n ∇A(θ))   with probability P_θ(b, n),

so θ is a Markov chain whose kernel is the value distribution. In effective
coordinates y = Lθ (A_n: y_i = θ_i − θ_{n+1}, the gauge removed; otherwise y = θ) the
chain lives in R^1 or R^2. On a grid over a box of y:

- a node is absorbing for maximum j when its policy is within ε of maximum j (total
  variation; for a flat face of maxima, the mass outside the face); a landing point
  y' within ε is absorbed there directly;
- any other landing point is clamped into the box and spread over the 2^dim
  surrounding nodes with multilinear weights;
- with P the transient-to-transient matrix and b_j the one-step absorption into j,
  h_j = (I − P)^{−1} b_j is the probability of ending at maximum j.

Cells of the value distribution below ``min_prob`` are dropped (their mass, at most
cells × min_prob per step, is reported as leak together with the tail).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pgweyl import budget, validate
from pgweyl.errors import ArgumentError
from pgweyl.landscape.maxima import local_maxima


def effective_map(env) -> np.ndarray:
    """L with y = Lθ (:meth:`AlcoveWalkEnv.effective_map`), for ``exp`` policies."""
    if env.policy_kind != "exp":
        raise ArgumentError("the chain solver is built for policy 'exp'")
    return env.effective_map()


def lift(env, y) -> np.ndarray:
    """θ(y) (:meth:`AlcoveWalkEnv.lift`)."""
    return env.lift(y)


@dataclass(frozen=True, repr=False)
class ChainResult:
    """Absorption probabilities h_j on a grid; ``at(theta0)`` interpolates them.

    With refinement, ``axes``/``h`` are the finer grid (2·grid − 1 nodes per axis) and
    ``coarse_axes``/``coarse_h`` the requested one: ``grid_error(θ0)`` is the difference
    of the two answers and ``extrapolated(θ0)`` = 2 h_fine − h_coarse (the grid error is
    first order in the spacing, mostly from the absorbing boundary)."""

    axes: tuple
    h: np.ndarray  # (n_maxima, *grid shape)
    maxima: list
    lr: float
    eps: float
    leak: float
    residual: float
    coarse_axes: tuple | None = None
    coarse_h: np.ndarray | None = None

    def _y(self, theta0, env):
        y = np.asarray(theta0, dtype=float)
        if env is not None:
            y = effective_map(env) @ env.check_theta(theta0)
        if y.shape != (len(self.axes),):
            raise ArgumentError(f"theta0 must have {len(self.axes)} effective coordinates")
        return y

    @staticmethod
    def _interp(axes, h, y):
        idx, w = _interp_weights(axes, y[None, :])
        return np.einsum("jk,k->j", h.reshape(h.shape[0], -1)[:, idx[0]], w[0])

    def at(self, theta0, env=None) -> np.ndarray:
        """Absorption probabilities from θ_0, aligned with ``maxima`` (multilinear).

        Pass ``env`` to give θ_0 in the env's coordinates; without it θ_0 is y = Lθ."""
        return self._interp(self.axes, self.h, self._y(theta0, env))

    def grid_error(self, theta0, env=None) -> np.ndarray:
        """|answer on the fine grid − answer on the coarse grid| at θ_0 (needs refine)."""
        if self.coarse_h is None:
            raise ArgumentError("no refinement was computed (refine=False)")
        y = self._y(theta0, env)
        return np.abs(
            self._interp(self.axes, self.h, y) - self._interp(self.coarse_axes, self.coarse_h, y)
        )

    def extrapolated(self, theta0, env=None) -> np.ndarray:
        """Richardson estimate 2 h_fine − h_coarse at θ_0 (needs refine)."""
        if self.coarse_h is None:
            raise ArgumentError("no refinement was computed (refine=False)")
        y = self._y(theta0, env)
        return 2 * self._interp(self.axes, self.h, y) - self._interp(
            self.coarse_axes, self.coarse_h, y
        )

    @property
    def refinement(self) -> dict | None:
        if self.coarse_h is None:
            return None
        sub = (slice(None),) + (slice(None, None, 2),) * len(self.axes)
        return {
            "grid": len(self.axes[0]),
            "coarse_grid": len(self.coarse_axes[0]),
            "max_abs_difference": float(np.abs(self.h[sub] - self.coarse_h).max()),
        }

    def to_dict(self) -> dict:
        return {
            "axes": [a.tolist() for a in self.axes],
            "lr": self.lr,
            "eps": self.eps,
            "leak": self.leak,
            "residual": self.residual,
            "maxima": [m.to_dict() for m in self.maxima],
            "refinement": self.refinement,
        }

    def __repr__(self) -> str:
        shape = "×".join(str(len(a)) for a in self.axes)
        return f"ChainResult(grid={shape}, maxima={len(self.maxima)}, lr={self.lr}, eps={self.eps})"


def _interp_weights(axes, pts):
    """Flat node indices (P × 2^dim) and multilinear weights for points in the box."""
    dims = len(axes)
    shape = [len(a) for a in axes]
    base, frac = [], []
    for k, a in enumerate(axes):
        x = np.clip(pts[:, k], a[0], a[-1])
        i = np.clip(np.searchsorted(a, x, side="right") - 1, 0, len(a) - 2)
        base.append(i)
        frac.append((x - a[i]) / (a[i + 1] - a[i]))
    idx, w = [], []
    for corner in range(2**dims):
        bits = [(corner >> k) & 1 for k in range(dims)]
        flat = np.zeros(len(pts), dtype=np.int64)
        weight = np.ones(len(pts))
        for k in range(dims):
            flat = flat * shape[k] + base[k] + bits[k]
            weight = weight * (frac[k] if bits[k] else 1.0 - frac[k])
        idx.append(flat)
        w.append(weight)
    return np.stack(idx, axis=1), np.stack(w, axis=1)


def _labels(env, thetas, maxima, eps) -> np.ndarray:
    """Index of the maximum whose policy is within TV ε of π(θ), else −1 (vectorised)."""
    p = env.policies(thetas)
    out = np.full(len(thetas), -1, dtype=np.int64)
    for j, m in enumerate(maxima):
        out[(m.distances(p) <= eps) & (out < 0)] = j
    return out


def chain_absorption(
    env,
    lr,
    grid=2001,
    eps=None,
    bounds=None,
    maxima=None,
    baseline=0.0,
    tol=1e-12,
    min_prob=1e-13,
    refine=True,
    chunk=512,
) -> ChainResult:
    """Absorption probabilities of the θ-chain (batch 1, constant step size ``lr``).

    ``grid``: nodes per effective coordinate; ``bounds``: (low, high) of the box in y
    (default ±log((1−ε)/ε) in 1-D, where it is exact for vertex maxima, ±(log((1−ε)/ε) + 4)
    in 2-D); ``eps``: total-variation radius of the absorbing regions (default σ(−8));
    ``refine``: also solve on a grid twice as fine; the result then answers on the fine
    grid and reports the difference (:meth:`ChainResult.grid_error`)."""
    lr = validate.positive_real("lr", lr)
    eps = validate.eps(eps)
    grid = validate.integer("grid", grid, lo=3)  # a box needs an interior node
    L = effective_map(env)
    dim = L.shape[0]
    if dim > 2:
        raise ArgumentError(f"the chain solver handles effective dimension 1 or 2, not {dim}")
    budget.require_chain_grid(dim, grid, refine)  # size guard before any work
    maxima = local_maxima(env, basin_samples=0) if maxima is None else maxima
    if bounds is None:
        # In 1-D the absorbing regions of vertex maxima are exactly |y| ≥ log((1−ε)/ε).
        # In 2-D the non-absorbing region is unbounded along the edges; landing points
        # outside the box are clamped, so the box reaches 4 beyond (the answer for the
        # triangle changes by < 1e-4 between margins 3.8 and 6.6).
        half = math.log((1 - eps) / eps) + (0.0 if dim == 1 else 4.0)
        bounds = (-half, half)
    args = (env, L, lr, eps, bounds, maxima, baseline, tol, min_prob, chunk)
    h, leak, residual = _solve(args, grid)
    axes = tuple(np.linspace(bounds[0], bounds[1], grid) for _ in range(dim))
    if not refine:
        return ChainResult(axes, h, list(maxima), float(lr), eps, leak, residual)
    fine = 2 * grid - 1
    h2, leak2, residual2 = _solve(args, fine)
    axes2 = tuple(np.linspace(bounds[0], bounds[1], fine) for _ in range(dim))
    return ChainResult(
        axes2, h2, list(maxima), float(lr), eps, max(leak, leak2), max(residual, residual2), axes, h
    )


def _solve(args, grid):
    import scipy.sparse as sp

    env, L, lr, eps, bounds, maxima, baseline, tol, min_prob, chunk = args
    dim = L.shape[0]
    axes = [np.linspace(bounds[0], bounds[1], grid)] * dim
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, dim)
    n_nodes = len(mesh)
    thetas = lift(env, mesh)
    node_label = _labels(env, thetas, maxima, eps)
    transient = np.flatnonzero(node_label < 0)
    pos = np.full(n_nodes, -1, dtype=np.int64)
    pos[transient] = np.arange(len(transient))

    solver = env.solver
    # One truncation N for all transient nodes: P(T > N) ≤ tol at every node.
    n_max = solver.common_truncation(thetas[transient], tol)
    cells = solver.cells(n_max)
    points = env.full_points(env.exit_points[cells.exit], cells.n)
    disp = (points - env.start).astype(float)  # b − λ, full coordinates
    G = cells.ret - baseline
    cell_n = cells.n

    rows, cols, vals = [], [], []
    absorb = np.zeros((len(transient), len(maxima)))
    leak = 0.0
    for start in range(0, len(transient), chunk):
        nodes = transient[start : start + chunk]
        th = thetas[nodes]
        prob = np.exp(solver.log_cell_probs(th, n_max)[1])  # nodes × cells
        grad_a = env.policies(th) @ env.steps.vectors.astype(float)  # ∇A(θ) per node
        keep = prob >= min_prob
        leak = max(leak, float((prob * ~keep).sum(axis=1).max()))
        r, c = np.nonzero(keep)
        p = prob[r, c]
        score = disp[c] - cell_n[c, None] * grad_a[r]
        dy = lr * G[c, None] * (score @ L.T)
        y_new = mesh[nodes[r]] + dy
        lab = _labels(env, lift(env, y_new), maxima, eps)
        hit = lab >= 0
        np.add.at(absorb, (start + r[hit], lab[hit]), p[hit])
        r, p, y_new = r[~hit], p[~hit], y_new[~hit]
        idx, w = _interp_weights(axes, y_new)
        for k in range(idx.shape[1]):
            target = idx[:, k]
            tl = node_label[target]
            into_abs = tl >= 0
            np.add.at(absorb, (start + r[into_abs], tl[into_abs]), (p * w[:, k])[into_abs])
            rows.append(start + r[~into_abs])
            cols.append(pos[target[~into_abs]])
            vals.append((p * w[:, k])[~into_abs])
    n_t = len(transient)
    P = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_t, n_t)
    )
    A = (sp.identity(n_t, format="csc") - P.tocsc()).tocsc()
    h = np.zeros((len(maxima), n_nodes))
    solve = _linear_solver(A)
    residual = 0.0
    for j in range(len(maxima)):
        x = solve(absorb[:, j])
        residual = max(residual, float(np.abs(A @ x - absorb[:, j]).max()))
        h[j, transient] = x
        h[j, node_label == j] = 1.0
    return h.reshape((len(maxima),) + (grid,) * dim), leak, residual


#: Above this many transient nodes the sparse LU fills in too much (the chain jumps far
#: across the grid); an incomplete LU preconditions GMRES instead.
DIRECT_LIMIT = 20_000


def _linear_solver(A):
    import scipy.sparse.linalg as sla

    if A.shape[0] <= DIRECT_LIMIT:
        return sla.splu(A).solve
    ilu = sla.spilu(A, drop_tol=1e-5, fill_factor=8)
    prec = sla.LinearOperator(A.shape, ilu.solve)

    def solve(b):
        x, info = sla.gmres(A, b, M=prec, rtol=1e-12, atol=1e-14, restart=60, maxiter=500)
        if info != 0:
            raise ArithmeticError(f"GMRES did not converge (info={info})")
        return x

    return solve


__all__ = ["ChainResult", "chain_absorption", "effective_map", "lift"]
