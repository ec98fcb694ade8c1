"""Time budget checks: estimate first, refuse what cannot finish (``TIME_BUDGET``).

The memory twin of :mod:`pgweyl.budget`: work whose run time grows without bound in its
inputs (exact closed forms on large alcoves, P(T > n) for a large n, grading many
agents) estimates its seconds from a closed-form cost model first and calls
:func:`require_time`, which raises :class:`pgweyl.TimeBudgetError` naming the estimate,
the budget and how to go ahead anyway (``--force`` on the command line, ``force=True``
in the API). The models are rough (a factor of a few either way): they tell minutes
from days, not seconds from seconds.

>>> require_time(2.0, "a small job")
>>> format_seconds(3 * 3600)
'3.0 h'
"""

from __future__ import annotations

import math
import os

from pgweyl.errors import ArgumentError, TimeBudgetError

#: Seconds a single request may be estimated to take before it is refused (default 10
#: min; ``PGWEYL_TIME_BUDGET`` in seconds changes it, as does assigning this attribute).
TIME_BUDGET = 600.0

#: Why ``PGWEYL_TIME_BUDGET`` was not accepted (None when unset or valid): import never
#: fails on it; the first estimate that consults the budget raises ArgumentError instead.
TIME_BUDGET_ERROR: str | None = None
if os.environ.get("PGWEYL_TIME_BUDGET"):
    try:
        TIME_BUDGET = float(os.environ["PGWEYL_TIME_BUDGET"])
        if not (math.isfinite(TIME_BUDGET) and TIME_BUDGET > 0):
            raise ValueError
    except ValueError:
        TIME_BUDGET = 600.0
        TIME_BUDGET_ERROR = (
            f"PGWEYL_TIME_BUDGET={os.environ['PGWEYL_TIME_BUDGET']!r} is not a number of "
            "seconds > 0"
        )


def format_seconds(t: float) -> str:
    """Human-readable duration: s, min, h, days or years."""
    if not math.isfinite(t):
        return "for ever"
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if t >= size:
            return f"{t / size:.3g} {unit}" if unit == "years" else f"{t / size:.1f} {unit}"
    return f"{t:.0f} s"


def require_time(seconds: float, what: str, hint: str = "") -> None:
    """Raise :class:`TimeBudgetError` when the estimate ``seconds`` for ``what`` exceeds
    :data:`TIME_BUDGET`: one line naming the estimate, the budget, ``hint`` (what to
    change) and ``--force`` (``force=True``) to go ahead.

    >>> try:
    ...     require_time(1e9, "a closed form")
    ... except TimeBudgetError as err:
    ...     print(str(err)[:45])
    a closed form: estimated at about 31.7 years,
    """
    if TIME_BUDGET_ERROR is not None:
        raise ArgumentError(TIME_BUDGET_ERROR)
    if seconds > TIME_BUDGET:
        tail = f"; {hint}" if hint else ""
        raise TimeBudgetError(
            f"{what}: estimated at about {format_seconds(seconds)}, more than the time budget "
            f"of {format_seconds(TIME_BUDGET)} (PGWEYL_TIME_BUDGET){tail}; pass --force "
            "(force=True) to go ahead",
            seconds=float(seconds),
            budget=float(TIME_BUDGET),
        )


__all__ = ["TIME_BUDGET", "format_seconds", "require_time"]
