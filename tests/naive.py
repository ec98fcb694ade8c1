"""Slow, obvious reference implementations (STUMPY's tests/naive.py habit).

Nothing here imports pgweyl: the alcove inequalities, the Weyl groups and the path
counts are written straight from the table of THEORY §1 and the definitions of §4.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter


def parse(name: str):
    return name[0], int(name[1:])


def dim_of(name: str) -> int:
    fam, n = parse(name)
    return n + 1 if fam == "A" else n


def interior(name: str, level: int, x) -> bool:
    """The open alcove of THEORY §1, written out coordinate by coordinate."""
    fam, n = parse(name)
    m = level
    if fam == "A":
        return all(x[i] > x[i + 1] for i in range(n)) and x[n] > x[0] - m
    if fam == "B":
        return all(x[i] > x[i + 1] for i in range(n - 1)) and x[n - 1] > 0 and x[0] + x[1] < m
    if fam == "C":
        return all(x[i] > x[i + 1] for i in range(n - 1)) and x[n - 1] > 0 and 2 * x[0] < m
    # D
    return (
        all(x[i] > x[i + 1] for i in range(n - 2)) and x[n - 2] > abs(x[n - 1]) and x[0] + x[1] < m
    )


def steps(kind: str, d: int):
    if kind == "unit":
        return [tuple(int(i == j) for j in range(d)) for i in range(d)]
    return [tuple(sg * int(i == j) for j in range(d)) for i in range(d) for sg in (1, -1)]


def count_all(name, level, kind, start, n) -> Counter:
    """Endpoints of every word in S^n whose prefixes all stay interior (DFS over words)."""
    S = steps(kind, dim_of(name))
    out: Counter = Counter()

    def walk(p, left):
        if left == 0:
            out[p] += 1
            return
        for s in S:
            q = tuple(a + b for a, b in zip(p, s))
            if interior(name, level, q):
                walk(q, left - 1)

    if interior(name, level, tuple(start)):
        walk(tuple(start), n)
    return out


def free_count(step_list, k, delta) -> int:
    """Number of words in step_list^k summing to delta, by listing them all."""
    d = len(delta)
    return sum(
        1
        for word in itertools.product(step_list, repeat=k)
        if tuple(sum(s[i] for s in word) for i in range(d)) == tuple(delta)
    )


def perm_sign(p) -> int:
    sign, seen = 1, set()
    for i in range(len(p)):
        if i in seen:
            continue
        j, length = i, 0
        while j not in seen:
            seen.add(j)
            j = p[j]
            length += 1
        sign *= (-1) ** (length - 1)
    return sign


def weyl_group(name):
    """W as (matrix rows tuple, sign): permutations (A), signed permutations (B, C),
    signed permutations with an even number of sign changes (D)."""
    fam, n = parse(name)
    d = dim_of(name)
    out = []
    for p in itertools.permutations(range(d)):
        sign_choices = [(1,) * d] if fam == "A" else itertools.product((1, -1), repeat=d)
        for signs in sign_choices:
            if fam == "D" and math.prod(signs) == -1:
                continue
            mat = tuple(tuple(signs[i] * int(p[i] == j) for j in range(d)) for i in range(d))
            out.append((mat, perm_sign(p) * math.prod(signs)))
    return out


def in_coroot_lattice(name, q) -> bool:
    fam, _ = parse(name)
    if fam == "A":
        return sum(q) == 0
    if fam in "BD":
        return sum(q) % 2 == 0
    return True
