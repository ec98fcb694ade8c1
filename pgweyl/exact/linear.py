"""Route 2 to V and ∇V: the absorbing-chain linear system and its adjoint (any policy).

With M_π the substochastic step matrix on the interior states (M_π[x, x + s] = π(s))
and one-step payoffs r_π(x) = Σ_s π(s) ([x + s exits] R(x + s)) − c,

    (I − γ M_π) v = r_π,      V = v(λ),
    (I − γ M_π)ᵀ y = e_λ,     ∂V/∂θ = Σ_s (∂π(s)/∂θ) · Σ_x y(x) q_s(x),

where q_s(x) = −c + R(x + s) if the step exits and −c + γ v(x + s) otherwise (the
adjoint method: one extra transposed solve gives every component of ∇V). This holds for
every policy — exp, softmax, or a probability vector with zeros (faces of the policy
polytope) — and for γ = 1, where (I − M_π) is invertible because the walk exits.

Accuracy. Near γ = 1 the problem is ill-conditioned (∇V moves by up to ~E[T²] times a
perturbation of π that does not sum to one), so every source of error is bounded:

- the data: π comes from θ with mpmath (the caller) and is held as a double-double
  hi + lo (2^−105 relative), and so are c_s = γπ_s and r_π; the difference to the exact
  model enters the bounds (the "data" terms, ~2^−104 ‖y‖₁ ‖v‖∞);
- the matrix is factored once in float64 (SuperLU) and that one LU serves the three
  solves: v (A v = r), y (Aᵀ y = e_λ) and τ (A τ = 1, every row sum of the nonnegative
  A^{−1}); each is refined to double-double (mixed-precision iterative refinement) with
  residuals from error-free transformations (:func:`pgweyl.exact.kernels.dd_residual`),
  which come with their own rounding bound e, so ρ̄ = |ρ̂| + e bounds the true residual;
- an entrywise supersolution u ≥ τ is certified by A u ≥ 1 (maximum principle), checked
  with those residuals, whatever the conditioning;
- the bounds are a posteriori, from the residuals (A^{−1} ≥ 0, so A^{−1}|ρ| ≤ ‖ρ‖∞ u):

      |V − (v̂(λ) + ŷᵀρ̂_v)| ≤ (ρ̄_yᵀ u) ‖ρ̄_v‖∞ + |ŷ|ᵀ e_v + rounding + data,
      |g_s − ŷᵀ q̂_s|     ≤ ‖q_s‖∞ (ρ̄_yᵀ u) + γ ‖ρ̄_v‖∞ Σ_{x→x+s} |ŷ(x)| u(x + s)
                            + rounding + data,

  with ‖q_s‖∞ ≤ ‖q̂_s‖∞ + γ ‖ρ̄_v‖∞ max u. No solve beyond the three (the dual-weighted
  corrections used before cost 2|S| more refined solves per θ); the residuals of a
  converged refinement are ~2^−100 of the data, so the bounds stay far below 1e−12 up
  to E[T] ~ 10^10.

These bounds are what :class:`LinearResult` reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pgweyl.budget import require
from pgweyl.errors import AccuracyError, ArgumentError, ResourceError
from pgweyl.exact.kernels import DD_UNIT, dd_residual

_LD = np.longdouble
_EPS_LD = float(np.finfo(np.longdouble).eps)
#: Iterative refinement stops after this many corrections.
MAX_REFINE = 4
_EPS = 2.0**-53


@dataclass(frozen=True)
class LinearResult:
    """V, ∇V (w.r.t. the parameters of ``jac``) and E[Σ_{t<T} γ^t] at λ, with bounds."""

    value: float
    grad: np.ndarray | None
    error_value: float
    error_grad: float
    discounted_time: float


# -- double-double helpers (float64 pairs, vectorised) -----------------------------------------
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    p = a * b
    ca, cb = 134217729.0 * a, 134217729.0 * b  # Dekker's splitter 2^27 + 1
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dd_from_ld(hi, lo):
    """A longdouble pair hi + lo as a double-double (within 2^−105 of it, relative)."""
    h = np.asarray(hi, dtype=_LD).astype(float)
    return h, ((np.asarray(hi, dtype=_LD) - h.astype(_LD)) + lo).astype(float)


def _ld(hi, lo):
    return hi.astype(_LD) + lo.astype(_LD)


def _dot(a, b):
    """Σ a_i b_i in longdouble with pairwise summation; returns (value, error bound)."""
    terms = np.asarray(a, dtype=_LD) * np.asarray(b, dtype=_LD)
    n = max(len(terms), 1)
    return np.sum(terms), (math.log2(n) + 2) * _EPS_LD * float(np.sum(np.abs(terms)))


def split_policy(probs_hp):
    """mpmath probabilities → (hi, lo) longdouble arrays with hi + lo exact to ~2^−128."""
    import mpmath

    hi = np.empty(len(probs_hp), dtype=_LD)
    lo = np.empty(len(probs_hp), dtype=_LD)
    for i, p in enumerate(probs_hp):
        hi[i] = _mpf_to_ld(p)
        lo[i] = _mpf_to_ld(p - _ld_to_mpf(hi[i], mpmath))
    return hi, lo


def _mpf_to_ld(x) -> np.longdouble:
    import mpmath

    if x == 0:
        return _LD(0)
    man, exp = mpmath.frexp(x)
    if exp < -16500:  # below the smallest longdouble: 0 (a probability that vanishes)
        return _LD(0)
    m = int(mpmath.nint(man * 2**64))
    sign = -1 if m < 0 else 1
    m = abs(m)
    val = _LD(m >> 32) * _LD(2.0**32) + _LD(m & 0xFFFFFFFF)  # both halves exact
    return sign * np.ldexp(val, int(exp) - 64)


def _ld_to_mpf(x, mpmath):
    m, e = np.frexp(x)
    mi = int(m * _LD(2.0**64))
    return mpmath.mpf(mi) * mpmath.mpf(2) ** (int(e) - 64)


class _Operator:
    """A = I − Σ_s c_s P_s (c_s = γ π_s as a double-double) as index tables — each step
    maps at most one state to another — with double-double residuals b − A x and b − Aᵀx
    (:func:`pgweyl.exact.kernels.dd_residual`)."""

    def __init__(self, out, inc, c_hi, c_lo):
        self.out, self.inc = out, inc  # out[x, s] = x + s inside; inc[y, s] = the x → y
        self.c_hi, self.c_lo = c_hi, c_lo

    def residual(self, b, x, trans: bool):
        """(ρ̂ as a double-double, its per-row rounding bound) for double-doubles b, x."""
        n = len(x[0])
        rh, rl, re = np.empty(n), np.empty(n), np.empty(n)
        table = self.inc if trans else self.out
        dd_residual(table, self.c_hi, self.c_lo, b[0], b[1], x[0], x[1], rh, rl, re)
        return (rh, rl), re


def _tables(n, k, src, step, dst):
    out = np.full((n, k), -1, dtype=np.int64)
    out[src, step] = dst
    inc = np.full((n, k), -1, dtype=np.int64)
    inc[dst, step] = src
    return out, inc


#: Fill of SuperLU's factors (nonzeros of L + U) as c · n^e by rank, measured on the
#: catalog (corridor: 4 n; triangle: 5.1–5.2 n^1.27 for n = 5·10³ … 8·10⁴; simplex:
#: 0.69 n^1.68 for n = 10³ … 10⁴), rounded up; a higher rank is taken as rank 3 with
#: 0.1 more in the exponent per rank. An estimate, only used to refuse early.
LU_FILL = {1: (4.5, 1.0), 2: (6.0, 1.27), 3: (0.8, 1.68)}
#: Bytes per factor nonzero (value, row index, SuperLU's supernodal bookkeeping).
LU_BYTES_PER_ENTRY = 24


def lu_fill(n: int, rank: int) -> float:
    """Estimated nonzeros of the LU factors of I − γM with n states (:data:`LU_FILL`)."""
    c, e = LU_FILL[min(rank, 3)]
    return c * float(n) ** (e + 0.1 * max(rank - 3, 0))


def _lu_failed(n: int, why: str) -> ResourceError:
    # Not "singular": a failed allocation says nothing about the walk.
    return ResourceError(
        f"the sparse LU factorisation of I − γM ({n} states) failed ({why}); "
        "use method='table', a smaller level or a larger PGWEYL_MEMORY_BUDGET"
    )


class LinearRoute:
    """The θ-independent structure of the linear system of one environment (picklable:
    scipy is imported where it is used, not kept on the instance)."""

    def __init__(self, env):
        g = env.graph
        self.n = g.n_states
        self.k = g.k
        self.rank = env.alcove.root_system.rank
        self.exit_rewards = np.asarray(env.exit_rewards, dtype=float)
        # Interior moves (x, s, x + s) and exiting moves (x, s, b).
        self.src, self.step, self.dst = g.interior_edges()
        self.ex_src, self.ex_step, self.ex_j = (np.asarray(a) for a in g.exit_pairs.T)
        self._full_tables = None

    # -- assembly ---------------------------------------------------------------------------
    def _restrict(self, probs) -> np.ndarray | None:
        """States reachable from λ through steps of positive probability (None: all)."""
        if np.all(probs > 0):
            return None
        import scipy.sparse as sp
        from scipy.sparse.csgraph import breadth_first_order

        ok = probs[self.step] > 0
        graph = sp.csr_matrix(
            (np.ones(int(ok.sum())), (self.src[ok], self.dst[ok])), shape=(self.n, self.n)
        )
        return np.sort(breadth_first_order(graph, 0, directed=True, return_predecessors=False))

    def _system(self, p_hi, p_lo, gamma, cost, keep, no_rewards):
        """The restricted system: A (float64 CSC), its operator, r as a double-double and
        its data error bound, the moves."""
        import scipy.sparse as sp

        n = self.n
        src, step, dst = self.src, self.step, self.dst
        ex_src, ex_step, ex_j = self.ex_src, self.ex_step, self.ex_j
        if keep is not None:
            relabel = np.full(n, -1, dtype=np.int64)
            relabel[keep] = np.arange(len(keep))
            m = (relabel[src] >= 0) & (relabel[dst] >= 0)
            src, step, dst = relabel[src[m]], step[m], relabel[dst[m]]
            m = relabel[ex_src] >= 0
            ex_src, ex_step, ex_j = relabel[ex_src[m]], ex_step[m], ex_j[m]
            n = len(keep)
            out, inc = _tables(n, self.k, src, step, dst)
        else:
            if self._full_tables is None:
                self._full_tables = _tables(n, self.k, src, step, dst)
            out, inc = self._full_tables
        c_hi, c_err = _two_prod(np.full(self.k, float(gamma)), p_hi)
        c_lo = c_err + float(gamma) * p_lo
        op = _Operator(out, inc, c_hi, c_lo)
        nz = (c_hi[step] != 0) | (c_lo[step] != 0)
        rows = np.concatenate([np.arange(n), src[nz]])
        cols = np.concatenate([np.arange(n), dst[nz]])
        data = np.concatenate([np.ones(n), -(c_hi[step[nz]] + c_lo[step[nz]])])
        A64 = sp.csc_matrix((data, (rows, cols)), shape=(n, n))
        # r = Σ_s π_s R − c as a double-double (each state has at most k exits).
        r_hi = np.full(n, -float(cost))
        r_lo = np.zeros(n)
        if not no_rewards:
            for s in range(self.k):
                m = ex_step == s
                rew = self.exit_rewards[ex_j[m]]
                p, e = _two_prod(np.full(int(m.sum()), p_hi[s]), rew)
                idx = ex_src[m]
                h, t = _two_sum(r_hi[idx], p)
                r_hi[idx] = h
                r_lo[idx] += t + e + p_lo[s] * rew
        r_max = 0.0 if no_rewards else float(np.abs(self.exit_rewards).max(initial=0.0))
        err_r = (2 * self.k + 8) * DD_UNIT * (abs(cost) + r_max)
        return A64, op, (r_hi, r_lo), err_r, (src, step, dst, ex_src, ex_step, ex_j)

    @staticmethod
    def _refined(solve, op, b, trans: bool, max_refine: int = MAX_REFINE):
        """x with A x = b (or Aᵀ x = b) as a double-double: float64 LU solves, corrections
        from double-double residuals until they stop shrinking or reach their own rounding
        level (nothing is left to gain there); returns (x, ρ̂, e)."""
        mode = "T" if trans else "N"
        x = (solve(b[0] + b[1], trans=mode), np.zeros(len(b[0])))
        res, err = op.residual(b, x, trans)
        best = float(np.abs(res[0]).max()) if len(res[0]) else 0.0
        for _ in range(max_refine):
            if best <= 4.0 * float(err.max()):
                break
            d = solve(res[0] + res[1], trans=mode)
            h, e = _two_sum(x[0], d)
            x_new = _two_sum(h, e + x[1])
            res_new, err_new = op.residual(b, x_new, trans)
            norm = float(np.abs(res_new[0]).max())
            if norm < best:
                x, res, err = x_new, res_new, err_new
            if not norm < 0.5 * best:
                break
            best = norm
        return x, res, err

    @staticmethod
    def _supersolution(op, tau, res_t, err_t) -> np.ndarray:
        """u ≥ τ entrywise: the smallest tried (1 + δ) τ̂ with A u ≥ 1 certified (the
        residual 1 − A u plus its rounding bound ≤ 0 on every row)."""
        rho = float((np.abs(res_t[0]) + err_t).max()) if len(res_t[0]) else 0.0
        n = len(tau[0])
        ones = (np.ones(n), np.zeros(n))
        delta = max(2.0 * rho, 16 * _EPS)
        for _ in range(8):
            if delta < 0.5:
                # u = (1 + δ) τ̂ + 16ε as a double-double: rounding u to float64 would
                # perturb A u by ~ε max τ, far more than δ.
                h, lo = _two_prod(tau[0], np.full(n, 1.0 + delta))
                h, e = _two_sum(h, 16 * _EPS)
                u = _two_sum(h, lo + e + tau[1] * (1.0 + delta))
                (rh, rl), re = op.residual(ones, u, False)
                if np.all(rh + rl + re <= 0):
                    return (u[0] + u[1]) * (1 + 2 * _EPS)  # rounded up: still ≥ τ
            delta *= 4.0
        raise AccuracyError(
            "the linear system is too ill-conditioned to bound its solution "
            f"(expected-time residual {rho:.2g}); use method='table'"
        )

    # -- the solve --------------------------------------------------------------------------
    def solve(self, probs, jac=None, *, gamma: float, cost: float, probs_hp=None, no_rewards=False):
        """V (and ∇V = Jᵀ g when ``jac`` (k×p) = ∂π/∂θ is given) with error bounds.

        ``probs_hp``: the policy as (hi, lo) longdouble arrays (:func:`split_policy`) when
        it was computed from θ; otherwise the float ``probs`` are the model exactly.
        ``no_rewards`` drops R(b) (with cost −1 and γ = 1 the solution is E[T])."""
        import scipy.sparse.linalg as sla

        probs = np.asarray(probs, dtype=float)
        if probs_hp is not None:
            p_hi, p_lo = _dd_from_ld(*probs_hp)
            err_p = 2 * DD_UNIT  # |π − (p_hi + p_lo)| ≤ 2^−103 π (relative)
        else:
            p_hi, p_lo, err_p = probs.copy(), np.zeros(self.k), 0.0
        keep = self._restrict(probs)
        A64, op, r, err_r, (src, step, dst, ex_src, ex_step, ex_j) = self._system(
            p_hi, p_lo, gamma, cost, keep, no_rewards
        )
        n = A64.shape[0]
        fill = lu_fill(n, self.rank)
        require(
            LU_BYTES_PER_ENTRY * fill,
            f"the sparse LU factorisation of I − γM ({n} states, ~{fill:.2g} nonzeros)",
            "use method='table' or a smaller level",
        )
        try:
            lu = sla.splu(A64)
        except MemoryError:
            raise _lu_failed(n, "out of memory") from None
        except RuntimeError as err:
            if "singular" not in str(err):  # SuperLU's allocation failures are RuntimeErrors
                raise _lu_failed(n, str(err)) from None
            raise ArgumentError(
                f"the walk does not exit under policy {np.round(probs, 6).tolist()}: "
                f"I − γM is singular ({err})"
            ) from None
        solve = lu.solve
        zeros = np.zeros(n)
        e0 = np.zeros(n)
        e0[0] = 1.0  # λ is state 0, and stays 0 after restriction (it is reachable)
        v, res_v, err_v_res = self._refined(solve, op, r, False)
        y, res_y, err_y_res = self._refined(solve, op, (e0, zeros), True)
        # τ only has to be bounded from above (by u = (1 + δ) τ̂, δ ≥ 2‖ρ_τ‖∞): one solve.
        tau, res_t, err_t = self._refined(solve, op, (np.ones(n), zeros), False, 0)
        if n and float(np.abs(res_t[0]).max()) > 1e-8:  # ill-conditioned: refine after all
            tau, res_t, err_t = self._refined(solve, op, (np.ones(n), zeros), False)
        if not all(np.all(np.isfinite(a[0])) for a in (v, y, tau)):
            raise AccuracyError("the linear solve produced non-finite values; use method='table'")
        u = self._supersolution(op, tau, res_t, err_t)
        u_max = float(u.max()) if n else 0.0
        v_ld, y_ld = _ld(*v), _ld(*y)
        rv_ld = _ld(*res_v)
        # ρ̄ = |ρ̂| + e bounds each true residual (the rounding of ρ̂ itself included).
        ry_bar = np.abs(res_y[0] + res_y[1]) * (1 + 4 * _EPS) + err_y_res
        rv_bar = np.abs(res_v[0] + res_v[1]) * (1 + 4 * _EPS) + err_v_res
        av = float(rv_bar.max()) if n else 0.0
        ry_u = float(np.sum(ry_bar * u)) * (1 + n * _EPS)  # ≥ ‖y − ŷ‖₁
        y_l1 = float(np.sum(np.abs(y[0]))) * (1 + n * _EPS) + ry_u
        v_inf = float(np.abs(v[0]).max()) + av * u_max if n else 0.0
        # The model's data (π, r) as double-doubles: |δA| ≤ err_p·γM, |δr| ≤ err_r. With
        # u valid for the stored A up to a factor 2 (err_p u_max ≪ 1):
        dv_data = 2 * u_max * (err_r + err_p * gamma * v_inf)  # ≥ ‖v − v_stored‖∞
        corr, corr_err = _dot(y_ld, rv_ld)
        value_ld = v_ld[0] + corr
        value = float(value_ld)
        err_v = ry_u * av + float(np.sum(np.abs(y[0]) * err_v_res)) * (1 + n * _EPS)
        err_v += corr_err + 2 * _EPS_LD * abs(float(value_ld)) + y_l1 * (err_r + err_p * v_inf)
        err_v += 2 * _EPS_LD * y_l1 * av  # ŷ rounded to longdouble in the correction
        err_v += abs(float(value_ld - _LD(value)))  # the final rounding to float64
        if jac is None:
            return LinearResult(value, None, err_v, 0.0, float(tau[0][0] + tau[1][0]))
        gam = _LD(gamma)
        g_ld = np.zeros(self.k, dtype=_LD)
        err_s = np.zeros(self.k)
        for s in range(self.k):
            q = np.zeros(n, dtype=_LD)
            m = step == s
            q[src[m]] = gam * v_ld[dst[m]] - _LD(cost)
            m_ex = ex_step == s
            q[ex_src[m_ex]] = self.exit_rewards[ex_j[m_ex]].astype(_LD) - _LD(cost)
            a, ea = _dot(y_ld, q)
            g_ld[s] = a
            q_inf = float(np.abs(q).max(initial=0.0))
            q_true = q_inf + gamma * (av * u_max + dv_data)  # ≥ ‖q_s‖∞ of the exact v
            shift_u = float(np.sum(np.abs(y[0][src[m]]) * u[dst[m]])) * (1 + n * _EPS)
            err_s[s] = (
                q_true * ry_u  # (y − ŷ)ᵀ q_s
                + gamma * av * shift_u  # γ ŷᵀ P_s (v − v̂)
                + ea
                + 6 * _EPS_LD * y_l1 * q_inf  # q̂ = γ P_s v̂ − c rounded; ŷ, v̂ in longdouble
                + y_l1 * gamma * dv_data  # data: v
                + 2 * err_p * gamma * u_max * y_l1 * q_true  # data: y
            )
        # Every column of ∂π/∂θ sums to 0 over the steps (Σ_s π_s = 1), so ∇V = Jᵀ(g − ḡ1)
        # for any ḡ: removing the large common part of g before rounding keeps the
        # cancellation in extended precision.
        g_ld = g_ld - np.sum(_ld(p_hi, p_lo) * g_ld)
        g = g_ld.astype(float)
        err_s += np.abs((g_ld - g.astype(_LD)).astype(float))
        jac = np.asarray(jac, dtype=float)
        grad = jac.T @ g
        err_g = float((np.abs(jac).T @ err_s).max()) if jac.size else 0.0
        # The float products Jᵀg add relative rounding of a few ε per term.
        err_g += 4 * (self.k + 2) * _EPS * float((np.abs(jac).T @ np.abs(g)).max())
        return LinearResult(value, grad, err_v, err_g, float(tau[0][0] + tau[1][0]))


__all__ = ["LinearResult", "LinearRoute", "split_policy"]
