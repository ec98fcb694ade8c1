"""Classical root systems in the standard (Bourbaki) coordinates of THEORY §1.

==== ============ ============================== ============ ========================
type V            simple roots                   highest root Q^∨ (coroot lattice)
==== ============ ============================== ============ ========================
A_n  R^{n+1}      e_i − e_{i+1}                  e_1 − e_{n+1} {q ∈ Z^{n+1}: Σq = 0}
B_n  R^n          e_i − e_{i+1}, e_n             e_1 + e_2     {q ∈ Z^n: Σq even}
C_n  R^n          e_i − e_{i+1}, 2e_n            2e_1          Z^n
D_n  R^n          e_i − e_{i+1}, e_{n−1} + e_n   e_1 + e_2     {q ∈ Z^n: Σq even}
==== ============ ============================== ============ ========================

The coroot of α is α^∨ = 2α/(α, α); for these types it is an integer vector. All
arrays are ``int64`` and read-only.

>>> R = RootSystem("B2")
>>> R.simple_roots.tolist(), R.highest_root.tolist()
([[1, -1], [0, 1]], [1, 1])
>>> R.coroot([0, 1]).tolist()
[0, 2]
"""

from __future__ import annotations

import numpy as np

from pgweyl.weyl.cartan import CartanType, parse_cartan


def _frozen(a) -> np.ndarray:
    arr = np.array(a, dtype=np.int64)
    arr.setflags(write=False)
    return arr


def _e(d: int, i: int) -> np.ndarray:
    v = np.zeros(d, dtype=np.int64)
    v[i] = 1
    return v


def coroot(alpha) -> np.ndarray:
    """α^∨ = 2α/(α, α) as an integer vector (raises if it is not integral)."""
    alpha = np.asarray(alpha, dtype=np.int64)
    norm2 = int(alpha @ alpha)
    if norm2 == 0 or np.any((2 * alpha) % norm2):
        raise ValueError(f"coroot of {alpha.tolist()} is not an integer vector")
    return (2 * alpha) // norm2


class RootSystem:
    """A root system of type A_n (n ≥ 1), B_n (n ≥ 2), C_n (n ≥ 2) or D_n (n ≥ 4).

    ``name`` is a string like ``"A2"``, ``"b3"``, ``"C_4"`` (or a :class:`CartanType`;
    parsed by :func:`parse_cartan`: ``"A34"`` is A_34).

    Attributes, the arrays read-only ``int64``: ``cartan`` (:class:`CartanType`),
    ``rank`` r, ``dim`` d, ``simple_roots`` (r×d), ``positive_roots`` (N×d, ordered by
    height then lexicographically), ``highest_root`` θ̃ (d,), ``simple_coroots`` (r×d)
    and ``coroot_lattice_basis`` (r×d, a Z-basis of Q^∨: the simple coroots); ``roots``
    (all of Φ) and ``coroot(alpha)`` (2α/(α, α)).

    >>> R = RootSystem("B3")
    >>> R.rank, R.dim, R.highest_root.tolist()
    (3, 3, [1, 1, 0])
    """

    def __init__(self, name):
        self.cartan: CartanType = parse_cartan(name)
        family, n = self.cartan.family, self.cartan.rank
        d = self.cartan.dim
        self.rank, self.dim = n, d
        e = [_e(d, i) for i in range(d)]

        simple = [e[i] - e[i + 1] for i in range(n - 1)]
        if family == "A":
            simple.append(e[n - 1] - e[n])
            positive = [e[i] - e[j] for i in range(d) for j in range(i + 1, d)]
            highest = e[0] - e[n]
        elif family == "B":
            simple.append(e[n - 1])
            positive = [
                e[i] + sg * e[j] for i in range(d) for j in range(i + 1, d) for sg in (1, -1)
            ]
            positive += [e[i] for i in range(d)]
            highest = e[0] + e[1]
        elif family == "C":
            simple.append(2 * e[n - 1])
            positive = [
                e[i] + sg * e[j] for i in range(d) for j in range(i + 1, d) for sg in (1, -1)
            ]
            positive += [2 * e[i] for i in range(d)]
            highest = 2 * e[0]
        else:  # D
            simple.append(e[n - 2] + e[n - 1])
            positive = [
                e[i] + sg * e[j] for i in range(d) for j in range(i + 1, d) for sg in (1, -1)
            ]
            highest = e[0] + e[1]

        self.simple_roots = _frozen(simple)
        # Height = sum of coefficients in the simple-root basis; the simple roots are a
        # basis of span(Φ), so least squares recovers the exact integer coefficients.
        coeffs = np.linalg.lstsq(
            self.simple_roots.T.astype(float), np.array(positive, float).T, rcond=None
        )[0].T
        heights = np.rint(coeffs.sum(axis=1)).astype(int)
        order = sorted(range(len(positive)), key=lambda k: (heights[k], [-x for x in positive[k]]))
        self.positive_roots = _frozen([positive[k] for k in order])
        self.highest_root = _frozen(highest)
        self.simple_coroots = _frozen([coroot(a) for a in simple])
        self.coroot_lattice_basis = self.simple_coroots

    @property
    def roots(self) -> np.ndarray:
        """All roots Φ = Φ⁺ ∪ −Φ⁺ (2N×d)."""
        return np.concatenate([self.positive_roots, -self.positive_roots])

    def coroot(self, alpha) -> np.ndarray:
        """α^∨ = 2α/(α, α)."""
        return coroot(alpha)

    def simple_reflection_matrices(self) -> list[np.ndarray]:
        """Matrices of s_i(x) = x − (x, α_i) α_i^∨, i.e. I − α_i^∨ α_iᵀ."""
        eye = np.eye(self.dim, dtype=np.int64)
        return [eye - np.outer(cv, a) for a, cv in zip(self.simple_roots, self.simple_coroots)]

    def __repr__(self) -> str:
        return f"RootSystem('{self.cartan}')"

    def __eq__(self, other) -> bool:
        return isinstance(other, RootSystem) and other.cartan == self.cartan

    def __hash__(self) -> int:
        return hash(("RootSystem", self.cartan))


__all__ = ["RootSystem", "coroot"]
