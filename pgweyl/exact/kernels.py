"""Numba kernels of the exact layer: the one tilt, table rows, fused V/∇V passes.

This module owns the tilt of the first-passage table (THEORY §4). For a policy
π_θ(s) = exp((θ, s) − A(θ)) every path of n steps from λ to x has probability
exp((θ, x − λ) − n A(θ)), so with the log table log q_n(x) = log(F_n(x) / |S|^n)

    log P_θ(X_T = b, T = n) = log q_n(b) + (θ_c, δ_b) − n Ā(θ_c),
    Ā(θ_c) = A(θ_c) − log|S|,   δ_b = rep(b) − rep(λ),

with θ_c the gauge-fixed θ (Σθ_c = 0 where θ + a(1, …, 1) is the same policy; then
(θ_c, δ) only needs representatives). :func:`tilt` computes θ_c and Ā, and
:func:`cell_log_prob` the formula above; every other layer (the chain solver, the exact
sampler inside the REINFORCE kernel, plots) calls these, so the formula is written once.

Kernels take plain arrays (one compiled signature serves every type and level) and are
cached on disk. Sums that enter error bounds use Neumaier's compensated summation, whose
error is at most 2ε Σ|x_i| (first order), whatever the number of terms.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from contextlib import contextmanager

import numpy as np
from numba import njit, prange

_NJIT = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}
_LN2 = 0.6931471805599453
_LN2_LO = 2.3190468138462996e-17  # ln 2 − _LN2


# -- the tilt -----------------------------------------------------------------------------
@njit(**_NJIT)
def tilt(theta, gauge, vectors_f, log_k, theta_c):
    """Write θ_c (θ minus its mean when ``gauge``) into ``theta_c``; return Ā(θ_c).

    Ā = log Σ_s exp((θ_c, s)) − log|S|, by a shifted log-sum-exp."""
    d = theta.shape[0]
    shift = 0.0
    if gauge:
        for c in range(d):
            shift += theta[c]
        shift /= d
    for c in range(d):
        theta_c[c] = theta[c] - shift
    k = vectors_f.shape[0]
    top = -np.inf
    for i in range(k):
        v = 0.0
        for c in range(d):
            v += vectors_f[i, c] * theta_c[c]
        if v > top:
            top = v
    z = 0.0
    for i in range(k):
        v = 0.0
        for c in range(d):
            v += vectors_f[i, c] * theta_c[c]
        z += np.exp(v - top)
    return top + np.log(z) - log_k


@njit(**_NJIT)
def tilt_rows(thetas, gauge, vectors_f, log_k, thetas_c, abars):
    """:func:`tilt` of each row of ``thetas`` into the rows of ``thetas_c`` and ``abars``
    (one call for a stack: the chain's assembly tilts ~10⁵ θ per grid, and a Python loop
    over :func:`tilt` cost 1.7 µs each)."""
    for i in range(thetas.shape[0]):
        abars[i] = tilt(thetas[i], gauge, vectors_f, log_k, thetas_c[i])


@njit(**_NJIT)
def cell_log_prob(theta_c, abar, n, logq, delta_row):
    """log P = log q + (θ_c, δ) − n Ā for one cell (or one survival entry)."""
    v = logq - n * abar
    for c in range(theta_c.shape[0]):
        v += delta_row[c] * theta_c[c]
    return v


@njit(**_NJIT)
def _neumaier(total, comp, x):
    """One step of Neumaier's compensated sum: returns (total, compensation)."""
    t = total + x
    if abs(total) >= abs(x):
        comp += (total - t) + x
    else:
        comp += (x - t) + total
    return t, comp


# -- batched log probabilities (chain solver, plots) ------------------------------------------
#: Below this many cell evaluations (θ rows × cells) a batch runs on the calling thread:
#: waking the Numba thread pool costs more than it saves (one θ on the triangle of level
#: 40 took 12 ms on two threads against 0.9 ms on one, on a loaded machine).
PARALLEL_MIN_WORK = 1 << 20


_SERIAL = threading.local()


def use_threads(rows: int, cols: int) -> bool:
    """Whether a batch of ``rows`` θ × ``cols`` entries is worth the thread pool (never
    inside :func:`serial_batches`)."""
    return rows > 1 and rows * cols >= PARALLEL_MIN_WORK and not getattr(_SERIAL, "on", False)


@contextmanager
def serial_batches():
    """Run this thread's batches on this thread alone while the block lasts: for work
    beside Monte Carlo runs that already use every core (same bits: the serial and
    parallel kernels agree bit for bit), and so that only one thread at a time starts
    Numba's thread pool, which its ``workqueue`` layer requires."""
    before = getattr(_SERIAL, "on", False)
    _SERIAL.on = True
    try:
        yield
    finally:
        _SERIAL.on = before


@njit(**_NJIT)
def log_probs_rows(thetas_c, abars, cell_n, cell_logq, cell_delta, out):
    """out[i, j] = log P_{θ_i}(cell j), serially (a few θ: see :func:`use_threads`)."""
    for i in range(thetas_c.shape[0]):
        for j in range(cell_n.shape[0]):
            out[i, j] = cell_log_prob(thetas_c[i], abars[i], cell_n[j], cell_logq[j], cell_delta[j])


@njit(**{**_NJIT, "parallel": True})
def log_probs_many(thetas_c, abars, cell_n, cell_logq, cell_delta, out):
    """out[i, j] = log P_{θ_i}(cell j) for a stack of gauge-fixed θ (rows of thetas_c)."""
    for i in prange(thetas_c.shape[0]):
        for j in range(cell_n.shape[0]):
            out[i, j] = cell_log_prob(thetas_c[i], abars[i], cell_n[j], cell_logq[j], cell_delta[j])


@njit(**_NJIT)
def _row_top(theta_c, abar, n, logq, idx, state_delta):
    """max_e log P_θ(X_n = x_e, T > n) over survival entries e: the shift of the
    log-sum-exps over a survival row (−inf for an empty or massless row)."""
    top = -np.inf
    for e in range(idx.shape[0]):
        v = cell_log_prob(theta_c, abar, n, logq[e], state_delta[idx[e]])
        if v > top:
            top = v
    return top


@njit(**_NJIT)
def log_mass(theta_c, abar, n, logq, idx, state_delta):
    """log Σ_e P_θ(X_n = x_e, T > n) over survival entries e (log q ``logq[e]`` at state
    ``idx[e]``) by the max-shifted log-sum-exp; −inf for an empty or massless row."""
    top = _row_top(theta_c, abar, n, logq, idx, state_delta)
    if top == -np.inf:
        return -np.inf
    z = 0.0
    for e in range(idx.shape[0]):
        z += np.exp(cell_log_prob(theta_c, abar, n, logq[e], state_delta[idx[e]]) - top)
    return top + np.log(z)


@njit(**_NJIT)
def log_tails_rows(thetas_c, abars, n, idx, logq, state_delta, out):
    """out[i] = log P_{θ_i}(T > n), serially (a few θ: see :func:`use_threads`)."""
    for i in range(thetas_c.shape[0]):
        out[i] = log_mass(thetas_c[i], abars[i], n, logq, idx, state_delta)


@njit(**{**_NJIT, "parallel": True})
def log_tails_many(thetas_c, abars, n, idx, logq, state_delta, out):
    """out[i] = log P_{θ_i}(T > n) from the survival row n (entries idx, logq)."""
    for i in prange(thetas_c.shape[0]):
        out[i] = log_mass(thetas_c[i], abars[i], n, logq, idx, state_delta)


# -- one θ: survival moments and the fused V / ∇V pass -------------------------------------
@njit(**_NJIT)
def survival_moments(theta_c, abar, n, idx, logq, state_delta, mean_delta):
    """log S_n = log P(T > n) and, in ``mean_delta``, E[δ_{X_n} | T > n].

    The survival row n holds log q for the states x reachable in n steps without exit;
    u_n(x) = exp(cell_log_prob(…)) = P(X_n = x, T > n)."""
    d = theta_c.shape[0]
    for c in range(d):
        mean_delta[c] = 0.0
    top = _row_top(theta_c, abar, n, logq, idx, state_delta)
    if top == -np.inf:
        return -np.inf
    z = 0.0  # one exp per entry gives both the mass and the moments
    for e in range(idx.shape[0]):
        w = np.exp(cell_log_prob(theta_c, abar, n, logq[e], state_delta[idx[e]]) - top)
        z += w
        row = state_delta[idx[e]]
        for c in range(d):
            mean_delta[c] += w * row[c]
    for c in range(d):
        mean_delta[c] /= z
    return top + np.log(z)


#: What :func:`value_grad_pass` needs of the policy: Ā = A(θ) − log|S| as a double-double
#: (``abar_hi`` + ``abar_lo``) with its error bound, and ∇A(θ).
PassPolicy = namedtuple("PassPolicy", "abar_hi abar_lo abar_error grad_a")
#: The cells' arrays :func:`value_grad_pass` reads (see :class:`pgweyl.exact.solver.Cells`).
PassCells = namedtuple("PassCells", "n w scale disp delta ret mag dnorm")


@njit(**_NJIT)
def value_grad_pass(theta, policy, cells, n_cells, table_error, eps_v, eps_g, grad_out):
    """One pass over the first ``n_cells`` cells: V_N = Σ P G and Σ P G (δ − n ∇A).

    Each cell's probability P = w · 2^scale · exp((θ, b − λ) − n Ā) uses the table's
    mantissa w and power of two, the displacement b − λ in full coordinates (``cell_disp``,
    so θ needs no gauge fixing) and Ā = A(θ) − log|S| given as a double-double
    (``abar_hi`` + ``abar_lo``). The exponent is evaluated in double-double arithmetic, so
    each P has the relative error bound

        η_j = table_error + n_j abar_error + 4ε      (ε = 2^−53; exp, the products)

    whatever the magnitude of the exponent. The score uses ``cell_delta`` (representatives;
    the caller projects off the gauge). Returns (V_N, Σ P, Σ P |G|, rounding bound of V_N,
    rounding bound of the gradient): Σ P_j (|G_j| (η_j + eps_v) + 2ε mag_j) for V and the
    same with eps_g, weighted by ‖δ_j‖ + n_j ‖∇A‖, for the gradient (``eps_v``/``eps_g``:
    the products and the compensated sums; ``mag`` bounds |G|); the gradient goes into
    ``grad_out``. ``policy`` is a :data:`PassPolicy`, ``cells`` a :data:`PassCells`."""
    # Fields are read out of the records once (a field read in the loop is a reference
    # count pair per read).
    abar_hi, abar_lo, abar_error, grad_a = (
        policy.abar_hi,
        policy.abar_lo,
        policy.abar_error,
        policy.grad_a,
    )
    cell_n, cell_w, cell_scale, cell_disp = cells.n, cells.w, cells.scale, cells.disp
    cell_delta, cell_ret, cell_mag, cell_dnorm = cells.delta, cells.ret, cells.mag, cells.dnorm
    d = theta.shape[0]
    eps = 1.1102230246251565e-16
    norm_ga = 0.0
    for c in range(d):
        norm_ga += grad_a[c] * grad_a[c]
    norm_ga = np.sqrt(norm_ga)
    v_sum, v_comp = 0.0, 0.0
    n_sum, n_comp = 0.0, 0.0  # Σ P G n
    a_sum = np.zeros(d)
    a_comp = np.zeros(d)
    mass = 0.0
    s_abs = 0.0
    err_v = 0.0
    err_g = 0.0
    for j in range(n_cells):
        n = cell_n[j]
        # x = (θ, b − λ) − n Ā + scale ln 2, in double-double
        xh, xl = 0.0, 0.0
        for c in range(d):
            ph, pl = _two_prod(theta[c], cell_disp[j, c])
            xh, e = _two_sum(xh, ph)
            xl += e + pl
        ph, pl = _two_prod(float(n), abar_hi)
        xh, e = _two_sum(xh, -ph)
        xl += e - pl - n * abar_lo
        ph, pl = _two_prod(float(cell_scale[j]), _LN2)
        xh, e = _two_sum(xh, ph)
        xl += e + pl + cell_scale[j] * _LN2_LO
        xh, xl = _two_sum(xh, xl)
        if xh < 700.0:
            p = cell_w[j] * (np.exp(xh) * (1.0 + xl))
        else:  # a tiny mantissa times a huge tilt: combine in log space
            p = np.exp(xh + np.log(cell_w[j])) * (1.0 + xl)
        g = cell_ret[j]
        pg = p * g
        v_sum, v_comp = _neumaier(v_sum, v_comp, pg)
        n_sum, n_comp = _neumaier(n_sum, n_comp, pg * n)
        for c in range(d):
            a_sum[c], a_comp[c] = _neumaier(a_sum[c], a_comp[c], pg * cell_delta[j, c])
        mass += p
        s_abs += p * abs(g)
        rel = table_error + n * abar_error + 4.0 * eps
        # P's error times |G|, the products and sums (eps_v, eps_g), and G's own rounding
        # (≤ 2ε mag: γ^{n−1} R and the geometric cost sum)
        m = p * (abs(g) * (rel + eps_v) + 2.0 * eps * cell_mag[j])
        err_v += m
        err_g += (
            p * (cell_dnorm[j] + n * norm_ga) * (abs(g) * (rel + eps_g) + 2.0 * eps * cell_mag[j])
        )
    b = n_sum + n_comp
    for c in range(d):
        grad_out[c] = (a_sum[c] + a_comp[c]) - b * grad_a[c]
    return v_sum + v_comp, mass, s_abs, err_v, err_g


# -- table rows ---------------------------------------------------------------------------------
@njit(**_NJIT)
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@njit(**_NJIT)
def _two_prod(a, b):
    p = a * b
    ca = 134217729.0 * a  # Dekker's splitter 2^27 + 1
    ah = ca - (ca - a)
    cb = 134217729.0 * b
    bh = cb - (cb - b)
    return p, ((ah * bh - p) + ah * (b - bh) + (a - ah) * bh) + (a - ah) * (b - bh)


@njit(**_NJIT)
def _dd_div(hi, lo, k):
    """(hi + lo)/k in double-double."""
    q1 = hi / k
    p, e = _two_prod(q1, float(k))
    q2 = (((hi - p) - e) + lo) / k
    return _two_sum(q1, q2)


@njit(**_NJIT)
def _dd_add(hi, lo, bh, bl):
    s, e = _two_sum(hi, bh)
    return _two_sum(s, e + lo + bl)


@njit(**_NJIT)
def _sort_ints(a, n):
    """Sort a[:n] in place (Shell's sort, gaps n/2, n/4, …): a hand loop, because
    compiling np.sort was about half of advance_rows' cold compile."""
    gap = n // 2
    while gap > 0:
        for i in range(gap, n):
            v = a[i]
            j = i
            while j >= gap and a[j - gap] > v:
                a[j] = a[j - gap]
                j -= gap
            a[j] = v
        gap //= 2


#: The walk's working state for :func:`advance_rows` (mutated in place).
RowWork = namedtuple("RowWork", "w active w_next mark exit_acc exit_mark exit_list")
#: The table's CSR output arrays :func:`advance_rows` writes rows into.
RowOut = namedtuple(
    "RowOut", "surv_ptr surv_idx surv_val exit_ptr exit_idx exit_val exit_w row_scale"
)


@njit(**_NJIT)
def advance_rows(succ, k, scale, n_active, row0, n_rows, work, out):
    """Advance the uniform walk by up to ``n_rows`` rows, writing the rows sparsely.

    State: ``w[x] = (hi, lo)`` holds P_unif(X_n = x, T > n) / 2^scale in double-double for
    the row n = row0 − 1 at the states ``active[:n_active]`` (0 elsewhere). Row n + 1:
    each active state sends w/|S| along every step, to a state or an exit point. Output
    (CSR): survival rows ``surv_*`` as logs; exit rows (the cells) as logs ``exit_val`` and
    as mantissas ``exit_w`` with the row's power of two ``row_scale[n]`` (cell mass =
    exit_w · 2^row_scale), exit indices sorted within a row. Stops early when an output
    buffer would overflow.

    Returns (rows done, n_active, scale, entries used in surv_idx, in exit_idx). Sums and
    divisions are double-double (relative error O(n ε²)); each stored value is rounded
    once to float64; masses are renormalised by exact powers of two (no underflow).
    ``work`` is a :data:`RowWork`, ``out`` a :data:`RowOut` (arrays named as above)."""
    w, active, w_next, mark = work.w, work.active, work.w_next, work.mark
    exit_acc, exit_mark, exit_list = work.exit_acc, work.exit_mark, work.exit_list
    surv_ptr, surv_idx, surv_val = out.surv_ptr, out.surv_idx, out.surv_val
    exit_ptr, exit_idx, exit_val = out.exit_ptr, out.exit_idx, out.exit_val
    exit_w, row_scale = out.exit_w, out.row_scale
    n_exit_total = exit_acc.shape[0]
    s_used = surv_ptr[row0]
    e_used = exit_ptr[row0]
    done = 0
    for r in range(n_rows):
        if s_used + n_active * k > surv_idx.shape[0] or e_used + n_exit_total > exit_idx.shape[0]:
            break
        row = row0 + r
        n_new = 0
        n_ex = 0
        for a in range(n_active):
            i = active[a]
            wh, wl = _dd_div(w[i, 0], w[i, 1], k)
            w[i, 0] = 0.0
            w[i, 1] = 0.0
            for s in range(succ.shape[1]):
                t = succ[i, s]
                if t >= 0:
                    if mark[t] != row:
                        mark[t] = row
                        w_next[t, 0] = 0.0
                        w_next[t, 1] = 0.0
                        active[n_active + n_new] = t  # append after the current list
                        n_new += 1
                    w_next[t, 0], w_next[t, 1] = _dd_add(w_next[t, 0], w_next[t, 1], wh, wl)
                else:
                    j = -1 - t
                    if exit_mark[j] != row:
                        exit_mark[j] = row
                        exit_acc[j, 0] = 0.0
                        exit_acc[j, 1] = 0.0
                        exit_list[n_ex] = j
                        n_ex += 1
                    exit_acc[j, 0], exit_acc[j, 1] = _dd_add(exit_acc[j, 0], exit_acc[j, 1], wh, wl)
        # Move the new active list to the front and the new masses into w.
        top = 0.0
        for a in range(n_new):
            t = active[n_active + a]
            active[a] = t
            w[t, 0] = w_next[t, 0]
            w[t, 1] = w_next[t, 1]
            if w[t, 0] > top:
                top = w[t, 0]
        n_active = n_new
        shift = 0
        if 0.0 < top < 2.0**-600:
            shift = -int(np.floor(np.log2(top)))
        for a in range(n_active):
            t = active[a]
            w[t, 0] = np.ldexp(w[t, 0], shift)
            w[t, 1] = np.ldexp(w[t, 1], shift)
            surv_idx[s_used] = t
            surv_val[s_used] = np.log(w[t, 0] + w[t, 1]) + (scale - shift) * _LN2
            s_used += 1
        _sort_ints(exit_list, n_ex)
        for q in range(n_ex):
            j = exit_list[q]
            m = exit_acc[j, 0] + exit_acc[j, 1]
            exit_idx[e_used] = j
            exit_w[e_used] = m
            exit_val[e_used] = np.log(m) + scale * _LN2
            e_used += 1
        row_scale[row] = scale
        scale -= shift
        surv_ptr[row + 1] = s_used
        exit_ptr[row + 1] = e_used
        done += 1
    return done, n_active, scale, s_used, e_used


__all__ = [
    "PassCells",
    "PassPolicy",
    "RowOut",
    "RowWork",
    "advance_rows",
    "cell_log_prob",
    "dd_residual",
    "log_mass",
    "log_probs_many",
    "log_probs_rows",
    "log_tails_many",
    "log_tails_rows",
    "survival_moments",
    "tilt",
    "tilt_rows",
    "serial_batches",
    "use_threads",
    "value_grad_pass",
]


# -- residuals of the linear route -------------------------------------------------------------
#: Relative rounding unit of the double-double residuals (2^−104: two halves of 53 bits,
#: with a factor 4 of room for the renormalisations).
DD_UNIT = 2.0**-104


@njit(**_NJIT)
def dd_residual(table, c_hi, c_lo, b_hi, b_lo, x_hi, x_lo, out_hi, out_lo, out_err):
    """ρ = b − (x − Σ_s c_s x[table[·, s]]) in double-double, one row per state.

    With the outgoing table (``table[x, s]`` = x + s, −1 when the step exits) this is
    b − A x for A = I − Σ_s c_s P_s; with the incoming table (the x with x + s = y) it is
    b − Aᵀx. Every number is a double-double hi + lo; the products and sums are
    error-free transformations, so ρ̂ = out_hi + out_lo is the residual of the stored x
    up to ``out_err`` (per row: (2k + 8)·2^−104 times |b| + |x| + Σ_s |c_s x_{s}|)."""
    n = table.shape[0]
    k = table.shape[1]
    rel = (2 * k + 8) * DD_UNIT
    for i in range(n):
        sh, sl = _two_sum(b_hi[i], -x_hi[i])
        sl += b_lo[i] - x_lo[i]
        mag = abs(b_hi[i]) + abs(x_hi[i])
        for s in range(k):
            t = table[i, s]
            if t >= 0:
                ph, pl = _two_prod(c_hi[s], x_hi[t])
                pl += c_hi[s] * x_lo[t] + c_lo[s] * x_hi[t]
                sh, e = _two_sum(sh, ph)
                sl += e + pl
                mag += abs(ph)
        h, lo = _two_sum(sh, sl)
        out_hi[i] = h
        out_lo[i] = lo
        out_err[i] = rel * mag + 1e-300  # the absolute floor covers underflow in the products


# -- the truncation search of the table route --------------------------------------------------
@njit(**_NJIT)
def truncation_bounds_nb(n, tail, gamma, cost, r_max, d_max):
    """:func:`pgweyl.exact.bounds.truncation_bounds` (the same formulas, compiled)."""
    if tail <= 0.0:
        return 0.0, 0.0
    if gamma < 1.0:
        gn = gamma**n
        err_v = gn * tail * (r_max + cost / (1.0 - gamma))
        star = 1.0 / np.log(1.0 / gamma)
        f1 = 0.0
        for m in (n + 1, max(n + 1, int(np.floor(star))), max(n + 1, int(np.ceil(star)))):
            f1 = max(f1, m * gamma ** (m - 1))
        t1 = gn * (n * (1.0 - gamma) + gamma) / (1.0 - gamma) ** 2
        return err_v, d_max * tail * (r_max * f1 + cost * t1)
    if cost == 0.0:
        return r_max * tail, np.inf
    return np.inf, np.inf


@njit(**_NJIT)
def truncation_search(
    thetas_c,
    abars,
    lo,
    hi,
    surv_ptr,
    surv_idx,
    surv_val,
    state_delta,
    gamma,
    cost,
    r_max,
    d_max,
    budget,
    need_grad,
):
    """Smallest n in [lo, hi] whose truncation bounds are ≤ ``budget`` for every θ of the
    stack (rows of ``thetas_c``), by bisection (the bounds are non-increasing in n); −1
    when even n = hi fails. S_n is the largest tail of the stack, from the survival row n
    (:func:`log_mass`), inflated by 1e−9 for its own rounding. γ = 1, cost 0, R_max = 1
    make the criterion the tail alone: S_n ≤ budget."""
    # The test is a kernel of its own, not a closure: a closure is inlined at each call
    # site, which doubled its compile time.
    crit = (gamma, cost, r_max, d_max, budget, need_grad)
    surv = (surv_ptr, surv_idx, surv_val)
    if not _truncation_ok(thetas_c, abars, hi, surv, state_delta, crit):
        return -1
    while lo < hi:
        mid = (lo + hi) // 2
        if _truncation_ok(thetas_c, abars, mid, surv, state_delta, crit):
            hi = mid
        else:
            lo = mid + 1
    return hi


@njit(**_NJIT)
def _truncation_ok(thetas_c, abars, n, surv, state_delta, crit):
    """Whether the truncation bounds at n are ≤ budget for every θ of the stack (see
    :func:`truncation_search`; ``surv`` = (ptr, idx, val), ``crit`` = (γ, cost, R_max,
    D, budget, need ∇))."""
    surv_ptr, surv_idx, surv_val = surv
    gamma, cost, r_max, d_max, budget, need_grad = crit
    a, b = surv_ptr[n], surv_ptr[n + 1]
    top = -np.inf
    for i in range(thetas_c.shape[0]):
        lm = log_mass(thetas_c[i], abars[i], n, surv_val[a:b], surv_idx[a:b], state_delta)
        top = max(top, lm)
    ev, eg = truncation_bounds_nb(n, np.exp(top) * (1.0 + 1e-9), gamma, cost, r_max, d_max)
    return ev <= budget and ((not need_grad) or eg <= budget)
