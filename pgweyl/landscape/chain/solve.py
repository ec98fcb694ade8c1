"""Planning and solving the chain on its grids: sizes, memory, coarsest-first solves.

The answered grids (refinement levels: spacing Δ, 2Δ, 4Δ) are extended downwards by
coarser grids until one has at most ``DIRECT_LIMIT`` unknowns: the base of the multigrid
preconditioner. Grids are assembled and solved from the coarsest up; each answered grid
solved by GMRES starts from the next coarser answer (interpolated) and is preconditioned
by a V-cycle over itself and the grids below it.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from pgweyl.budget import require
from pgweyl.errors import AccuracyError
from pgweyl.landscape.chain.grid import Grid, refinement_sizes
from pgweyl.landscape.chain.result import ChainLevel
from pgweyl.landscape.chain.transitions import (
    _labels,
    assemble,
    estimate_bytes,
    ghost_band,
    nodes_per_chunk,
)

#: Smallest grid (nodes per axis) of the hierarchy.
#: The grid must resolve the chain's diffusion length: Δ |E[dy]| / E[|dy|²] at most this
#: (the y-chain's ``_check_resolution`` and the compact chain's ``check_resolution``).
MAX_PECLET = 16.0


def worst_peclet(mean, second, spacing: float) -> float:
    """The smallest cell Péclet number Δ |E[dy]| / E[|dy|²] over the rows of ``mean``
    (E[dy]) and ``second`` (E[|dy|²]); a row that does not move counts as resolved."""
    with np.errstate(divide="ignore", invalid="ignore"):
        peclet = np.where(second > 0, spacing * np.sqrt((mean**2).sum(axis=1)) / second, np.inf)
    return float(np.min(peclet))


def finer_grid(need: float) -> str:
    """How a refusal of :data:`MAX_PECLET` says what would resolve the chain: a grid of at
    least ``need`` + 1 nodes per axis (or just "a finer grid" beyond any grid)."""
    return f"grid ≥ {int(math.ceil(need)) + 1}" if need < 1e9 else "a finer grid"


MIN_NODES = 9

#: Nonzeros of a sparse LU per stencil entry (per_row × (degree + 1)^dim, the estimate's
#: bound before entries on one node merge), per effective dimension: ≲ 30 at the 2-D
#: direct limit, ≲ 4 in 1-D; in 3-D (simplex, multilinear) 2.2 at 2 197 unknowns, 3.0 at
#: 3 349 and 4.1 at 4 847 (17³; 19× the merged nonzeros, 0.7 s) — 8 leaves room.
LU_FILL = {1: 4, 2: 30, 3: 8}

#: The linear solve of an answered grid must leave max |b − (I − P) x| below this.
MAX_RESIDUAL = 1e-8


@dataclass
class Plan:
    """Grids (finest first), their unknowns, which are answered, solved iteratively,
    and carry a multilinear operator for the V-cycle."""

    grids: list
    unknowns: list
    n_answer: int
    iterative: list
    linear: list
    bytes: float = 0.0
    per_row: float = 0.0
    extra: dict = field(default_factory=dict)


def box_grid(dim: int, lo: float, hi: float, size: int) -> Grid:
    ax = np.linspace(lo, hi, size)
    ax.setflags(write=False)
    return Grid(tuple(ax for _ in range(dim)))


def _unknown_count(env, grid, maxima, eps, band) -> int:
    label = _labels(env, env.lift(grid.mesh()), maxima, eps)
    return int(ghost_band(grid, label, band).sum())


def _landing_points_per_row(env, grid, maxima, eps, tol, min_prob) -> float:
    """Mean number of cells ≥ min_prob (+1 for the lumped rest) over the transient nodes
    of a small grid (for the memory estimate only)."""
    th = env.lift(grid.mesh())
    th = th[_labels(env, th, maxima, eps) < 0]
    if not len(th):
        return 1.0
    s = env.solver
    n_max = s.common_truncation(th, tol)
    # in chunks sized to the budget: a long value distribution must not allocate here
    step = nodes_per_chunk(env, len(s.cells(n_max).n), len(th))
    kept = 0
    for i in range(0, len(th), step):
        _, logp = s.log_cell_probs(th[i : i + step], n_max)
        kept += int((logp >= math.log(min_prob)).sum())
    return kept / len(th) + 1.0


def plan(env, maxima, *, eps, lo, hi, n, n_answer, order, solver, tol, min_prob) -> Plan:
    """Choose the grids and refuse (ResourceError) before any large allocation.

    The unknowns and landing points per node are first estimated on a 33^dim grid over
    the same box (a fraction of the nodes scales with the grid), so an absurd request is
    refused in well under a second; then the grids are built and counted exactly."""
    from pgweyl.landscape.chain.linear import DIRECT_LIMIT, RESTART

    dim = env.effective_dim
    band = order + 1
    limit = DIRECT_LIMIT[dim]
    sizes = refinement_sizes(n, n_answer)
    probe = box_grid(dim, lo, hi, 33)
    frac = _unknown_count(env, probe, maxima, eps, band) / probe.size
    per_row = _landing_points_per_row(env, probe, maxima, eps, tol, min_prob)

    def estimate(sizes_, unknowns, iterative, linear):
        total = 0.0
        for k, (s, u) in enumerate(zip(sizes_, unknowns)):
            deg = order if k < n_answer else 1
            total += estimate_bytes(u, per_row, deg, dim, linear[k]) + s**dim * 64
            if not iterative[k]:  # LU fill (LU_FILL) times the stencil entries' bound
                total += u * per_row * (deg + 1) ** dim * LU_FILL[dim] * 12
            else:
                total += 2 * (RESTART + 1) * u * 8
        return total

    def describe(sizes_, unknowns):
        grids = ", ".join(f"{s}^{dim}" for s in sizes_)
        return (
            f"the chain's systems on grids {grids} (~{int(sum(unknowns))} unknowns, "
            f"~{per_row:.0f} landing points per node)"
        )

    hint = "use a smaller grid, a larger min_prob or refine=False"
    guess_sizes = list(sizes)
    if solver != "direct":
        while frac * guess_sizes[-1] ** dim > limit and (guess_sizes[-1] - 1) // 2 + 1 >= MIN_NODES:
            guess_sizes.append((guess_sizes[-1] - 1) // 2 + 1)
    guess = [frac * s**dim for s in guess_sizes]
    flags = _flags(guess, n_answer, limit, solver)
    require(estimate(guess_sizes, guess, *flags), describe(guess_sizes, guess), hint=hint)
    grids = [box_grid(dim, lo, hi, s) for s in sizes]
    unknowns = [_unknown_count(env, g, maxima, eps, band) for g in grids]
    if solver != "direct":  # coarsen below the answered grids until an LU is quick
        while unknowns[-1] > limit and (grids[-1].shape[0] - 1) // 2 + 1 >= MIN_NODES:
            grids.append(box_grid(dim, lo, hi, (grids[-1].shape[0] - 1) // 2 + 1))
            unknowns.append(_unknown_count(env, grids[-1], maxima, eps, band))
    iterative, linear = _flags(unknowns, n_answer, limit, solver)
    sizes = [g.shape[0] for g in grids]
    total = estimate(sizes, unknowns, iterative, linear)
    require(total, describe(sizes, unknowns), hint=hint)
    return Plan(grids, unknowns, n_answer, iterative, linear, total, per_row)


def _flags(unknowns, n_answer, limit, solver):
    """(iterative, linear) per grid: LU up to ``limit`` unknowns (always at the base);
    multilinear operators from the finest iterative grid down to the base."""
    iterative = [solver == "iterative" or (solver == "auto" and u > limit) for u in unknowns]
    iterative[-1] = False
    first = next((k for k, it in enumerate(iterative) if it), None)
    linear = [first is not None and k >= first for k in range(len(unknowns))]
    return iterative, linear


@dataclass
class _State:
    """What the coarser grids hand to the finer ones during :func:`solve_levels`."""

    systems: dict = field(default_factory=dict)
    vlevels: dict = field(default_factory=dict)
    base_lu: dict = field(default_factory=dict)
    previous: tuple | None = None  # (grid, extended values) of the last answered grid
    leak: float = 0.0
    lumped: float = 0.0
    defect_ratio: float = 0.0
    expected: tuple | None = None  # (axes, E[updates]) on the smallest grid
    cancel: threading.Event = field(default_factory=threading.Event)


def solve_levels(env, maxima, p: Plan, settings: dict, bar):
    """Assemble and solve every grid of ``p``, coarsest first.

    Returns (answered levels finest first, (leak, lumped) per update, (axes, E[updates]))."""
    from pgweyl.landscape.chain import linear as lin

    st = _State() if bar.cancel is None else _State(cancel=bar.cancel)
    answers = [None] * p.n_answer
    for k in range(len(p.grids) - 1, -1, -1):
        t0 = time.perf_counter()
        g = p.grids[k]
        answered = k < p.n_answer
        bar.phase(f"transitions on {g.shape[0]}^{g.dim} ({p.unknowns[k]} unknowns)", p.unknowns[k])
        # the compact natural chain brings its own assembly (chain/compact.py)
        sysk = settings.get("assemble", assemble)(
            env,
            g,
            maxima,
            order=settings["order"] if answered else 1,
            band=settings["order"] + 1,
            linear=p.linear[k] and answered,
            on_chunk=bar.update,
            **{
                key: settings[key]
                for key in ("eps", "lr", "baseline", "L", "tol", "rule", "tails", "relative")
            },
            min_prob=settings["min_prob"],
            chunk=settings["chunk"],
        )
        if g.dim == 1:
            _scale_rows(sysk)
        st.systems[k] = sysk
        st.leak = max(st.leak, sysk.tail)
        st.lumped = max(st.lumped, sysk.lumped)
        if len(sysk.sigma):
            ratio = sysk.defect / np.maximum(sysk.sigma, np.finfo(float).tiny)
            st.defect_ratio = max(st.defect_ratio, float(ratio.max()))
        if p.linear[k]:
            A_lin = sysk.A_linear if answered else sysk.A
            st.vlevels[k] = lin.Level(A_lin, A_lin.diagonal(), lin.gs_order(sysk))
            if k + 1 in st.vlevels:
                st.vlevels[k].prolong, st.vlevels[k].restrict = lin.transfer(
                    sysk, st.systems[k + 1]
                )
        if k == len(p.grids) - 1:  # the smallest grid: an LU, and E[updates]
            bar.phase(f"LU on {g.shape[0]}^{g.dim} ({p.unknowns[k]} unknowns)")
            factor = lin.interruptible(st.cancel, lin.lu, sysk.A)
            st.base_lu[k] = factor
            st.expected = _expected_updates(sysk, factor)
        if answered:
            answers[k] = _answer(k, sysk, p, st, bar, t0)
    return answers, (st.leak, st.lumped, st.defect_ratio), st.expected


def _answer(k, sysk, p: Plan, st: _State, bar, t0) -> ChainLevel:
    """Solve the answered grid k (LU or GMRES + V-cycle) and package its level."""
    from pgweyl.landscape.chain import linear as lin

    g = sysk.grid
    B = sysk.b
    k_max = B.shape[1]
    if p.iterative[k]:
        base = next(j for j in range(k + 1, len(p.grids)) if not p.iterative[j])
        if base not in st.base_lu:
            bar.phase(f"LU of the multigrid base {p.grids[base].shape[0]}^{g.dim}")
            st.base_lu[base] = lin.interruptible(st.cancel, lin.lu, st.vlevels[base].A)
        vc = lin.VCycle([st.vlevels[j] for j in range(k, base)], st.base_lu[base])
        X0 = np.zeros_like(B)
        if st.previous is not None:
            X0[:] = st.previous[0].interpolate(st.previous[1], g.mesh()[sysk.unknown], 1).T
        bar.phase(f"GMRES on {g.shape[0]}^{g.dim}")
        X, its = lin.interruptible(
            st.cancel, lin.solve_iterative, sysk.A, B, vc.apply, X0, st.cancel, bar
        )
        how = "gmres+vcycle"
    else:
        if k not in st.base_lu:
            bar.phase(f"LU on {g.shape[0]}^{g.dim} ({p.unknowns[k]} unknowns)")
            st.base_lu[k] = lin.interruptible(st.cancel, lin.lu, sysk.A)
        X = st.base_lu[k].solve(B)
        its, how = 0, "splu"
    residual = float(np.abs(sysk.A @ X - B).max()) if len(B) else 0.0
    if not np.isfinite(residual) or residual > MAX_RESIDUAL:
        raise AccuracyError(
            f"the chain's linear solve on {g.shape[0]}^{g.dim} left a residual of "
            f"{residual:.2g} (more than {MAX_RESIDUAL:g})"
        )
    h, ext = _fields(sysk, X, k_max)
    st.previous = (g, ext.reshape(k_max, -1))
    return ChainLevel(
        axes=g.axes,
        label=sysk.label.reshape(g.shape).astype(np.int8),
        h=h,
        extended=ext,
        solver=how,
        iterations=int(its),
        residual=residual,
        unknowns=len(sysk.unknown),
        nonzeros=int(sysk.A.nnz),
        seconds=time.perf_counter() - t0,
    )


def _scale_rows(sysk) -> None:
    """Divide each row of the system by its diagonal (the probability of leaving the
    node), in place. Deep in a vertex that probability is O(q) — 1e−300 at ε = 1e−300 —
    and unscaled rows would leave the pivoting and the residual test blind to them."""
    import scipy.sparse as sp

    d = 1.0 / sysk.diag
    D = sp.diags(d, format="csr")
    sysk.A = (D @ sysk.A).tocsr()
    if sysk.A_linear is not None:
        sysk.A_linear = (D @ sysk.A_linear).tocsr()
    sysk.b = sysk.b * d[:, None]
    sysk.scaled = True


def _expected_updates(sysk, factor) -> tuple:
    """(axes, E_y[number of updates until absorption], E_y[Σ_k σ(θ_k)]) on the grid of
    ``sysk`` (0 on absorbing nodes): (I − P) t = 1 and (I − P) s = σ with the
    factorisation ``factor`` of I − P (rows scaled as the system's). σ is the mass of the
    episodes that are not quiet, so s counts the updates that move the chain by O(α):
    finite even where the number of updates is astronomically large."""
    g = sysk.grid
    n_u = len(sysk.unknown)
    scale = 1.0 / sysk.diag if getattr(sysk, "scaled", False) else np.ones(n_u)
    sol = factor.solve(np.stack([scale, sysk.sigma * scale], axis=1)) if n_u else np.zeros((0, 2))
    out = []
    for c in range(2):
        t = np.zeros(g.size)
        t[sysk.unknown] = sol[:, c]
        t[sysk.label >= 0] = 0.0
        out.append(t.reshape(g.shape))
    return g.axes, out[0], out[1]


def _fields(sysk, X, k_max):
    """(h, extended) on the grid from the unknowns' solution X (unknowns × maxima)."""
    g = sysk.grid
    ext = np.zeros((k_max, g.size))
    absorbing = np.flatnonzero(sysk.label >= 0)
    ext[sysk.label[absorbing], absorbing] = 1.0
    ext[:, sysk.unknown] = X.T
    h = ext.copy()
    h[:, absorbing] = 0.0
    h[sysk.label[absorbing], absorbing] = 1.0
    shape = (k_max,) + g.shape
    return h.reshape(shape), ext.reshape(shape)


__all__ = ["MIN_NODES", "Plan", "box_grid", "plan", "solve_levels"]
