"""How many lattice points an alcove has, from closed forms (no enumeration).

Used to refuse oversize requests before anything is allocated
(:func:`pgweyl.budget.require`). Counts are of integer points in the standard
coordinates of THEORY §1 (for A_n: representatives with x_{n+1} = 0), exact Python
integers; a count above ``cap`` is returned as soon as the running sum passes ``cap``
(the caller only needs to know it is too large).

- A_n: interior C(m−1, n); closed C(m+n, n).
- C_n: interior C(h, n) with h = ⌈m/2⌉ − 1; closed C(⌊m/2⌋ + n, n).
- B_n: sum over a = x_2 of (choices of x_1) × (chains x_3 … x_n below a).
- D_n: likewise, the bottom of the chain x_{n−1} > |x_n| counted by hockey-stick sums.

>>> interior_point_count("A2", 6), closed_point_count("A2", 6)
(10, 28)
>>> interior_point_count("B2", 7)
6
"""

from __future__ import annotations

from math import comb

from pgweyl.weyl.cartan import parse_cartan

#: Counts are exact up to this; beyond it the sums stop early (any such alcove is far
#: over every memory budget).
DEFAULT_CAP = 10**15


def _capped_sum(terms, cap: int) -> int:
    total = 0
    for t in terms:
        total += t
        if total > cap:
            break
    return total


def interior_point_count(cartan, level: int, cap: int = DEFAULT_CAP) -> int:
    """Number of integer points of the open alcove of ``cartan`` at ``level``."""
    ct = parse_cartan(cartan)
    fam, n, m = ct.family, ct.rank, int(level)
    if m <= 0:
        return 0
    if fam == "A":
        return comb(m - 1, n)
    if fam == "C":
        return comb((m + 1) // 2 - 1, n)
    if fam == "B":  # x_2 = a ≥ n−1, x_1 ∈ (a, m−1−a], x_3..x_n ⊂ {1..a−1}
        return _capped_sum(
            ((m - 1 - 2 * a) * comb(a - 1, n - 2) for a in range(max(n - 1, 1), (m - 1) // 2 + 1)),
            cap,
        )
    # D: x_2 = a, x_1 ∈ (a, m−1−a]; x_3 > … > x_{n−1} ⊂ {1..a−1} (L = n−3 values) with
    # minimum b and |x_n| < b: Σ_b (2b−1) C(a−1−b, L−1) = 2 C(a, L+1) − C(a−1, L).
    L = n - 3
    return _capped_sum(
        (
            (m - 1 - 2 * a) * (2 * comb(a, L + 1) - comb(a - 1, L))
            for a in range(1, (m - 1) // 2 + 1)
        ),
        cap,
    )


def closed_point_count(cartan, level: int, cap: int = DEFAULT_CAP) -> int:
    """Number of integer points of the closed alcove (A_n: representatives)."""
    ct = parse_cartan(cartan)
    fam, n, m = ct.family, ct.rank, int(level)
    if m < 0:
        return 0
    if fam == "A":
        return comb(m + n, n)
    if fam == "C":
        return comb(m // 2 + n, n)
    if fam == "B":  # x_2 = a ≥ 0, x_1 ∈ [a, m−a], x_3..x_n a multiset of {0..a}
        return _capped_sum(
            ((m - 2 * a + 1) * comb(a + n - 2, n - 2) for a in range(0, m // 2 + 1)), cap
        )
    # D: x_3 ≥ … ≥ x_{n−1} ≥ |x_n| below a: Σ_b (2b+1) C(a−b+L−1, L−1) = 2C(a+L, L+1) + C(a+L, L)
    L = n - 3
    return _capped_sum(
        ((m - 2 * a + 1) * (2 * comb(a + L, L + 1) + comb(a + L, L)) for a in range(0, m // 2 + 1)),
        cap,
    )


__all__ = ["DEFAULT_CAP", "closed_point_count", "interior_point_count"]
