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

from pgweyl.budget import limit, require


def first_within(maxima, policies, eps) -> np.ndarray:
    """Index of the first maximum within distance ε of each row of ``policies``
    (:meth:`LocalMaximum.distances`: total variation, or the mass outside a flat face),
    else −1: the absorbing label of the chain, wherever it is needed."""
    out = np.full(len(policies), -1, dtype=np.int64)
    for j, m in enumerate(maxima):
        out[(distances(m, policies) <= eps) & (out < 0)] = j
    return out


def distances(maximum, policies) -> np.ndarray:
    """:meth:`LocalMaximum.distances` with the distance to a vertex written as the mass
    off the vertex, Σ_{s≠s*} π_s (= the total variation ½ Σ|π − δ_{s*}|, whose term
    |1 − π_{s*}| cancels to 0 or to a rounding error once the mass off s* falls below
    ulp(1); ε down to 1e−300 needs the small probabilities summed directly)."""
    policies = np.asarray(policies, dtype=float)
    if len(maximum.support) == 1:
        outside = np.ones(policies.shape[-1], dtype=bool)
        outside[list(maximum.support)] = False
        return policies[..., outside].sum(axis=-1)
    return maximum.distances(policies)


def _labels(env, thetas, maxima, eps) -> np.ndarray:
    """:func:`first_within` at π(θ) for rows of θ."""
    return first_within(maxima, env.policies(thetas), eps)


def _lean(env, pi):
    """(s*, Σ_{s≠s*} π_s (s − s*)) per row of policies ``pi``: the most likely step and
    the rest of ∇A(θ) = s* + lean, formed from the small probabilities themselves."""
    vectors = env.steps.vectors.astype(float)
    top = np.argmax(pi, axis=1)
    star = vectors[top]  # s* per θ
    rest = np.where(np.arange(pi.shape[1])[None, :] == top[:, None], 0.0, pi)
    lean = np.einsum("ts,tsi->ti", rest, vectors[None, :, :] - star[:, None, :])
    return star, lean


def _exit_disp(env, cells) -> np.ndarray:
    """b − λ per cell, full coordinates (exact integers, as floats)."""
    points = env.full_points(env.exit_points[cells.exit], cells.n)
    return (points - env.start).astype(float)


def _scores(env, pi, cells):
    """(∇A(θ), score g(b, n)) for policies ``pi`` (rows) and cells, without cancellation.

    With s* the most likely step of π, ∇A = Σ_s π_s s = s* + Σ_{s≠s*} π_s (s − s*) and

        g(b, n) = (b − λ − n s*) − n Σ_{s≠s*} π_s (s − s*),

    the first term an exact integer vector, the second formed from the small
    probabilities themselves. Written as (b − λ) − n∇A(θ) the score of the episode that
    only takes s* would be n s* − n(s* + O(q)): a difference of two numbers that agree to
    the last bit once the off-vertex mass q falls below ulp(1), and so exactly 0 instead
    of O(n q) — the quiet push that carries the chain into a vertex would vanish."""
    star, lean = _lean(env, pi)
    n = cells.n.astype(float)
    t = np.arange(len(pi))[:, None]
    score = _moves((star, lean, None, None), _exit_disp(env, cells)[None], n[None], 1.0, t)
    return star + lean, score


def _rule_parts(env, thetas, cells, probs, *, lr, rule=None) -> tuple:
    """What one update from each θ needs besides the cell (the update rule lives here and
    in :func:`_moves`; :mod:`pgweyl.rules`): (s*, lean, F(θ)⁺ or None, α τ ∇H(θ) or None).

    - natural: F(θ) = E_θ[T] Cov_{π_θ}(S) (Wald), E_θ[T] = Σ_c P_θ(c) n_c over the node's
      cells (the tail left out is ≤ ``tol``, so E[T] is low by at most E[T; T > N]), ⁺ the
      pseudo-inverse (rcond 1e−12, as in the simulator; the gauge direction gets no step);
    - entropy: ∇H(θ) = −Σ_s π(s) log π(s) (s − ∇A(θ)).

    ``probs`` (len(thetas) × len(cells)) are the cells' probabilities at each θ."""
    kind = "vanilla" if rule is None else rule.kind
    vectors = env.steps.vectors.astype(float)
    pi = env.policies(thetas)
    star, lean = _lean(env, pi)
    inv = drift = None
    centred = vectors[None, :, :] - (star + lean)[:, None, :]  # s − ∇A, per θ
    if kind == "natural":
        cov = np.einsum("ts,tsi,tsj->tij", pi, centred, centred)
        mean_t = probs @ cells.n.astype(float)
        fisher = mean_t[:, None, None] * cov
        inv = np.linalg.pinv(fisher, rcond=1e-12, hermitian=True)
    elif kind == "entropy":
        logp = np.log(np.where(pi > 0, pi, 1.0))
        grad_h = -np.einsum("ts,ts,tsi->ti", pi, logp, centred)
        drift = (lr * rule.tau) * grad_h
    return star, lean, inv, drift


def _moves(parts, disp, n, w, t, mass=None) -> np.ndarray:
    """Δθ of updates from the nodes ``t`` (indices into the rows of ``parts``, from
    :func:`_rule_parts`) for episodes with b − λ = ``disp`` (… × dim), length ``n`` and
    weight ``w`` = α (G − β) (arrays that broadcast together):

    - vanilla:  Δθ = w g,  g = (b − λ − n s*) − n lean (:func:`_scores`);
    - natural:  Δθ = F(θ)⁺ w g;
    - entropy:  Δθ = w g + α τ ∇H(θ).

    With ``mass`` (per node) the arguments are sums over a node's lumped cells —
    ``disp`` = Σ_c p_c w_c (b_c − λ), ``n`` = Σ_c p_c w_c n_c, ``w`` = 1 — and the result
    is Σ_c p_c Δθ_c (each term is linear in the cell; the entropy drift counts ``mass``
    times)."""
    star, lean, inv, drift = parts
    score = (disp - n[..., None] * star[t]) - n[..., None] * lean[t]
    dtheta = np.asarray(w)[..., None] * score
    if inv is not None:
        dtheta = np.einsum("...ij,...j->...i", inv[t], dtheta)
    if drift is not None:
        dtheta = dtheta + (drift[t] if mass is None else mass[..., None] * drift[t])
    return dtheta


def _displacements(env, thetas, cells, probs, *, lr, baseline, L, rule=None) -> np.ndarray:
    """The update of one policy-gradient step from each θ for each cell, in effective
    coordinates: :func:`_moves` for every (θ, cell), dy = L Δθ, an array (len(thetas) ×
    len(cells) × dim). With one episode per update, constant step size α = ``lr`` and
    baseline β; ``probs`` (len(thetas) × len(cells)) are the cells' probabilities at each
    θ (the natural rule's E_θ[T])."""
    parts = _rule_parts(env, thetas, cells, probs, lr=lr, rule=rule)
    w = lr * (cells.ret - baseline)
    t = np.arange(len(thetas))[:, None]
    n = cells.n.astype(float)
    dtheta = _moves(parts, _exit_disp(env, cells)[None], n[None], w[None], t)
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
    left the unknowns and used absorbing values instead), ``landing`` (landing points),
    ``diag`` (the diagonal of I − P per row, written as the probability that leaves the
    node: never 1 − P_ii), ``sigma`` (per row, the probability of every cell but the most
    likely one: the rate of the episodes that are not quiet), ``defect`` (per row, the
    probability truncated or lumped: what is not represented exactly)."""

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
    diag: np.ndarray | None = None
    sigma: np.ndarray | None = None
    defect: np.ndarray | None = None
    scaled: bool = False

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
    return max(1, min(int(chunk), int(limit() // (2 * per_node))))


def estimate_bytes(n_unknown: int, per_row: float, order: int, dim: int, linear: bool) -> float:
    """Bytes of the matrices of one grid: ``per_row`` landing points per unknown, one
    entry per stencil node (an upper bound: entries on the same node are merged), 12
    bytes per CSR entry, twice for the chunks alive while the matrix is stacked."""
    stencil = (order + 1) ** dim + (2**dim if linear else 0)
    return 2 * 12 * n_unknown * (per_row * stencil + 1)


def _chunk_probs(solver, th, n_max, tol, relative):
    """(cells, P, σ, tail, n) at the nodes ``th``: cell probabilities up to n, σ the mass
    of every cell but the most likely one (summed directly, never 1 − max), the tail
    P(T > n). With ``relative`` the truncation n is raised until tail ≤ tol·σ at every
    node (near a vertex σ ~ q, and an absolute tol would swamp the rare episodes that
    are all the chain does there)."""
    from pgweyl import config

    n = int(n_max)
    while True:
        cells, logp = solver.log_cell_probs(th, n)
        prob = np.exp(logp)
        top = np.argmax(prob, axis=1)
        rest = prob.copy()
        rest[np.arange(len(prob)), top] = 0.0
        sigma = rest.sum(axis=1)
        log_tail = solver.log_tails(th, n)
        if not relative:
            break
        floor = np.log(tol) + np.log(np.maximum(sigma, np.finfo(float).tiny))
        if np.all(log_tail <= floor) or n + 2 >= config.MAX_TABLE_ROWS - 1:
            break
        n += 2
    return cells, prob, top, sigma, np.exp(log_tail), n


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
    tails=None,
    relative=False,
    compact=None,
) -> System:
    """The system of :class:`System` for one grid (see the module docstring).

    Every landing point is kept as (node, displacement) and its stencil formed from the
    displacement in units of the spacing (:meth:`Grid.offset_stencil`), and the diagonal
    of each row is the probability that leaves the node — the tail, the absorbed cells,
    and 1 − w_self of every other cell — so rows stay exact when the chain barely moves.

    ``tails`` (1-D, the ε → 0 limit): {side: (j, R)} with side +1 for the upper end of
    the box and −1 for the lower; a landing point a distance x beyond that end takes
    the value e_j + e^{−R x} (h(end) − e_j) (:mod:`pgweyl.landscape.chain.limit`): mass
    (1 − e^{−Rx}) is absorbed into j and the rest lands on the end node. ``relative``:
    truncation and lumping relative to σ (the non-quiet mass) instead of absolute.

    ``compact`` (:class:`pgweyl.landscape.chain.compact.CompactHooks`): the grid is over
    the compact face coordinates u of the natural rule's 2-D chain instead of y — a
    node's y is ``compact.coords.y_of_u(u)``, a transient landing point's offset is
    (u(y') − u)/Δ (always inside [−1, 1]², never clamped), and a landing point within
    the sink around a vertex that is no maximum (``compact.sink.holds``) is absorbed
    with H = 0 (noted in ``compact.sunk`` for the escape bound); rows of sink nodes are
    x = 0. Without it every step below is the y-chain's, bit for bit."""
    import scipy.sparse as sp

    mesh = grid.mesh()
    ys = mesh if compact is None else compact.coords.y_of_u(mesh)
    thetas = env.lift(ys)
    pol = env.policies(thetas)
    label = first_within(maxima, pol, eps)
    in_sink = np.zeros(grid.size, dtype=bool) if compact is None else compact.in_sink(label, pol)
    unknown = np.flatnonzero(ghost_band(grid, label, band))
    n_u = len(unknown)
    pos = np.full(grid.size, -1, dtype=np.int64)
    pos[unknown] = np.arange(n_u)
    k_max = len(maxima)
    solver = env.solver
    spacing = np.array([a[1] - a[0] for a in grid.axes])
    multi = np.stack(np.unravel_index(np.arange(grid.size), grid.shape), axis=1)
    row_sink = in_sink[unknown]
    # One truncation N for all unknown nodes: P(T > N) ≤ tol at every node.
    n_max = solver.common_truncation(thetas[unknown], tol) if n_u else 1
    n_used = n_max
    # nodes per chunk sized to the budget by the common truncation's cells
    chunk = nodes_per_chunk(env, len(solver.cells(n_max).n), chunk) if n_u else chunk
    b = np.zeros((n_u, k_max))
    b_unused = np.zeros_like(b) if linear else None
    diag = np.zeros(n_u)
    diag_lin = np.zeros(n_u) if linear else None
    sigma_all = np.zeros(n_u)
    defect = np.zeros(n_u)
    hi_parts, lin_parts = [], []
    lumped = 0.0
    tail_max = 0.0
    fallback = 0
    landing = 0
    absorbing_value = np.zeros((grid.size, k_max))  # the h of absorbing nodes: e_j
    absorbing_value[label >= 0, label[label >= 0]] = 1.0
    for start in range(0, n_u, chunk):
        nodes = unknown[start : start + chunk]
        n_rows = len(nodes)
        stuck_row = row_sink[start : start + n_rows]
        th = thetas[nodes]
        cells, prob, top, sigma, tail, n_c = _chunk_probs(solver, th, n_max, tol, relative)
        n_used = max(n_used, n_c)
        if stuck_row.any():  # a sink row is x = 0: all of its mass leaves, into the sink
            sigma = np.where(stuck_row, 0.0, sigma)
            tail = np.where(stuck_row, 0.0, tail)
        tail_max = max(tail_max, float(tail.max()))
        sigma_all[start : start + n_rows] = sigma
        threshold = min_prob * (sigma if relative else np.ones(n_rows))
        big = prob >= threshold[:, None]
        big[np.arange(n_rows), top] = True  # the most likely cell is never lumped
        big[stuck_row] = False
        r, c = np.nonzero(big)
        # The moves of the cells kept (~1 in 6 on the triangle), and one per node for the
        # rest: never the whole nodes × cells array of :func:`_displacements`.
        parts = _rule_parts(env, th, cells, prob, lr=lr, rule=rule)
        w = lr * (cells.ret - baseline)
        n_cell = cells.n.astype(float)
        disp = _exit_disp(env, cells)
        p = prob[r, c]
        # einsum, not BLAS: each row's bits must not depend on the chunk (test_chain)
        with np.errstate(over="ignore", invalid="ignore"):  # a natural step near a face
            dl = np.einsum("pi,ei->pe", _moves(parts, disp[c], n_cell[c], w[c], r), L)
        # Lump the small cells of each node into one landing point at their mean.
        small = np.where(big, 0.0, prob)
        small[stuck_row] = 0.0
        mass = small.sum(axis=1)
        lumped = max(lumped, float(mass.max()) if len(mass) else 0.0)
        defect[start : start + n_rows] = mass + tail
        has = mass > 0
        if has.any():
            rows = np.flatnonzero(has)
            weighted = small[has] * w[None, :]
            sums = np.einsum("hc,ci->hi", weighted, disp), np.einsum("hc,c->h", weighted, n_cell)
            with np.errstate(over="ignore", invalid="ignore"):  # a natural step near a face
                total = _moves(parts, *sums, 1.0, rows, mass[has])
                mean = np.einsum("hi,ei->he", total, L) / mass[has, None]
            r = np.concatenate([r, rows])
            p = np.concatenate([p, mass[has]])
            dl = np.concatenate([dl, mean])
        landing += len(r)
        y_land = ys[nodes][r] + dl
        pol_land = env.policies(env.lift(y_land))
        lab = first_within(maxima, pol_land, eps)
        hit = lab >= 0
        np.add.at(b, (start + r[hit], lab[hit]), p[hit])
        out = hit if compact is None else hit | compact.sinks(lab, pol_land, y_land)
        absorbed = np.bincount(r[out], weights=p[out], minlength=n_rows).astype(float)
        absorbed[stuck_row] = 1.0
        r, p, dl = r[~out], p[~out], dl[~out]
        origin = multi[nodes][r]
        if compact is None:  # the displacement, kept apart from the node's position
            offset = dl / spacing
        else:  # the landing point's offset on the grid of u, inside [−1, 1]²
            offset = (compact.coords.u_of_y(y_land[~out]) - mesh[nodes][r]) / spacing
        if tails:
            r, p, origin, offset, gone = _tail_landing(
                grid, tails, r, p, origin, offset, b, start, n_rows
            )
            absorbed += gone
        diag[start : start + n_rows] += tail + absorbed
        fallback += _add_stencil(
            grid,
            origin,
            offset,
            r,
            p,
            order,
            pos,
            absorbing_value,
            b,
            start,
            n_rows,
            hi_parts,
            diag,
        )
        if linear:  # the smoother's operator only: its right-hand side is not used
            diag_lin[start : start + n_rows] += tail + absorbed
            _add_stencil(
                grid,
                origin,
                offset,
                r,
                p,
                1,
                pos,
                absorbing_value,
                b_unused,
                start,
                n_rows,
                lin_parts,
                diag_lin,
            )
        if on_chunk is not None:
            on_chunk(n_rows)

    def system_matrix(parts, d):
        A = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, n_u))
        parts.clear()
        A = A + sp.diags(d, format="csr")
        A.sum_duplicates()
        A.sort_indices()
        return A

    A = system_matrix(hi_parts, diag)
    A_lin = system_matrix(lin_parts, diag_lin) if linear else None
    return System(
        grid,
        order,
        A,
        A_lin,
        b,
        unknown,
        pos,
        label,
        int(n_used),
        tail_max,
        lumped,
        fallback,
        landing,
        diag,
        sigma_all,
        defect,
    )


def _tail_landing(grid, tails, r, p, origin, offset, b, start, n_rows):
    """Landing points beyond an end of a 1-D box that carries a tail (see
    :func:`assemble`): absorb (1 − e^{−R x}) of their mass into the tail's maximum and
    move the rest onto the end node. Returns the updated (r, p, origin, offset) and the
    absorbed mass per chunk row."""
    n_ax = grid.shape[0]
    gone = np.zeros(n_rows)
    spacing = grid.spacing
    for side, (j, rate) in tails.items():
        end = n_ax - 1 if side > 0 else 0
        # distance beyond the end in units of Δ, formed as integer + offset
        excess = ((origin[:, 0] - end) + offset[:, 0]) * side
        beyond = excess > 0
        if not beyond.any():
            continue
        x = excess[beyond] * spacing
        stay = np.exp(-rate * x)
        lost = p[beyond] * -np.expm1(-rate * x)
        np.add.at(b, (start + r[beyond], j), lost)
        np.add.at(gone, r[beyond], lost)
        p = p.copy()
        p[beyond] = p[beyond] * stay
        offset = offset.copy()
        offset[beyond, 0] = end - origin[beyond, 0]
    return r, p, origin, offset, gone


def _add_stencil(
    grid, origin, offset, r, p, degree, pos, absorbing_value, b, start, n_rows, parts, diag
) -> int:
    """Append rows start..start+n_rows of −P (off the diagonal) for landing points
    (``origin`` node, ``offset`` in units of Δ; chunk rows ``r``, mass ``p``) with
    degree-``degree`` weights, and add to ``diag`` the mass that leaves each node,
    p (1 − w_self). A stencil node outside the unknowns (beyond the ghost band)
    contributes its known value e_j to ``b``; returns how many points had one."""
    import scipy.sparse as sp

    idx, w, keep = grid.offset_stencil(origin, offset, degree)
    np.add.at(diag, start + r, p * keep)
    col = pos[idx]
    mass = p[:, None] * w
    out = col < 0
    if out.any():
        rows_out = np.broadcast_to(r[:, None], idx.shape)[out]
        np.add.at(b, start + rows_out, mass[out][:, None] * absorbing_value[idx[out]])
    rows = np.broadcast_to(r[:, None], idx.shape)
    # the origin's own weight is on the diagonal already (as 1 − w_self)
    keep_entry = ~out & (col != (start + rows))
    parts.append(
        sp.csr_matrix(
            (-mass[keep_entry], (rows[keep_entry], col[keep_entry])), shape=(n_rows, b.shape[0])
        )
    )
    return int(out.any(axis=1).sum())


__all__ = ["System", "assemble", "distances", "estimate_bytes", "first_within", "ghost_band"]
