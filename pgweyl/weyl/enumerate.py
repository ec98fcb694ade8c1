"""Vectorised enumeration of the lattice points of an alcove (no Python loop per point).

Points of the closed alcove lie in the dominant chamber: x_1 ≥ x_2 ≥ … (A_n: down to
x_{n+1} = 0; B_n, C_n: down to 0; D_n: x_{n−1} ≥ |x_n|), cut by the far wall. They are
generated as non-increasing integer sequences, one coordinate at a time, with NumPy
``repeat``: the cost is proportional to the output, and memory is checked against the
budget by the caller (:meth:`pgweyl.weyl.alcove.Alcove._closed`).

>>> dominant_sequences(2, 0, 2).tolist()
[[0, 0], [1, 0], [1, 1], [2, 0], [2, 1], [2, 2]]
"""

from __future__ import annotations

import numpy as np


def dominant_sequences(length: int, lo: int, hi: int) -> np.ndarray:
    """All integer sequences hi ≥ x_1 ≥ x_2 ≥ … ≥ x_length ≥ lo, sorted lexicographically."""
    if length == 0:
        return np.zeros((1, 0), dtype=np.int64)
    arr = np.arange(lo, hi + 1, dtype=np.int64)[:, None]  # the last coordinate
    for _ in range(length - 1):
        first = arr[:, 0]
        counts = hi - first + 1  # the coordinate before may be first..hi
        total = int(counts.sum())
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        new = np.repeat(first, counts) + (np.arange(total, dtype=np.int64) - starts)
        arr = np.hstack([new[:, None], np.repeat(arr, counts, axis=0)])
    order = np.lexsort(arr.T[::-1])
    return arr[order]


def chamber_box_points(family: str, rank: int, level: int) -> np.ndarray:
    """Dominant-chamber points with x_1 ≤ level (a superset of the closed alcove).

    A_n: (x_1, …, x_n, 0) with level ≥ x_1 ≥ … ≥ x_n ≥ 0; B_n, C_n: x_1 ≥ … ≥ x_n ≥ 0;
    D_n: x_1 ≥ … ≥ x_{n−1} ≥ |x_n|."""
    m = int(level)
    if family == "A":
        seq = dominant_sequences(rank, 0, m)
        return np.hstack([seq, np.zeros((len(seq), 1), dtype=np.int64)])
    if family in "BC":
        return dominant_sequences(rank, 0, m)
    head = dominant_sequences(rank - 1, 0, m)  # D: x_n ∈ [−x_{n−1}, x_{n−1}]
    bottom = head[:, -1]
    counts = 2 * bottom + 1
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    last = -np.repeat(bottom, counts) + (np.arange(int(counts.sum()), dtype=np.int64) - starts)
    return np.hstack([np.repeat(head, counts, axis=0), last[:, None]])


__all__ = ["chamber_box_points", "dominant_sequences"]
