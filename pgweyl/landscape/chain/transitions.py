"""The θ-chain's transitions on one grid: landing points, exact labels, the sparse system.

For every unknown node y (transient nodes and the ghost band, see
:mod:`pgweyl.landscape.chain`) and every cell (b, n) of the value distribution at θ(y):

- ``_displacements`` gives the move dy = L Δθ of one update (the update rule lives there
  and only there);
- the landing point y' = y + dy is absorbed into maximum j when π(θ(y')) is within ε of
  it (its exact label, never a grid approximation): the probability goes to b_j;
- otherwise y' is clamped into the box and represented by the Lagrange stencil of the
  requested degree on the unknowns: the probability times each weight goes to P.

Cells whose probability at y is below ``min_prob`` are lumped into one landing point at
their probability-weighted mean (mass is kept; the lumped mass, at most cells × min_prob
per step, is reported). Entries landing on the same node are summed (duplicates merged),
so a row has one entry per distinct node reached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgweyl import config
from pgweyl.budget import require


def first_within(maxima, policies, eps) -> np.ndarray:
    """Index of the first maximum within distance ε of each row of ``policies``
    (:meth:`LocalMaximum.distances`: total variation, or the mass outside a flat face),
    else −1: the absorbing label of the chain, wherever it is needed."""
    out = np.full(len(policies), -1, dtype=np.int64)
    for j, m in enumerate(maxima):
        out[(m.distances(policies) <= eps) & (out < 0)] = j
    return out


def _labels(env, thetas, maxima, eps) -> np.ndarray:
    """:func:`first_within` at π(θ) for rows of θ."""
    return first_within(maxima, env.policies(thetas), eps)


def _displacements(env, thetas, cells, probs, *, lr, baseline, L, rule=None) -> np.ndarray:
    """The update of one policy-gradient step from each θ for each cell, in effective
    coordinates (the update rule lives here and only here; :mod:`pgweyl.rules`).

    With one episode per update, constant step size α = ``lr`` and the score
    g(b, n) = (b − λ) − n ∇A(θ), ∇A(θ) = E_{π_θ}[s]:

    - vanilla:  Δθ = α (G(b, n) − β) g(b, n);
    - natural:  Δθ = α F(θ)⁺ (G(b, n) − β) g(b, n),  F(θ) = E_θ[T] Cov_{π_θ}(S) (Wald),
      E_θ[T] = Σ_c P_θ(c) n_c over the node's cells (the tail left out is ≤ ``tol``, so
      E[T] is low by at most E[T; T > N]), ⁺ the pseudo-inverse (rcond 1e−12, as in the
      simulator; the gauge direction gets no step);
    - entropy:  Δθ = α ((G(b, n) − β) g(b, n) + τ ∇H(θ)),
      ∇H(θ) = −Σ_s π(s) log π(s) (s − ∇A(θ));

    and dy = L Δθ, returned as an array (len(thetas) × len(cells) × dim). ``probs``
    (len(thetas) × len(cells)) are the cells' probabilities at each θ."""
    kind = "vanilla" if rule is None else rule.kind
    points = env.full_points(env.exit_points[cells.exit], cells.n)
    disp = (points - env.start).astype(float)  # b − λ, full coordinates
    vectors = env.steps.vectors.astype(float)
    pi = env.policies(thetas)
    grad_a = pi @ vectors  # ∇A(θ) per θ
    score = disp[None, :, :] - cells.n[None, :, None] * grad_a[:, None, :]
    dtheta = lr * (cells.ret - baseline)[None, :, None] * score
    if kind == "natural":
        centred = vectors[None, :, :] - grad_a[:, None, :]  # s − ∇A, per θ
        cov = np.einsum("ts,tsi,tsj->tij", pi, centred, centred)
        mean_t = probs @ cells.n.astype(float)
        fisher = mean_t[:, None, None] * cov
        inv = np.linalg.pinv(fisher, rcond=1e-12, hermitian=True)
        dtheta = np.einsum("tij,tcj->tci", inv, dtheta)
    elif kind == "entropy":
        logp = np.log(np.where(pi > 0, pi, 1.0))
        centred = vectors[None, :, :] - grad_a[:, None, :]
        grad_h = -np.einsum("ts,ts,tsi->ti", pi, logp, centred)
        dtheta = dtheta + (lr * rule.tau) * grad_h[:, None, :]
    return dtheta @ L.T


@dataclass
class System:
    """(I − P) x = b on one grid: ``A`` = I − P with Lagrange weights of degree
    ``order`` (CSR), ``A_linear`` the same landing points with multilinear weights (an
    M-matrix, the smoother's operator; None when not requested), ``b`` (unknowns × maxima),
    ``unknown`` (flat node index of each row), ``pos`` (row of each node or −1),
    ``label`` (−1 transient, j absorbing for maximum j, per node), ``n_max`` (rows of the
    value distribution), ``tail`` (largest P(T > n_max) over the nodes), ``lumped``
    (largest probability lumped per row), ``fallback`` (landing points whose stencil
    left the unknowns and used absorbing values instead), ``landing`` (landing points)."""

    grid: object
    order: int
    A: object
    A_linear: object
    b: np.ndarray
    unknown: np.ndarray
    pos: np.ndarray
    label: np.ndarray
    n_max: int
    tail: float
    lumped: float
    fallback: int
    landing: int

    @property
    def transient(self) -> np.ndarray:
        return self.label < 0


def ghost_band(grid, label, band: int) -> np.ndarray:
    """Boolean mask of the unknown nodes: transient nodes and the absorbing nodes within
    ``band`` nodes (Chebyshev distance) of one."""
    from scipy import ndimage

    transient = (label < 0).reshape(grid.shape)
    if band <= 0:
        return transient.ravel()
    box = np.ones((3,) * grid.dim, dtype=bool)
    return ndimage.binary_dilation(transient, structure=box, iterations=band).ravel()


def cell_bytes(env) -> int:
    """Peak bytes per (node, cell) while a chunk of nodes is assembled: log P and P, the
    masks, the landing point and displacement (effective dim each), the score, the update
    and their temporaries (full dim each) and the indices of kept cells, counted high."""
    full = env.steps.vectors.shape[1]
    return 8 * (8 + 3 * env.effective_dim + 4 * full)


def nodes_per_chunk(env, n_cells: int, chunk: int) -> int:
    """Nodes assembled at once: at most ``chunk``, and few enough that their arrays
    (``n_cells`` cells each, :func:`cell_bytes`) take at most half the memory budget —
    a long value distribution (γ near 1, a large alcove) shrinks the chunk instead of
    allocating gigabytes; refused (ResourceError) when one node alone does not fit."""
    per_node = n_cells * cell_bytes(env)
    require(
        2 * per_node,
        f"one node of the chain's transitions ({n_cells} cells of the value distribution)",
        "use a larger tol or a smaller alcove",
    )
    return max(1, min(int(chunk), int(config.MEMORY_BUDGET // (2 * per_node))))


def estimate_bytes(n_unknown: int, per_row: float, order: int, dim: int, linear: bool) -> float:
    """Bytes of the matrices of one grid: ``per_row`` landing points per unknown, one
    entry per stencil node (an upper bound: entries on the same node are merged), 12
    bytes per CSR entry, twice for the chunks alive while the matrix is stacked."""
    stencil = (order + 1) ** dim + (2**dim if linear else 0)
    return 2 * 12 * n_unknown * (per_row * stencil + 1)


def assemble(
    env,
    grid,
    maxima,
    *,
    eps,
    lr,
    baseline,
    L,
    order,
    rule=None,
    band,
    tol,
    min_prob,
    chunk,
    linear,
    on_chunk=None,
) -> System:
    """The system of :class:`System` for one grid (see the module docstring)."""
    import scipy.sparse as sp

    mesh = grid.mesh()
    thetas = env.lift(mesh)
    label = _labels(env, thetas, maxima, eps)
    unknown = np.flatnonzero(ghost_band(grid, label, band))
    n_u = len(unknown)
    pos = np.full(grid.size, -1, dtype=np.int64)
    pos[unknown] = np.arange(n_u)
    k_max = len(maxima)
    solver = env.solver
    # One truncation N for all unknown nodes: P(T > N) ≤ tol at every node.
    n_max = solver.common_truncation(thetas[unknown], tol)
    tail = float(np.exp(solver.log_tails(thetas[unknown], n_max).max())) if n_u else 0.0
    chunk = nodes_per_chunk(env, len(solver.cells(n_max).n), chunk)
    b = np.zeros((n_u, k_max))
    b_unused = np.zeros_like(b) if linear else None
    hi_parts, lin_parts = [], []
    lumped = 0.0
    fallback = 0
    landing = 0
    absorbing_value = np.zeros((grid.size, k_max))  # the h of absorbing nodes: e_j
    absorbing_value[label >= 0, label[label >= 0]] = 1.0
    for start in range(0, n_u, chunk):
        nodes = unknown[start : start + chunk]
        th = thetas[nodes]
        cells, logp = solver.log_cell_probs(th, n_max)
        prob = np.exp(logp)
        dy = _displacements(env, th, cells, prob, lr=lr, baseline=baseline, L=L, rule=rule)
        y = mesh[nodes][:, None, :] + dy  # landing points, nodes × cells × dim
        big = prob >= min_prob
        r, c = np.nonzero(big)
        p, yl = prob[r, c], y[r, c]
        # Lump the small cells of each node into one landing point at their mean.
        small = np.where(big, 0.0, prob)
        mass = small.sum(axis=1)
        lumped = max(lumped, float(mass.max()) if len(mass) else 0.0)
        has = mass > 0
        if has.any():
            mean = np.einsum("nc,ncd->nd", small[has], y[has]) / mass[has, None]
            r = np.concatenate([r, np.flatnonzero(has)])
            p = np.concatenate([p, mass[has]])
            yl = np.concatenate([yl, mean])
        landing += len(r)
        lab = _labels(env, env.lift(yl), maxima, eps)
        hit = lab >= 0
        np.add.at(b, (start + r[hit], lab[hit]), p[hit])
        r, p, yl = r[~hit], p[~hit], grid.clamp(yl[~hit])
        n_rows = len(nodes)
        fallback += _add_stencil(
            grid, yl, r, p, order, pos, absorbing_value, b, start, n_rows, hi_parts
        )
        if linear:  # the smoother's operator only: its right-hand side is not used
            _add_stencil(
                grid, yl, r, p, 1, pos, absorbing_value, b_unused, start, n_rows, lin_parts
            )
        if on_chunk is not None:
            on_chunk(len(nodes))

    def system_matrix(parts):
        A = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, n_u))
        parts.clear()
        A.sum_duplicates()
        A.sort_indices()
        return A

    A = system_matrix(hi_parts)
    A_lin = system_matrix(lin_parts) if linear else None
    return System(
        grid,
        order,
        A,
        A_lin,
        b,
        unknown,
        pos,
        label,
        int(n_max),
        tail,
        lumped,
        fallback,
        landing,
    )


def _add_stencil(grid, yl, r, p, degree, pos, absorbing_value, b, start, n_rows, parts) -> int:
    """Append rows start..start+n_rows of P for landing points ``yl`` (chunk rows ``r``,
    mass ``p``) with degree-``degree`` weights. A stencil node outside the unknowns (beyond
    the ghost band) contributes its known value e_j to ``b``; returns how many points had
    one."""
    import scipy.sparse as sp

    idx, w = grid.stencil(yl, degree)
    col = pos[idx]
    mass = p[:, None] * w
    out = col < 0
    if out.any():
        rows_out = np.broadcast_to(r[:, None], idx.shape)[out]
        np.add.at(b, start + rows_out, mass[out][:, None] * absorbing_value[idx[out]])
    keep = ~out
    rows = np.broadcast_to(r[:, None], idx.shape)[keep]
    # The rows of I − P: the diagonal 1, then −P; CSR conversion sums the entries that land
    # on the same node (duplicates merged).
    diag = np.arange(n_rows)
    data = np.concatenate([np.ones(n_rows), -mass[keep]])
    rows = np.concatenate([diag, rows])
    cols = np.concatenate([start + diag, col[keep]])
    parts.append(sp.csr_matrix((data, (rows, cols)), shape=(n_rows, b.shape[0])))
    return int(out.any(axis=1).sum())


__all__ = ["System", "assemble", "estimate_bytes", "first_within", "ghost_band"]
