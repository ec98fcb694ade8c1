"""Data of :func:`pgweyl.plot.alcove_figure`, without matplotlib: where the alcove's
corners and walls lie in the drawing plane, and sample walks grouped by path.

Drawing coordinates: A1 — x1 − x2 (0 on wall 1, m on wall 0), drawn against time;
A2 — the plane Σx = const, coordinates (x, u1), (x, u2) with u1 = (1, −1, 0)/√2,
u2 = (1, 1, −2)/√6 (an isometry of that plane); B2, C2 — (x1, x2) as they are.

>>> import pgweyl as pw
>>> geo = alcove_geometry(pw.make_env("corridor"))
>>> geo.corners.tolist(), geo.wall_corners
([[0.0, 0.0], [8.0, 0.0]], {0: (1,), 1: (0,)})
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pgweyl import validate
from pgweyl.errors import ArgumentError

#: Longest walk drawn by :func:`pgweyl.plot.alcove_figure` (a walk still inside is cut there).
MAX_WALK_STEPS = 100_000

_A2_BASIS = np.array([[1.0, -1.0, 0.0], [1.0, 1.0, -2.0]]) / np.array(
    [[math.sqrt(2)], [math.sqrt(6)]]
)


@dataclass(frozen=True, kw_only=True)
class AlcoveGeometry:
    """The closed alcove of a rank-1 or rank-2 env in drawing coordinates.

    ``corners``: vertices of the closed alcove (floats, A_n representatives with
    x_{n+1} = 0); ``corner_walls``: the walls through each corner; ``wall_corners``:
    {wall j: indices of the corners on it} (rank 1: one corner, rank 2: the two ends
    of its edge); ``plane_corners``: :meth:`project` of the corners; ``axis_labels``."""

    cartan: str
    rank: int
    corners: np.ndarray
    corner_walls: tuple
    wall_corners: dict
    plane_corners: np.ndarray
    axis_labels: tuple

    def project(self, x) -> np.ndarray:
        """Drawing coordinates of points (…×d): rank 1 the scalar x1 − x2 (…), rank 2
        two coordinates (…×2), as in the module docstring."""
        return _project(self.cartan, x)


def _project(cartan: str, x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if cartan == "A1":
        return x[..., 0] - x[..., 1]
    if cartan == "A2":
        return (x - x.mean(axis=-1, keepdims=True)) @ _A2_BASIS.T
    return x


def _corners(env) -> np.ndarray:
    fam, rank, m = env.cartan.family, env.cartan.rank, float(env.level)
    if fam == "A" and rank == 1:
        return np.array([[0.0, 0.0], [m, 0.0]])
    if fam == "A" and rank == 2:
        return np.array([[0.0, 0.0, 0.0], [m, 0.0, 0.0], [m, m, 0.0]])
    if fam == "B" and rank == 2:
        return np.array([[0.0, 0.0], [m / 2, m / 2], [m, 0.0]])
    if fam == "C" and rank == 2:
        return np.array([[0.0, 0.0], [m / 2, m / 2], [m / 2, 0.0]])
    raise ArgumentError(
        f"alcove_figure draws rank 1 and 2 alcoves (A1, A2, B2, C2), not {env.cartan}"
    )


def alcove_geometry(env) -> AlcoveGeometry:
    """The :class:`AlcoveGeometry` of ``env``; types other than A1, A2, B2, C2 raise
    ArgumentError. Corners: A1 (0, 0), (m, 0); A2 (0, 0, 0), (m, 0, 0), (m, m, 0);
    B2 (0, 0), (m/2, m/2), (m, 0); C2 (0, 0), (m/2, m/2), (m/2, 0). The walls through a
    corner are found from the wall inequalities with a float slack, so half-integer
    corners (B2 at odd levels) work too."""
    corners = _corners(env)
    alc = env.alcove
    slack = corners @ alc.inward_normals.T.astype(float) - alc.inward_offsets
    walls = tuple(tuple(int(j) for j in np.flatnonzero(np.abs(row) < 1e-9)) for row in slack)
    on = {j: tuple(i for i, w in enumerate(walls) if j in w) for j in range(len(alc.walls))}
    rank = env.cartan.rank
    if rank == 1:
        labels = ("time t", "x1 − x2")
    elif env.cartan.family == "A":
        labels = ("(x, u1),  u1 = (1, −1, 0)/√2", "(x, u2),  u2 = (1, 1, −2)/√6")
    else:
        labels = ("x1", "x2")
    return AlcoveGeometry(
        cartan=str(env.cartan),
        rank=rank,
        corners=corners,
        corner_walls=walls,
        wall_corners=on,
        plane_corners=_project(str(env.cartan), corners),
        axis_labels=labels,
    )


@dataclass(frozen=True, kw_only=True)
class WalkData:
    """Sample walks grouped by path: ``paths[k]`` (points X_0 = λ, …, X_T, full
    coordinates) was taken by ``counts[k]`` of the ``n_walks`` walks; ``exited[k]``
    is False for a walk cut at ``MAX_WALK_STEPS`` while still inside; ``rewards[k]`` is
    R(X_T) (:meth:`AlcoveWalkEnv.rewards_at`; NaN when cut). Paths are in the order of
    their first walk. ``theta``/``policy``: the policy the walks follow."""

    theta: np.ndarray
    policy: np.ndarray
    n_walks: int
    paths: tuple
    counts: np.ndarray
    exited: np.ndarray
    rewards: np.ndarray

    def exit_counts(self, with_time: bool = False) -> dict:
        """{exit point (tuple): walks ending there}, or keyed by (exit point, T) — what
        a marker at the exit stands for in the plane (rank 2) or against time (rank 1)."""
        out: dict = {}
        for path, k, done in zip(self.paths, self.counts, self.exited):
            if done:
                end = tuple(path[-1].tolist())
                key = (end, len(path) - 1) if with_time else end
                out[key] = out.get(key, 0) + int(k)
        return out


def _walk(env, probs, rng) -> np.ndarray:
    """X_0 = λ, …, X_T of one walk under ``probs`` (steps drawn 256 at a time)."""
    vecs = env.steps.vectors
    x = env.start.copy()
    path = [x]
    while True:
        for k in rng.choice(len(vecs), size=256, p=probs):
            x = x + vecs[k]
            path.append(x)
            if not env.alcove.is_interior(x) or len(path) > MAX_WALK_STEPS:
                return np.array(path)


def sample_walks(env, theta=None, n_walks: int = 5, seed: int = 0) -> WalkData:
    """``n_walks`` walks from λ under π_θ (θ = 0, uniform, if None) drawn with
    ``np.random.default_rng(seed)`` in pure NumPy, each ending at the first point
    outside the open alcove, grouped into distinct paths (:class:`WalkData`)."""
    if isinstance(n_walks, bool) or not isinstance(n_walks, (int, np.integer)) or n_walks < 0:
        raise ArgumentError(f"n_walks must be a non-negative integer, got {n_walks!r}")
    seed = validate.seed(seed)
    theta = np.zeros(env.theta_dim) if theta is None else env.check_theta(theta)
    probs = env.policy(theta)
    rng = np.random.default_rng(seed)
    groups: dict = {}
    for _ in range(int(n_walks)):
        w = _walk(env, probs, rng)
        key = w.tobytes()
        groups[key] = (groups[key][0], groups[key][1] + 1) if key in groups else (w, 1)
    paths = tuple(w for w, _ in groups.values())
    exited = np.array([not env.alcove.is_interior(w[-1]) for w in paths], dtype=bool)
    rewards = np.full(len(paths), np.nan)
    if exited.any():
        rewards[exited] = env.rewards_at(np.array([w[-1] for w in paths])[exited])
    return WalkData(
        theta=theta,
        policy=probs,
        n_walks=int(n_walks),
        paths=paths,
        counts=np.array([k for _, k in groups.values()], dtype=np.int64),
        exited=exited,
        rewards=rewards,
    )


__all__ = ["MAX_WALK_STEPS", "AlcoveGeometry", "WalkData", "alcove_geometry", "sample_walks"]
