"""Step sets S ⊂ Z^d of the walk (THEORY §2).

Catalog:

- ``"unit"`` (A_n): {e_1, …, e_{n+1}}; every step raises one coordinate by 1.
- ``"signed"`` (B_n, C_n, D_n): {±e_i}, ordered +e_1, −e_1, +e_2, −e_2, ….

An explicit integer array (k×d) gives a custom step set; whether it is reflectable is
decided by :func:`pgweyl.check_reflectable`, not here. On A_n every step must raise
Σx by the same amount, so that Σx after n steps is determined (the finite tables live
on the quotient by (1, …, 1)); ``signed`` steps on A_n are refused for that reason.

Steps are named by one convention everywhere (figures, the command line):
:meth:`StepSet.label` gives "e1" for a unit step of a set without negative entries,
"+e1" / "−e1" (U+2212) for ±e_i in a set with negative entries, and the vector itself,
"(1, −1, 0)", for any other step.

>>> StepSet("signed", "B2").vectors.tolist()
[[1, 0], [-1, 0], [0, 1], [0, -1]]
>>> StepSet("signed", "B2").labels()
('+e1', '−e1', '+e2', '−e2')
"""

from __future__ import annotations

import numpy as np

from pgweyl.errors import StepSetError
from pgweyl.weyl.root_system import RootSystem

STEP_KINDS = ("unit", "signed")


class StepSet:
    """A finite set of lattice steps for a root system's ambient space.

    ``kind``: ``"unit"`` (e_1, …, e_{n+1}, type A only), ``"signed"`` (±e_i in the
    order +e_1, −e_1, +e_2, …, types B, C, D), or a k×d integer array of custom steps.
    Signed steps on type A, zero or repeated steps raise :class:`StepSetError`.

    >>> StepSet("signed", "B2").vectors.tolist()
    [[1, 0], [-1, 0], [0, 1], [0, -1]]

    Attributes: ``kind`` ("unit", "signed" or "custom"), ``cartan``, ``dim``,
    ``vectors`` (k×d int64, read-only), ``max_norm`` (max Euclidean length),
    ``coordinate_sum`` (Σs shared by all steps on A_n, else None).
    """

    def __init__(self, kind, cartan):
        self.root_system = cartan if isinstance(cartan, RootSystem) else RootSystem(cartan)
        self.cartan = self.root_system.cartan
        d = self.dim = self.root_system.dim
        eye = np.eye(d, dtype=np.int64)
        if isinstance(kind, str):
            if kind == "unit":
                vectors = eye
            elif kind == "signed":
                if self.cartan.family == "A":
                    raise StepSetError(
                        f"signed steps (±e_i) on {self.cartan} leave Σx free in both directions; "
                        "use 'unit' steps on type A"
                    )
                vectors = np.stack([sg * eye[i] for i in range(d) for sg in (1, -1)])
            else:
                raise StepSetError(
                    f"unknown step set {kind!r}; expected one of {', '.join(STEP_KINDS)} "
                    "or an integer array of step vectors"
                )
            self.kind = kind
        else:
            vectors = self._custom(kind, d)
            self.kind = "custom"
        self.vectors = np.ascontiguousarray(vectors, dtype=np.int64)
        self.vectors.setflags(write=False)
        self.max_norm = float(np.sqrt((self.vectors**2).sum(axis=1).max()))
        sums = self.vectors.sum(axis=1)
        self.coordinate_sum = None
        if self.cartan.family == "A":
            if np.any(sums != sums[0]):
                raise StepSetError(
                    f"steps on {self.cartan} must all have the same coordinate sum "
                    f"(Σx must be fixed by the step count); got sums {sums.tolist()}"
                )
            self.coordinate_sum = int(sums[0])

    @staticmethod
    def _custom(kind, d) -> np.ndarray:
        try:
            arr = np.asarray(kind, dtype=float)
        except (TypeError, ValueError):
            raise StepSetError(
                f"step set {kind!r} is neither a catalog name nor an array"
            ) from None
        if arr.ndim != 2 or arr.shape[1] != d or arr.shape[0] == 0:
            raise StepSetError(
                f"custom steps must be a non-empty k×{d} array, got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise StepSetError("custom steps must be integer vectors")
        arr = arr.astype(np.int64)
        if np.any(np.all(arr == 0, axis=1)):
            raise StepSetError("custom steps must not contain the zero vector")
        if len({tuple(r) for r in arr.tolist()}) != len(arr):
            raise StepSetError("custom steps must be distinct")
        return arr

    def label(self, i) -> str:
        """Name of step ``i`` (a row of ``vectors``): "e1" for a unit vector when no step
        has a negative entry, "+e1" / "−e1" (U+2212 minus) for ±e_i when some step has
        one, otherwise the vector itself, e.g. "(1, −1, 0)".

        >>> StepSet("unit", "A2").label(0), StepSet("signed", "C2").label(3)
        ('e1', '−e2')
        """
        n = len(self.vectors)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -n <= i < n:
            raise StepSetError(f"step index must be an integer in 0..{n - 1}, got {i!r}")
        v = self.vectors[int(i)]
        nz = np.flatnonzero(v)
        if len(nz) == 1 and abs(int(v[nz[0]])) == 1:
            signed = bool((self.vectors < 0).any())
            sign = ("+" if v[nz[0]] > 0 else "−") if signed else ""
            return f"{sign}e{nz[0] + 1}"
        return "(" + ", ".join(str(int(x)).replace("-", "−") for x in v) + ")"

    def labels(self, indices=None) -> tuple:
        """:meth:`label` of every step, or of the steps ``indices`` (e.g. a face's support).

        >>> StepSet("unit", "A2").labels((0, 2))
        ('e1', 'e3')
        """
        indices = range(len(self.vectors)) if indices is None else indices
        return tuple(self.label(i) for i in indices)

    def __len__(self) -> int:
        return len(self.vectors)

    def __repr__(self) -> str:
        if self.kind == "custom":
            return f"StepSet({self.vectors.tolist()}, '{self.cartan}')"
        return f"StepSet('{self.kind}', '{self.cartan}')"


__all__ = ["StepSet", "STEP_KINDS"]
