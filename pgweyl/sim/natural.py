"""E_θ[T] at every update of the natural rule: a sparse, subtraction-free elimination.

The natural rule (:mod:`pgweyl.rules`) steps along F(θ)⁺ ĝ with F(θ) = E_θ[T] · Cov_π(S)
(Wald), so every update needs the mean exit time from the start λ,

    E_θ[T] = τ(λ),    (I − M_π) τ = 1   on the interior states,

with M_π[i, j] = Σ_{s : i + s = j} π(s) the walk's substochastic transition matrix.

**How.** The sparsity pattern of I − M_π depends on the graph only, never on θ. So the
elimination order is chosen once per environment (:func:`exit_time_graph`): reverse
Cuthill–McKee from λ, i.e. a breadth-first order from the start, reversed, so that the
fill stays inside a narrow envelope and λ is eliminated *last* — then τ(λ) is read off
the last pivot and no back substitution is needed. Per update
(:func:`mean_exit_time`) the kernel fills the envelope from π and eliminates inside it:
O(n w²) operations for n states and envelope width w (a corridor: w = O(1), so O(n); the
triangle of level m: w = O(m), n = O(m²)), against O(n³) for the dense Gaussian
elimination it replaces — kept as :func:`dense_mean_exit_time`, the reference twin the
tests and benchmarks/bench_natural.py hold it against (a :func:`dense_graph` selects it).

**Precision.** I − M_π is an M-matrix whose row sums are the exit probabilities
ℓ_i = Σ_{s : i + s exits} π(s). The elimination is the Grassmann–Taksar–Heyman one: it
keeps the off-diagonal magnitudes c_ij ≥ 0 and the leaks ℓ_i ≥ 0, and recomputes every
pivot as d_k = ℓ_k + Σ_{j>k} c_kj instead of subtracting. Eliminating k from row i adds
f = c_ik / d_k times row k: c_ij += f c_kj, ℓ_i += f ℓ_k, b_i += f b_k (all terms ≥ 0),
so no operation subtracts and no 1 − π(s) is ever formed: every quantity, and τ(λ) =
b_λ / d_λ, has a small *relative* error, whatever the policy — near-deterministic
policies (the normal case late in a run) included. A policy from which the walk cannot
exit (a zero pivot) gives E[T] = ∞.

**The step.** :func:`natural_step` is what the REINFORCE kernel calls: F⁺ĝ with
F = E_θ[T] · Cov_π(S) (:func:`step_covariance` in the pairwise form, again without
1 − π(s); :func:`symmetric_pinv_apply`, Jacobi with np.linalg.pinv's cut), remembering
the last update so that a run whose θ no longer moves pays for neither again.

>>> import numpy as np, pgweyl as pw
>>> env = pw.make_env("corridor")                       # level 8, start 2 from the trap
>>> g = exit_time_graph(env)
>>> round(mean_exit_time(g, np.array([0.5, 0.5]), exit_time_work(g)), 12)   # z (a − z) = 2 · 6
12.0
"""

from __future__ import annotations

import weakref

import numpy as np
from numba import njit

from pgweyl.budget import require
from pgweyl.sim.config import NJIT, NJIT_INLINE
from pgweyl.sim.records import POLICY_EXP, Graph


def _order(succ: np.ndarray) -> np.ndarray:
    """Reverse Cuthill–McKee from state 0 (λ): ``order[p]`` is the state at position p,
    λ last. Neighbours (either direction of a step) are visited by increasing degree."""
    n, _ = succ.shape
    src = np.repeat(np.arange(n), succ.shape[1])
    dst = succ.reshape(-1)
    inside = (dst >= 0) & (dst != src)
    a, b = src[inside], dst[inside]
    u = np.concatenate([a, b])
    v = np.concatenate([b, a])
    key = np.unique(u * n + v)  # undirected, without repeats
    u, v = key // n, key % n
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, u + 1, 1)
    ptr = np.cumsum(ptr)
    degree = np.diff(ptr)
    order = np.empty(n, dtype=np.int64)
    seen = np.zeros(n, dtype=bool)
    order[0], seen[0] = 0, True
    head, tail = 0, 1
    while head < tail:
        node = order[head]
        head += 1
        nb = v[ptr[node] : ptr[node + 1]]
        nb = nb[~seen[nb]]
        nb = nb[np.argsort(degree[nb], kind="stable")]
        seen[nb] = True
        order[tail : tail + len(nb)] = nb
        tail += len(nb)
    if tail < n:  # every state is reachable from λ (StepGraph keeps only those)
        raise AssertionError("the step graph has states unreachable from the start")
    return order[::-1].copy()


#: Plans by step graph: a run of many chunks (convergence_probabilities) builds it once
#: (the order is a Python breadth-first search: 2.3 s on the corridor of level 10⁵).
_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def exit_time_graph(env) -> Graph:
    """The :data:`pgweyl.sim.records.Graph` the natural rule's kernel reads: the step graph
    ``succ`` (state 0 = λ) and, in the elimination order of the module docstring,
    ``band_succ[p, s]`` (position of the successor of the state at position p by step s,
    −1 when it exits), the envelope half-width ``width`` and, per pivot k, the last row
    ``row_end[k]`` and last column ``col_end[k]`` the elimination of k can touch (cached
    per step graph). The arrays are writable copies, of the same Numba types as the empty
    graph the other rules pass, so every rule shares one compiled REINFORCE kernel."""
    plan = _PLANS.get(env.graph)
    if plan is None:
        plan = _PLANS[env.graph] = _plan(env.graph)
    return plan


def _plan(step_graph) -> Graph:
    succ = np.array(step_graph.succ, dtype=np.int64, order="C")  # a writable copy
    n = succ.shape[0]
    order = _order(succ)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    band = np.where(succ[order] >= 0, pos[np.maximum(succ[order], 0)], -1)
    # Envelope of I − M in the new order (row i: first column; column j: first row); fill
    # never leaves it (an update of (i, j) by pivot k < i, j needs c_ik ≠ 0 and c_kj ≠ 0).
    rows = np.repeat(np.arange(n), band.shape[1])
    cols = band.reshape(-1)
    keep = cols >= 0
    rows, cols = rows[keep], cols[keep]
    first_in_row = np.arange(n)
    np.minimum.at(first_in_row, rows, cols)
    first_in_col = np.arange(n)
    np.minimum.at(first_in_col, cols, rows)
    width = int(max((np.arange(n) - first_in_row).max(), (np.arange(n) - first_in_col).max()))
    # row_end[k] = max{i : first_in_row[i] ≤ k}: a running maximum over k
    row_end = np.arange(n)
    np.maximum.at(row_end, first_in_row, np.arange(n))
    row_end = np.maximum.accumulate(row_end)
    col_end = np.arange(n)
    np.maximum.at(col_end, first_in_col, np.arange(n))
    col_end = np.maximum.accumulate(col_end)
    band = np.ascontiguousarray(band)
    return Graph(succ, n, band, width, row_end, col_end, 2 * width + 3)


def dense_graph(env) -> Graph:
    """The same graph marked for the dense reference route (``width`` −1; the work array
    is n × (n + 1)): :func:`mean_exit_time` then runs :func:`dense_mean_exit_time`."""
    succ = np.array(env.graph.succ, dtype=np.int64, order="C")  # writable: one Numba type
    n = succ.shape[0]
    none = np.zeros(0, dtype=np.int64)
    return Graph(succ, n, succ, -1, none, none, n + 1)


def require_work(graph: Graph, copies: int = 1) -> None:
    """Refuse (:class:`pgweyl.ResourceError`) when ``copies`` work arrays of
    :func:`exit_time_work` (one per run running at once) exceed the memory budget."""
    require(
        8.0 * graph.n_states * graph.cols * copies,
        f"the natural rule's elimination band ({graph.n_states} states × {graph.cols} "
        f"columns{f' × {copies} runs at once' if copies > 1 else ''})",
        "choose a smaller level",
    )


def exit_time_work(graph: Graph) -> np.ndarray:
    """The kernel's work array for one run, n × ``graph.cols`` floats: the envelope band
    (2·width + 1 columns), then the leak and the right-hand side of each row."""
    require_work(graph)
    return np.empty((graph.n_states, graph.cols))


@njit(**NJIT)
def dense_mean_exit_time(graph, p, work):
    """E_π[T] = τ(λ), (I − M_π) τ = 1, by dense Gaussian elimination with partial pivoting
    (O(n³); A in ``work[:, :n]``, b in ``work[:, n]``): the route the natural rule took
    before this module, kept as the reference twin of :func:`mean_exit_time`. It forms
    1 − Σ π and subtracts, so near-deterministic policies lose digits here."""
    n = graph.n_states
    succ = graph.succ
    for i in range(n):
        for j in range(n):
            work[i, j] = 0.0
        work[i, i] = 1.0
        work[i, n] = 1.0
    for i in range(n):
        for s in range(succ.shape[1]):
            t = succ[i, s]
            if t >= 0:
                work[i, t] -= p[s]
    for col in range(n):
        piv = col
        for i in range(col + 1, n):
            if abs(work[i, col]) > abs(work[piv, col]):
                piv = i
        if piv != col:
            for j in range(col, n + 1):
                work[col, j], work[piv, j] = work[piv, j], work[col, j]
        for i in range(col + 1, n):
            f = work[i, col] / work[col, col]
            if f != 0.0:  # I − M is sparse: most rows have nothing to eliminate
                for j in range(col + 1, n + 1):
                    work[i, j] -= f * work[col, j]
    for i in range(n - 1, -1, -1):
        v = work[i, n]
        for j in range(i + 1, n):
            v -= work[i, j] * work[j, n]
        work[i, n] = v / work[i, i]
    return work[0, n]


@njit(**NJIT)
def mean_exit_time(graph, p, work):
    """E_π[T] = τ(λ), (I − M_π) τ = 1, by the subtraction-free elimination of the module
    docstring in ``work`` (:func:`exit_time_work`); ∞ when the walk cannot exit. A
    :func:`dense_graph` runs the dense reference route instead."""
    bw = graph.width
    if bw < 0:
        return dense_mean_exit_time(graph, p, work)
    n = graph.n_states
    succ, row_end, col_end = graph.band_succ, graph.row_end, graph.col_end
    leak = 2 * bw + 1
    rhs = leak + 1
    for i in range(n):
        for c in range(leak):
            work[i, c] = 0.0
        work[i, leak] = 0.0
        work[i, rhs] = 1.0
        for s in range(succ.shape[1]):
            t = succ[i, s]
            if t < 0:
                work[i, leak] += p[s]
            elif t != i:  # a self-loop is in neither the leak nor the c_ij: d_i = 1 − π(s)
                work[i, t - i + bw] += p[s]
    for k in range(n):
        d = work[k, leak]
        ce = col_end[k]
        for j in range(k + 1, ce + 1):
            d += work[k, j - k + bw]
        if not d > 0.0:
            return np.inf
        work[k, bw] = d
        lk = work[k, leak]
        bk = work[k, rhs]
        for i in range(k + 1, row_end[k] + 1):
            cik = work[i, k - i + bw]
            if cik == 0.0:
                continue
            f = cik / d
            work[i, leak] += f * lk
            work[i, rhs] += f * bk
            off = bw - i
            for j in range(k + 1, ce + 1):
                if j != i:  # the diagonal is implied: d_i = ℓ_i + Σ c_ij when i is the pivot
                    work[i, j + off] += f * work[k, j - k + bw]
    return work[n - 1, rhs] / work[n - 1, bw]


@njit(**NJIT)
def step_covariance(walk, p, cov):
    """Cov_π(S) into ``cov`` (dim × dim; exp: θ-space; softmax: diag(π) − ππᵀ) as
    ½ Σ_{s,t} π(s) π(t) (s − t)(s − t)ᵀ: the pairwise form has only products of
    probabilities and integer differences, no s − E_π[s] — which near a vertex is
    1 − π(s) for π(s) ≈ 1, a subtraction that loses the digits of the face's small
    variances (softmax: s − t = e_s − e_t, the same form for diag(π) − ππᵀ)."""
    dim = cov.shape[0]
    for a in range(dim):
        for b in range(dim):
            cov[a, b] = 0.0
    k = p.shape[0]
    if walk.policy_kind == POLICY_EXP:
        vf = walk.vectors_f
        for i in range(k):
            for j in range(i + 1, k):
                w = p[i] * p[j]
                if w == 0.0:
                    continue
                for a in range(dim):
                    da = vf[i, a] - vf[j, a]  # integers: exact
                    if da != 0.0:
                        for b in range(dim):
                            cov[a, b] += w * da * (vf[i, b] - vf[j, b])
    else:
        for i in range(k):
            for j in range(i + 1, k):
                w = p[i] * p[j]
                cov[i, i] += w
                cov[j, j] += w
                cov[i, j] -= w
                cov[j, i] -= w


@njit(**NJIT)
def natural_direction(walk, p, grad, exp_t, out, scratch):
    """out = F⁺ grad with F = E[T] · Cov_π(S) (:func:`step_covariance`), in ``scratch``
    (2·dim² floats: F, then the eigenvectors of :func:`symmetric_pinv_apply`)."""
    dim = grad.shape[0]
    nn = dim * dim
    cov = scratch[:nn].reshape((dim, dim))
    step_covariance(walk, p, cov)
    for a in range(dim):
        for b in range(dim):
            cov[a, b] *= exp_t
    symmetric_pinv_apply(cov, grad, out, scratch[nn : 2 * nn].reshape((dim, dim)))


@njit(**NJIT)
def symmetric_pinv_apply(m, g, out, v):
    """out = M⁺ g for a small symmetric M (overwritten), with np.linalg.pinv's cut: M =
    V diag(λ) Vᵀ by cyclic Jacobi rotations (V in ``v``, n × n, overwritten), and
    M⁺ = Σ_{|λ_i| > 1e−12 max|λ|} v_i v_iᵀ / λ_i.
    A hand loop, not np.linalg.pinv: compiling that was 1.7 s of every cold first call."""
    n = m.shape[0]
    for i in range(n):
        for j in range(n):
            v[i, j] = 0.0
        v[i, i] = 1.0
    for _ in range(60):  # quadratic convergence: a few sweeps for the dimensions here
        off = 0.0
        diag = 0.0
        for p in range(n):
            diag += m[p, p] * m[p, p]
            for q in range(p + 1, n):
                off += m[p, q] * m[p, q]
        if off <= 1e-36 * diag or off == 0.0:
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if m[p, q] == 0.0:
                    continue
                theta = (m[q, q] - m[p, p]) / (2.0 * m[p, q])
                if abs(theta) > 1e150:
                    t = 0.5 / theta
                else:
                    t = 1.0 / (abs(theta) + np.sqrt(theta * theta + 1.0))
                    if theta < 0.0:
                        t = -t
                c = 1.0 / np.sqrt(t * t + 1.0)
                s = t * c
                for k in range(n):  # M ← M P, V ← V P
                    mkp, mkq = m[k, p], m[k, q]
                    m[k, p], m[k, q] = c * mkp - s * mkq, s * mkp + c * mkq
                    vkp, vkq = v[k, p], v[k, q]
                    v[k, p], v[k, q] = c * vkp - s * vkq, s * vkp + c * vkq
                for k in range(n):  # M ← Pᵀ M
                    mpk, mqk = m[p, k], m[q, k]
                    m[p, k], m[q, k] = c * mpk - s * mqk, s * mpk + c * mqk
    top = 0.0
    for i in range(n):
        top = max(top, abs(m[i, i]))
    for a in range(n):
        out[a] = 0.0
    for i in range(n):
        lam = m[i, i]
        if abs(lam) > 1e-12 * top:
            w = 0.0
            for k in range(n):
                w += v[k, i] * g[k]
            w /= lam
            for a in range(n):
                out[a] += w * v[a, i]


@njit(**NJIT_INLINE)
def same_bits(a, memo, off):
    """a == memo[off : off + len(a)] bit for bit (±0 told apart; NaN is never the same)."""
    for i in range(a.shape[0]):
        b = memo[off + i]
        if a[i] != b or np.signbit(a[i]) != np.signbit(b):
            return False
    return True


@njit(**NJIT)
def natural_step(walk, graph, theta, p, grad, memo, work, out):
    """out = F(θ)⁺ grad, F = E_θ[T] · Cov_π(S): :func:`mean_exit_time` and
    :func:`natural_direction`, remembering the last update in ``memo`` (2 + 3·dim + 2·dim²
    floats: filled flag, E[T], θ, grad, out, then the direction's scratch).

    A run whose policy has become deterministic to the last bit (π(s) ~ 1e−308 for every
    other step: the natural step pushes the face's mass to underflow) draws the same
    episode and leaves θ unchanged at every update; there E[T] is reused when θ is the
    last update's θ bit for bit, and the whole step when the score is too. The result is
    the same bits as recomputing (every input is the same), at a fraction of the cost:
    with subnormal π the elimination and the pseudo-inverse crawl."""
    dim = theta.shape[0]
    if memo[0] == 1.0 and same_bits(theta, memo, 2):
        if same_bits(grad, memo, 2 + dim):
            for c in range(dim):
                out[c] = memo[2 + 2 * dim + c]
            return
        exp_t = memo[1]
    else:
        exp_t = mean_exit_time(graph, p, work)
    natural_direction(walk, p, grad, exp_t, out, memo[2 + 3 * dim :])
    memo[0] = 1.0
    memo[1] = exp_t
    for c in range(dim):
        memo[2 + c] = theta[c]
        memo[2 + dim + c] = grad[c]
        memo[2 + 2 * dim + c] = out[c]


__all__ = [
    "dense_graph",
    "dense_mean_exit_time",
    "exit_time_graph",
    "exit_time_work",
    "mean_exit_time",
    "natural_direction",
    "natural_step",
    "require_work",
    "same_bits",
    "step_covariance",
    "symmetric_pinv_apply",
]
