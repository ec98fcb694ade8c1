"""The alcove figure: walls coloured by reward and sample walks (drawing only; the data
are :func:`pgweyl.plot.geometry.alcove_geometry` and :func:`~pgweyl.plot.geometry.sample_walks`)."""

from __future__ import annotations

import math

import numpy as np

from pgweyl.plot._base import figure_and_axes, integer_axis, vector_text
from pgweyl.plot.geometry import alcove_geometry, sample_walks


class _Rewards:
    """Colours of the walls (by r_j) or, for a reward table, of the exit points (by R(b))."""

    def __init__(self, env):
        import matplotlib as mpl
        from matplotlib.colors import Normalize

        self.env, self.table = env, env.reward_table is not None
        values = env.exit_rewards if self.table else env.wall_rewards
        lo, hi = float(np.min(values)), float(np.max(values))
        if hi - lo < 1e-12:
            lo, hi = lo - 0.5, hi + 0.5
        self.cmap, self.norm = mpl.colormaps["viridis"], Normalize(vmin=lo, vmax=hi)
        self.bar_label = "R(b) at the exit point" if self.table else "wall reward $r_j$"

    def wall_label(self, j) -> str:
        return f"wall {j}" if self.table else f"wall {j} (r = {self.env.wall_rewards[j]:g})"

    def wall_color(self, j):
        return "0.45" if self.table else self.cmap(self.norm(self.env.wall_rewards[j]))

    def colorbar(self, fig, ax) -> None:
        import matplotlib as mpl

        sm = mpl.cm.ScalarMappable(norm=self.norm, cmap=self.cmap)
        fig.colorbar(sm, ax=ax, label=self.bar_label)

    def table_points(self, ax, xs, ys, size) -> None:
        """The exit points of a reward table, coloured by R(b)."""
        if self.table:
            kw = dict(cmap=self.cmap, norm=self.norm, s=size, marker="s", edgecolors="k")
            ax.scatter(xs, ys, c=self.env.exit_rewards, zorder=4, label="exit points", **kw)


def _draw_walks(ax, walks, xy, inward) -> None:
    """Each distinct path once (thicker when several walks share it), an X at each exit
    point and "×k" where k > 1 walks end at the same drawn point, set off from the
    wall by ``inward(x, y)`` (a unit vector into the alcove)."""
    import matplotlib as mpl

    colors = mpl.colormaps["tab10"].colors
    ends: dict = {}
    for k, (path, count, done) in enumerate(zip(walks.paths, walks.counts, walks.exited)):
        xs, ys = xy(path)
        col = colors[k % len(colors)]
        ax.plot(xs, ys, color=col, lw=min(1.3 + 0.7 * (count - 1), 4.0), alpha=0.8, zorder=2)
        if done:  # (a walk cut at MAX_WALK_STEPS has no exit point)
            ax.plot(xs[-1], ys[-1], "X", color=col, ms=9, mec="k", zorder=3)
            key = (round(float(xs[-1]), 9), round(float(ys[-1]), 9))
            ends[key] = ends.get(key, 0) + int(count)
    for (x, y), k in ends.items():
        if k > 1:
            ax.annotate(
                f"×{k}",
                (x, y),
                xytext=tuple(15 * np.asarray(inward(x, y))),
                textcoords="offset points",
                ha="center",
                va="center",
                fontsize=9,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.15", "fc": "w", "ec": "0.4", "alpha": 0.9},
                zorder=6,
            )
    label = "exit point X_T" + (
        " (×k: k walks end there)" if max(ends.values(), default=1) > 1 else ""
    )
    ax.plot([], [], "X", color="0.6", mec="k", ms=8, label=label)


def _draw_1d(ax, env, geo, walks, rewards) -> None:
    """A1: x1 − x2 against time t; the walls are horizontal lines."""
    t_end = max([len(w) - 1 for w in walks.paths] + [env.level])
    ax.axhspan(0, env.level, color="0.93", zorder=0)
    for j, (c,) in geo.wall_corners.items():
        level = geo.plane_corners[c]
        ax.hlines(level, 0, t_end, color=rewards.wall_color(j), lw=3, zorder=1)
        ax.annotate(
            rewards.wall_label(j),
            (t_end, level),
            xytext=(-4, 4 if level > 0 else -12),
            textcoords="offset points",
            ha="right",
            fontsize=9,
        )
    d = geo.project(env.exit_points)
    rewards.table_points(ax, np.zeros(len(d)), d, 90)
    _draw_walks(
        ax,
        walks,
        lambda w: (np.arange(len(w)), geo.project(w)),
        lambda x, y: (0.6, 1 - 2 * (y > 0)),
    )
    ax.plot(0, geo.project(env.start), "o", color="k", ms=7, zorder=5, label="start λ")
    integer_axis(ax.xaxis)
    ax.set_ylim(-0.08 * env.level - 0.5, 1.08 * env.level + 0.5)


def _wall_labels_2d(ax, geo, rewards) -> None:
    """Each wall's label along it, just outside the alcove (equal aspect: data angles
    are screen angles)."""
    P = geo.plane_corners
    centre = P.mean(axis=0)
    for j, ends in geo.wall_corners.items():
        seg = P[list(ends)]
        ax.plot(*seg.T, color=rewards.wall_color(j), lw=3.5, zorder=1, solid_capstyle="round")
        mid, along = seg.mean(axis=0), seg[-1] - seg[0]
        normal = np.array([-along[1], along[0]]) / (np.linalg.norm(along) or 1.0)
        normal = normal if normal @ (mid - centre) >= 0 else -normal
        angle = math.degrees(math.atan2(along[1], along[0]))
        angle = angle - 180 if angle > 90 else angle + 180 if angle <= -90 else angle
        ax.annotate(
            rewards.wall_label(j),
            mid,
            xytext=tuple(11 * normal),
            fontsize=9,
            textcoords="offset points",
            ha="center",
            va="center",
            rotation=angle,
            rotation_mode="anchor",
        )


def _draw_2d(ax, env, geo, walks, rewards) -> None:
    """A2 in the plane Σx = const, B2 and C2 as they are."""
    from matplotlib.patches import Polygon

    P = geo.plane_corners
    ax.add_patch(Polygon(P, closed=True, fc="0.93", ec="none", zorder=0, gid="alcove"))
    _wall_labels_2d(ax, geo, rewards)
    states = geo.project(env.states)
    ax.plot(states[:, 0], states[:, 1], ".", color="0.6", ms=3, zorder=1)
    E = geo.project(env.exit_points)
    rewards.table_points(ax, E[:, 0], E[:, 1], 60)
    centre = P.mean(axis=0)

    def inward(x, y):
        v = centre - (x, y)
        return v / (np.linalg.norm(v) or 1.0)

    _draw_walks(ax, walks, lambda w: tuple(geo.project(w).T), inward)
    S = geo.project(env.start)
    ax.plot(S[0], S[1], "o", color="k", ms=7, zorder=5, label="start λ")
    ax.set_aspect("equal")
    pad = 0.12 * np.ptp(P, axis=0).max() + 0.5
    ax.set_xlim(P[:, 0].min() - pad, P[:, 0].max() + pad)
    ax.set_ylim(P[:, 1].min() - pad, P[:, 1].max() + pad)


def alcove_figure(env, theta=None, n_walks=5, seed=0, ax=None):
    """The alcove, its walls coloured by reward, and sample walks under π_θ.

    Drawn: the walls j = 0..r (wall 0 = the far wall (x, θ̃) = m), coloured by r_j on a
    colour bar and labelled "wall j (r = r_j)" — for an env with a ``reward_table`` the
    walls are grey and its exit points are coloured by R(b) instead; the reachable
    interior lattice points as dots; ``n_walks`` walks X_0 = λ (black circle), …, X_T
    (cross, the exit point) drawn with ``np.random.default_rng(seed)`` under π_θ
    (θ = 0, the uniform policy, if None), each ending at the first point outside the
    open alcove. Walks that share their whole path are drawn once, thicker, and "×k"
    marks an exit point where k > 1 walks end (the title counts walks and distinct
    paths). Coordinates (:mod:`pgweyl.plot.geometry`): A1 — x1 − x2 (from 0 = wall 1
    to m = wall 0) against the time t (integer ticks); A2 — the plane Σx = const,
    coordinates (x, u1), (x, u2) with u1 = (1, −1, 0)/√2, u2 = (1, 1, −2)/√6; B2, C2 —
    (x1, x2) as they are. Other types and ranks raise ArgumentError."""
    geo = alcove_geometry(env)  # raises for unsupported types before any drawing
    walks = sample_walks(env, theta, n_walks, seed)
    fig, ax = figure_and_axes(ax)
    rewards = _Rewards(env)
    (_draw_1d if geo.rank == 1 else _draw_2d)(ax, env, geo, walks, rewards)
    ax.set_xlabel(geo.axis_labels[0])
    ax.set_ylabel(geo.axis_labels[1])
    rewards.colorbar(fig, ax)
    ax.legend(loc="best", fontsize=8)
    paths = len(walks.paths)
    shared = f" ({paths} distinct paths)" if paths < walks.n_walks else ""
    pol = vector_text(walks.policy, "{:.2f}")
    steps = ", ".join(env.steps.labels())
    ax.set_title(
        f"{env.cartan} alcove, level {env.level}: {walks.n_walks} walks{shared}\n"
        f"θ = {vector_text(walks.theta)}{',' if len(walks.policy) <= 3 else chr(10)} "
        f"π = {pol} over ({steps})",
        fontsize=10,
    )
    return fig


__all__ = ["alcove_figure"]
