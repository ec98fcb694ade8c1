"""Unrestricted word counts N_k(δ): the number of k-step words in S summing to δ.

N_k(δ) is the coefficient of z^δ in (Σ_s z^s)^k (THEORY §4). Closed forms:

- ``unit``:   N_k(δ) = k! / Π δ_i!   if every δ_i ≥ 0 and Σδ_i = k, else 0;
- ``signed``: N_k(δ) = Σ_{k_1+…+k_d = k} k!/Πk_i! · Π binom(k_i, (k_i + δ_i)/2),
  evaluated as a binomial convolution over the coordinates;
- custom steps: dynamic programming over words (exact, for small k).

>>> free_count("unit", 4, (2, 1, 1)), free_count("signed", 2, (0, 0))
(12, 4)
"""

from __future__ import annotations

import math
from functools import cache, lru_cache

import numpy as np


@cache
def _factorials(k: int) -> tuple:
    out = [1] * (k + 1)
    for i in range(1, k + 1):
        out[i] = out[i - 1] * i
    return tuple(out)


def _one_dim(j: int, a: int) -> int:
    """Words of j steps ±1 ending at a: binom(j, (j + a)/2)."""
    if a > j or (j + a) % 2:
        return 0
    return math.comb(j, (j + a) // 2)


@lru_cache(maxsize=200_000)
def _signed(k: int, absdelta: tuple) -> int:
    # h[j] = number of j-step words in the first i coordinates reaching their targets;
    # adding a coordinate is a binomial convolution over how many steps it receives.
    h = [_one_dim(j, absdelta[0]) for j in range(k + 1)]
    for a in absdelta[1:]:
        g = [_one_dim(j, a) for j in range(k + 1)]
        h = [
            sum(math.comb(j, t) * h[t] * g[j - t] for t in range(j + 1) if h[t] and g[j - t])
            for j in range(k + 1)
        ]
    return h[k]


@lru_cache(maxsize=64)
def _custom_table(vectors: tuple, k: int) -> dict:
    table = {tuple([0] * len(vectors[0])): 1}
    for _ in range(k):
        nxt: dict = {}
        for pos, c in table.items():
            for s in vectors:
                q = tuple(p + v for p, v in zip(pos, s))
                nxt[q] = nxt.get(q, 0) + c
        table = nxt
    return table


def free_count(kind, k: int, delta) -> int:
    """N_k(δ) for one displacement δ; ``kind`` is "unit", "signed" or a tuple of steps."""
    delta = tuple(int(x) for x in delta)
    if kind == "unit":
        if min(delta) < 0 or sum(delta) != k:
            return 0
        f = _factorials(k)
        return f[k] // math.prod(f[x] for x in delta)
    if kind == "signed":
        return _signed(k, tuple(sorted(abs(x) for x in delta)))
    return _custom_table(tuple(map(tuple, kind)), k).get(delta, 0)


def support_mask(kind, k: int, deltas: np.ndarray) -> np.ndarray:
    """Vectorised necessary condition for N_k(δ) ≠ 0 (exact for unit and signed)."""
    if kind == "unit":
        return np.all(deltas >= 0, axis=1) & (deltas.sum(axis=1) == k)
    if kind == "signed":
        l1 = np.abs(deltas).sum(axis=1)
        return (l1 <= k) & ((k - l1) % 2 == 0)
    return np.ones(len(deltas), dtype=bool)


__all__ = ["free_count", "support_mask"]
