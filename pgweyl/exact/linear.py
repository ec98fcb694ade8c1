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
perturbation of π that does not sum to one), so every source of error is controlled:

- the data (π, γπ, r_π) are held as unevaluated sums hi + lo of two ``longdouble``
  numbers (~2^−128 relative; π is computed from θ with mpmath by the caller);
- the matrix is factored once in float64 (SuperLU); solutions are accumulated in
  longdouble and refined until their residual stops shrinking (mixed-precision iterative
  refinement); residuals are evaluated with error-free transformations (TwoSum/TwoProd),
  so they are the residuals of the stored solutions, not rounding noise;
- V and each g_s get dual-weighted residual corrections — V = v̂(λ) + ŷᵀρ_v, and for g_s
  the solutions w_s = (I − γM)^{−1} q̂_s and z_s = (I − γM)^{−T} P_sᵀ ŷ — so what is left
  is second order in the residuals. With τ = (I − γM)^{−1} 1 (every row sum of the
  nonnegative inverse), e.g.

      |V − (v̂(λ) + ŷᵀρ_v)| ≤ (|ρ_y|ᵀ τ) ‖ρ_v‖_∞ + rounding of the sums,

  and the gradient's bound has the same form with the residuals of w_s and z_s.

These bounds are what :class:`LinearResult` reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pgweyl.budget import require
from pgweyl.errors import AccuracyError, ArgumentError, ResourceError

_LD = np.longdouble
_EPS_LD = float(np.finfo(np.longdouble).eps)
#: Iterative refinement stops after this many corrections.
MAX_REFINE = 4
_SPLIT = _LD(2**32 + 1)  # Dekker's splitter for the 64-bit longdouble mantissa


@dataclass(frozen=True)
class LinearResult:
    """V, ∇V (w.r.t. the parameters of ``jac``) and E[Σ_{t<T} γ^t] at λ, with bounds."""

    value: float
    grad: np.ndarray | None
    error_value: float
    error_grad: float
    discounted_time: float


# -- double-longdouble helpers -----------------------------------------------------------------
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    p = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


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
    """A = I − Σ_s c_s P_s (c_s = γ π_s held as hi + lo) as index tables — each step maps
    at most one state to another — with residuals b − A x and b − Aᵀ x evaluated by
    error-free transformations (exact up to ε_ld of the residual plus ε_ld² of the terms)."""

    def __init__(self, n, k, src, step, dst, c_hi, c_lo):
        self.c_hi, self.c_lo = c_hi, c_lo
        self.out = np.full((n, k), -1, dtype=np.int64)  # out[x, s] = x + s when inside
        self.out[src, step] = dst
        self.inc = np.full((n, k), -1, dtype=np.int64)  # inc[y, s] = the x with x + s = y
        self.inc[dst, step] = src

    def residual(self, b, x, trans: bool, b_lo=None):
        table = self.inc if trans else self.out
        hi, lo = _two_sum(b, -x)
        if b_lo is not None:
            lo = lo + b_lo
        xz = np.append(x, _LD(0))  # index −1 reads the 0 appended
        for s in range(table.shape[1]):
            if self.c_hi[s] == 0 and self.c_lo[s] == 0:
                continue
            xs = xz[table[:, s]]
            p, e = _two_prod(np.full(len(x), self.c_hi[s], dtype=_LD), xs)
            hi, t = _two_sum(hi, p)
            lo = lo + (t + e + self.c_lo[s] * xs)
        return hi + lo


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
    """The θ-independent structure of the linear system of one environment."""

    def __init__(self, env):
        import scipy.sparse as sp  # lazily

        self._sp = sp
        g = env.graph
        self.n = g.n_states
        self.k = g.k
        self.rank = env.alcove.root_system.rank
        self.exit_rewards = np.asarray(env.exit_rewards, dtype=float)
        # Interior moves (x, s, x + s) and exiting moves (x, s, b).
        self.src, self.step, self.dst = g.interior_edges()
        self.ex_src, self.ex_step, self.ex_j = (np.asarray(a) for a in g.exit_pairs.T)

    # -- assembly ---------------------------------------------------------------------------
    def _restrict(self, probs) -> np.ndarray | None:
        """States reachable from λ through steps of positive probability (None: all)."""
        if np.all(probs > 0):
            return None
        from scipy.sparse.csgraph import breadth_first_order

        ok = probs[self.step] > 0
        graph = self._sp.csr_matrix(
            (np.ones(int(ok.sum())), (self.src[ok], self.dst[ok])), shape=(self.n, self.n)
        )
        return np.sort(breadth_first_order(graph, 0, directed=True, return_predecessors=False))

    def _system(self, p_hi, p_lo, gamma, cost, keep, no_rewards):
        """The restricted system: A (float64 CSC), its operator, r = r_hi + r_lo, moves."""
        sp = self._sp
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
        g = _LD(gamma)
        c_hi, c_err = _two_prod(np.full(self.k, g, dtype=_LD), p_hi)
        c_lo = c_err + g * p_lo
        op = _Operator(n, self.k, src, step, dst, c_hi, c_lo)
        nz = (c_hi[step] != 0) | (c_lo[step] != 0)
        rows = np.concatenate([np.arange(n), src[nz]])
        cols = np.concatenate([np.arange(n), dst[nz]])
        data = np.concatenate([np.ones(n), -(c_hi[step[nz]] + c_lo[step[nz]]).astype(float)])
        A64 = sp.csc_matrix((data, (rows, cols)), shape=(n, n))
        # r = Σ_s π_s R − c, accumulated as hi + lo (each state has at most k exits).
        r_hi = np.full(n, -_LD(cost))
        r_lo = np.zeros(n, dtype=_LD)
        if not no_rewards:
            for s in range(self.k):
                m = ex_step == s
                rew = self.exit_rewards[ex_j[m]].astype(_LD)
                p, e = _two_prod(np.full(int(m.sum()), p_hi[s], dtype=_LD), rew)
                idx = ex_src[m]
                h, t = _two_sum(r_hi[idx], p)
                r_hi[idx] = h
                r_lo[idx] += t + e + p_lo[s] * rew
        return A64, op, (r_hi, r_lo), (src, step, dst, ex_src, ex_step, ex_j)

    @staticmethod
    def _refined(solve, op, b_ld, trans: bool, b_lo=None):
        """x with A x = b (or Aᵀ x = b): float64 LU solves, the solution accumulated in
        longdouble; returns (x, exact-to-rounding residual)."""
        mode = "T" if trans else "N"
        rhs = b_ld if b_lo is None else b_ld + b_lo
        x = solve(rhs.astype(float), trans=mode).astype(_LD)
        res = op.residual(b_ld, x, trans, b_lo)
        best = float(np.abs(res).max()) if len(res) else 0.0
        for _ in range(MAX_REFINE):
            if best == 0.0:
                break
            x_new = x + solve(res.astype(float), trans=mode).astype(_LD)
            res_new = op.residual(b_ld, x_new, trans, b_lo)
            norm = float(np.abs(res_new).max())
            if norm < best:
                x, res = x_new, res_new
            if not norm < 0.5 * best:
                break
            best = norm
        return x, res

    @staticmethod
    def _supersolution(op, tau, res_t) -> np.ndarray:
        """u ≥ τ entrywise: the smallest tried (1 + δ) τ̂ with (I − γM) u ≥ 1 exactly."""
        rho = float(np.abs(res_t).max()) if len(res_t) else 0.0
        ones = np.ones(len(tau), dtype=_LD)
        delta = max(2.0 * rho, 16 * _EPS_LD)
        for _ in range(8):
            if delta < 0.5:
                u = tau * _LD(1.0 + delta) + _LD(16 * _EPS_LD)
                if np.all(op.residual(ones, u, False) <= 0):  # 1 − (I − γM) u ≤ 0
                    return u.astype(float) * (1.0 + 4 * 2.0**-53)
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
        p_hi, p_lo = (
            probs_hp if probs_hp is not None else (probs.astype(_LD), np.zeros(self.k, _LD))
        )
        keep = self._restrict(probs)
        A64, op, (r_hi, r_lo), (src, step, dst, ex_src, ex_step, ex_j) = self._system(
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
        v, res_v = self._refined(solve, op, r_hi, False, r_lo)
        e0 = np.zeros(n, dtype=_LD)
        e0[0] = 1  # λ is state 0, and stays 0 after restriction (it is reachable)
        y, res_y = self._refined(solve, op, e0, True)
        tau, res_t = self._refined(solve, op, np.ones(n, dtype=_LD), False)
        if not (np.all(np.isfinite(v)) and np.all(np.isfinite(y)) and np.all(np.isfinite(tau))):
            raise AccuracyError("the linear solve produced non-finite values; use method='table'")
        # An entrywise upper bound of τ = (I − γM)^{−1} 1 (every row sum of the nonnegative
        # inverse): u = (1 + δ) τ̂ is certified by (I − γM) u ≥ 1, checked with exact
        # residuals (maximum principle), whatever the conditioning.
        tau_up = self._supersolution(op, tau, res_t)
        tau_max = float(tau_up.max()) if n else 0.0
        # Residuals are exact up to ε_ld of themselves: inflate them by that.
        ay = (np.abs(res_y) * (1 + 4 * _EPS_LD)).astype(float)
        av = float(np.abs(res_v).max()) * (1 + 4 * _EPS_LD)
        ry_tau = float(np.sum(ay * tau_up))  # ≥ ‖y − ŷ‖₁
        y_l1 = float(np.sum(np.abs(y))) + ry_tau
        corr, corr_err = _dot(y, res_v)
        value_ld = v[0] + corr
        value = float(value_ld)
        err_v = ry_tau * av + corr_err + 2 * _EPS_LD * abs(float(value_ld))
        err_v += abs(float(value_ld - _LD(value)))  # the final rounding to float64
        if jac is None:
            return LinearResult(value, None, err_v, 0.0, float(tau[0]))
        gam = _LD(gamma)
        g_ld = np.zeros(self.k, dtype=_LD)
        err_s = np.zeros(self.k)
        for s in range(self.k):
            q = np.zeros(n, dtype=_LD)
            m = step == s
            q[src[m]] = gam * v[dst[m]] - _LD(cost)
            m = ex_step == s
            q[ex_src[m]] = self.exit_rewards[ex_j[m]].astype(_LD) - _LD(cost)
            w, res_w = self._refined(solve, op, q, False)
            pty = np.zeros(n, dtype=_LD)
            m = step == s
            pty[dst[m]] = y[src[m]]
            z, res_z = self._refined(solve, op, pty, True)
            a, ea = _dot(y, q)
            b, eb = _dot(w, res_y)
            c, ec = _dot(z, res_v)
            g_ld[s] = a + b + gam * c
            # Left after the corrections: ρ_yᵀ(w − ŵ), γ ρ_vᵀ(z − ẑ), with
            # |z − ẑ| ≤ A^{−T}(|ρ_z| + P_sᵀ A^{−T}|ρ_y|); plus q̂ = γ P_s v̂ − c rounded.
            rz = float(np.sum((np.abs(res_z) * (1 + 4 * _EPS_LD)).astype(float) * tau_up))
            err_s[s] = (
                ry_tau * float(np.abs(res_w).max()) * (1 + 4 * _EPS_LD)
                + gamma * av * (rz + tau_max * ry_tau)
                + ea
                + eb
                + ec
                + 4 * _EPS_LD * y_l1 * float(np.abs(q).max(initial=0.0))
            )
        # Every column of ∂π/∂θ sums to 0 over the steps (Σ_s π_s = 1), so ∇V = Jᵀ(g − ḡ1)
        # for any ḡ: removing the large common part of g before rounding keeps the
        # cancellation in extended precision.
        g_ld = g_ld - np.sum(p_hi * g_ld)
        g = g_ld.astype(float)
        err_s += np.abs((g_ld - g.astype(_LD)).astype(float))
        jac = np.asarray(jac, dtype=float)
        grad = jac.T @ g
        err_g = float((np.abs(jac).T @ err_s).max()) if jac.size else 0.0
        # The float products Jᵀg add relative rounding of a few ε per term.
        err_g += 4 * (self.k + 2) * 2.0**-53 * float((np.abs(jac).T @ np.abs(g)).max())
        return LinearResult(value, grad, err_v, err_g, float(tau[0]))


__all__ = ["LinearResult", "LinearRoute", "split_policy"]
