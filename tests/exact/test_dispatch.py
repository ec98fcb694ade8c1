"""One θ runs serially, batches on the thread pool: both kernels give the same bits, and
the value distribution's cached θ-independent parts are not shared between results."""

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.exact import kernels


@pytest.fixture(scope="module")
def env():
    return pw.make_env("triangle", level=12)


def test_threshold_sends_one_theta_to_the_serial_kernel():
    assert not kernels.use_threads(1, 10**9)
    assert not kernels.use_threads(4, 100)
    assert kernels.use_threads(2, kernels.PARALLEL_MIN_WORK)


def test_serial_and_parallel_kernels_agree_bitwise(env):
    solver = env.solver
    thetas = np.random.default_rng(3).normal(0.0, 0.7, (9, env.theta_dim))
    tc, abar = solver.tilt(thetas)
    cells = solver.cells(40)
    a = np.empty((len(tc), len(cells)))
    b = np.empty_like(a)
    kernels.log_probs_rows(tc, abar, cells.n, cells.logq, cells.delta, a)
    kernels.log_probs_many(tc, abar, cells.n, cells.logq, cells.delta, b)
    assert np.array_equal(a, b)
    idx, logq = solver.table.survival_row(40)
    ta, tb = np.empty(len(tc)), np.empty(len(tc))
    kernels.log_tails_rows(tc, abar, 40, idx, logq, solver.state_delta, ta)
    kernels.log_tails_many(tc, abar, 40, idx, logq, solver.state_delta, tb)
    assert np.array_equal(ta, tb)
    # A planted difference is seen: the check can fail.
    b[0, 0] = np.nextafter(b[0, 0], np.inf)
    assert not np.array_equal(a, b)


def test_value_distribution_one_theta_equals_the_batched_row(env):
    theta = np.array([0.4, -0.1, -0.3])
    dist = env.value_distribution(theta)
    _, logp = env.solver.log_cell_probs(np.stack([theta, -theta]), dist.n_max)
    assert np.array_equal(dist.probs, np.exp(logp[0]))


def test_cached_parts_are_copied_into_each_result(env):
    theta = np.array([0.2, 0.1, -0.3])
    first = env.value_distribution(theta)
    again = env.value_distribution(theta)
    assert first.n_max == again.n_max
    for name in ("points", "times", "exit_index", "rewards", "returns"):
        a, b = getattr(first, name), getattr(again, name)
        assert np.array_equal(a, b)
        assert not np.shares_memory(a, b), name
    # Independent route for the θ-independent parts: points from the exit points, returns
    # from γ^{T−1} R − c Σγ^t written out here.
    pts = env.full_points(env.exit_points[again.exit_index], again.times)
    assert np.array_equal(again.points, pts)
    g, c = env.gamma, env.step_cost
    t = again.times.astype(float)
    disc = (1 - g**t) / (1 - g) if g < 1 else t
    assert np.allclose(again.returns, g ** (t - 1) * again.rewards - c * disc, rtol=1e-12, atol=0)
