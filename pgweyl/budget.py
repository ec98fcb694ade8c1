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


def require(needed_bytes: float, what: str, hint: str = "") -> None:
    """Raise :class:`ResourceError` when ``needed_bytes`` exceeds ``config.MEMORY_BUDGET``.

    ``what`` names the request ("the interior of A1 at level 100000000 (99999999
    points)"); ``hint`` says what to change."""
    if config.MEMORY_BUDGET_ERROR is not None:
        raise ArgumentError(config.MEMORY_BUDGET_ERROR)
    budget = config.MEMORY_BUDGET
    if needed_bytes > budget:
        tail = f"; {hint}" if hint else ""
        raise ResourceError(
            f"{what} needs about {format_bytes(needed_bytes)}, more than the memory budget "
            f"of {format_bytes(budget)} (pgweyl.config.MEMORY_BUDGET or "
            f"PGWEYL_MEMORY_BUDGET){tail}",
            needed=float(needed_bytes),
            budget=float(budget),
        )


#: Peak bytes per grid node of the θ-chain solver (transition triplets and LU fill-in),
#: measured on the catalog: about 20–30 KiB in 1-D (corridor, long exit-time tails) and
#: 9 KiB in 2-D (triangle). A rough estimate, used only to refuse hopeless grids early.
CHAIN_BYTES_PER_NODE = {1: 32768, 2: 8192}


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


__all__ = ["CHAIN_BYTES_PER_NODE", "format_bytes", "require", "require_chain_grid"]
