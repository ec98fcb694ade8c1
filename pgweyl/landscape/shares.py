"""Shares of n runs (or trained agents) at each local maximum, with Wilson intervals.

The record that :class:`pgweyl.ConvergenceResult` and the Gymnasium harness's
:class:`pgweyl.gym.GradeResult` extend, and the interval of every share pgweyl reports
(convergence, basin shares of :func:`pgweyl.local_maxima`, grading): for k successes in
n trials, p̂ = k/n,

    (p̂ + z²/2n ± z √(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n),   z = 1.959964 (95%).

>>> lo, hi = wilson_interval(50, 100)
>>> round(float(lo), 4), round(float(hi), 4)
(0.4038, 0.5962)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


def wilson_interval(k, n: int, z: float = Z95):
    """Wilson score interval for k successes in n trials (vectorised over k)."""
    k = np.asarray(k, dtype=float)
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


@dataclass(frozen=True, eq=False, repr=False, kw_only=True)
class Shares:
    """Shares of n runs (or trained agents) at each local maximum, and unresolved, with
    Wilson 95% intervals: ``counts``, ``probabilities`` = counts / n, ``ci_low`` /
    ``ci_high``, ``unresolved`` (the share near no maximum, always reported) and
    ``unresolved_ci``. The record :class:`ConvergenceResult` and the Gymnasium harness's
    :class:`pgweyl.gym.GradeResult` extend; :func:`share_fields` fills it."""

    counts: np.ndarray
    probabilities: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    unresolved: float
    unresolved_ci: tuple


def share_fields(counts, n_unresolved: int, n: int) -> dict:
    """The :class:`Shares` fields of n runs from the counts at each maximum and the
    unresolved count (keywords for a record that extends it)."""
    counts = np.asarray(counts)
    lo, hi = wilson_interval(counts, n)
    u_lo, u_hi = wilson_interval(n_unresolved, n)
    return {
        "counts": counts,
        "probabilities": counts / n,
        "ci_low": lo,
        "ci_high": hi,
        "unresolved": n_unresolved / n,
        "unresolved_ci": (float(u_lo), float(u_hi)),
    }


__all__ = ["Z95", "Shares", "share_fields", "wilson_interval"]
