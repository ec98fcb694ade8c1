"""The two small dense solves inside the natural-gradient update, hand-written in Numba
(np.linalg's compile was 5 s of a cold first call), against independent routes:

- ``dense_mean_exit_time`` (Gaussian elimination on (I − M_π) τ = 1, the reference twin)
  and ``mean_exit_time`` (the sparse subtraction-free elimination the runs call, issue 25)
  against the exact rational E[T] of :func:`pgweyl.mean_exit_time` (closed forms, sympy);
- ``symmetric_pinv_apply`` (Jacobi eigenvectors) against a 50-digit eigendecomposition
  (mpmath) and against ``np.linalg.pinv``, with the same cut 1e−12 · max|λ|.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

import pgweyl as pw
from pgweyl.sim.natural import (
    dense_graph,
    dense_mean_exit_time,
    exit_time_graph,
    exit_time_work,
    mean_exit_time,
    symmetric_pinv_apply,
)


@pytest.mark.parametrize(
    "name, knobs, weights",
    [
        ("corridor", {"level": 12}, (3, 1, 1, 2)),
        ("triangle", {"level": 6}, (1, 2, 3)),
        ("triangle", {"level": 14}, (5, 1, 2)),
        ("triangle-signed", {"level": 6}, (1, 1, 2, 3, 1, 2)),
    ],
)
def test_mean_exit_time_is_the_exact_rational(name, knobs, weights):
    env = pw.make_env(name, **knobs)
    k = len(env.steps.vectors)
    w = weights[:k]
    probs = [Fraction(x, sum(w)) for x in w]
    exact = pw.mean_exit_time(env, probs)
    p = np.array([float(x) for x in probs])
    dense = dense_graph(env)
    assert dense_mean_exit_time(dense, p, exit_time_work(dense)) == pytest.approx(
        float(exact), rel=1e-12
    )
    graph = exit_time_graph(env)
    assert mean_exit_time(graph, p, exit_time_work(graph)) == pytest.approx(float(exact), rel=1e-13)


def _reference(m, g):
    """M⁺ g from a 50-digit eigendecomposition, with the cut 1e−12 · max|λ|."""
    mpmath.mp.dps = 50
    lam, q = mpmath.eigsy(mpmath.matrix(m.tolist()))
    n = len(g)
    top = max(abs(lam[i]) for i in range(n))
    x = [mpmath.mpf(0)] * n
    for i in range(n):
        if abs(lam[i]) > 1e-12 * top:
            w = sum(q[j, i] * g[j] for j in range(n)) / lam[i]
            for a in range(n):
                x[a] += w * q[a, i]
    return np.array([float(v) for v in x])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("gauge", [False, True])
def test_symmetric_pinv_matches_a_50_digit_reference(n, gauge):
    rng = np.random.default_rng(100 * n + gauge)
    for _ in range(20):
        b = rng.normal(size=(n, n + 2))
        m = b @ b.T  # positive definite, condition ≲ 1e3 here
        if gauge and n > 1:  # the exp policy's covariance: singular along (1, …, 1)
            u = np.ones(n) / np.sqrt(n)
            proj = np.eye(n) - np.outer(u, u)
            m = proj @ m @ proj
        g = rng.normal(size=n)
        out = np.empty(n)
        symmetric_pinv_apply(m.copy(), g, out, np.empty((n, n)))
        ref = _reference(m, g)
        scale = np.abs(ref).max()
        assert np.abs(out - ref).max() <= 1e-12 * scale
        assert np.abs(out - np.linalg.pinv(m, rcond=1e-12) @ g).max() <= 1e-11 * scale
        if gauge and n > 1:
            assert abs(out.sum()) <= 1e-12 * scale  # no step along the gauge
