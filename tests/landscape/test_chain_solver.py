"""The chain's linear algebra (:mod:`pgweyl.landscape.chain.linear`): the smoother's
rows in visit order, the BLAS-free GMRES, and a solve in the background beside
Monte Carlo runs.

The smoother and GMRES are checked against textbook versions written here (plain Python
Gauss–Seidel, NumPy's dense solve); the background solve against the same solve in the
foreground, bit for bit."""

from __future__ import annotations

import math
import threading
import time
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp

import pgweyl as pw
from pgweyl.exact.kernels import PARALLEL_MIN_WORK, serial_batches, use_threads
from pgweyl.landscape.chain import chain_absorption
from pgweyl.landscape.chain import linear as lin
from pgweyl.landscape.chain._kernels import gs_backward, gs_forward


def _m_matrix(n: int, seed: int):
    """I − P for a random substochastic P with ~8 entries per row, some tiny."""
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    for i in range(n):
        js = rng.choice(n, size=8, replace=False)
        w = rng.random(8) * 10.0 ** rng.integers(-7, 0, size=8)
        w *= 0.9 / w.sum()
        rows += [i] * 8
        cols += list(js)
        vals += list(-w)
    P = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    A = (sp.identity(n, format="csr") + P).tocsr()
    A.sum_duplicates()
    A.sort_indices()
    return A


def _textbook_sweep(A, x, b, order, drop, forward):
    """Gauss–Seidel over ``order`` (reversed when backward), skipping off-diagonal
    entries below ``drop`` times the diagonal, each row summed in the direction of the
    sweep: what the kernels must compute."""
    A = A.tocsr()
    visit = order if forward else order[::-1]
    for i in visit:
        lo, hi = A.indptr[i], A.indptr[i + 1]
        cols, vals = A.indices[lo:hi], A.data[lo:hi]
        d = A[i, i]
        idx = range(len(cols)) if forward else range(len(cols) - 1, -1, -1)
        s = b[i]
        for p in idx:
            j, a = cols[p], vals[p]
            if j != i and abs(a) >= drop * abs(d):
                s -= a * x[j]
        x[i] = s / d


@pytest.mark.parametrize("drop", [0.0, lin.SMOOTHER_DROP, 1e-2])
def test_sweeps_on_the_visit_rows_are_textbook_gauss_seidel(drop):
    A = _m_matrix(300, seed=1)
    order = np.random.default_rng(2).permutation(300).astype(np.int64)
    b = np.random.default_rng(3).random(300)
    rows = lin.visit_rows(A, order, drop)
    x, y = np.zeros(300), np.zeros(300)
    for forward in (True, False, True):
        (gs_forward if forward else gs_backward)(*rows, x, b, order)
        _textbook_sweep(A, y, b, order, drop, forward)
        assert np.array_equal(x, y)
    # the entries dropped are exactly those below the threshold
    C = A.tocoo()
    off = C.row != C.col
    kept = off & (np.abs(C.data) >= drop * np.abs(A.diagonal()[C.row]))
    assert len(rows[2]) == int(kept.sum()) and (drop == 0.0 or kept.sum() < off.sum())


def test_gmres_solves_to_its_tolerance_against_a_dense_solve():
    A = _m_matrix(400, seed=4)
    b = np.random.default_rng(5).random(400)
    A_dense = A.toarray()
    exact = np.linalg.solve(A_dense, b)
    jacobi = 1.0 / A.diagonal()
    x, its, ok = lin.gmres(A, b, lambda r: jacobi * r, np.zeros(400), None)
    assert ok and 0 < its < lin.MAX_ITERATIONS
    assert np.linalg.norm(b - A_dense @ x) <= lin.RTOL * max(1.0, np.linalg.norm(b))
    assert np.abs(x - exact).max() < 1e-9
    # restarts: more iterations than RESTART with a poor preconditioner still converge
    x2, its2, ok2 = lin.gmres(A, b, lambda r: r.copy(), np.zeros(400), None)
    assert ok2 and np.abs(x2 - exact).max() < 1e-9


def test_serial_batches_is_per_thread():
    rows, cols = 64, PARALLEL_MIN_WORK
    assert use_threads(rows, cols)
    seen = {}
    with serial_batches():
        assert not use_threads(rows, cols)
        other = threading.Thread(target=lambda: seen.update(other=use_threads(rows, cols)))
        other.start()
        other.join()
        with serial_batches():  # nested blocks restore the outer state
            pass
        assert not use_threads(rows, cols)
    assert use_threads(rows, cols) and seen["other"] is True


def test_a_background_solve_is_the_foreground_solve_bit_for_bit(triangle):
    env, maxima = triangle
    kw = dict(grid=97, eps=0.01, maxima=maxima, progress=False)
    fore = chain_absorption(env, 1.0, **kw)
    with lin.Background(2) as background:
        jobs = [background.submit(partial(chain_absorption, env, lr, **kw)) for lr in (1.0, 0.5)]
        back, other = (background.result(job) for job in jobs)
    assert back.levels[0].solver == "gmres+vcycle"
    assert np.array_equal(fore.h, back.h)
    t0 = np.zeros(env.theta_dim)
    assert np.array_equal(fore.grid_error(t0, env), back.grid_error(t0, env))
    assert np.array_equal(chain_absorption(env, 0.5, **kw).h, other.h)


def test_a_background_solve_stops_when_cancelled_and_hands_over_errors(triangle, monkeypatch):
    env, maxima = triangle
    from pgweyl.landscape.chain import solve

    # cancelled in the middle of the finest grid's assembly (~3 s of chunks, which check
    # the event) — not in GMRES, which checks it on its own
    started = threading.Event()
    original = solve.assemble

    def assemble(env_, grid, *args, **kwargs):
        if grid.shape[0] == 305:
            started.set()
        return original(env_, grid, *args, **kwargs)

    monkeypatch.setattr(solve, "assemble", assemble)
    background = lin.Background()
    job = background.submit(
        partial(chain_absorption, env, 1.0, grid=305, eps=0.01, maxima=maxima, progress=False)
    )
    queued = background.submit(chain_absorption, env, 2.0)
    assert started.wait(60)
    time.sleep(0.2)
    t = time.perf_counter()
    background.cancel()
    assert time.perf_counter() - t < 1.0
    assert not any(t.is_alive() for t in background.threads)
    with pytest.raises(lin.Cancelled):
        background.result(job)
    assert queued.cancelled()  # never started
    # an error in a call reaches the caller of result(), typed
    with lin.Background() as other:
        bad = other.submit(chain_absorption, env, -1.0)
        with pytest.raises(pw.ArgumentError, match="lr"):
            other.result(bad)
    # a foreground solve after the cancelled one is not cancelled (the event was the job's)
    res = chain_absorption(env, 1.0, grid=41, eps=0.01, refine=False, progress=False)
    assert math.isfinite(float(res.at(np.zeros(env.theta_dim))[0]))
