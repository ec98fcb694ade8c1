"""Shared helpers of the landscape tests."""

import _thread
import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp

import pgweyl as pw
from pgweyl.landscape.chain.grid import Grid
from pgweyl.landscape.chain.transitions import assemble


@pytest.fixture(scope="module")
def triangle():
    """The triangle and its maxima of V (the chain tests' 2-D case)."""
    env = pw.make_env("triangle")
    return env, pw.local_maxima(env, basin_samples=0)


def interrupt_after(seconds: float) -> dict:
    """Send this process's main thread a KeyboardInterrupt (as Ctrl-C does) after
    ``seconds``; the returned dict gets ``"t"``, the perf_counter time it fired."""
    fired = {}

    def interrupt():
        fired["t"] = time.perf_counter()
        _thread.interrupt_main()

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    return fired


def assert_rows_conserve_probability(env, maxima, half: float, nodes: int, min_prob: float):
    """Assemble the chain (lr 1, ε = 0.01, degree 2 with its multilinear twin) on a
    ``nodes``-per-axis grid over [−half, half]^dim and check every row: Σ_j b_j + Σ_l P_il
    = 1 − (truncated tail) (lumped cells keep their mass), the multilinear rows the same,
    and the multilinear I − P an M-matrix (off the diagonal ≤ 0, which the Gauss–Seidel
    smoother needs) while degree 2 has entries of both signs."""
    sysk = assemble(
        env,
        Grid.uniform(env.effective_dim, half, nodes),
        maxima,
        eps=0.01,
        lr=1.0,
        baseline=0.0,
        L=env.effective_map(),
        order=2,
        band=3,
        tol=1e-12,
        min_prob=min_prob,
        chunk=100,
        linear=True,
    )
    P_rows = 1.0 - np.asarray(sysk.A.sum(axis=1)).ravel()  # A = I − P
    assert np.abs(P_rows + sysk.b.sum(axis=1) - 1.0).max() < 1e-11
    lin_rows = 1.0 - np.asarray(sysk.A_linear.sum(axis=1)).ravel()
    assert np.abs(lin_rows - P_rows).max() < 1e-11
    off = sysk.A_linear - sp.diags(sysk.A_linear.diagonal())
    assert off.data.max() <= 1e-12  # (the diagonal positions hold rounding zeros)
    assert (sysk.A - sp.diags(sysk.A.diagonal())).data.max() > 0.0
