"""REINFORCE runs spread over Python threads (:mod:`pgweyl.sim.threads`): every row
once, the same bits for any thread count, errors and interrupts passed on."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from numba import njit

import pgweyl as pw
from pgweyl.sim.reinforce import reinforce
from pgweyl.sim.threads import MAX_BLOCK_ROWS, run_rows


@njit(nogil=True)
def _mark(out, lo, hi):
    for r in range(lo, hi):
        out[r] += r + 1


@pytest.mark.parametrize("n_rows", [1, 2, 7, 63, 64, 65, 1000, 4099])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_every_row_is_run_exactly_once(n_rows, threads):
    out = np.zeros(n_rows, dtype=np.int64)
    run_rows(_mark, n_rows, out, threads=threads)
    assert np.array_equal(out, np.arange(1, n_rows + 1))


def test_blocks_are_small_enough_to_answer_an_interrupt():
    seen = []
    run_rows(lambda lo, hi: seen.append(hi - lo), 10_000, threads=1)
    assert sum(seen) == 10_000 and max(seen) <= MAX_BLOCK_ROWS


def test_an_error_in_a_block_is_raised_and_later_blocks_are_cancelled():
    ran = []

    def kernel(lo, hi):
        ran.append(lo)
        if lo == 0:
            raise ValueError("block 0 failed")

    with pytest.raises(ValueError, match="block 0 failed"):
        run_rows(kernel, 5000, threads=1)
    assert ran == [0]  # one thread: the blocks run in turn and stop at the error
    with pytest.raises(ValueError, match="block 0 failed"):
        run_rows(kernel, 5000, threads=2)


def test_reinforce_is_the_same_bits_for_any_thread_count():
    env = pw.make_env("triangle")
    saved = numba.get_num_threads()
    results = []
    try:
        for threads in sorted({1, 2, saved}):
            numba.set_num_threads(threads)
            for sampler in ("walk", "exact"):
                res = reinforce(env, (0.1, 0.0, -0.1), 0.7, 300, 150, seed=11, sampler=sampler)
                results.append((threads, sampler, res.final_theta.copy(), res.stopped_at.copy()))
    finally:
        numba.set_num_threads(saved)
    for sampler in ("walk", "exact"):
        same = [r for r in results if r[1] == sampler]
        for _, _, theta, stop in same[1:]:
            assert np.array_equal(theta, same[0][2]) and np.array_equal(stop, same[0][3])
