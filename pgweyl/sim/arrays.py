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

import numpy as np

from pgweyl.budget import require
from pgweyl.errors import ArgumentError
from pgweyl.sim.config import RNG_STATE_WORDS
from pgweyl.sim.records import (
    POLICY_EXP,
    POLICY_SOFTMAX,
    ExactSampler,
    GraphWalk,
    Payoff,
    Walk,
)


def walk_arrays(env) -> Walk:
    """The walk of ``env`` as a :data:`~pgweyl.sim.records.Walk` record.

    ``delta[i, j] = (s_i, a_j)`` and ``slack0[j] = (λ, a_j) − b_j`` with the inward
    normals a_j and offsets b_j of the alcove; the walk exits at the first step after
    which some slack is ≤ 0. ``prism`` (type A): rewards are looked up by x − x_d(1, …, 1).
    """
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
    return Walk(
        start=start,
        vectors=vectors,
        vectors_f=vectors.astype(np.float64),
        delta=delta,
        slack0=np.ascontiguousarray(normals @ start - offsets),
        prism=bool(env.alcove.is_prism),
        policy_kind=POLICY_EXP if env.policy_kind == "exp" else POLICY_SOFTMAX,
    )


def graph_walk(env, walk: Walk) -> GraphWalk:
    """The walk of ``env`` on its step graph (:class:`pgweyl.weyl.step_graph.StepGraph`),
    as the lean REINFORCE kernel reads it.

    ``succ[s, i]`` is the state after step i from state s (state 0 is λ) or −1 − e when
    the step exits at exit point e. The exit point in full coordinates is
    x = b_e + x_d (1, …, 1) for type A (``b_e`` the representative, x_d = λ_d + Σ_t
    s_{i_t, d} accumulated along the walk from ``lift[i]`` = s_{i, d}) and x = b_e
    otherwise (``lift`` = 0), so x − λ = ``disp[e]`` + Σ_t ``lift[i_t]`` with
    ``disp[e] = b_e − λ (+ λ_d)``: integers, exactly what the slack walk forms from its
    step counts. ``reward[e]`` = R(b_e). ``zeros_k``/``zeros_d`` are tuples of k and d
    zeros: their lengths are part of the record's Numba type, so the kernel is compiled
    for these sizes and keeps π, its CDF and θ in registers.
    """
    graph = env.graph
    start = np.asarray(walk.start, dtype=np.int64)
    k, d = walk.vectors.shape
    disp = np.asarray(graph.exit_points, dtype=np.int64) - start[None, :]
    lift = np.zeros(k, dtype=np.int64)
    if walk.prism:
        disp += start[-1]
        lift[:] = walk.vectors[:, -1]
    return GraphWalk(
        succ=np.ascontiguousarray(graph.succ, dtype=np.int64),
        disp=np.ascontiguousarray(disp),
        reward=np.ascontiguousarray(env.exit_rewards, dtype=np.float64),
        lift=lift,
        zeros_k=(0.0,) * k,
        zeros_d=(0.0,) * d,
    )


#: Episodes shorter than this look γ^{T−1} up instead of calling pow.
GAMMA_TABLE = 4096


def payoff(env) -> Payoff:
    """R(b) on a dense box over exit-point representatives (NaN off the exit points; the
    cell of ρ is Σ_c (ρ_c − lo_c) · strides_c), with γ and the step cost."""
    reps = np.asarray(env.exit_points, dtype=np.int64)
    lo = reps.min(axis=0)
    shape = reps.max(axis=0) - lo + 1
    strides = np.ones_like(shape)
    for c in range(len(shape) - 2, -1, -1):
        strides[c] = strides[c + 1] * shape[c + 1]
    require(
        8 * float(np.prod(shape.astype(float))),
        f"the reward lookup box over the exit points of {env.alcove!r}",
    )
    table = np.full(int(np.prod(shape)), np.nan)
    table[(reps - lo) @ strides] = np.asarray(env.exit_rewards, dtype=np.float64)
    from pgweyl.sim.kernels import gamma_powers

    gpow = gamma_powers(float(env.gamma), GAMMA_TABLE)
    return Payoff(lo, shape, strides, table, float(env.gamma), float(env.step_cost), gpow)


def exact_sampler(env, theta0, tol: float) -> ExactSampler:
    """The tilted-table sampler's record: cells up to the tail truncation N of θ_0 at
    ``tol`` and the survival row N to walk on from (any N gives the exact law)."""
    t = env.solver.sampler_tables(theta0, tol)
    c = t.cells
    c64 = np.ascontiguousarray
    return ExactSampler(
        bool(t.gauge),
        float(t.log_k),
        int(t.n_table),
        c64(c.logq, dtype=np.float64),
        c64(c.n, dtype=np.int64),
        c64(c.delta, dtype=np.float64),
        t.cell_pt,
        t.state_logq,
        t.state_delta,
        t.state_pt,
        t.state_slack,
    )


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
