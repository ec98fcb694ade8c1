"""Argument validation at the public edge: one function per domain, one-line errors.

Every public function validates its arguments with these *before* any expensive work,
then trusts them (SciPy's habit). NumPy scalars are accepted wherever Python numbers are
(``np.int64(3)`` is an integer, ``np.float32(0.5)`` a real); booleans are not numbers
here. Messages name the argument, the bad value and what is allowed.

>>> positive_int("n_runs", np.int64(5))
5
>>> finite_real("gamma", 0.95, lo=0.0, hi=1.0, lo_open=True)
0.95
>>> choice("method", "auto", ("auto", "table", "linear"))
'auto'
"""

from __future__ import annotations

import numbers

import numpy as np

from pgweyl import config
from pgweyl.errors import ArgumentError, DimensionError

#: Largest integer a count may be: counts end up in int64 arrays and Numba loops.
INT64_MAX = 2**63 - 1


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def integer(name: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """An integer in [lo, hi] (each bound optional; always within int64)."""
    if not _is_int(value):
        raise ArgumentError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if lo is not None and v < lo:
        raise ArgumentError(f"{name} must be >= {lo}, got {v}")
    top = INT64_MAX if hi is None else min(hi, INT64_MAX)
    if v > top:
        raise ArgumentError(f"{name} must be <= {top}, got {v}")
    return v


def positive_int(name: str, value, maximum: int | None = None) -> int:
    """An integer ≥ 1 (and ≤ ``maximum`` when given)."""
    if not _is_int(value) or int(value) <= 0:
        raise ArgumentError(f"{name} must be a positive integer, got {value!r}")
    return integer(name, value, 1, maximum)


def nonnegative_int(name: str, value, maximum: int | None = None) -> int:
    """An integer ≥ 0 (and ≤ ``maximum`` when given)."""
    if not _is_int(value) or int(value) < 0:
        raise ArgumentError(f"{name} must be a non-negative integer, got {value!r}")
    return integer(name, value, 0, maximum)


def seed(value) -> int:
    """A seed for ``numpy.random.SeedSequence``: a non-negative integer."""
    if not _is_int(value) or int(value) < 0:
        raise ArgumentError(f"seed must be a non-negative integer, got {value!r}")
    return int(value)


def finite_real(
    name: str,
    value,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """A finite real number in the interval given by ``lo``/``hi`` (closed unless *_open)."""
    if not _is_real(value) or not np.isfinite(float(value)):
        raise ArgumentError(f"{name} must be a finite number, got {value!r}")
    v = float(value)
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ArgumentError(f"{name} must be {'>' if lo_open else '>='} {lo:g}, got {v:g}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise ArgumentError(f"{name} must be {'<' if hi_open else '<='} {hi:g}, got {v:g}")
    return v


def positive_real(name: str, value) -> float:
    """A finite number > 0."""
    return finite_real(name, value, lo=0.0, lo_open=True)


def choice(name: str, value, choices) -> str:
    """One of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        raise ArgumentError(f"unknown {name} {value!r}; expected one of {', '.join(choices)}")
    return value


def tol(value) -> float:
    """A tolerance in (0, 1)."""
    return finite_real("tol", value, lo=0.0, hi=1.0, lo_open=True, hi_open=True)


def eps(value) -> float:
    """The total-variation radius ε of absorbing regions: in (0, ½); None → σ(−8)."""
    if value is None:
        return config.DEFAULT_EPS
    return finite_real("eps", value, lo=0.0, hi=config.EPS_MAX, lo_open=True, hi_open=True)


def real_vector(name: str, value, dim: int) -> np.ndarray:
    """A float vector of length ``dim`` with finite entries."""
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise DimensionError(f"{name} {value!r} is not a vector of numbers") from None
    if v.shape != (dim,):
        raise DimensionError(f"{name} must have {dim} entries, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ArgumentError(f"{name} has a non-finite entry: {v.tolist()}")
    return v


__all__ = [
    "INT64_MAX",
    "choice",
    "eps",
    "finite_real",
    "integer",
    "nonnegative_int",
    "positive_int",
    "positive_real",
    "real_vector",
    "seed",
    "tol",
]
