"""Integer lattices given by generators: Hermite normal form and membership.

Used to decide whether a vector lies in Z·S (the lattice the steps generate), which is
what (R2) of THEORY §2 asks about translations. Exact Python integers throughout.

>>> L = IntegerLattice([[2, 0], [1, 1]])
>>> L.contains([3, 1]), L.contains([1, 0])
(True, False)
>>> L.contains_many([[3, 1], [1, 0]]).tolist()
[True, False]
"""

from __future__ import annotations

import numpy as np


def hermite_rows(generators) -> list[list[int]]:
    """Row-style Hermite normal form: a list of basis rows in echelon form whose
    integer span equals that of ``generators`` (pivots positive, entries above a pivot
    reduced modulo it)."""
    rows = [[int(v) for v in g] for g in generators if any(int(v) for v in g)]
    if not rows:
        return []
    ncols = len(rows[0])
    basis: list[list[int]] = []
    col = 0
    while rows and col < ncols:
        # Euclid on column `col` until a single row has a non-zero entry there.
        while True:
            nz = [r for r in rows if r[col] != 0]
            if len(nz) <= 1:
                break
            pivot = min(nz, key=lambda r: abs(r[col]))
            for r in nz:
                if r is not pivot:
                    q = r[col] // pivot[col]
                    for k in range(ncols):
                        r[k] -= q * pivot[k]
            rows = [r for r in rows if any(r)]
        nz = [r for r in rows if r[col] != 0]
        if nz:
            pivot = nz[0]
            if pivot[col] < 0:
                pivot[:] = [-v for v in pivot]
            rows = [r for r in rows if r is not pivot]
            for b in basis:
                q = b[col] // pivot[col]
                for k in range(ncols):
                    b[k] -= q * pivot[k]
            basis.append(pivot)
        col += 1
    return basis


class IntegerLattice:
    """The Z-span of a set of integer vectors."""

    def __init__(self, generators):
        self.basis = hermite_rows(generators)

    def contains(self, v) -> bool:
        """True when the integer vector v is an integer combination of the generators."""
        rest = [int(x) for x in v]
        for row in self.basis:
            col = next(k for k, x in enumerate(row) if x != 0)
            if rest[col] % row[col]:
                return False
            q = rest[col] // row[col]
            rest = [a - q * b for a, b in zip(rest, row)]
        return not any(rest)

    def contains_many(self, vectors) -> np.ndarray:
        """:meth:`contains` for every row of an integer array (vectorised)."""
        rest = np.array(vectors, dtype=np.int64, ndmin=2, copy=True)
        ok = np.ones(len(rest), dtype=bool)
        for row in self.basis:
            col = next(k for k, x in enumerate(row) if x != 0)
            ok &= rest[:, col] % row[col] == 0
            rest -= (rest[:, col] // row[col])[:, None] * np.asarray(row, dtype=np.int64)
        return ok & ~rest.any(axis=1)

    @property
    def rank(self) -> int:
        return len(self.basis)


__all__ = ["IntegerLattice", "hermite_rows"]
