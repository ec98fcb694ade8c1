"""The certified γ = 1 linear route (issue 25): one LU for v, y and τ, a-posteriori bounds
from double-double residuals. Checked against the gambler's-ruin closed form in 60 digits
on an ill-conditioned corridor (E[T] up to 2.5·10⁷), against planted residuals, and for
pickling (the solver object travels to worker processes)."""

import pickle

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.exact.kernels import DD_UNIT, dd_residual

mp = pytest.importorskip("mpmath")


def _ruin(m, d, t):
    """V = ½ + ½ P(treasure), P = (1 − r^d)/(1 − r^m), r = e^{−t} (t = θ1 − θ2), and dV/dt."""

    def v(u):
        if u == 0:
            return mp.mpf(1) / 2 + mp.mpf(d) / m / 2
        r = mp.exp(-u)
        return mp.mpf(1) / 2 + (1 - r**d) / (1 - r**m) / 2

    with mp.workdps(60):
        u = mp.mpf(t)
        return v(u), mp.diff(v, u if t else mp.mpf("1e-40"))


@pytest.mark.parametrize("t", [0.0, 1e-4, -2e-4, 0.003])
def test_far_trap_corridor_holds_its_bound_against_the_closed_form(t):
    """H0: |V − closed form| ≤ error_value and |∇V − closed form| ≤ error_grad, with the
    trap half-way (E[T] = 2.5·10⁷ at θ = 0: condition ~ E[T²]). ∇V = Jᵀg cancels terms
    of size ~E[T]·ε here, so ∇V's bound is ~1e−11 (it was the same before the one-LU
    rewrite); V's stays ≤ 1e−12."""
    m, d = 10_000, 5_000
    env = pw.make_env("corridor", level=m, trap_distance=d, gamma=1.0)
    res = env.value_and_grad([t, 0.0], tol=1e-9)
    v, slope = _ruin(m, d, t)
    assert res.method == "linear"
    assert res.error_value <= 1e-12
    assert res.error_grad <= 3e-11
    assert abs(res.value - float(v)) <= res.error_value + 1e-16
    assert abs(res.grad[0] - float(slope)) <= res.error_grad + 1e-16
    assert abs(res.grad[1] + float(slope)) <= res.error_grad + 1e-16


def test_mean_exit_time_of_the_far_trap():
    # Symmetric walk from d in (0, m): E[T] = d (m − d), an integer, exactly representable.
    env = pw.make_env("corridor", level=10_000, trap_distance=5_000, gamma=1.0)
    assert env.mean_exit_time([0.0, 0.0]) == pytest.approx(25_000_000, rel=1e-13)


def test_residual_kernel_is_exact_on_a_planted_solution():
    """ρ = b − (x − c x_{+1}) on a 3-state chain with x chosen so that the exact residual
    is a known tiny number far below float64 resolution of the terms."""
    out = np.array([[1], [2], [-1]], dtype=np.int64)  # x → x + 1, the last exits
    c_hi, c_lo = np.array([0.5]), np.array([0.0])
    x_hi = np.array([1.0, 1.0, 1.0])
    x_lo = np.array([2.0**-70, 0.0, 0.0])
    b_hi, b_lo = np.array([0.5, 0.5, 1.0]), np.zeros(3)
    rh, rl, re = np.empty(3), np.empty(3), np.empty(3)
    dd_residual(out, c_hi, c_lo, b_hi, b_lo, x_hi, x_lo, rh, rl, re)
    # row 0: 0.5 − (1 + 2^−70) + 0.5·1 = −2^−70 exactly; rows 1, 2: 0.
    assert rh[0] + rl[0] == -(2.0**-70)
    assert rh[1] == 0.0 and rh[2] == 0.0
    assert np.all(re <= 16 * DD_UNIT * 3)
    # A planted error in the operator is seen: the check can fail.
    dd_residual(out, np.array([0.5 + 2.0**-52]), c_lo, b_hi, b_lo, x_hi, x_lo, rh, rl, re)
    assert rh[0] + rl[0] != -(2.0**-70)


def test_solver_pickles_and_solves_the_same_after():
    env = pw.make_env("corridor", level=50, gamma=1.0)
    env.value_and_grad([0.2, -0.1])  # the route has been used
    route = env.solver.linear
    copy = pickle.loads(pickle.dumps(route))
    probs = env.policy([0.2, -0.1])
    a = route.solve(probs, None, gamma=1.0, cost=0.0)
    b = copy.solve(probs, None, gamma=1.0, cost=0.0)
    assert a.value == b.value and a.error_value == b.error_value
