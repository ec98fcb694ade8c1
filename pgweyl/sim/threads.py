"""Independent rows of a serial Numba kernel, spread over threads (REINFORCE runs, the
streams of ``simulate_episodes``).

A kernel compiled with ``nogil=True`` runs outside the GIL, so Python threads calling it
at once use every core; :func:`run_rows` deals the rows out in blocks to a pool of
``numba.get_num_threads()`` threads (``NUMBA_NUM_THREADS``, ``numba.set_num_threads``),
dynamically, so that runs which stop early do not leave a thread idle. Rows are
independent (each owns its RNG stream and its rows of the outputs), so the results are
the same bits for any thread count and any order of the blocks.

Why not ``prange``: lowering a parallel loop around the REINFORCE run cost 5 s of every
cold first call (measured with the run itself already compiled: 6.7 s against 1.7 s
for the same loop serial), a third of the first ``convergence_probabilities``.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

#: Blocks per thread: enough that a thread finishing early takes more work.
BLOCKS_PER_THREAD = 8

#: Most rows per block: an interrupt (Ctrl-C) is answered between blocks, so a block
#: is kept to about a second of work (64 runs × 200000 updates × ~80 ns).
MAX_BLOCK_ROWS = 64

_POOLS: dict[int, ThreadPoolExecutor] = {}
_LOCK = threading.Lock()


def _pool(threads: int) -> ThreadPoolExecutor:
    with _LOCK:
        pool = _POOLS.get(threads)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pgweyl-runs")
            _POOLS[threads] = pool
        return pool


def run_rows(kernel, n_rows: int, *args, threads: int | None = None) -> None:
    """``kernel(*args, lo, hi)`` for blocks [lo, hi) covering rows 0 … n_rows − 1, on
    ``threads`` threads (default ``numba.get_num_threads()``; one thread: the blocks in
    turn, in this thread). An interrupt is answered between blocks: the blocks not yet
    started are cancelled and it is re-raised once the running ones have returned."""
    import numba

    threads = numba.get_num_threads() if threads is None else int(threads)
    threads = max(1, min(threads, n_rows))
    size = min(MAX_BLOCK_ROWS, max(1, math.ceil(n_rows / (threads * BLOCKS_PER_THREAD))))
    blocks = [(lo, min(lo + size, n_rows)) for lo in range(0, n_rows, size)]
    if threads == 1:
        for lo, hi in blocks:
            kernel(*args, lo, hi)
        return
    pool = _pool(threads)
    futures = [pool.submit(kernel, *args, lo, hi) for lo, hi in blocks]
    try:
        for f in futures:
            f.result()
    except BaseException:
        for f in futures:
            f.cancel()
        raise


__all__ = ["BLOCKS_PER_THREAD", "MAX_BLOCK_ROWS", "run_rows"]
