"""Numba kernels of the simulation layer: PRNG, lattice walk, samplers, REINFORCE runs.

Every kernel is driven by arrays only, so one compiled signature serves every Cartan
type, level, step set and reward rule (nothing is closed over as a constant):

- ``delta[i, j] = (s_i, a_j)``: how step i changes the slack of wall j, where the open
  alcove is {x : (x, a_j) − b_j > 0 for all j} (``alcove.inward_normals/offsets``);
- ``slack0[j] = (λ, a_j) − b_j``: the slacks at the start λ (all > 0);
- ``cdf``: cumulative step probabilities with ``cdf[-1] == 1.0`` exactly (see
  :func:`pgweyl.sim.arrays.step_cdf`); step i is drawn when
  ``cdf[i-1] <= u < cdf[i]`` for a uniform u ∈ [0, 1);
- rewards by a dense box over exit-point representatives (``rew_lo``, ``rew_shape``,
  ``rew_strides``, ``rew_table``; NaN marks a cell that is not an exit point).

Random numbers: xoshiro256** (Blackman & Vigna 2018) on a 4-word uint64 state owned by
one run or one block of episodes; u = (next() >> 11) · 2^−53. Streams never share
state, so results do not depend on how ``prange`` spreads them over threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from pgweyl.sim.config import NJIT, NJIT_PARALLEL

_TWO_M53 = 1.0 / 9007199254740992.0  # 2^-53: 53 random bits → a double in [0, 1)
_U5 = np.uint64(5)
_U9 = np.uint64(9)
_U7 = np.uint64(7)
_U57 = np.uint64(57)
_U17 = np.uint64(17)
_U45 = np.uint64(45)
_U19 = np.uint64(19)
_U11 = np.uint64(11)

# Codes shared with the Python wrappers.
POLICY_EXP = 0
POLICY_SOFTMAX = 1
SCHEDULE_CONSTANT = 0
SCHEDULE_DECAY = 1
BASELINE_NONE = 0
BASELINE_CONSTANT = 1
BASELINE_MEAN = 2
ERROR_NO_REWARD = 1
ERROR_NONFINITE = 2
SAMPLER_WALK = 0
SAMPLER_EXACT = 1


# -- random numbers ----------------------------------------------------------------------
@njit(**NJIT)
def _xoshiro(s0, s1, s2, s3):
    """One xoshiro256** step on a state held in scalars: (output, new s0..s3)."""
    m = s1 * _U5
    result = ((m << _U7) | (m >> _U57)) * _U9
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U45) | (s3 >> _U19)
    return result, s0, s1, s2, s3


@njit(**NJIT)
def _next_u64(st):
    """One xoshiro256** output; advances the 4-word state array ``st`` in place."""
    result, s0, s1, s2, s3 = _xoshiro(st[0], st[1], st[2], st[3])
    st[0] = s0
    st[1] = s1
    st[2] = s2
    st[3] = s3
    return result


@njit(**NJIT)
def _uniform(st):
    """u ∈ [0, 1) from the top 53 bits of one xoshiro256** output."""
    return float(_next_u64(st) >> _U11) * _TWO_M53


# -- one episode -------------------------------------------------------------------------
@njit(**NJIT)
def _walk_episode(start, vectors, delta, slack0, cdf, st, slack, counts, x):
    """Walk from λ until the first step that leaves the open alcove; return T ≥ 1.

    On return ``counts[i]`` is how often step i was taken (Σ counts = T) and ``x`` the
    exit point b = λ + Σ_i counts[i] s_i in full coordinates. ``slack``, ``counts`` and
    ``x`` are work arrays of sizes (walls, steps, dim) owned by the caller.
    """
    n_walls = slack0.shape[0]
    for j in range(n_walls):
        slack[j] = slack0[j]
    for i in range(counts.shape[0]):
        counts[i] = 0
    # The generator state lives in scalars during the walk: kept in registers, it cannot
    # alias the work arrays (measured ≈ 1.1× faster than updating ``st`` every step).
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    T = 0
    while True:
        r, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        u = float(r >> _U11) * _TWO_M53
        i = 0
        while u >= cdf[i]:
            i += 1
        counts[i] += 1
        T += 1
        # Every wall is updated even after one fails so the loop body has no early exit.
        outside = False
        for j in range(n_walls):
            v = slack[j] + delta[i, j]
            slack[j] = v
            if v <= 0:
                outside = True
        if outside:
            break
    st[0] = s0
    st[1] = s1
    st[2] = s2
    st[3] = s3
    for c in range(x.shape[0]):
        v = start[c]
        for i in range(counts.shape[0]):
            v += counts[i] * vectors[i, c]
        x[c] = v
    return T


@njit(**NJIT)
def _exit_reward(x, prism, rew_lo, rew_shape, rew_strides, rew_table):
    """R(b) by the dense box lookup, or NaN when b is not a tabulated exit point."""
    d = x.shape[0]
    shift = x[d - 1] if prism else 0
    idx = 0
    for c in range(d):
        off = x[c] - shift - rew_lo[c]
        if off < 0 or off >= rew_shape[c]:
            return np.nan
        idx += off * rew_strides[c]
    return rew_table[idx]


@njit(**NJIT)
def _episode_return(reward, T, gamma, step_cost):
    """G = γ^{T−1} R − c Σ_{t<T} γ^t (closed form of the geometric sum)."""
    if gamma == 1.0:
        return reward - step_cost * T
    disc = gamma ** (T - 1.0)
    return disc * reward - step_cost * (1.0 - gamma * disc) / (1.0 - gamma)


@njit(**NJIT)
def _policy_probs(kind, vectors_f, theta, logits, p, cdf):
    """π_θ into ``p`` and its cumulative table into ``cdf`` (``cdf[-1] == 1``).

    exp: logit_i = (θ, s_i); softmax: logit_i = θ_i. Shifted by the largest logit
    before exponentiating. Entries from the last positive probability on are set to 1
    so that a zero-probability step can never be drawn and the scan always stops.
    """
    k = p.shape[0]
    top = -np.inf
    for i in range(k):
        if kind == POLICY_EXP:
            v = 0.0
            for c in range(theta.shape[0]):
                v += vectors_f[i, c] * theta[c]
        else:
            v = theta[i]
        logits[i] = v
        if v > top:
            top = v
    total = 0.0
    for i in range(k):
        e = np.exp(logits[i] - top)
        p[i] = e
        total += e
    last = 0
    acc = 0.0
    for i in range(k):
        p[i] /= total
        acc += p[i]
        cdf[i] = acc
        if p[i] > 0.0:
            last = i
    for i in range(last, k):
        cdf[i] = 1.0


@njit(**NJIT)
def _match_target(p, targets, target_flat, eps):
    """Index of the first target within ``eps`` of p, else −1.

    A point target t is at total variation ½ Σ_i |p_i − targets[t, i]|; a face target
    (``target_flat[t]`` = 1: a face of maxima on which V is constant) is at the mass p
    puts outside the face, Σ_{i : targets[t, i] = 0} p_i (its total variation to the
    nearest policy of the face)."""
    for t in range(targets.shape[0]):
        dist = 0.0
        if target_flat[t]:
            for i in range(p.shape[0]):
                if targets[t, i] == 0.0:
                    dist += p[i]
        else:
            for i in range(p.shape[0]):
                dist += abs(p[i] - targets[t, i])
            dist *= 0.5
        if dist <= eps:
            return t
    return -1


# -- samplers ----------------------------------------------------------------------------
@njit(**NJIT_PARALLEL)
def _simulate_walk(start, vectors, delta, slack0, cdf, states, per_stream, points, times):
    """Episodes [s·per_stream, (s+1)·per_stream) are drawn from stream s of ``states``."""
    n = times.shape[0]
    n_walls, k, d = slack0.shape[0], vectors.shape[0], vectors.shape[1]
    for s in prange(states.shape[0]):
        st = states[s].copy()
        slack = np.empty(n_walls, np.int64)
        counts = np.empty(k, np.int64)
        x = np.empty(d, np.int64)
        for e in range(s * per_stream, min(n, (s + 1) * per_stream)):
            times[e] = _walk_episode(start, vectors, delta, slack0, cdf, st, slack, counts, x)
            for c in range(d):
                points[e, c] = x[c]


@njit(**NJIT_PARALLEL)
def _simulate_table(cdf, states, per_stream, out):
    """Inverse-CDF draws of cell indices: out[e] = first j with u < cdf[j]."""
    n = out.shape[0]
    for s in prange(states.shape[0]):
        st = states[s].copy()
        for e in range(s * per_stream, min(n, (s + 1) * per_stream)):
            out[e] = np.searchsorted(cdf, _uniform(st), side="right")


# -- exact sampler inside REINFORCE ------------------------------------------------------
@njit(**NJIT)
def _tilt_tables(
    theta,
    gauge,
    vectors_f,
    log_k,
    cell_logq,
    cell_n,
    cell_delta,
    state_logq,
    state_delta,
    n_table,
    cell_cum,
    state_cum,
):
    """Cumulative P_θ(b, n) over the table cells and P_θ(X_N = x, T > N) over states.

    log P = log q + (θ_c, δ) − n (A(θ_c) − log|S|), θ_c gauge-fixed (Σθ_c = 0) when
    the family has a gauge, exactly as :class:`pgweyl.exact.ExactSolver` tilts."""
    dim = theta.shape[0]
    shift = 0.0
    if gauge:
        for c in range(dim):
            shift += theta[c]
        shift /= dim
    k = vectors_f.shape[0]
    top = -np.inf
    for i in range(k):
        v = 0.0
        for c in range(dim):
            v += vectors_f[i, c] * (theta[c] - shift)
        if v > top:
            top = v
    z = 0.0
    for i in range(k):
        v = 0.0
        for c in range(dim):
            v += vectors_f[i, c] * (theta[c] - shift)
        z += np.exp(v - top)
    abar = top + np.log(z) - log_k
    acc = 0.0
    for j in range(cell_logq.shape[0]):
        v = cell_logq[j] - cell_n[j] * abar
        for c in range(dim):
            v += cell_delta[j, c] * (theta[c] - shift)
        acc += np.exp(v)
        cell_cum[j] = acc
    acc = 0.0
    for j in range(state_logq.shape[0]):
        v = state_logq[j] - n_table * abar
        for c in range(dim):
            v += state_delta[j, c] * (theta[c] - shift)
        acc += np.exp(v)
        state_cum[j] = acc


@njit(**NJIT)
def _exact_episode(
    cell_cum,
    cell_n,
    cell_pt,
    state_cum,
    state_pt,
    state_slack,
    n_table,
    vectors,
    delta,
    cdf,
    st,
    slack,
    counts,
    x,
):
    """(b, T) drawn from the tilted table; past its last row, walk on from X_N.

    With probability P(T ≤ N) a cell is drawn; otherwise X_N is drawn from the tilted
    survival row and the lattice walk continues from it, so the law is exact whatever
    the truncation N of the table."""
    u = _uniform(st)
    n_cells = cell_cum.shape[0]
    total = cell_cum[n_cells - 1] if n_cells > 0 else 0.0
    surv = state_cum[state_cum.shape[0] - 1] if state_cum.shape[0] > 0 else 0.0
    if u < total or not surv > 0.0:
        j = np.searchsorted(cell_cum, u if u < total else u * total, side="right")
        if j >= n_cells:
            j = n_cells - 1
        for c in range(x.shape[0]):
            x[c] = cell_pt[j, c]
        return cell_n[j]
    v = _uniform(st) * surv
    j = np.searchsorted(state_cum, v, side="right")
    if j >= state_cum.shape[0]:
        j = state_cum.shape[0] - 1
    T = _walk_episode(state_pt[j], vectors, delta, state_slack[j], cdf, st, slack, counts, x)
    return n_table + T


# -- REINFORCE ---------------------------------------------------------------------------
@njit(**NJIT_PARALLEL)
def _reinforce_runs(
    start,
    vectors,
    vectors_f,
    delta,
    slack0,
    kind,
    prism,
    rew_lo,
    rew_shape,
    rew_strides,
    rew_table,
    gamma,
    step_cost,
    theta0,
    lr,
    schedule,
    tau,
    power,
    n_updates,
    batch,
    baseline_kind,
    baseline_value,
    targets,
    target_flat,
    eps,
    record_every,
    states,
    final_theta,
    stopped_at,
    target_index,
    trajectory,
    errors,
    sampler,
    gauge,
    log_k,
    cell_logq,
    cell_n,
    cell_delta,
    cell_pt,
    state_logq,
    state_delta,
    state_pt,
    state_slack,
    n_table,
):
    """Independent REINFORCE runs, one per row of ``states`` (THEORY §5).

    θ_{k+1} = θ_k + α_k (1/B) Σ_j (G_j − β_k) g_j with
    g = (b − λ) − T ∇A(θ_k) (exp) or g = counts − T π_θk (softmax);
    α_k = lr (constant) or lr / (1 + k/τ)^power (decay);
    β_k = 0, a constant, or the mean of every return of the run before update k (0
    before the first). A run stops at the first θ_k (k = 0..n_updates) whose policy is
    within total variation ``eps`` of a row of ``targets``; ``trajectory[r, i]`` holds
    θ_{i·record_every}, frozen at the stopped θ after a stop. ``sampler`` selects the
    lattice walk or the exact draw of :func:`_exact_episode` (tables tilted at θ_k).
    """
    n_runs = states.shape[0]
    k = vectors.shape[0]
    d = vectors.shape[1]
    dim = theta0.shape[0]
    n_walls = slack0.shape[0]
    n_records = trajectory.shape[1]
    for r in prange(n_runs):
        st = states[r].copy()
        theta = theta0.copy()
        logits = np.empty(k)
        p = np.empty(k)
        cdf = np.empty(k)
        mean_step = np.zeros(d)
        grad = np.empty(dim)
        slack = np.empty(n_walls, np.int64)
        counts = np.empty(k, np.int64)
        x = np.empty(d, np.int64)
        cell_cum = np.empty(cell_logq.shape[0])
        state_cum = np.empty(state_logq.shape[0])
        ret_sum = 0.0
        ret_count = 0
        stop = -1
        hit = -1
        last_record = -1
        for it in range(n_updates + 1):
            _policy_probs(kind, vectors_f, theta, logits, p, cdf)
            if record_every > 0 and it % record_every == 0:
                last_record = it // record_every
                for c in range(dim):
                    trajectory[r, last_record, c] = theta[c]
            if targets.shape[0] > 0:
                hit = _match_target(p, targets, target_flat, eps)
                if hit >= 0:
                    stop = it
                    break
            if it == n_updates:
                break
            if schedule == SCHEDULE_CONSTANT:
                alpha = lr
            else:
                alpha = lr / (1.0 + it / tau) ** power
            if baseline_kind == BASELINE_NONE:
                beta = 0.0
            elif baseline_kind == BASELINE_CONSTANT:
                beta = baseline_value
            else:
                beta = ret_sum / ret_count if ret_count > 0 else 0.0
            if kind == POLICY_EXP:
                for c in range(d):
                    v = 0.0
                    for i in range(k):
                        v += p[i] * vectors_f[i, c]
                    mean_step[c] = v
            for c in range(dim):
                grad[c] = 0.0
            if sampler == SAMPLER_EXACT:
                _tilt_tables(
                    theta,
                    gauge,
                    vectors_f,
                    log_k,
                    cell_logq,
                    cell_n,
                    cell_delta,
                    state_logq,
                    state_delta,
                    n_table,
                    cell_cum,
                    state_cum,
                )
            batch_sum = 0.0
            for _ in range(batch):
                if sampler == SAMPLER_EXACT:
                    T = _exact_episode(
                        cell_cum,
                        cell_n,
                        cell_pt,
                        state_cum,
                        state_pt,
                        state_slack,
                        n_table,
                        vectors,
                        delta,
                        cdf,
                        st,
                        slack,
                        counts,
                        x,
                    )
                else:
                    T = _walk_episode(start, vectors, delta, slack0, cdf, st, slack, counts, x)
                reward = _exit_reward(x, prism, rew_lo, rew_shape, rew_strides, rew_table)
                if np.isnan(reward):
                    errors[r] = ERROR_NO_REWARD
                    break
                G = _episode_return(reward, T, gamma, step_cost)
                batch_sum += G
                w = G - beta
                if kind == POLICY_EXP:
                    for c in range(d):
                        grad[c] += w * ((x[c] - start[c]) - T * mean_step[c])
                else:
                    for i in range(k):
                        grad[i] += w * (counts[i] - T * p[i])
            if errors[r] != 0:
                break
            scale = alpha / batch
            finite = True
            for c in range(dim):
                theta[c] += scale * grad[c]
                if not np.isfinite(theta[c]):
                    finite = False
            if not finite:
                errors[r] = ERROR_NONFINITE
                break
            ret_sum += batch_sum
            ret_count += batch
        for i in range(last_record + 1, n_records):
            for c in range(dim):
                trajectory[r, i, c] = theta[c]
        for c in range(dim):
            final_theta[r, c] = theta[c]
        stopped_at[r] = stop
        target_index[r] = hit if stop >= 0 else -1
