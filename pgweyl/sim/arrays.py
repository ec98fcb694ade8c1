"""What the kernels are fed: walk tables, reward box, step CDF, RNG streams, checks.

Everything an environment contributes to a kernel is turned into plain contiguous
arrays here, so the kernels compile once per dtype signature and serve every type.

RNG streams: stream i of seed σ is the xoshiro256** state
``SeedSequence(σ).spawn(n)[i].generate_state(4, uint64)`` — the SeedSequence spawning
tree gives statistically independent streams, and carrying the state into the
kernel (instead of ``np.random`` global state, which jitted code does not see) makes the
draws the same at any Numba thread count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgweyl.errors import ArgumentError
from pgweyl.sim.config import RNG_STATE_WORDS


@dataclass(frozen=True)
class WalkArrays:
    """The walk of one environment as arrays (see :mod:`pgweyl.sim.kernels`).

    ``delta[i, j] = (s_i, a_j)`` and ``slack0[j] = (λ, a_j) − b_j`` with the inward
    normals a_j and offsets b_j of the alcove; the walk exits at the first step after
    which some slack is ≤ 0.
    """

    start: np.ndarray  # (d,) int64, λ in full coordinates
    vectors: np.ndarray  # (k, d) int64
    vectors_f: np.ndarray  # (k, d) float64
    delta: np.ndarray  # (k, walls) int64
    slack0: np.ndarray  # (walls,) int64
    prism: bool  # type A: rewards are looked up by x − x_d (1, …, 1)


@dataclass(frozen=True)
class RewardBox:
    """R(b) on a dense box over exit-point representatives; NaN off the exit points.

    Cell of a representative ρ: Σ_c (ρ_c − lo_c) · strides_c.
    """

    lo: np.ndarray
    shape: np.ndarray
    strides: np.ndarray
    table: np.ndarray


def walk_arrays(env) -> WalkArrays:
    normals = np.asarray(env.alcove.inward_normals, dtype=np.int64)
    offsets = np.asarray(env.alcove.inward_offsets, dtype=np.int64)
    vectors = np.ascontiguousarray(env.steps.vectors, dtype=np.int64)
    start = np.ascontiguousarray(env.start, dtype=np.int64)
    delta = np.ascontiguousarray(vectors @ normals.T)
    still = np.flatnonzero(~delta.any(axis=1))
    if len(still):
        # Such a step keeps every wall distance: a policy sure of it would never exit.
        raise ArgumentError(
            f"step {vectors[still[0]].tolist()} changes no wall distance; the walk may not end"
        )
    return WalkArrays(
        start=start,
        vectors=vectors,
        vectors_f=vectors.astype(np.float64),
        delta=delta,
        slack0=np.ascontiguousarray(normals @ start - offsets),
        prism=bool(env.alcove.is_prism),
    )


def reward_box(env) -> RewardBox:
    reps = np.asarray(env.exit_points, dtype=np.int64)
    lo = reps.min(axis=0)
    shape = reps.max(axis=0) - lo + 1
    strides = np.ones_like(shape)
    for c in range(len(shape) - 2, -1, -1):
        strides[c] = strides[c + 1] * shape[c + 1]
    table = np.full(int(np.prod(shape)), np.nan)
    table[(reps - lo) @ strides] = np.asarray(env.exit_rewards, dtype=np.float64)
    return RewardBox(lo=lo, shape=shape, strides=strides, table=table)


@dataclass(frozen=True)
class ExactArrays:
    """The tilted-table sampler's inputs (see :func:`pgweyl.sim.kernels._exact_episode`).

    Cells (n, b) with F_n(b) > 0 for n ≤ N: log q = log(F_n(b)/|S|^n), δ (θ-tilt
    vector), the exit point in full coordinates; interior states x at time N with
    log(C_N(λ, x)/|S|^N), δ, full coordinates and wall slacks (to walk on from)."""

    n_table: int
    cell_logq: np.ndarray
    cell_n: np.ndarray
    cell_delta: np.ndarray
    cell_pt: np.ndarray
    state_logq: np.ndarray
    state_delta: np.ndarray
    state_pt: np.ndarray
    state_slack: np.ndarray
    gauge: bool
    log_k: float


def exact_arrays(env, theta0, tol: float) -> ExactArrays:
    """Table cells up to the truncation N of θ_0 at ``tol`` (any N is exact: see above)."""
    solver = env.solver
    n_table, _ = solver.truncation(theta0, tol)
    ex, surv = solver.table.arrays()
    logq = ex[: n_table + 1]
    cn, cj = np.nonzero(np.isfinite(logq))
    row = surv[n_table]
    alive = np.flatnonzero(np.isfinite(row))
    state_pt = env.full_points(env.states[alive], n_table)
    normals = np.asarray(env.alcove.inward_normals, dtype=np.int64)
    offsets = np.asarray(env.alcove.inward_offsets, dtype=np.int64)
    c64 = np.ascontiguousarray
    return ExactArrays(
        n_table=int(n_table),
        cell_logq=c64(logq[cn, cj], dtype=np.float64),
        cell_n=c64(cn, dtype=np.int64),
        cell_delta=c64(solver.delta_exit[cj], dtype=np.float64),
        cell_pt=c64(env.full_points(env.exit_points[cj], cn), dtype=np.int64),
        state_logq=c64(row[alive], dtype=np.float64),
        state_delta=c64(solver.delta_state[alive], dtype=np.float64).reshape(len(alive), -1),
        state_pt=c64(state_pt, dtype=np.int64).reshape(len(alive), -1),
        state_slack=c64(state_pt @ normals.T - offsets, dtype=np.int64).reshape(len(alive), -1),
        gauge=bool(env.gauge),
        log_k=float(np.log(len(env.steps.vectors))),
    )


def empty_exact_arrays(dim: int, n_walls: int) -> ExactArrays:
    """Placeholders with the kernel's dtypes for sampler="walk"."""
    f1, i1 = np.zeros(0), np.zeros(0, dtype=np.int64)
    f2, i2 = np.zeros((0, dim)), np.zeros((0, dim), dtype=np.int64)
    return ExactArrays(0, f1, i1, f2, i2, f1, f2, i2, np.zeros((0, n_walls), np.int64), False, 0.0)


def step_cdf(probs) -> np.ndarray:
    """Cumulative table for inverse-CDF draws: ``cdf[-1] == 1`` exactly, and entries
    from the last positive probability on are 1, so a zero-probability cell is never
    drawn by "first j with u < cdf[j]" for u ∈ [0, 1)."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 1 or len(p) == 0 or not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ArgumentError("probabilities must be a non-empty vector of finite numbers >= 0")
    total = p.sum()
    if not total > 0:
        raise ArgumentError("probabilities sum to zero")
    cdf = np.cumsum(p / total)
    cdf[np.flatnonzero(p > 0)[-1] :] = 1.0
    return cdf


def stream_states(seed: int, n_streams: int, offset: int = 0) -> np.ndarray:
    """(n_streams, 4) uint64 xoshiro256** states; row r is stream offset + r, i.e. child
    offset + r of SeedSequence(seed) (spawn key (offset + r,)), whatever n_streams is."""
    children = [np.random.SeedSequence(seed, spawn_key=(offset + r,)) for r in range(n_streams)]
    states = np.empty((n_streams, RNG_STATE_WORDS), dtype=np.uint64)
    for i, child in enumerate(children):
        states[i] = child.generate_state(RNG_STATE_WORDS, dtype=np.uint64)
    # xoshiro's one forbidden state; SeedSequence makes it a 2^-256 event, but be exact.
    states[~states.any(axis=1), 0] = 1
    return states


# -- argument checks (one-line ArgumentError messages) -----------------------------------
def check_env(env):
    for attr in ("alcove", "steps", "start", "exit_points", "check_theta", "policy"):
        if not hasattr(env, attr):
            raise ArgumentError(f"env must be a pgweyl environment (AlcoveWalkEnv), got {env!r}")
    return env
