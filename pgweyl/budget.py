"""Memory budget checks: estimate first, refuse before allocating (``config.MEMORY_BUDGET``).

Every request that allocates in proportion to its inputs (interior points of an alcove,
rows of a table, grid nodes, Monte Carlo runs) computes its size from closed forms
first and calls :func:`require`, which raises :class:`pgweyl.ResourceError` naming the
estimate, the budget and what to change.

>>> require(1024, "a small array")
>>> format_bytes(3 * 2**30)
'3.0 GiB'
"""

from __future__ import annotations

import math
import os
import threading
from contextlib import contextmanager

from pgweyl import config
from pgweyl.errors import ArgumentError, ResourceError


def format_bytes(n: float) -> str:
    """Human-readable bytes (binary units)."""
    if not math.isfinite(n):
        return "an unbounded amount"
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"


_SHARE = threading.local()


@contextmanager
def share(parts: int):
    """While the block lasts, this thread's requests are checked against 1/``parts`` of
    the budget: for work that runs beside ``parts`` − 1 others like it (the chain solves
    of :class:`pgweyl.landscape.chain.linear.Background`), so that together they stay
    within it."""
    before = getattr(_SHARE, "parts", 1)
    _SHARE.parts = max(1, int(parts))
    try:
        yield
    finally:
        _SHARE.parts = before


def limit() -> float:
    """The bytes this thread's requests may use: ``config.MEMORY_BUDGET``, divided inside
    :func:`share`."""
    return config.MEMORY_BUDGET / getattr(_SHARE, "parts", 1)


def require(needed_bytes: float, what: str, hint: str = "") -> None:
    """Raise :class:`ResourceError` when ``needed_bytes`` exceeds ``config.MEMORY_BUDGET``
    (this thread's :func:`share` of it).

    ``what`` names the request ("the interior of A1 at level 100000000 (99999999
    points)"); ``hint`` says what to change."""
    if config.MEMORY_BUDGET_ERROR is not None:
        raise ArgumentError(config.MEMORY_BUDGET_ERROR)
    budget = limit()
    if needed_bytes > budget:
        tail = f"; {hint}" if hint else ""
        parts = getattr(_SHARE, "parts", 1)
        whose = (
            f"its 1/{parts} share of the memory budget, " if parts > 1 else "the memory budget of "
        )
        raise ResourceError(
            f"{what} needs about {format_bytes(needed_bytes)}, more than {whose}"
            f"{format_bytes(budget)} (pgweyl.config.MEMORY_BUDGET or "
            f"PGWEYL_MEMORY_BUDGET){tail}",
            needed=float(needed_bytes),
            budget=float(budget),
        )


#: Peak bytes per grid node of the θ-chain solver (transition triplets and LU fill-in),
#: measured on the catalog: about 20–30 KiB in 1-D (corridor, long exit-time tails) and
#: 9 KiB in 2-D (triangle), 11 KiB in 3-D (simplex: 3.25 GB peak for 65³ + 33³ + 17³).
#: A rough estimate, used only to refuse hopeless grids early.
CHAIN_BYTES_PER_NODE = {1: 32768, 2: 8192, 3: 11264}


def require_chain_grid(dim: int, grid: int, refine: bool = True) -> None:
    """Refuse a chain-solver grid (``grid`` nodes per axis on the finest of ``dim`` axes,
    plus with ``refine`` the grids of spacing 2Δ and 4Δ, (grid − 1)/2 + 1 and
    (grid − 1)/4 + 1 nodes per axis) whose estimated memory exceeds the budget. A rough
    guard for callers that check many environments before any work (sweeps, the command
    line); the solver itself plans each grid exactly and refuses before allocating."""
    sizes = [int(grid)]
    for _ in range(2 if refine else 0):
        sizes.append((sizes[-1] - 1) // 2 + 1)
    nodes = sum(s**dim for s in sizes)
    shape = "×".join([str(grid)] * dim)
    require(
        nodes * CHAIN_BYTES_PER_NODE.get(dim, CHAIN_BYTES_PER_NODE[2]),
        f"the chain solver on a {shape} grid ({nodes} nodes"
        f"{' with its coarser refinement grids' if refine else ''})",
        "use a smaller grid (--grid)",
    )


# -- counts ----------------------------------------------------------------------------------
# The limits on what a request may count, stated in docs/cli.md ("Limits") and checked
# here only (require_count, max_workers): each bounds work or memory that grows with it.

#: Values one sweep param may take.
MAX_PARAM_VALUES = 1000
#: Points of one sweep: the product of its params' value counts (each point is a whole
#: convergence study; 10⁵ is already days of work).
MAX_SWEEP_POINTS = 100_000
#: Agents ``pgweyl grade`` / :func:`pgweyl.gym.grade` trains (one per seed, in Python).
MAX_SEEDS = 100_000
# Monte Carlo runs and simulated episodes have no count limit: they stream in chunks
# (memory does not grow with the count) and Ctrl-C stops them within a chunk.
#: Memory one local sweep worker process needs (interpreter, NumPy/SciPy/Numba/Dask, its
#: tables), measured at 150–250 MB resident; caps ``--workers`` with the budget.
WORKER_BYTES = 256 << 20


def require_count(n: int, limit: int, message: str) -> None:
    """Raise :class:`ArgumentError` when the count ``n`` exceeds ``limit``; ``message`` is
    a format string with ``{n}`` and ``{limit}``.

    >>> require_count(3, 1000, "{n} values; at most {limit}")
    >>> require_count(10**9, 1000, "{n} values; at most {limit}")
    Traceback (most recent call last):
    ...
    pgweyl.errors.ArgumentError: 1000000000 values; at most 1000
    """
    if n > limit:
        raise ArgumentError(message.format(n=n, limit=limit))


def max_workers() -> int:
    """Local worker processes a sweep may start: at most one per core (the work is CPU
    bound) and as many as :data:`WORKER_BYTES` each fit in the memory budget (≥ 1)."""
    by_memory = max(1, int(config.MEMORY_BUDGET // WORKER_BYTES))
    return max(1, min(os.cpu_count() or 1, by_memory))


def require_workers(workers: int) -> None:
    """Refuse more local workers than :func:`max_workers` (ArgumentError, one line)."""
    cap = max_workers()
    if workers > cap:
        raise ArgumentError(
            f"workers = {workers} is more than this machine runs usefully: at most {cap} "
            f"({os.cpu_count() or 1} cores; {format_bytes(config.MEMORY_BUDGET)} memory "
            f"budget at ~{format_bytes(WORKER_BYTES)} per worker)"
        )


__all__ = [
    "CHAIN_BYTES_PER_NODE",
    "MAX_PARAM_VALUES",
    "MAX_SEEDS",
    "MAX_SWEEP_POINTS",
    "WORKER_BYTES",
    "format_bytes",
    "max_workers",
    "require",
    "require_chain_grid",
    "require_count",
    "require_workers",
]
