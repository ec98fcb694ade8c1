"""The exact engine (issue 9): two routes, stated bounds that hold, refusals instead of
silently wrong numbers, size guards before allocation.

Every V and ∇V is compared with an independent sparse solve (tests/sparse_peer.py,
no code shared with pgweyl's engine). Float agreement is asserted within the bound
pgweyl states plus the peer's own rounding (1e-13 on these small systems)."""

import math
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgweyl as pw
from tests.sparse_peer import SparsePeer

PEER_ROUNDING = 1e-13


def _assert_within_bound(res, ref_v, ref_g, tol):
    assert res.error_value <= tol and res.error_grad <= tol
    assert abs(res.value - ref_v) <= res.error_value + PEER_ROUNDING
    assert np.abs(res.grad - ref_g).max() <= res.error_grad + PEER_ROUNDING


@pytest.mark.parametrize(
    "spec",
    [
        dict(name="corridor", level=1000, gamma=1.0),
        dict(name="triangle", level=80),
        dict(name="corridor", level=200, step_cost=0.01),
    ],
    ids=["corridor1000-gamma1", "triangle80", "corridor200-cost"],
)
def test_large_cases_equal_an_independent_sparse_solve(spec):
    spec = dict(spec)
    env = pw.make_env(spec.pop("name"), **spec)
    peer = SparsePeer(env)
    rng = np.random.default_rng(3)
    for theta in [np.zeros(env.theta_dim), 0.3 * rng.normal(size=env.theta_dim)]:
        ref_v, ref_g = peer.value_grad(theta)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = env.value_and_grad(theta)
        assert abs(res.value - ref_v) <= 1e-9 and np.abs(res.grad - ref_g).max() <= 1e-9
        assert res.error_value <= 1e-12 and res.error_grad <= 1e-12


@pytest.mark.parametrize("t", [0.0, 0.01, -0.003, 0.2])
def test_gamma_one_corridor_equals_gamblers_ruin_to_its_bound(t):
    """V(θ) = ½ + ½ P(treasure) with P = (1 − r^d)/(1 − r^m), r = e^{−(θ1 − θ2)}, in 40
    digits (mpmath); ∂V/∂θ1 = −∂V/∂θ2 by mpmath's high-precision derivative. The float64
    sparse peer is off by ~4e-13 here; pgweyl must be within its stated bound."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    m, d = 1000, 2

    def v(u):
        r = mp.exp(-u)
        p = mp.mpf(d) / m if u == 0 else (1 - r**d) / (1 - r**m)
        return mp.mpf(1) / 2 + p / 2

    env = pw.make_env("corridor", level=m, trap_distance=d, gamma=1.0)
    res = env.value_and_grad([t, 0.0])
    assert res.error_value <= 1e-12 and res.error_grad <= 1e-12
    assert abs(res.value - float(v(mp.mpf(t)))) <= res.error_value + 1e-16
    slope = float(mp.diff(v, mp.mpf(t) if t else mp.mpf("1e-30")))
    assert abs(res.grad[0] - slope) <= res.error_grad + 1e-15
    assert abs(res.grad[1] + slope) <= res.error_grad + 1e-15


@pytest.mark.parametrize("method", ["table", "linear"])
@pytest.mark.parametrize("name", ["corridor", "triangle", "triangle-signed", "simplex"])
def test_both_routes_hold_their_bounds_on_the_catalog(name, method):
    env = pw.make_env(name, step_cost=0.02)
    peer = SparsePeer(env)
    for theta in np.random.default_rng(5).normal(size=(3, env.theta_dim)):
        ref_v, ref_g = peer.value_grad(theta)
        _assert_within_bound(env.value_and_grad(theta, method=method), ref_v, ref_g, 1e-12)


_CASES = [
    ("A1", "unit"),
    ("A2", "unit"),
    ("A3", "unit"),
    ("B2", "signed"),
    ("C2", "signed"),
    ("B3", "signed"),
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(_CASES),
    extra=st.integers(0, 5),
    gamma=st.one_of(st.floats(0.5, 0.999), st.just(1.0)),
    cost=st.one_of(st.just(0.0), st.floats(0.0, 0.2)),
    theta_seed=st.integers(0, 2**31),
)
def test_error_bound_holds_on_random_environments(case, extra, gamma, cost, theta_seed):
    """H: |pgweyl − independent sparse solve| ≤ stated bound (+ the peer's rounding),
    and the stated bound ≤ tol = 1e-12, for random type, level, γ ∈ (0.5, 1], cost."""
    name, steps = case
    rank = int(name[1:])
    level = {"A": rank + 2, "B": 2 * rank + 2, "C": 2 * rank + 4}[name[0]] + extra
    level += level % 2 if name[0] == "C" else 0  # signed C_n needs an even level
    alcove = pw.Alcove(name, level)
    rng = np.random.default_rng(theta_seed)
    start = tuple(alcove.interior_points()[rng.integers(len(alcove.interior_points()))])
    env = pw.AlcoveWalkEnv(
        name,
        level,
        steps,
        start,
        wall_rewards=rng.uniform(-1, 1, rank + 1),
        gamma=gamma,
        step_cost=cost,
    )
    theta = rng.normal(size=env.theta_dim)
    ref_v, ref_g = SparsePeer(env).value_grad(theta)
    _assert_within_bound(env.value_and_grad(theta), ref_v, ref_g, 1e-12)
    if gamma < 1.0:
        _assert_within_bound(env.value_and_grad(theta, method="table"), ref_v, ref_g, 1e-12)


@pytest.mark.parametrize("name, cost", [("triangle", 0.0), ("triangle-signed", 0.05)])
def test_truncation_bound_holds_at_every_cut(name, cost):
    """The bound of the table route at a deliberately short table is an upper bound of the
    true error (which is large there), and it tightens as N grows."""
    env = pw.make_env(name, step_cost=cost)
    theta = np.random.default_rng(2).normal(size=env.theta_dim)
    ref_v, ref_g = SparsePeer(env).value_grad(theta)
    last = math.inf
    for n in (1, 2, 4, 8, 16, 32, 64, 128):
        res = env.solver.table_value_at(theta, n)
        err_v, err_g = abs(res.value - ref_v), np.abs(res.grad - ref_g).max()
        assert err_v <= res.error_value + PEER_ROUNDING
        assert err_g <= res.error_grad + PEER_ROUNDING
        assert res.error_value <= last
        last = res.error_value
    short = env.solver.table_value_at(theta, 2)
    assert abs(short.value - ref_v) > 1e-3  # the short cut is really wrong, and bounded


def test_discount_horizon_caps_the_table():
    # γ = 0.95: nothing past ~600 steps can change V by 1e-12, however slow the tail.
    env = pw.make_env("corridor", level=500, trap_distance=250)
    res = env.value_and_grad([0.0, 0.0], method="table")
    assert res.n_max <= pw.exact.bounds.discount_horizon(5e-13, 0.95, 0.0, 1.0, 2.0)
    assert env.solver.table.rows <= 2 * res.n_max + 64


def test_refusals_name_what_was_reached():
    env = pw.make_env("corridor")
    with pytest.raises(pw.AccuracyError, match="exceeds tol = 1e-18"):
        env.value_and_grad([0.0, 0.0], tol=1e-18, method="linear")
    with pytest.raises(pw.AccuracyError, match="no route reaches tol = 1e-18"):
        env.value([0.0, 0.0], tol=1e-18)
    gamma1 = pw.make_env("corridor", gamma=1.0, step_cost=0.1)
    with pytest.raises(pw.AccuracyError, match="use method='linear'"):
        gamma1.value([0.0, 0.0], method="table")
    with pytest.raises(pw.ArgumentError, match="unknown method"):
        env.value([0.0, 0.0], method="fast")


def test_mean_exit_time_is_gamblers_ruin():
    # Symmetric walk from i in (0, m): E[T] = i (m − i).
    env = pw.make_env("corridor", level=1000, trap_distance=300, gamma=1.0)
    assert env.mean_exit_time([0.0, 0.0]) == pytest.approx(300 * 700, rel=1e-12)


def test_softmax_uses_the_linear_route():
    env = pw.AlcoveWalkEnv(
        "B2", 7, "signed", (2, 1), wall_rewards=(1.0, 0.6, 0.3), gamma=0.9, policy="softmax"
    )
    theta = np.array([0.2, -0.1, 0.4, 0.0])
    res = env.value_and_grad(theta)
    assert res.method == "linear"
    ref_v, ref_g = SparsePeer(env).value_grad(theta)
    _assert_within_bound(res, ref_v, ref_g, 1e-12)


# -- size guards: refused before allocation, fast, under a 4 GiB address-space limit --------
OVERSIZE = {
    "corridor level 1e8": ("pw.make_env('corridor', level=10**8)", "ResourceError"),
    "table of 1e9 rows": ("pw.make_env('corridor').first_passage_counts(10**9)", "ResourceError"),
    "A60 at level 61": ("pw.AlcoveWalkEnv('A60', 61, wall_rewards=[1.0] * 61)", "ResourceError"),
    "level 2^63": ("pw.make_env('corridor', level=2**63)", "LevelError"),
    "level 1e18": ("pw.make_env('triangle', level=10**18)", "ResourceError"),
}


@pytest.mark.parametrize("case", sorted(OVERSIZE))
def test_oversize_requests_are_refused_fast_under_a_memory_limit(case):
    call, error = OVERSIZE[case]
    code = textwrap.dedent(f"""
        import resource, sys, time
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        import pgweyl as pw
        t = time.perf_counter()
        try:
            {call}
        except pw.PgweylError as err:
            print(type(err).__name__, time.perf_counter() - t)
            print(err)
            sys.exit(0)
        sys.exit(3)
    """)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    name, seconds = r.stdout.split("\n")[0].split()
    assert name == error and float(seconds) < 5.0
    assert time.perf_counter() - t0 < 20.0
    assert "\n" not in r.stdout.strip().split("\n", 1)[1]  # a one-line message
