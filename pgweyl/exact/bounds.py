"""Error bounds of the table route: what truncating the value distribution after N steps
costs in V and ∇V, and what floating point costs (THEORY §4, §5).

Notation: S_N = P(T > N); R_max = max_b |R(b)|; c the step cost; D = max_s ‖s − ∇A(θ)‖₂
(every step moves the score g_t = Σ_{u<t} (s_u − ∇A) by at most D). The table route
computes, from the cells n ≤ N and the survival row N,

    V_N = Σ_{n≤N} P(b, n) G(b, n) − c S_N h_N,
    g_N = Σ_{n≤N} P(b, n) G(b, n) score(b, n) − c h_N E[g_N; T > N],

with h_N = Σ_{t<N} γ^t (the cost every surviving path has already paid); the second term
of g_N is exact because the score is a martingale (optional stopping). What is left is

- γ < 1:  |V − V_N| ≤ γ^N S_N (R_max + c/(1−γ)),
          ‖∇V − g_N‖₂ ≤ D S_N (R_max F₁(N) + c Σ_{t≥N} t γ^t),
  with F₁(N) = max_{n>N} n γ^{n−1}; every term decays like γ^N whatever the tail, so N
  never exceeds the *discount horizon*;
- γ = 1 and c = 0: |V − V_N| ≤ R_max S_N (the gradient needs E[T; T > N], which the
  table alone does not bound: use the linear route);
- γ = 1 and c > 0: the cost E[(T − N)⁺] is unbounded by the table: linear route.

Rounding (first-order analysis, ε = 2^−53): a cell probability exp(log q + (θ, δ) − nĀ)
has relative error at most η(N) + 4ε(L + 1), where η(N) bounds the relative error of the
float table (:meth:`pgweyl.exact.tables.LogTable.relative_error`) and L the magnitude of
the exponent; sums are compensated (2ε Σ|x|). The reported bound is truncation plus
rounding; the table route refuses (:class:`pgweyl.AccuracyError`) when it exceeds tol.
"""

from __future__ import annotations

import math

EPS = 2.0**-53


def max_n_gamma_pow(N: int, gamma: float) -> float:
    """F₁(N) = max over integers n > N of n γ^{n−1} (γ < 1; the maximum of x γ^{x−1} is
    at x* = 1/ln(1/γ))."""
    star = 1.0 / math.log(1.0 / gamma)
    cands = {N + 1, max(N + 1, math.floor(star)), max(N + 1, math.ceil(star))}
    return max(n * gamma ** (n - 1) for n in cands)


def tail_t_gamma(N: int, gamma: float) -> float:
    """Σ_{t≥N} t γ^t = γ^N (N(1−γ) + γ)/(1−γ)² (γ < 1)."""
    return gamma**N * (N * (1.0 - gamma) + gamma) / (1.0 - gamma) ** 2


def truncation_bounds(
    N: int, tail: float, gamma: float, cost: float, r_max: float, d_max: float
) -> tuple[float, float]:
    """(bound on |V − V_N|, bound on ‖∇V − g_N‖₂) for truncation after row N with
    S_N = ``tail``; ``inf`` where the table alone cannot bound it (module docstring)."""
    if tail <= 0.0:
        return 0.0, 0.0
    if gamma < 1.0:
        gn = gamma**N
        err_v = gn * tail * (r_max + cost / (1.0 - gamma))
        err_g = d_max * tail * (r_max * max_n_gamma_pow(N, gamma) + cost * tail_t_gamma(N, gamma))
        return err_v, err_g
    if cost == 0.0:
        return r_max * tail, math.inf
    return math.inf, math.inf


def discount_horizon(tol: float, gamma: float, cost: float, r_max: float, d_max: float) -> int:
    """Smallest N whose truncation bounds (with S_N ≤ 1) are ≤ tol (γ < 1): no table
    needs more rows than this, whatever the policy."""
    lo, hi = 0, 1
    while max(truncation_bounds(hi, 1.0, gamma, cost, r_max, d_max)) > tol:
        lo, hi = hi, 2 * hi
        if hi > 10**9:
            return hi
    while lo < hi:
        mid = (lo + hi) // 2
        if max(truncation_bounds(mid, 1.0, gamma, cost, r_max, d_max)) > tol:
            lo = mid + 1
        else:
            hi = mid
    return hi


def cell_relative_error(table_error: float, exponent_magnitude: float) -> float:
    """Relative error bound of one cell probability exp(x) (module docstring)."""
    return table_error + 4.0 * EPS * (exponent_magnitude + 1.0)


__all__ = [
    "EPS",
    "cell_relative_error",
    "discount_horizon",
    "max_n_gamma_pow",
    "tail_t_gamma",
    "truncation_bounds",
]
