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
state, so results do not depend on how :func:`pgweyl.sim.threads.run_rows` (blocks of
episodes, REINFORCE runs) or ``prange`` (the benchmarks' episode kernels) spread them
over threads.

REINFORCE has two kernels: :func:`_run` for every rule, batch and sampler, and
:func:`_run_lean` for batch 1, the vanilla rule, policy "exp" and the lattice walk with
at most ``LEAN_MAX_SIZE`` steps and dimensions (what ``convergence_probabilities``
runs), which gives the same bits, compiles in a fraction of the time and runs an update
in about a third of it: π and θ in registers, the walk on the step graph with a
predicted step choice (docs/performance.md, "REINFORCE, second pass").
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.cpython.unsafe.tuple import tuple_setitem

from pgweyl.exact.kernels import cell_log_prob, tilt
from pgweyl.sim.config import NJIT, NJIT_INLINE, NJIT_PARALLEL
from pgweyl.sim.natural import natural_step, same_bits
from pgweyl.sim.records import (  # codes shared with the Python wrappers
    BASELINE_CONSTANT,
    BASELINE_NONE,
    ERROR_NO_REWARD,
    ERROR_NONFINITE,
    POLICY_EXP,
    RULE_ENTROPY,
    SCHEDULE_CONSTANT,
)

_TWO_M53 = 1.0 / 9007199254740992.0  # 2^-53: 53 random bits → a double in [0, 1)
_U5 = np.uint64(5)
_U9 = np.uint64(9)
_U7 = np.uint64(7)
_U57 = np.uint64(57)
_U17 = np.uint64(17)
_U45 = np.uint64(45)
_U19 = np.uint64(19)
_U11 = np.uint64(11)
_U0 = np.uint64(0)
_U1 = np.uint64(1)


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


@njit(**NJIT_INLINE)
def _put_state(st, s0, s1, s2, s3):
    """Write a generator state held in scalars back to its 4-word array ``st``."""
    st[0] = s0
    st[1] = s1
    st[2] = s2
    st[3] = s3


@njit(**NJIT)
def _next_u64(st):
    """One xoshiro256** output; advances the 4-word state array ``st`` in place."""
    result, s0, s1, s2, s3 = _xoshiro(st[0], st[1], st[2], st[3])
    _put_state(st, s0, s1, s2, s3)
    return result


@njit(**NJIT)
def _uniform(st):
    """u ∈ [0, 1) from the top 53 bits of one xoshiro256** output."""
    return float(_next_u64(st) >> _U11) * _TWO_M53


# -- one episode -------------------------------------------------------------------------
@njit(**NJIT_INLINE)
def _walk_episode(start, vectors, delta, slack0, cdf, st, slack, counts, x):
    """Walk from λ until the first step that leaves the open alcove; return T ≥ 1.

    On return ``counts[i]`` is how often step i was taken (Σ counts = T) and ``x`` the
    exit point b = λ + Σ_i counts[i] s_i in full coordinates. ``slack``, ``counts`` and
    ``x`` are work arrays of sizes (walls, steps, dim) owned by the caller; the generator
    state ``st`` is advanced in place (:func:`_walk_registers` walks).
    """
    T, s0, s1, s2, s3 = _walk_registers(
        start, vectors, delta, slack0, cdf, st[0], st[1], st[2], st[3], slack, counts, x
    )
    _put_state(st, s0, s1, s2, s3)
    return T


@njit(**NJIT_INLINE)
def _quiet_again(cdf, m, n, st):
    """Whether the next ``n`` steps of a walk would all be step m — each uniform u with
    cdf[m − 1] ≤ u < cdf[m], which is the step :func:`_walk_registers` counts out of u —
    advancing ``st`` past their draws when they would, and leaving it as it was when
    not."""
    lo = cdf[m - 1] if m > 0 else -1.0
    hi = cdf[m] if m < cdf.shape[0] - 1 else 2.0
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    for _ in range(n):
        r, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        u = float(r >> _U11) * _TWO_M53
        if u < lo or u >= hi:
            return False
    _put_state(st, s0, s1, s2, s3)
    return True


@njit(**NJIT_INLINE)
def _walk_registers(start, vectors, delta, slack0, cdf, s0, s1, s2, s3, slack, counts, x):
    """:func:`_walk_episode` with the generator state passed and returned as scalars
    (T, s0..s3): a caller running many episodes keeps it in registers throughout."""
    n_walls = slack0.shape[0]
    for j in range(n_walls):
        slack[j] = slack0[j]
    for i in range(counts.shape[0]):
        counts[i] = 0
    # The generator state lives in scalars during the walk: kept in registers, it cannot
    # alias the work arrays (measured ≈ 1.1× faster than updating ``st`` every step).
    T = 0
    while True:
        r, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        u = float(r >> _U11) * _TWO_M53
        # The first i with u < cdf[i], counted without a data-dependent branch: cdf is
        # non-decreasing and cdf[-1] = 1 > u, so the count of cdf[j] ≤ u is that i.
        i = _U0  # unsigned: indexing needs no negative-index wraparound
        for j in range(cdf.shape[0] - 1):
            i += _U1 if u >= cdf[j] else _U0
        counts[i] += 1
        T += 1
        # Every wall is updated even after one fails so the loop body has no early exit.
        outside = False
        for j in range(n_walls):
            v = slack[j] + delta[i, j]
            slack[j] = v
            outside |= v <= 0
        if outside:
            break
    for c in range(x.shape[0]):
        v = start[c]
        for i in range(counts.shape[0]):
            v += counts[i] * vectors[i, c]
        x[c] = v
    return T, s0, s1, s2, s3


@njit(**NJIT_INLINE)
def _exit_reward(x, prism, rew_lo, rew_shape, rew_strides, rew_table):
    """R(b) by the dense box lookup, or NaN when b is not a tabulated exit point."""
    d = x.shape[0]
    shift = x[d - 1] if prism else 0
    idx = 0
    ok = True
    # No return inside the loop: Numba then compiles this ~50× faster (measured).
    for c in range(d):
        off = x[c] - shift - rew_lo[c]
        ok &= (off >= 0) & (off < rew_shape[c])
        idx += off * rew_strides[c]
    return rew_table[idx] if ok else np.nan


@njit(**NJIT)
def _episode_return(reward, T, gamma, step_cost):
    """G = γ^{T−1} R − c Σ_{t<T} γ^t (closed form of the geometric sum)."""
    if gamma == 1.0:
        return reward - step_cost * T
    disc = gamma ** (T - 1.0)
    return disc * reward - step_cost * (1.0 - gamma * disc) / (1.0 - gamma)


@njit(**NJIT)
def gamma_powers(gamma, n):
    """γ^{T−1} for T = 0..n−1, by the same pow as :func:`_episode_return` (same bits)."""
    out = np.empty(n)
    for t in range(n):
        out[t] = gamma ** (t - 1.0)
    return out


@njit(**NJIT_INLINE)
def _payoff_return(gamma, step_cost, gpow, reward, T):
    """:func:`_episode_return` with γ^{T−1} from the table ``gpow`` when T is in it."""
    if gamma == 1.0:
        return reward - step_cost * T
    if T < gpow.shape[0]:
        disc = gpow[T]
    else:
        disc = gamma ** (T - 1.0)
    if step_cost == 0.0:
        return disc * reward
    return disc * reward - step_cost * (1.0 - gamma * disc) / (1.0 - gamma)


@njit(**NJIT_INLINE)
def _policy_probs(kind, vectors_f, theta, logits, p, cdf):
    """π_θ into ``p`` and its cumulative table into ``cdf`` (``cdf[-1] == 1``); returns
    the mass off the most likely step, Σ_{i≠m} π_i with m = argmax π.

    exp: logit_i = (θ, s_i); softmax: logit_i = θ_i. Shifted by the largest logit
    before exponentiating, whose weight is exp(0) = 1 exactly without calling exp (one
    exp fewer per update, same bits). Entries from the last positive probability on are
    set to 1 so that a zero-probability step can never be drawn and the scan always
    stops. The mass off the top is summed from the other steps' weights, never as
    1 − π_m (which loses every digit when π_m ≈ 1).
    """
    k = p.shape[0]
    top = -np.inf
    m = 0
    if kind == POLICY_EXP:  # one branch per call, not per step
        for i in range(k):
            # From the first term, not from 0.0 + …: the sign of a zero logit changes no
            # π_i, and the add was one more step in the chain θ → π → θ of an update.
            v = vectors_f[i, 0] * theta[0]
            for c in range(1, theta.shape[0]):
                v += vectors_f[i, c] * theta[c]
            logits[i] = v
            m = i if v > top else m
            top = v if v > top else top
    else:
        for i in range(k):
            v = theta[i]
            logits[i] = v
            m = i if v > top else m
            top = v if v > top else top
    total = 0.0
    rest = 0.0
    for i in range(k):
        if i == m:
            e = 1.0
        else:
            e = np.exp(logits[i] - top)
            rest += e
        p[i] = e
        total += e
    last = 0
    acc = 0.0
    for i in range(k):
        q = p[i] / total
        p[i] = q
        acc += q
        cdf[i] = acc
        last = i if q > 0.0 else last
    for i in range(last, k):
        cdf[i] = 1.0
    return rest / total


@njit(**NJIT_INLINE)
def _match_target(p, targets, target_flat, eps):
    """Index of the first target within ``eps`` of p, else −1.

    A point target t is at total variation ½ Σ_i |p_i − targets[t, i]|; a face target
    (``target_flat[t]`` = 1: a face of maxima on which V is constant) is at the mass p
    puts outside the face, Σ_{i : targets[t, i] = 0} p_i (its total variation to the
    nearest policy of the face)."""
    hit = -1
    for t in range(targets.shape[0]):  # no return inside the loop (Numba compiles it slowly)
        dist = 0.0
        if target_flat[t]:
            for i in range(len(p)):  # len: p is an array or a tuple (the lean kernel)
                dist += p[i] if targets[t, i] == 0.0 else 0.0
        else:
            for i in range(len(p)):
                dist += abs(p[i] - targets[t, i])
            dist *= 0.5
        if hit < 0 and dist <= eps:
            hit = t
    return hit


# -- samplers ----------------------------------------------------------------------------
@njit(**NJIT_INLINE)
def _walk_stream(start, vectors, delta, slack0, cdf, states, s, per_stream, points, times):
    """Episodes [s·per_stream, (s+1)·per_stream) ∩ [0, n) from stream s of ``states``."""
    n = times.shape[0]
    st = states[s].copy()
    slack = np.empty(slack0.shape[0], np.int64)
    counts = np.empty(vectors.shape[0], np.int64)
    x = np.empty(vectors.shape[1], np.int64)
    for e in range(s * per_stream, min(n, (s + 1) * per_stream)):
        times[e] = _walk_episode(start, vectors, delta, slack0, cdf, st, slack, counts, x)
        for c in range(x.shape[0]):
            points[e, c] = x[c]


@njit(**NJIT)
def _simulate_walk_rows(
    start, vectors, delta, slack0, cdf, states, per_stream, points, times, lo, hi
):
    """Streams ``lo``..``hi − 1`` (see :func:`_walk_stream`), serially and outside the
    GIL: :func:`pgweyl.sim.threads.run_rows` spreads the streams over threads. Compiles
    in a fraction of :func:`_simulate_walk`'s time (no ``prange``)."""
    for s in range(lo, hi):
        _walk_stream(start, vectors, delta, slack0, cdf, states, s, per_stream, points, times)


@njit(**NJIT_PARALLEL)
def _simulate_walk(start, vectors, delta, slack0, cdf, states, per_stream, points, times):
    """Every stream of ``states`` (see :func:`_walk_stream`), over ``prange``."""
    for s in prange(states.shape[0]):
        _walk_stream(start, vectors, delta, slack0, cdf, states, s, per_stream, points, times)


@njit(**NJIT_INLINE)
def _table_stream(cdf, states, s, per_stream, out):
    """Inverse-CDF draws of cell indices, out[e] = first j with u < cdf[j], for the
    episodes of stream s."""
    n = out.shape[0]
    st = states[s].copy()
    for e in range(s * per_stream, min(n, (s + 1) * per_stream)):
        out[e] = np.searchsorted(cdf, _uniform(st), side="right")


@njit(**NJIT)
def _simulate_table_rows(cdf, states, per_stream, out, lo, hi):
    """Streams ``lo``..``hi − 1`` of :func:`_table_stream`, serially (see
    :func:`_simulate_walk_rows`)."""
    for s in range(lo, hi):
        _table_stream(cdf, states, s, per_stream, out)


@njit(**NJIT_PARALLEL)
def _simulate_table(cdf, states, per_stream, out):
    """Every stream of :func:`_table_stream`, over ``prange``."""
    for s in prange(states.shape[0]):
        _table_stream(cdf, states, s, per_stream, out)


# -- exact sampler inside REINFORCE ------------------------------------------------------
@njit(**NJIT)
def _exact_episode(
    sampler, abar, theta_c, cell_cum, state_cum, filled, vectors, delta, cdf, st, slack, counts, x
):
    """(b, T) drawn from the table tilted at θ; past its last row, walk on from X_N.

    Cell j has P_θ(b_j, n_j) = q_j exp((θ_c, δ_j) − n_j Ā(θ_c)) (``cell_log_prob``;
    θ_c and Ā from :func:`pgweyl.exact.kernels.tilt`); survival entry j has
    P_θ(X_N = x_j, T > N) likewise with n = N. For u ∈ [0, 1): the first cell j whose
    cumulative probability C_j exceeds u when u < C_last = P(T ≤ N); otherwise X_N is
    drawn from the survival row (∝ its entries) and the lattice walk continues from it,
    so the law is exact whatever the truncation N of the table. (With no survival mass
    the cell is drawn at u · C_last instead.)

    Lazy: ``cell_cum[:filled[0]]`` holds the C_j computed so far at this θ and cells
    are added only until C_j > u, so a draw costs the cells up to the one drawn, not the
    whole table; ``filled[1]`` = 1 once ``state_cum`` holds the survival row. The caller
    sets ``filled`` to 0 when θ changes. Each C_j is the same left-to-right float sum as
    a full pass, so the draws are bit-identical to filling every cell first."""
    # The sampler's arrays are read once per call: a few reference-count pairs per
    # episode, against 14 more parameters (measured cost: see docs/performance.md).
    cell_logq, cell_n, cell_delta, cell_pt = (
        sampler.cell_logq,
        sampler.cell_n,
        sampler.cell_delta,
        sampler.cell_pt,
    )
    state_logq, state_delta = sampler.state_logq, sampler.state_delta
    state_pt, state_slack, n_table = sampler.state_pt, sampler.state_slack, sampler.n_table
    u = _uniform(st)
    n_cells = cell_logq.shape[0]
    m = filled[0]
    acc = cell_cum[m - 1] if m > 0 else 0.0
    j = -1
    if acc > u:
        j = np.searchsorted(cell_cum[:m], u, side="right")
    else:
        while m < n_cells:
            acc += np.exp(cell_log_prob(theta_c, abar, cell_n[m], cell_logq[m], cell_delta[m]))
            cell_cum[m] = acc
            m += 1
            if acc > u:
                j = m - 1
                break
        filled[0] = m
    if j < 0:  # u ≥ P(T ≤ N) as summed: every cell is in cell_cum, acc is their total
        n_states = state_logq.shape[0]
        if filled[1] == 0:
            surv = 0.0
            for i in range(n_states):
                surv += np.exp(cell_log_prob(theta_c, abar, n_table, state_logq[i], state_delta[i]))
                state_cum[i] = surv
            filled[1] = 1
        surv = state_cum[n_states - 1] if n_states > 0 else 0.0
        if surv > 0.0:
            v = _uniform(st) * surv
            i = np.searchsorted(state_cum, v, side="right")
            if i >= n_states:
                i = n_states - 1
            T = _walk_episode(
                state_pt[i], vectors, delta, state_slack[i], cdf, st, slack, counts, x
            )
            return n_table + T
        j = np.searchsorted(cell_cum, u * acc, side="right")
        if j >= n_cells:
            j = n_cells - 1
    for c in range(x.shape[0]):
        x[c] = cell_pt[j, c]
    return cell_n[j]


# -- REINFORCE ---------------------------------------------------------------------------
@njit(**NJIT_INLINE)
def _step_size(rule, it):
    """α_k: lr (constant) or lr / (1 + k/τ)^power (decay)."""
    if rule.schedule == SCHEDULE_CONSTANT:
        return rule.lr
    if rule.power == 1.0:  # the default: x ** 1.0 is x exactly, so the same bits without pow
        return rule.lr / (1.0 + it / rule.tau)
    return rule.lr / (1.0 + it / rule.tau) ** rule.power


@njit(**NJIT_INLINE)
def _baseline(rule, ret_sum, ret_count):
    """β_k: 0, a constant, or the mean of the run's past returns (0 before any)."""
    if rule.baseline_kind == BASELINE_NONE:
        return 0.0
    if rule.baseline_kind == BASELINE_CONSTANT:
        return rule.baseline_value
    return ret_sum / ret_count if ret_count > 0 else 0.0


@njit(**NJIT_INLINE)
def _mean_step(p, vectors_f, out):
    """∇A(θ) = E_π[s] into ``out``, summed from the first term (a signed zero of ∇A_c
    changes no score, natural direction or entropy gradient: each subtracts it from an
    integer or a float of an integer)."""
    for c in range(out.shape[0]):
        v = p[0] * vectors_f[0, c]
        for i in range(1, p.shape[0]):
            v += p[i] * vectors_f[i, c]
        out[c] = v


@njit(**NJIT_INLINE)
def _top_lean(p, vectors_f, lean):
    """m = argmax π and ``lean`` = Σ_{i≠m} π_i (s_i − s_m), so that ∇A = s_m + lean with
    lean formed from the small probabilities themselves. The natural rule needs it: near
    a vertex (b − λ) − T∇A cancels to the last bit, and F⁺ multiplies that rounding by
    1/π_off (at π_off ~ 1e−17 a quiet step on the triangle pointed out of the vertex)."""
    m = 0
    for i in range(1, p.shape[0]):
        if p[i] > p[m]:
            m = i
    for c in range(lean.shape[0]):
        v = 0.0
        for i in range(p.shape[0]):
            if i != m:
                v += p[i] * (vectors_f[i, c] - vectors_f[m, c])
        lean[c] = v
    return m


@njit(**NJIT)
def _entropy_grad(walk, p, mean_step, out):
    """∇H(π_θ): −Σ_s π_s log π_s (s − ∇A) (exp) or −π_t (log π_t + H) (softmax)."""
    dim = out.shape[0]
    for a in range(dim):
        out[a] = 0.0
    if walk.policy_kind == POLICY_EXP:
        for i in range(p.shape[0]):
            if p[i] > 0.0:
                w = -p[i] * np.log(p[i])
                for a in range(dim):
                    out[a] += w * (walk.vectors_f[i, a] - mean_step[a])
    else:
        h = 0.0
        for i in range(p.shape[0]):
            if p[i] > 0.0:
                h -= p[i] * np.log(p[i])
        for i in range(p.shape[0]):
            if p[i] > 0.0:
                out[i] = -p[i] * (np.log(p[i]) + h)


@njit(**NJIT)
def _target_far(policies, eps):
    """The mass off the top step above which no target can be within ``eps``: 4ε when
    every target is a vertex (one-hot), else ∞ (no shortcut).

    The distance of π to a vertex e_j is Σ_{i≠j} π_i ≥ the mass off the top, so while
    that mass exceeds 4ε (ε and rounding) no target is within ε and the full test can be
    skipped; its decisions, and so the seeded results, are unchanged."""
    k = policies.shape[1]
    onehot = policies.shape[0] > 0
    for t in range(policies.shape[0]):
        n_one = 0
        n_zero = 0
        for i in range(k):
            n_one += policies[t, i] == 1.0
            n_zero += policies[t, i] == 0.0
        onehot &= (n_one == 1) & (n_zero == k - 1)
    return 4.0 * eps if onehot else np.inf


# -- pieces of one run, shared by _run, _run_lean and the event-driven run ---------------
@njit(**NJIT_INLINE)
def _run_buffers(theta0, vectors, n_walls):
    """θ (a copy of θ_0) and a run's work arrays: logits, π and its cdf (one per step), and
    the walk's slack (one per wall), step counts and exit point (dim of ``vectors``)."""
    k, d = vectors.shape
    theta = theta0.copy()
    logits = np.empty(k)
    p = np.empty(k)
    cdf = np.empty(k)
    slack = np.empty(n_walls, np.int64)
    counts = np.empty(k, np.int64)
    x = np.empty(d, np.int64)
    return theta, logits, p, cdf, slack, counts, x


@njit(**NJIT_INLINE)
def _record(trajectory, r, it, record_every, theta, last_record):
    """trajectory[r, it / record_every] = θ_it when ``record_every`` divides it (> 0);
    returns the index of the last record written."""
    if record_every > 0 and it % record_every == 0:
        last_record = it // record_every
        for c in range(len(theta)):
            trajectory[r, last_record, c] = theta[c]
    return last_record


@njit(**NJIT_INLINE)
def _reached(p, off_top, far, policies, flat, eps):
    """The first target within ``eps`` of π (:func:`_match_target`), or −1; not tested
    while the mass off the top step exceeds ``far`` (:func:`_target_far`)."""
    if policies.shape[0] > 0 and not off_top > far:
        return _match_target(p, policies, flat, eps)
    return -1


@njit(**NJIT_INLINE)
def _head(it, theta, p, off_top, targets, trajectory, r, every, last, rule, ret):
    """The head of update ``it`` of :func:`_run` and :func:`_run_lean`: records θ_it when
    ``every`` divides it (:func:`_record`), tests π_θit against ``targets`` = (far,
    policies, flat, eps) (:func:`_reached`) and gives α_it and β_it; ``ret`` = (sum,
    count) of the run's past returns. Returns (target reached or −1, index of the last
    record, α_it, β_it)."""
    last = _record(trajectory, r, it, every, theta, last)
    hit = _reached(p, off_top, targets[0], targets[1], targets[2], targets[3])
    return hit, last, _step_size(rule, it), _baseline(rule, ret[0], ret[1])


@njit(**NJIT_INLINE)
def _targets(policies, flat, eps):
    """(far, policies, flat, eps): what :func:`_head` tests π against, fixed for a run."""
    return _target_far(policies, eps), policies, flat, eps


@njit(**NJIT_INLINE)
def _ascend(theta, scale, grad):
    """θ += scale · grad; False when some coordinate is no longer finite."""
    finite = True
    for c in range(theta.shape[0]):
        theta[c] += scale * grad[c]
        finite &= np.isfinite(theta[c])
    return finite


@njit(**NJIT_INLINE)
def _write_run(theta, stop, hit, r, out):
    """Row r of ``out`` (:data:`pgweyl.sim.records.Outputs` or the event-driven twin):
    the final θ, the stop index (−1: none) and the target reached (−1: none)."""
    for c in range(len(theta)):
        out.final_theta[r, c] = theta[c]
    out.stopped_at[r] = stop
    out.target_index[r] = hit if stop >= 0 else -1


@njit(**NJIT_INLINE)
def _finish_run(theta, last_record, stop, hit, r, out):
    """:func:`_write_run`, after freezing the trajectory at θ past the last record."""
    trajectory = out.trajectory
    for i in range(last_record + 1, trajectory.shape[1]):
        for c in range(len(theta)):
            trajectory[r, i, c] = theta[c]
    _write_run(theta, stop, hit, r, out)


@njit(**NJIT)
def _run(walk, payoff, rule, graph, targets, sampler, theta0, n_updates, record_every, st, r, out):
    """One policy-gradient run from θ_0 (see :func:`_reinforce_rows`); writes row r of
    ``out``."""
    # Every array is read out of its record once, here: a record field read inside the
    # loop is a new reference, i.e. an atomic incref/decref pair per read; those pairs
    # were half of an update's time (measured: 190 → 95 ns per update on the corridor).
    start, vectors, vectors_f = walk.start, walk.vectors, walk.vectors_f
    delta, slack0, prism, policy_kind = walk.delta, walk.slack0, walk.prism, walk.policy_kind
    rew_lo, rew_shape, rew_strides = payoff.lo, payoff.shape, payoff.strides
    rew_table = payoff.table
    gamma, step_cost, gpow = payoff.gamma, payoff.step_cost, payoff.gpow
    policies, flat, eps = targets.policies, targets.flat, targets.eps
    errors, trajectory = out.errors, out.trajectory
    batch, kind = rule.batch, rule.kind
    k = vectors.shape[0]
    d = vectors.shape[1]
    dim = theta0.shape[0]
    theta, logits, p, cdf, slack, counts, x = _run_buffers(theta0, vectors, slack0.shape[0])
    # ``sampler`` and ``graph`` are None when the runs do not use them (``graph`` is given
    # exactly for the natural rule, so it is what the natural branches test): Numba then
    # prunes the branches that use them before typing, and the exact sampler and the
    # natural step are not compiled into this specialisation (cold: see performance.md).
    if sampler is not None:
        gauge, log_k = sampler.gauge, sampler.log_k
        cell_cum = np.empty(sampler.cell_logq.shape[0])
        state_cum = np.empty(sampler.state_logq.shape[0])
        filled = np.zeros(2, np.int64)
        theta_c = np.empty(dim)
    if graph is not None:
        et_work = np.empty((graph.n_states, graph.cols))  # natural.exit_time_work
        memo = np.zeros(2 + 3 * dim + 2 * dim * dim)  # natural_step's last update
    mean_step = np.zeros(d)
    lean = np.zeros(d)
    grad = np.empty(dim)
    abar = 0.0
    ret_sum, ret_count = 0.0, 0  # the run's past returns (a running-mean baseline)
    stop = hit = last_record = -1
    direction = np.empty(dim)
    targets = _targets(policies, flat, eps)
    if graph is not None:
        # θ of the last update whose π was computed (NaN: none yet). A natural run frozen
        # at a vertex keeps θ to the bit for the rest of its budget, and π, its table,
        # ∇A and the lean are functions of θ alone: they are kept, not recomputed in
        # subnormal arithmetic (the same bits; the episodes are still drawn).
        last = np.full(dim, np.nan)
    off_top, m_top = 0.0, 0
    # ``quiet``: the last update was computed in full, left θ as it was to the bit, and
    # drew only episodes that take π's top step m_top all the way (a natural run frozen at
    # a vertex). An update with the same α and β whose walks would again take m_top at
    # every step repeats it bit for bit — the same θ, π, episodes, score and natural step —
    # so its draws are checked (_quiet_again) and the rest is not recomputed: θ stays.
    quiet = False
    q_steps, q_alpha, q_beta, q_sum = 0, 0.0, 0.0, 0.0
    for it in range(n_updates + 1):
        if graph is None or not same_bits(theta, last, 0):
            off_top = _policy_probs(policy_kind, vectors_f, theta, logits, p, cdf)
            if policy_kind == POLICY_EXP or kind != 0:
                _mean_step(p, vectors_f, mean_step)
            m_top = _top_lean(p, vectors_f, lean) if graph is not None else 0
            if graph is not None:
                for c in range(dim):  # a loop: a slice assignment compiles its shape error
                    last[c] = theta[c]
        ret = (ret_sum, ret_count)
        hit, last_record, alpha, beta = _head(
            it, theta, p, off_top, targets, trajectory, r, record_every, last_record, rule, ret
        )
        if hit >= 0 or it == n_updates:
            stop = it if hit >= 0 else -1
            break
        if graph is not None:
            if sampler is None:  # (apart: Numba prunes a branch on a bare ``is None``)
                same = quiet and alpha == q_alpha and beta == q_beta
                if same and _quiet_again(cdf, m_top, q_steps, st):
                    ret_sum += q_sum
                    ret_count += batch
                    continue
        for c in range(dim):
            grad[c] = 0.0
        all_top = True
        if sampler is not None:  # the tables are tilted at θ_k lazily, by _exact_episode
            abar = tilt(theta, gauge, vectors_f, log_k, theta_c)
            filled[0] = 0
            filled[1] = 0
        batch_sum = 0.0
        for _ in range(batch):
            if sampler is not None:
                T = _exact_episode(
                    sampler,
                    abar,
                    theta_c,
                    cell_cum,
                    state_cum,
                    filled,
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
            G = _payoff_return(gamma, step_cost, gpow, reward, T)
            batch_sum += G
            if graph is not None:
                all_top = all_top and counts[m_top] == T
            # The score g is added here, not by an inlined helper: the arrays passed
            # to one cost incref/decref pairs per episode that Numba could not prune.
            w = G - beta
            if policy_kind == POLICY_EXP and graph is not None:  # natural
                # g = ((b − λ) − T s*) − T lean: no cancellation (_top_lean)
                for c in range(d):
                    grad[c] += w * (((x[c] - start[c]) - T * vectors_f[m_top, c]) - T * lean[c])
            elif policy_kind == POLICY_EXP:  # g = (b − λ) − T ∇A
                for c in range(d):
                    grad[c] += w * ((x[c] - start[c]) - T * mean_step[c])
            elif graph is not None:  # natural: g = counts − T π, 1 − π_top = off_top
                for i in range(k):
                    if i == m_top:
                        grad[i] += w * ((counts[i] - T) + T * off_top)
                    else:
                        grad[i] += w * (counts[i] - T * p[i])
            else:  # g = counts − T π
                for i in range(k):
                    grad[i] += w * (counts[i] - T * p[i])
        if errors[r] != 0:
            break
        scale = alpha / batch
        if graph is not None:  # the natural rule (reinforce passes its graph, else None)
            natural_step(walk, graph, theta, p, grad, memo, et_work, direction)
            for c in range(dim):
                grad[c] = direction[c]
        elif kind == RULE_ENTROPY:
            _entropy_grad(walk, p, mean_step, direction)
            for c in range(dim):
                grad[c] += batch * rule.ent_tau * direction[c]  # scale divides by B
        if not _ascend(theta, scale, grad):
            errors[r] = ERROR_NONFINITE
            break
        ret_sum += batch_sum
        ret_count += batch
        if graph is not None:  # ``last`` is θ before this update (π's, at the loop's top)
            quiet = all_top and same_bits(theta, last, 0)
            q_steps, q_alpha, q_beta, q_sum = batch * T, alpha, beta, batch_sum
    _finish_run(theta, last_record, stop, hit, r, out)


@njit(**NJIT)
def _reinforce_rows(
    walk,
    payoff,
    rule,
    graph,
    targets,
    sampler,
    theta0,
    n_updates,
    record_every,
    states,
    out,
    lo,
    hi,
):
    """Independent policy-gradient runs, rows ``lo``..``hi − 1`` of ``states`` (THEORY §5);
    :func:`pgweyl.sim.threads.run_rows` spreads the rows over threads.

    Vanilla (``rule.kind`` 0): θ_{k+1} = θ_k + α_k (1/B) Σ_j (G_j − β_k) g_j with
    g = (b − λ) − T ∇A(θ_k) (exp) or g = counts − T π_θk (softmax);
    α_k = lr (constant) or lr / (1 + k/τ)^power (decay);
    β_k = 0, a constant, or the mean of every return of the run before update k (0
    before the first). A run stops at the first θ_k (k = 0..n_updates) whose policy is
    within total variation ``eps`` of a target; ``trajectory[r, i]`` holds
    θ_{i·record_every}, frozen at the stopped θ after a stop. A ``sampler`` record
    selects the exact draw of :func:`_exact_episode` (tables tilted at θ_k), None the
    lattice walk. Natural (1): the step is F(θ_k)⁺ of the same estimate, F = E_θk[T]
    Cov_π(S) with E[T] solved exactly on ``graph`` (None for the other rules); entropy
    (2): τ ∇H(π_θk) is added to the estimate (:mod:`pgweyl.rules`). A None ``sampler`` or
    ``graph`` prunes the code that uses it from the specialisation. Records:
    :mod:`pgweyl.sim.records`."""
    # A serial loop over rows, run by several Python threads at once (it releases the
    # GIL), not prange: lowering prange around _run cost 5 s of every cold first call.
    # Each run advances its own row of ``states`` in place: afterwards the row is the
    # stream's state after the run's last draw (benchmarks count the draws from it).
    for r in range(lo, hi):
        st = states[r]
        _run(
            walk, payoff, rule, graph, targets, sampler, theta0, n_updates, record_every, st, r, out
        )


# -- REINFORCE, the lean twin --------------------------------------------------------------
@njit(**NJIT_INLINE)
def _policy_tuple(vectors_f, theta, zeros_k):
    """(π_θ, its cumulative table, the mass off the top) for policy "exp", as tuples:
    :func:`_policy_probs` with the same float operations in the same order (the same
    bits). The lengths k and d of the tuples are compile-time constants, so the loops
    unroll and π and its table live in registers, not in memory the next step reloads."""
    k = len(zeros_k)
    logits = zeros_k
    top = -np.inf
    m = 0
    for i in range(k):
        v = vectors_f[i, 0] * theta[0]
        for c in range(1, len(theta)):
            v += vectors_f[i, c] * theta[c]
        logits = tuple_setitem(logits, i, v)
        m = i if v > top else m
        top = v if v > top else top
    weights = zeros_k
    total = 0.0
    rest = 0.0  # the mass off the top from the other weights, never as 1 − π_m
    for i in range(k):
        if i == m:
            e = 1.0
        else:
            e = np.exp(logits[i] - top)
            rest += e
        weights = tuple_setitem(weights, i, e)
        total += e
    p = zeros_k
    cdf = zeros_k
    last = 0
    acc = 0.0
    for i in range(k):
        q = weights[i] / total
        p = tuple_setitem(p, i, q)
        acc += q
        cdf = tuple_setitem(cdf, i, acc)
        last = i if q > 0.0 else last
    for i in range(k):  # a full-length loop (it unrolls): 1 from the last positive π_i on
        cdf = tuple_setitem(cdf, i, 1.0 if i >= last else cdf[i])
    return p, cdf, rest / total


@njit(**NJIT_INLINE)
def _walk_graph(succ, lift, cdf, s0, s1, s2, s3):
    """One episode on the step graph from λ (state 0; :func:`pgweyl.sim.arrays.graph_walk`):
    (T, exit e, Σ_t lift[i_t], s0..s3), the generator state passed in scalars.

    Step i is the first with u < cdf[i], the same step as :func:`_walk_registers` takes
    for the same u (cdf is non-decreasing with cdf[-1] = 1 > u), so the same draws give
    the same walk. It is found by a scan with branches rather than a branch-free count:
    a near-deterministic policy takes the same step almost every time, the processor
    predicts the branch, and the walk runs ahead without waiting for π_θ to be computed
    (measured: 31 → 22.5 ns per update in a loop written for the corridor alone)."""
    s = 0
    T = 0
    lifted = 0
    while True:
        r, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        u = float(r >> _U11) * _TWO_M53
        i = 0
        while u >= cdf[i]:
            i += 1
        nxt = succ[s, i]
        lifted += lift[i]
        T += 1
        if nxt < 0:
            break
        s = nxt
    return T, -1 - nxt, lifted, s0, s1, s2, s3


@njit(**NJIT)
def _run_lean(
    walk, graph_walk, payoff, rule, tau, targets, theta0, n_updates, record_every, st, r, out
):
    """:func:`_run` for batch 1, the vanilla or entropy rule, policy "exp" and the lattice
    walk — what ``convergence_probabilities`` runs — with the same float operations in
    the same order and the same draws (the same bits; ``tests/sim/test_lean.py``).
    ``tau``: the entropy rule's weight τ, or None for vanilla (the entropy terms are then
    pruned before typing: the vanilla kernel neither compiles nor runs them).

    Per update only what the update needs: π_θ, its table and ∇A(θ) = E_π[s] in
    registers (θ is a tuple of d floats: ``graph_walk.zeros_k``/``zeros_d`` specialise
    the kernel to the sizes); the walk on the step graph, which gives the exit e, T and
    x − λ = disp[e] + Σ lift (no slacks, step counts or exit point to form, no reward
    box); the score (x − λ) − T ∇A(θ) fused with the step; the target test only when
    the mass off the top step is within reach of a target (:func:`_target_far`). The
    generator state stays in registers across episodes (``st`` is written back at the
    end). A kernel of its own so that it compiles without the natural rule and the exact
    sampler (measured, cold: about 2 s against 13 s for :func:`_run`)."""
    vectors_f = walk.vectors_f
    succ, disp, reward, lift = graph_walk.succ, graph_walk.disp, graph_walk.reward, graph_walk.lift
    zeros_k, zeros_d = graph_walk.zeros_k, graph_walk.zeros_d
    gamma, step_cost, gpow = payoff.gamma, payoff.step_cost, payoff.gpow
    policies, flat, eps = targets.policies, targets.flat, targets.eps
    errors, trajectory = out.errors, out.trajectory
    theta = zeros_d
    for c in range(len(zeros_d)):
        theta = tuple_setitem(theta, c, theta0[c])
    ret_sum, ret_count = 0.0, 0  # the run's past returns (a running-mean baseline)
    stop = hit = last_record = -1
    targets = _targets(policies, flat, eps)
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    for it in range(n_updates + 1):
        p, cdf, off_top = _policy_tuple(vectors_f, theta, zeros_k)
        hit, last_record, alpha, beta = _head(
            it,
            theta,
            p,
            off_top,
            targets,
            trajectory,
            r,
            record_every,
            last_record,
            rule,
            (ret_sum, ret_count),
        )
        if hit >= 0 or it == n_updates:
            stop = it if hit >= 0 else -1
            break
        T, e, lifted, s0, s1, s2, s3 = _walk_graph(succ, lift, cdf, s0, s1, s2, s3)
        G = _payoff_return(gamma, step_cost, gpow, reward[e], T)
        w = G - beta
        # θ += α (G − β) ((x − λ) − T ∇A), ∇A summed as _mean_step does; 0.0 + …: _run's
        # score starts from 0 (same bits, signed zeros included); α/B with B = 1.
        # Entropy: + α τ ∇H(π_θ), ∇H_c = Σ_i (−π_i log π_i)(s_ic − ∇A_c) summed in
        # _entropy_grad's order, added to the score as _run adds it.
        weights = zeros_k
        if tau is not None:  # None unless the rule is entropy: pruned before typing
            for i in range(len(zeros_k)):
                weights = tuple_setitem(weights, i, -p[i] * np.log(p[i]) if p[i] > 0.0 else 0.0)
        finite = True
        for c in range(len(zeros_d)):
            mean = p[0] * vectors_f[0, c]
            for i in range(1, len(zeros_k)):
                mean += p[i] * vectors_f[i, c]
            score = 0.0 + w * ((disp[e, c] + lifted) - T * mean)
            if tau is not None:
                dh = 0.0
                for i in range(len(zeros_k)):
                    if p[i] > 0.0:
                        dh += weights[i] * (vectors_f[i, c] - mean)
                score += tau * dh
            v = theta[c] + alpha * score
            theta = tuple_setitem(theta, c, v)
            finite &= np.isfinite(v)
        if not finite:
            errors[r] = ERROR_NONFINITE
            break
        ret_sum += 0.0 + G
        ret_count += 1
    _put_state(st, s0, s1, s2, s3)
    _finish_run(theta, last_record, stop, hit, r, out)


@njit(**NJIT)
def _reinforce_rows_lean(
    walk, graph_walk, payoff, rule, tau, targets, theta0, n_updates, record_every, states, out,
    lo, hi,
):  # fmt: skip
    """:func:`_reinforce_rows` for the runs :func:`_run_lean` covers (no graph, no
    sampler record; ``tau`` the entropy rule's weight, None for vanilla): rows
    ``lo``..``hi − 1``, each advancing its row of ``states``."""
    for r in range(lo, hi):
        _run_lean(
            walk, graph_walk, payoff, rule, tau, targets, theta0, n_updates, record_every,
            states[r], r, out,
        )  # fmt: skip
