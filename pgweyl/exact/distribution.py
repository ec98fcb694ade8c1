"""The value distribution: the joint law of the exit point and exit time (THEORY §4).

    P_θ(X_T = b, T = n) = F_n(λ, b) · exp((θ, b − λ) − n A(θ))      (policy "exp")

is evaluated in log space as log q_n(b) + (θ, b − λ) − n (A(θ) − log|S|), with
log q_n(b) = log(F_n(b)/|S|^n) from :class:`pgweyl.exact.tables.LogTable`, so nothing
overflows for large |θ| or n. On A_n the gauge-fixed θ (Σθ = 0) is used, for which
(θ, b − λ) only depends on the representatives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, repr=False)
class ValueDistribution:
    """Law of (exit point, exit time) under π_θ, truncated at ``n_max``.

    ``env.value_distribution(theta, tol=1e-12)`` builds it: P(b, n) = F_n(λ, b)
    e^{(θ, b−λ) − nA(θ)}, cut at the smallest ``n_max`` with P(T > n_max) ≤ ``tol``.

    Cells are aligned arrays: ``points`` (full coordinates), ``times``, ``probs``,
    ``exit_index`` (row of ``exit_points``, the representatives), ``rewards`` R(b) and
    ``returns`` G(b, n). ``tail`` = P(T > n_max) ≤ ``tol`` (computed from the surviving
    mass, not as 1 − Σ probs), so Σ probs = 1 − tail. Also ``theta``, ``tol``,
    ``n_max``, ``exit_points`` and ``exit_walls`` (the walls of each exit point). A tail
    that cannot reach ``tol`` within the table limit raises :class:`AccuracyError`; with
    ``n_max`` given the law is cut there, and a :class:`TruncationWarning` reports a
    larger tail.

    >>> import pgweyl as pw
    >>> dist = pw.make_env("corridor").value_distribution([0.0, 0.0])
    >>> dist.exit_probabilities().round(6).tolist()   # (trap, treasure)
    [0.75, 0.25]
    """

    theta: np.ndarray
    points: np.ndarray
    times: np.ndarray
    probs: np.ndarray
    tail: float
    exit_index: np.ndarray
    rewards: np.ndarray
    returns: np.ndarray
    exit_points: np.ndarray
    exit_walls: tuple
    n_max: int
    tol: float

    @property
    def value(self) -> float:
        """E[G] over the cells (the truncated mass contributes nothing)."""
        return float(self.probs @ self.returns)

    @property
    def mean_time(self) -> float:
        """E[T] over the cells."""
        return float(self.probs @ self.times)

    def exit_probabilities(self) -> np.ndarray:
        """P(X_T = b) for each row b of ``exit_points``."""
        return np.bincount(self.exit_index, weights=self.probs, minlength=len(self.exit_points))

    def wall_probabilities(self, n_walls: int) -> np.ndarray:
        """P(the exit point lies on wall j), j = 0..n_walls−1 (corners count for each wall)."""
        per_exit = self.exit_probabilities()
        out = np.zeros(n_walls)
        for p, walls in zip(per_exit, self.exit_walls):
            for j in walls:
                out[j] += p
        return out

    def to_dict(self) -> dict:
        """JSON-ready: θ, tail, tol, n_max, value, mean time, exit probabilities, cells."""
        return {
            "theta": self.theta.tolist(),
            "tail": self.tail,
            "tol": self.tol,
            "n_max": self.n_max,
            "value": self.value,
            "mean_time": self.mean_time,
            "exit_points": self.exit_points.tolist(),
            "exit_probabilities": self.exit_probabilities().tolist(),
            "cells": {
                "points": self.points.tolist(),
                "times": self.times.tolist(),
                "probs": self.probs.tolist(),
                "returns": self.returns.tolist(),
            },
        }

    def __repr__(self) -> str:
        return (
            f"ValueDistribution(value={self.value:.12g}, cells={len(self.probs)}, "
            f"n_max={self.n_max}, tail={self.tail:.3g}, mean_time={self.mean_time:.6g})"
        )


__all__ = ["ValueDistribution"]
