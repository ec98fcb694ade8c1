"""Numerical thresholds and budgets of pgweyl in one place (STUMPY's config habit).

Change them at run time as module attributes (``pgweyl.config.MEMORY_BUDGET = 4 << 30``);
the command line reads ``PGWEYL_MEMORY_BUDGET`` (bytes, or with a K/M/G suffix).
"""

from __future__ import annotations

import math
import os

#: Default tolerance: the error bound of V and ∇V, and the tail P(T > N) of a truncated
#: value distribution.
DEFAULT_TOL = 1e-12

#: Default total-variation radius ε of the absorbing regions around local maxima:
#: σ(−8) = 1/(1 + e^8) ≈ 3.35e−4, i.e. |θ_1 − θ_2| ≥ 8 on the corridor (THEORY §7).
DEFAULT_EPS = 1.0 / (1.0 + math.exp(8.0))

#: How simulated episodes are drawn: the Numba lattice walk, or the exact first-passage
#: table (:func:`pgweyl.simulate_episodes`, :func:`pgweyl.reinforce`).
SAMPLERS = ("walk", "exact")

#: ε lies in (0, EPS_MAX): beyond ½ the ε-neighbourhoods of two vertices would overlap.
EPS_MAX = 0.5


def _parse_bytes(text: str) -> int:
    """A byte count as documented: a positive finite number of bytes, optionally with a
    K/M/G/T suffix (binary units; "KiB"/"KB" spellings too), e.g. ``4G`` or ``1.5GiB``."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1] if t and t[-1] in units else ""
    value = float(t[: len(t) - len(unit)])  # ValueError on anything but a number
    if not math.isfinite(value) or value <= 0 or value * units[unit] >= 2**63:
        raise ValueError(text)
    return int(value * units[unit])


#: Memory any single request may allocate (bytes); requests estimated above it are
#: refused with :class:`pgweyl.ResourceError` before allocation. Default 2 GiB.
MEMORY_BUDGET = 2 << 30

#: Why ``PGWEYL_MEMORY_BUDGET`` was not accepted (None when unset or valid). Import never
#: fails on it; the first request that consults the budget raises ArgumentError instead.
MEMORY_BUDGET_ERROR: str | None = None
if os.environ.get("PGWEYL_MEMORY_BUDGET"):
    try:
        MEMORY_BUDGET = _parse_bytes(os.environ["PGWEYL_MEMORY_BUDGET"])
    except ValueError:
        MEMORY_BUDGET_ERROR = (
            f"PGWEYL_MEMORY_BUDGET={os.environ['PGWEYL_MEMORY_BUDGET']!r} is not a byte count: "
            "give a positive finite number of bytes, optionally with a K/M/G/T suffix (e.g. 4G)"
        )

#: Hard cap on the rows of a first-passage log table.
MAX_TABLE_ROWS = 1_000_000
