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


def walls(name: str, level: int, x) -> tuple:
    """Walls containing x, numbered as THEORY §1 (0 = far wall), written out by hand."""
    fam, n = parse(name)
    m, out = level, []
    if fam == "A":
        if x[0] - x[n] == m:
            out.append(0)
        out += [i + 1 for i in range(n) if x[i] == x[i + 1]]
    elif fam in "BC":
        if (x[0] + x[1] if fam == "B" else 2 * x[0]) == m:
            out.append(0)
        out += [i + 1 for i in range(n - 1) if x[i] == x[i + 1]]
        if x[n - 1] == 0:
            out.append(n)
    else:
        if x[0] + x[1] == m:
            out.append(0)
        out += [i + 1 for i in range(n - 1) if x[i] == x[i + 1]]
        if x[n - 2] + x[n - 1] == 0:
            out.append(n)
    return tuple(out)


def policy_value(name, level, kind, start, probs, reward_of, gamma):
    """V(π) = E[γ^(T-1) R(X_T)] by one linear solve over the reachable interior states:
    h(x) = Σ_s π(s) (R(x+s) if x+s exits else γ h(x+s)); states modulo (1,…,1) on A_n."""
    import numpy as np

    S = steps(kind, dim_of(name))
    fam, _ = parse(name)

    def canon(p):
        return tuple(v - p[-1] for v in p) if fam == "A" else tuple(p)

    start = canon(tuple(start))
    index, order, queue = {start: 0}, [start], [start]
    while queue:
        p = queue.pop()
        for s, w in zip(S, probs):
            q = canon(tuple(a + b for a, b in zip(p, s)))
            if w > 0 and interior(name, level, q) and q not in index:
                index[q] = len(order)
                order.append(q)
                queue.append(q)
    n = len(order)
    A, b = np.eye(n), np.zeros(n)
    for i, p in enumerate(order):
        for s, w in zip(S, probs):
            if w == 0:
                continue
            q = canon(tuple(a + c for a, c in zip(p, s)))
            if interior(name, level, q):
                A[i, index[q]] -= gamma * w
            else:
                b[i] += w * reward_of(q)
    return float(np.linalg.solve(A, b)[0])
