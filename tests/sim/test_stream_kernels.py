"""simulate_episodes deals its streams to threads through serial row kernels: they give
the same bits as the prange kernels over all streams, and as before at any thread count."""

import numpy as np

import pgweyl as pw
from pgweyl.sim import kernels
from pgweyl.sim.arrays import step_cdf, stream_states, walk_arrays
from pgweyl.sim.config import EPISODES_PER_STREAM
from pgweyl.sim.threads import run_rows


def test_walk_rows_equal_the_prange_kernel():
    env = pw.make_env("triangle")
    w = walk_arrays(env)
    cdf = step_cdf(env.policy([0.3, -0.1, -0.2]))
    n = 3 * EPISODES_PER_STREAM + 17
    states = stream_states(5, -(-n // EPISODES_PER_STREAM))
    args = (w.start, w.vectors, w.delta, w.slack0, cdf, states, EPISODES_PER_STREAM)
    p1, t1 = np.empty((n, 3), np.int64), np.empty(n, np.int64)
    kernels._simulate_walk(*args, p1, t1)
    p2, t2 = np.zeros((n, 3), np.int64), np.zeros(n, np.int64)
    run_rows(kernels._simulate_walk_rows, len(states), *args, p2, t2, threads=2)
    assert np.array_equal(p1, p2) and np.array_equal(t1, t2)
    assert len(np.unique(t1)) > 3  # the walks differ: the comparison can fail


def test_table_rows_equal_the_prange_kernel():
    cdf = step_cdf(np.random.default_rng(1).random(50))
    n = 2 * EPISODES_PER_STREAM + 5
    states = stream_states(2, 3)
    a, b = np.empty(n, np.int64), np.zeros(n, np.int64)
    kernels._simulate_table(cdf, states, EPISODES_PER_STREAM, a)
    run_rows(kernels._simulate_table_rows, 3, cdf, states, EPISODES_PER_STREAM, b, threads=2)
    assert np.array_equal(a, b)
    assert len(np.unique(a)) > 10


def test_simulate_episodes_same_bits_on_one_and_two_threads():
    import numba

    env = pw.make_env("corridor")
    n_threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = pw.simulate_episodes(env, [0.2, -0.2], 5000, seed=3)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = pw.simulate_episodes(env, [0.2, -0.2], 5000, seed=3)
    finally:
        numba.set_num_threads(n_threads)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
