"""The alcove of level m, its walls and its lattice points (THEORY §1); the Weyl chamber.

    A_m = { x : (x, α_i) > 0 for i = 1..r,  (x, θ̃) < m }

Walls are numbered 0..r: wall 0 is the far wall H_0 = {(x, θ̃) = m}, wall i is
H_i = {(x, α_i) = 0}. Internally each wall is written with an *inward* normal a_j and
offset b_j so that the open alcove is { x : (x, a_j) > b_j for all j }:
a_0 = −θ̃, b_0 = −m and a_i = α_i, b_i = 0.

``level=None`` gives the (open) **Weyl chamber** C = { x : (x, α_i) > 0, i = 1..r }, the
alcove with its far wall sent to infinity: walls 1..r only (numbered as in the alcove),
infinitely many interior points, so the point lists (``interior_points`` and friends)
refuse it, while ``is_interior``, ``walls_at`` and ``reflection`` work as for an alcove.

For A_n the alcove is a prism along (1, …, 1): finite point lists hold the
representatives with x_{n+1} = 0.

>>> A = Alcove("A1", level=4)
>>> A.interior_points().tolist()
[[1, 0], [2, 0], [3, 0]]
>>> A.walls_at((4, 0)), A.walls_at((5, 5))
((0,), (1,))
>>> C = Alcove("B2")            # the Weyl chamber x_1 > x_2 > 0
>>> [w.index for w in C.walls], C.is_interior((40, 1)), C.walls_at((3, 0))
([1, 2], True, (2,))
"""

from __future__ import annotations

import itertools
import numbers
from dataclasses import dataclass

import numpy as np

from pgweyl.budget import require
from pgweyl.errors import ArgumentError, DimensionError, LevelError
from pgweyl.weyl.enumerate import chamber_box_points
from pgweyl.weyl.root_system import RootSystem, coroot
from pgweyl.weyl.sizes import closed_point_count, interior_point_count

#: Largest level: coordinates and wall offsets are int64.
MAX_LEVEL = 2**62


@dataclass(frozen=True)
class Wall:
    """One wall H_j = {(x, normal) = offset} of the alcove; ``normal`` points outward."""

    index: int
    normal: tuple
    offset: int

    def __str__(self) -> str:
        return f"wall {self.index}: (x, {list(self.normal)}) = {self.offset}"


def as_int_vector(x, dim: int, what: str = "point") -> np.ndarray:
    """Coerce x to an integer vector of length ``dim`` or raise a specific error."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise DimensionError(f"{what} {x!r} is not a vector of numbers") from None
    if arr.ndim != 1 or arr.shape[0] != dim:
        raise DimensionError(f"{what} {x!r} must have {dim} coordinates, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DimensionError(f"{what} {list(np.asarray(x).tolist())} has a non-finite coordinate")
    if np.any(arr != np.round(arr)):
        return None  # caller decides which error "not on the lattice" becomes
    return arr.astype(np.int64)


class Alcove:
    """The open alcove A_m of a root system at level m, or its Weyl chamber (``level=None``).

    The open alcove is {x : (x, α_i) > 0, (x, θ̃) < level}. Wall 0 is the far wall
    (x, θ̃) = m, wall i is (x, α_i) = 0.

    Attributes: ``root_system``, ``level`` m (None for the chamber), ``walls`` (tuple of
    :class:`Wall` ``(index, normal, offset)``: wall j is {(x, normal) = offset}; walls
    0..r, or 1..r for the chamber), ``inward_normals`` (one row per wall, in the order
    of ``walls``) and ``inward_offsets`` as described in the module docstring.

    Points are tested with :meth:`is_interior`, :meth:`is_closed`, :meth:`walls_at`;
    :meth:`interior_points`, :meth:`closed_points` and :meth:`boundary_points` are
    finite arrays (representatives on type A); :meth:`reflection` gives a wall's
    reflection as ``(matrix, translation)``. Raises :class:`LevelError` when the level
    has no interior lattice point.

    >>> A = Alcove("B2", 7)
    >>> A.is_interior((2, 1)), A.walls_at((3, 3)), len(A.interior_points())
    (True, (1,), 6)
    """

    def __init__(self, name, level=None):
        self.root_system = name if isinstance(name, RootSystem) else RootSystem(name)
        R = self.root_system
        if level is not None:
            if isinstance(level, bool) or not isinstance(level, numbers.Integral) or level <= 0:
                raise LevelError(
                    f"level must be a positive integer (or None for the Weyl chamber), "
                    f"got {level!r}"
                )
            if level > MAX_LEVEL:  # wall offsets and coordinates are int64
                raise LevelError(f"level must be at most 2^62 = {MAX_LEVEL}, got {level}")
            level = int(level)
        self.level = level
        self.cartan = R.cartan
        self.dim = R.dim
        inner = tuple(
            Wall(i + 1, tuple(int(v) for v in a), 0) for i, a in enumerate(R.simple_roots)
        )
        if self.is_chamber:
            self.walls = inner
            normals = np.array(R.simple_roots, dtype=np.int64)
            offsets = np.zeros(R.rank, dtype=np.int64)
        else:
            far = Wall(0, tuple(int(v) for v in R.highest_root), self.level)
            self.walls = (far,) + inner
            normals = np.concatenate([-R.highest_root[None, :], R.simple_roots])
            offsets = np.array([-self.level] + [0] * R.rank, dtype=np.int64)
        self.inward_normals = normals
        self.inward_offsets = offsets
        self.inward_normals.setflags(write=False)
        self.inward_offsets.setflags(write=False)
        self._wall_ids = np.array([w.index for w in self.walls], dtype=np.int64)
        self._closed_cache = None
        if self.is_chamber:  # every chamber has interior lattice points (ρ-like ones)
            return
        if interior_point_count(self.cartan, self.level) == 0:
            smallest = next(
                m for m in itertools.count(self.level + 1) if interior_point_count(self.cartan, m)
            )
            raise LevelError(
                f"alcove of {self.cartan} at level {self.level} has no interior lattice point; "
                f"the smallest level with one is {smallest}"
            )

    # -- geometry -------------------------------------------------------------------------
    @property
    def is_chamber(self) -> bool:
        """True for the Weyl chamber (``level=None``): no far wall, infinite interior."""
        return self.level is None

    @property
    def is_prism(self) -> bool:
        """True for A_n, whose alcove is unbounded along (1, …, 1)."""
        return self.cartan.family == "A"

    def _slack(self, x) -> np.ndarray:
        """(x, a_j) − b_j for each wall j (positive inside); x may be a stack of points."""
        return np.asarray(x, dtype=np.int64) @ self.inward_normals.T - self.inward_offsets

    def _vector(self, x) -> np.ndarray:
        v = as_int_vector(x, self.dim)
        if v is None:
            raise DimensionError(f"point {list(np.asarray(x).tolist())} is not an integer point")
        return v

    def is_interior(self, x) -> bool:
        """True when x lies in the open alcove (strictly inside every wall)."""
        return bool(np.all(self._slack(self._vector(x)) > 0))

    def is_closed(self, x) -> bool:
        """True when x lies in the closed alcove."""
        return bool(np.all(self._slack(self._vector(x)) >= 0))

    def walls_at(self, x) -> tuple:
        """Indices of the walls that contain x (empty for interior or outside points)."""
        slack = self._slack(self._vector(x))
        return tuple(int(self._wall_ids[j]) for j in np.flatnonzero(slack == 0))

    def reflection(self, j: int):
        """The affine reflection in wall j as (matrix, translation): x ↦ S x + t."""
        ok = not isinstance(j, bool) and isinstance(j, numbers.Integral)
        rows = np.flatnonzero(self._wall_ids == j) if ok else []
        if len(rows) != 1:
            ids = ", ".join(str(int(i)) for i in self._wall_ids)
            far = " (the Weyl chamber has no far wall)" if self.is_chamber and j == 0 else ""
            raise ArgumentError(f"{self!r} has no wall {j!r}{far}; its walls are {ids}")
        a = self.inward_normals[rows[0]]
        av = coroot(a)
        S = np.eye(self.dim, dtype=np.int64) - np.outer(av, a)
        t = self.inward_offsets[rows[0]] * av
        return S, t

    def representative(self, x) -> np.ndarray:
        """For A_n the representative x − x_{n+1}(1, …, 1); otherwise x itself."""
        x = np.asarray(x, dtype=np.int64)
        return x - x[..., -1:] if self.is_prism else x.copy()

    # -- lattice points -------------------------------------------------------------------
    @staticmethod
    def _closed_points_at(cartan, m, R):
        """Integer points of the closed alcove (representatives for A_n) and the interior
        ones. Enumerates the dominant chamber x_1 ≥ … inside the box that the far wall
        bounds (:mod:`pgweyl.weyl.enumerate`), then filters by the wall inequalities."""
        pts = chamber_box_points(cartan.family, cartan.rank, m)
        normals = np.concatenate([-R.highest_root[None, :], R.simple_roots])
        offsets = np.array([-m] + [0] * R.rank, dtype=np.int64)
        slack = pts @ normals.T - offsets
        closed = np.all(slack >= 0, axis=1)
        pts, slack = pts[closed], slack[closed]
        return pts, pts[np.all(slack > 0, axis=1)]

    def _finite(self, what: str) -> None:
        if self.is_chamber:
            raise LevelError(
                f"{what}: the Weyl chamber of {self.cartan} (level=None) has infinitely many "
                "lattice points; give a finite level (count_paths works in the chamber)"
            )

    def point_counts(self) -> tuple[int, int]:
        """(interior, closed) point counts from closed forms (:mod:`pgweyl.weyl.sizes`)."""
        self._finite("point_counts()")
        return interior_point_count(self.cartan, self.level), closed_point_count(
            self.cartan, self.level
        )

    def _closed(self, what: str = "closed_points()"):
        self._finite(what)
        if self._closed_cache is None:
            n_closed = closed_point_count(self.cartan, self.level)
            # The enumeration holds a few int64 arrays of closed points × (d + walls).
            require(
                n_closed * 8 * 3 * (self.dim + len(self.walls)),
                f"the closed alcove of {self.cartan} at level {self.level} "
                f"({n_closed} lattice points)",
                "choose a smaller level",
            )
            pts, interior = Alcove._closed_points_at(self.cartan, self.level, self.root_system)
            pts.setflags(write=False)
            interior.setflags(write=False)
            self._closed_cache = (pts, interior)
        return self._closed_cache

    def closed_points(self) -> np.ndarray:
        """All integer points of the closed alcove (representatives for A_n), sorted."""
        return self._closed()[0]

    def interior_points(self) -> np.ndarray:
        """Integer points of the open alcove (for A_n: representatives with x_{n+1} = 0)."""
        return self._closed("interior_points()")[1]

    def boundary_points(self) -> np.ndarray:
        """Integer points of the closed alcove on at least one wall."""
        pts = self._closed("boundary_points()")[0]
        return pts[np.any(self._slack(pts) == 0, axis=1)]

    def __repr__(self) -> str:
        return f"Alcove('{self.cartan}', level={self.level})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Alcove) and (other.cartan, other.level) == (
            self.cartan,
            self.level,
        )

    def __hash__(self) -> int:
        return hash(("Alcove", self.cartan, self.level))


__all__ = ["Alcove", "Wall", "as_int_vector"]
