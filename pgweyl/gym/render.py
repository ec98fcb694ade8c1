"""Pictures of a walk for ``render_mode="rgb_array"``: the alcove, its walls, the walk so far.

Drawn with NumPy alone (no matplotlib per frame, so a video of many episodes is cheap):
a frame is an ``H×W×3`` ``uint8`` array. The walk's path is kept by the environment and
drawn lazily, only the new segments at each :meth:`WalkPicture.frame`, so an agent that
trains with ``render_mode="rgb_array"`` (Stable-Baselines3's default) and never renders
pays nothing but a list append per step.

Geometry. A lattice point x is drawn in the Euclidean geometry of the alcove. On A_n
(a prism along (1, …, 1)) x is first projected on the hyperplane Σx = 0,
x ↦ x − mean(x)·1, which has an orthonormal basis Q (d × n); elsewhere Q = I. Then

- rank 1 (the corridor): a strip of cells, one per lattice point of the closed interval,
  ordered by (x, α₁) (0 at the left, on wall 1; the far wall 0 at the right); the two
  end cells are the walls, the visits of this episode darken the cells, a disc marks x;
- rank 2 (triangles): the alcove itself, a triangle turned so that the far wall 0 is
  horizontal at the top and the vertex 0 (where walls 1 … r meet) at the bottom; each
  wall is an edge in its colour; the walk is a polyline from the start;
- rank r ≥ 3: the orthographic projection y ↦ P y onto a fixed plane,
  P = √(2/r) [cos φ_k; sin φ_k]_{k<r} with φ_k = 2πk/r + ½ (orthonormal rows); the
  simplex's edges in grey, the lattice points on a wall in the colour of that wall
  (projected points can overlap).

Wall j has colour ``WALL_RGB[j]`` (the colours of pgweyl's figures, in order); the
disc that marks x takes the colour of the wall it exits on.

>>> import pgweyl as pw
>>> pic = WalkPicture(pw.make_env("triangle").alcove)
>>> frame = pic.frame([(2, 1, 0), (3, 1, 0)])
>>> frame.shape, frame.dtype.name
((256, 256, 3), 'uint8')
"""

from __future__ import annotations

import math

import numpy as np

#: RGB of wall j (matplotlib's tab:red, tab:blue, tab:green, tab:purple, tab:orange,
#: tab:brown — pgweyl.plot's COLORS — then tab:pink, tab:olive, tab:cyan), cycled.
WALL_RGB = (
    (214, 39, 40),
    (31, 119, 180),
    (44, 160, 44),
    (148, 103, 189),
    (255, 127, 14),
    (140, 86, 75),
    (227, 119, 194),
    (188, 189, 34),
    (23, 190, 207),
)
BACKGROUND = (255, 255, 255)
INSIDE = (236, 236, 236)
LATTICE = (140, 140, 140)
TRAIL = (40, 40, 40)
MARKER = (0, 0, 0)
EDGE = (150, 150, 150)

#: Frame sizes (height, width): the strip of rank 1, the picture of rank ≥ 2.
STRIP_SIZE = (64, 512)
PICTURE_SIZE = (256, 256)
#: Lattice points are drawn only when the closed alcove has at most this many.
MAX_DOTS = 4000
_MARGIN = 14


def wall_rgb(j: int) -> tuple:
    """The colour of wall j."""
    return WALL_RGB[int(j) % len(WALL_RGB)]


def _disc_offsets(radius: float) -> np.ndarray:
    r = int(math.ceil(radius))
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    keep = dy * dy + dx * dx <= radius * radius + 1e-9
    return np.stack([dy[keep], dx[keep]], axis=1)


def _stamp(canvas, rows, cols, color, radius: float) -> None:
    """Discs of ``radius`` pixels at the (row, col) centres, clipped to the canvas."""
    off = _disc_offsets(radius)
    r = (np.rint(np.asarray(rows, dtype=float)).astype(np.int64)[:, None] + off[None, :, 0]).ravel()
    c = (np.rint(np.asarray(cols, dtype=float)).astype(np.int64)[:, None] + off[None, :, 1]).ravel()
    h, w = canvas.shape[:2]
    ok = (r >= 0) & (r < h) & (c >= 0) & (c < w)
    canvas[r[ok], c[ok]] = color


def _segment(canvas, p, q, color, radius: float) -> None:
    """A thick segment from pixel p = (row, col) to q: discs at ≤ ½-pixel spacing."""
    n = int(2 * max(abs(q[0] - p[0]), abs(q[1] - p[1]))) + 2
    t = np.linspace(0.0, 1.0, n)
    _stamp(canvas, p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]), color, radius)


class WalkPicture:
    """Frames of walks in one alcove (module docstring: what is drawn, and how).

    ``frame(path, exit_walls=(), episode=None)`` draws the path — a list of positions
    (full coordinates or representatives), the start first — and returns a new ``uint8``
    array; consecutive calls with the same ``episode`` token that extend the same path
    draw only the new steps; another token (the environment counts its resets) starts
    from the background again."""

    def __init__(self, alcove):
        self.alcove = alcove
        self.rank = int(alcove.root_system.rank)
        self.size = STRIP_SIZE if self.rank == 1 else PICTURE_SIZE
        self._prism = bool(alcove.is_prism)
        self._background = None
        self._canvas = None
        self._drawn = 0  # positions of the current path already drawn on _canvas
        self._key = None  # (episode token, first position) of the path on _canvas

    # -- geometry ---------------------------------------------------------------------------
    def _basis(self) -> np.ndarray:
        d = self.alcove.dim
        if not self._prism:
            return np.eye(d)
        centre = np.eye(d) - np.full((d, d), 1.0 / d)
        u, _, _ = np.linalg.svd(centre)
        return u[:, : self.rank]

    def _vertices(self) -> np.ndarray:
        """Vertex j of the simplex: opposite wall j (on every wall but j), in coordinates."""
        normals = np.asarray(self.alcove.inward_normals, dtype=float)
        offsets = np.asarray(self.alcove.inward_offsets, dtype=float)
        d = self.alcove.dim
        out = []
        for j in range(len(normals)):
            rows = [normals[i] for i in range(len(normals)) if i != j]
            rhs = [offsets[i] for i in range(len(normals)) if i != j]
            if self._prism:  # the representative with x_{n+1} = 0
                rows.append(np.eye(d)[-1])
                rhs.append(0.0)
            out.append(np.linalg.solve(np.array(rows), np.array(rhs)))
        return np.array(out)

    def _build(self) -> None:
        a = self.alcove
        self._q = self._basis()
        h, w = self.size
        canvas = np.empty((h, w, 3), dtype=np.uint8)
        canvas[:] = BACKGROUND
        n_closed = a.point_counts()[1]
        if self.rank == 1:
            pts = a.closed_points()
            slack1 = pts @ np.asarray(a.inward_normals[1])  # (x, α₁): 0 on wall 1
            order = np.argsort(slack1, kind="stable")
            self._cell = {tuple(int(v) for v in pts[i]): k for k, i in enumerate(order)}
            self._n_cells = len(pts)
            self._cell_edges = np.rint(np.linspace(_MARGIN, w - _MARGIN, self._n_cells + 1)).astype(
                np.int64
            )
            self._strip = (h // 4, h - h // 4)
            for k in range(self._n_cells):
                self._fill_cell(canvas, k, INSIDE)
            walls = [a.walls_at(pts[order[0]]), a.walls_at(pts[order[-1]])]
            for k, ws in zip((0, self._n_cells - 1), walls):
                self._fill_cell(canvas, k, wall_rgb(ws[0]))
            self._visits = np.zeros(self._n_cells, dtype=np.int64)
        else:
            verts = self._vertices()
            if self.rank == 2:
                self._plane = np.eye(2)
                v2 = self._project_float(verts)
                far_a, far_b = v2[1], v2[2]  # the two vertices on wall 0
                ang = math.atan2(far_b[1] - far_a[1], far_b[0] - far_a[0])
                rot = np.array(
                    [[math.cos(-ang), -math.sin(-ang)], [math.sin(-ang), math.cos(-ang)]]
                )
                if (rot @ v2[0])[1] > (rot @ far_a)[1]:  # vertex 0 below the far wall
                    rot = -rot
                self._plane = rot
            else:
                r = self.rank
                phi = 2 * math.pi * np.arange(r) / r + 0.5
                self._plane = math.sqrt(2.0 / r) * np.stack([np.cos(phi), np.sin(phi)])
            v2 = self._project_float(verts)
            lo, hi = v2.min(axis=0), v2.max(axis=0)
            span = np.maximum(hi - lo, 1e-12)
            scale = min((w - 2 * _MARGIN) / span[0], (h - 2 * _MARGIN) / span[1])
            self._scale = scale
            self._offset = np.array([w, h]) / 2 - scale * (lo + hi) / 2
            vp = self._pixels(verts)
            if self.rank == 2:
                self._fill_triangle(canvas, vp, INSIDE)
            else:
                for i in range(len(vp)):
                    for j in range(i + 1, len(vp)):
                        _segment(canvas, vp[i], vp[j], EDGE, 0.5)
            if n_closed <= MAX_DOTS:
                pts = a.closed_points()
                px = self._pixels(pts)
                _stamp(canvas, px[:, 0], px[:, 1], LATTICE, 1.0)
                if self.rank > 2:
                    for p, row in zip(pts, px):
                        ws = a.walls_at(p)
                        if ws:
                            _stamp(canvas, [row[0]], [row[1]], wall_rgb(ws[0]), 1.5)
            if self.rank == 2:
                for j in range(3):  # wall j is the edge opposite vertex j
                    others = [vp[i] for i in range(3) if i != j]
                    _segment(canvas, others[0], others[1], wall_rgb(a.walls[j].index), 1.5)
        self._background = canvas

    def _project_float(self, x) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if self._prism:
            x = x - x.mean(axis=1, keepdims=True)
        return (x @ self._q) @ self._plane.T

    def _pixels(self, x) -> np.ndarray:
        """(row, col) pixel centres of the points x (rank ≥ 2)."""
        xy = self._scale * self._project_float(x) + self._offset
        return np.stack([self.size[0] - xy[:, 1], xy[:, 0]], axis=1)

    def _fill_cell(self, canvas, k: int, color) -> None:
        c0, c1 = self._cell_edges[k], max(self._cell_edges[k + 1] - 1, self._cell_edges[k] + 1)
        canvas[self._strip[0] : self._strip[1], c0:c1] = color

    def _fill_triangle(self, canvas, vp, color) -> None:
        h, w = canvas.shape[:2]
        rows, cols = np.mgrid[0:h, 0:w]
        inside = np.ones((h, w), dtype=bool)
        centroid = vp.mean(axis=0)
        for i in range(3):
            p, q = vp[i], vp[(i + 1) % 3]
            side = (q[0] - p[0]) * (cols - p[1]) - (q[1] - p[1]) * (rows - p[0])
            ref = (q[0] - p[0]) * (centroid[1] - p[1]) - (q[1] - p[1]) * (centroid[0] - p[0])
            inside &= np.sign(side) * np.sign(ref) >= 0
        canvas[inside] = color

    # -- frames -----------------------------------------------------------------------------
    def _rep(self, x) -> tuple:
        x = tuple(int(v) for v in x)
        if self._prism:
            return tuple(v - x[-1] for v in x)
        return x

    def frame(self, path, exit_walls=(), episode=None) -> np.ndarray:
        """The picture of ``path`` (start first); the marker at its last position takes the
        colour of ``exit_walls[0]`` when the walk has exited. ``episode``: a token that
        changes when a new path begins (without it, a path that starts elsewhere or is
        shorter than the last one drawn is taken as new)."""
        if self._background is None:
            self._build()
        if not path:
            return self._background.copy()
        key = (episode, self._rep(path[0]))
        if self._canvas is None or key != self._key or len(path) < self._drawn:
            self._canvas = self._background.copy()
            self._drawn = 0
            self._key = key
            if self.rank == 1:
                self._visits[:] = 0
        canvas = self._canvas
        new = [self._rep(x) for x in path[self._drawn :]]
        if self.rank == 1:
            for x in new:
                k = self._cell[x]
                self._visits[k] += 1
                if 0 < k < self._n_cells - 1:
                    # darker with each visit: 236 → 60 over the first eight visits
                    g = int(max(60, INSIDE[0] - 22 * self._visits[k]))
                    self._fill_cell(canvas, k, (g, g, min(255, g + 40)))
        else:
            prev = [self._rep(path[self._drawn - 1])] if self._drawn else []
            chain = prev + new
            if len(chain) >= 2:
                px = self._pixels(np.array(chain))
                for i in range(len(px) - 1):
                    _segment(canvas, px[i], px[i + 1], TRAIL, 1.0)
        self._drawn = len(path)
        out = canvas.copy()
        last = self._rep(path[-1])
        color = wall_rgb(exit_walls[0]) if exit_walls else MARKER
        if self.rank == 1:
            k = self._cell[last]
            col = (self._cell_edges[k] + self._cell_edges[k + 1]) / 2
            radius = max(2.0, min(8.0, (self._cell_edges[k + 1] - self._cell_edges[k]) / 3))
            _stamp(out, [self.size[0] / 2], [col], MARKER, radius + 1.5)
            _stamp(out, [self.size[0] / 2], [col], color, radius)
        else:
            p = self._pixels(np.array([last]))[0]
            _stamp(out, [p[0]], [p[1]], MARKER, 5.5)
            _stamp(out, [p[0]], [p[1]], color, 4.0)
        return out


__all__ = ["PICTURE_SIZE", "STRIP_SIZE", "WALL_RGB", "WalkPicture", "wall_rgb"]
