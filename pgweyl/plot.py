"""Figures of pgweyl (matplotlib): the alcove and its walks, value distributions, the
value landscape, difficulty sweeps and basins of the θ-chain.

Every figure function returns the :class:`matplotlib.figure.Figure` it drew on (the
figure of ``ax`` when one is given); :func:`save_figure` writes it as PNG and PDF.
matplotlib is imported inside the functions, so ``import pgweyl`` stays fast; without a
display (no ``DISPLAY``) and before pyplot is loaded the Agg backend is selected.

Conventions (THEORY §1, §4, §7): walls are numbered 0..r (wall 0 the far wall
(x, θ̃) = m); θ is the parameter of the exponential family π_θ(s) ∝ exp((θ, s)); the
effective coordinates are y = Lθ (A_n: y_i = θ_i − θ_{n+1}, the gauge removed;
otherwise y = θ), as in :mod:`pgweyl.landscape.chain`.

>>> import pgweyl as pw
>>> import matplotlib.pyplot as plt
>>> fig = alcove_figure(pw.make_env("triangle"), n_walks=2)
>>> len(fig.axes)  # the alcove and the colour bar of the wall rewards
2
>>> plt.close(fig)
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np

from pgweyl.errors import ArgumentError

#: Longest walk drawn by :func:`alcove_figure` (a walk still inside is drawn cut there).
MAX_WALK_STEPS = 100_000


def _pyplot():
    """pyplot, with the Agg backend when there is no display.

    Agg is chosen only when ``DISPLAY`` is empty, pyplot is not loaded yet and no
    ``MPLBACKEND`` is set: switching the backend after pyplot is loaded would close the
    caller's figures (and would break a notebook's inline backend)."""
    import matplotlib

    if (
        not os.environ.get("DISPLAY")
        and not os.environ.get("MPLBACKEND")
        and "matplotlib.pyplot" not in sys.modules
    ):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure_and_axes(ax, **kwargs):
    if ax is None:
        plt = _pyplot()
        fig, ax = plt.subplots(**kwargs)
        return fig, ax
    return ax.figure, ax


def save_figure(fig, path) -> tuple[Path, Path]:
    """Write ``fig`` as PNG and PDF; return the two paths (PNG first).

    ``path`` is ``"out/x.png"``, ``"out/x.pdf"`` or ``"out/x"``: each writes
    ``out/x.png`` and ``out/x.pdf`` (another image suffix such as ``.svg`` is refused
    with :class:`ArgumentError`; other dots stay in the name: ``run.v2`` writes
    ``run.v2.png``); the parent folder is created. Both files go through
    :func:`pgweyl.serialize.write_files` as one transaction: rendered first, written
    atomically (symlinks followed, devices written in place), so a failure leaves no
    partial output and raises :class:`pgweyl.serialize.OutputError`; their mode follows
    the umask."""
    from pgweyl.serialize import OutputError, figure_files, figure_paths, write_files

    outputs = figure_paths(path)
    try:
        outputs[0].parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(
            f"cannot create folder {str(outputs[0].parent)!r}: {err.strerror}"
        ) from None
    write_files(figure_files(fig, path), "figure")
    return outputs


# -- labels -------------------------------------------------------------------------------
def _step_name(vector, signed: bool) -> str:
    """e_i for a unit step, ±e_i for a signed one, else the vector itself."""
    v = np.asarray(vector)
    nz = np.flatnonzero(v)
    if len(nz) == 1 and abs(v[nz[0]]) == 1:
        sign = ("+" if v[nz[0]] > 0 else "−") if signed else ""
        return f"{sign}e{nz[0] + 1}"
    return str(v.tolist())


def _support_label(env, support) -> str:
    """The face of a maximum as its steps, e.g. "{e1}" or "{+e2, −e2}"; indices without env."""
    if env is None:
        return "{" + ", ".join(f"s{i}" for i in support) + "}"
    vecs = env.steps.vectors
    signed = bool((vecs < 0).any())
    return "{" + ", ".join(_step_name(vecs[i], signed) for i in support) + "}"


def _y_labels(env, dim: int) -> list[str]:
    """Axis names of the effective coordinates y = Lθ."""
    if env is not None and env.gauge:
        d = env.theta_dim
        if dim == 1:
            return [f"y = θ1 − θ{d}"]
        return [f"y{i + 1} = θ{i + 1} − θ{d}" for i in range(dim)]
    if env is not None:
        return [f"θ{i + 1}" for i in range(dim)]
    return [f"y{i + 1}" for i in range(dim)] if dim > 1 else ["y"]


def _policies(env, thetas) -> np.ndarray:
    """π_θ for a stack of θ (…×theta_dim) of an ``exp`` env, vectorised."""
    logits = np.asarray(thetas, dtype=float) @ env.steps.vectors.T.astype(float)
    logits -= logits.max(axis=-1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=-1, keepdims=True)


# -- alcove geometry ------------------------------------------------------------------------
_A2_BASIS = np.array([[1.0, -1.0, 0.0], [1.0, 1.0, -2.0]]) / np.array(
    [[math.sqrt(2)], [math.sqrt(6)]]
)


def _alcove_corners(env) -> np.ndarray:
    """Vertices of the closed alcove (floats; A_n: representatives with x_{n+1} = 0).

    A1: (0, 0), (m, 0); A2: (0, 0, 0), (m, 0, 0), (m, m, 0); B2: (0, 0), (m/2, m/2),
    (m, 0); C2: (0, 0), (m/2, m/2), (m/2, 0). Other types raise ArgumentError."""
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


def _corner_walls(env, corners) -> list[tuple]:
    """Walls through each corner (float slack, so half-integer corners work too)."""
    alc = env.alcove
    slack = corners @ alc.inward_normals.T.astype(float) - alc.inward_offsets
    return [tuple(int(j) for j in np.flatnonzero(np.abs(row) < 1e-9)) for row in slack]


def _project(env, x) -> np.ndarray:
    """Plane coordinates of points (…×d) of a rank-2 alcove: A2 onto {Σx = 0} with
    u1 = (1, −1, 0)/√2, u2 = (1, 1, −2)/√6; B2, C2 as they are."""
    x = np.asarray(x, dtype=float)
    if env.cartan.family == "A":
        x = x - x.mean(axis=-1, keepdims=True)
        return x @ _A2_BASIS.T
    return x


def _sample_walks(env, theta, n_walks: int, seed: int) -> list[np.ndarray]:
    """Full paths X_0 = λ, …, X_T of ``n_walks`` walks under π_θ (pure NumPy)."""
    rng = np.random.default_rng(seed)
    probs = env.policy(theta)
    vecs = env.steps.vectors
    walks = []
    for _ in range(n_walks):
        x = env.start.copy()
        path = [x]
        done = False
        while not done:
            for k in rng.choice(len(vecs), size=256, p=probs):  # steps in batches
                x = x + vecs[k]
                path.append(x)
                if not env.alcove.is_interior(x) or len(path) > MAX_WALK_STEPS:
                    done = True
                    break
        walks.append(np.array(path))
    return walks


def _reward_norm(values):
    from matplotlib.colors import Normalize

    lo, hi = float(np.min(values)), float(np.max(values))
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    return Normalize(vmin=lo, vmax=hi)


def alcove_figure(env, theta=None, n_walks=5, seed=0, ax=None):
    """The alcove, its walls coloured by reward, and sample walks under π_θ.

    Drawn: the walls j = 0..r (wall 0 = the far wall (x, θ̃) = m), coloured by r_j on a
    colour bar and labelled "wall j (r = r_j)" — for an env with a ``reward_table`` the
    walls are grey and its exit points are coloured by R(b) instead; the reachable
    interior lattice points as dots; ``n_walks`` walks X_0 = λ (black circle), …, X_T
    (cross, the exit point) drawn with ``np.random.default_rng(seed)`` under π_θ
    (θ = 0, the uniform policy, if None), each ending at the first point outside the
    open alcove. Coordinates: A1 — x1 − x2 (from 0 = wall 1 to m = wall 0) against the
    time t; A2 — the plane Σx = const, coordinates (x, u1), (x, u2) with
    u1 = (1, −1, 0)/√2, u2 = (1, 1, −2)/√6; B2, C2 — (x1, x2) as they are.
    Other types and ranks raise ArgumentError."""
    corners = _alcove_corners(env)  # raises for unsupported types before any drawing
    if isinstance(n_walks, bool) or not isinstance(n_walks, (int, np.integer)) or n_walks < 0:
        raise ArgumentError(f"n_walks must be a non-negative integer, got {n_walks!r}")
    theta = np.zeros(env.theta_dim) if theta is None else env.check_theta(theta)
    fig, ax = _figure_and_axes(ax)
    import matplotlib as mpl

    cmap = mpl.colormaps["viridis"]
    walls = _corner_walls(env, corners)
    n_walls = len(env.alcove.walls)
    table = env.reward_table is not None
    norm = _reward_norm(env.exit_rewards if table else env.wall_rewards)
    walks = _sample_walks(env, theta, int(n_walks), seed)
    walk_colors = mpl.colormaps["tab10"].colors
    rank = env.cartan.rank

    def wall_label(j):
        return f"wall {j}" if table else f"wall {j} (r = {env.wall_rewards[j]:g})"

    def wall_color(j):
        return "0.45" if table else cmap(norm(env.wall_rewards[j]))

    if rank == 1:
        diff = lambda pts: pts[..., 0] - pts[..., 1]  # noqa: E731
        t_end = max([len(w) - 1 for w in walks] + [env.level])
        ax.axhspan(0, env.level, color="0.93", zorder=0)
        for j in range(n_walls):
            (c,) = [i for i, w in enumerate(walls) if j in w]
            level = diff(corners[c])
            ax.hlines(level, 0, t_end, color=wall_color(j), lw=3, zorder=1)
            ax.annotate(
                wall_label(j),
                (t_end, level),
                xytext=(-4, 4 if level > 0 else -12),
                textcoords="offset points",
                ha="right",
                fontsize=9,
            )
        if table:
            d = diff(env.exit_points)
            ax.scatter(
                np.zeros(len(d)),
                d,
                c=env.exit_rewards,
                cmap=cmap,
                norm=norm,
                s=90,
                marker="s",
                zorder=4,
                edgecolors="k",
                label="exit points",
            )
        for k, w in enumerate(walks):
            col = walk_colors[k % len(walk_colors)]
            ax.plot(np.arange(len(w)), diff(w), color=col, lw=1.4, alpha=0.85, zorder=2)
            if not env.alcove.is_interior(w[-1]):  # (a walk cut at MAX_WALK_STEPS has none)
                ax.plot(len(w) - 1, diff(w[-1]), "X", color=col, ms=9, mec="k", zorder=3)
        ax.plot(0, diff(env.start), "o", color="k", ms=7, zorder=5, label="start λ")
        ax.set_xlabel("time t")
        ax.set_ylabel("x1 − x2")
        ax.set_ylim(-0.08 * env.level - 0.5, 1.08 * env.level + 0.5)
    else:
        from matplotlib.patches import Polygon

        P = _project(env, corners)
        ax.add_patch(Polygon(P, closed=True, fc="0.93", ec="none", zorder=0, gid="alcove"))
        centre = P.mean(axis=0)
        for j in range(n_walls):
            on = [i for i, w in enumerate(walls) if j in w]
            seg = P[on]
            ax.plot(
                seg[:, 0], seg[:, 1], color=wall_color(j), lw=3.5, zorder=1, solid_capstyle="round"
            )
            # The label runs along the wall, just outside the alcove (equal aspect, so
            # data angles are screen angles).
            mid = seg.mean(axis=0)
            along = seg[-1] - seg[0]
            normal = np.array([-along[1], along[0]]) / (np.linalg.norm(along) or 1.0)
            if normal @ (mid - centre) < 0:
                normal = -normal
            angle = math.degrees(math.atan2(along[1], along[0]))
            angle = angle - 180 if angle > 90 else angle + 180 if angle <= -90 else angle
            ax.annotate(
                wall_label(j),
                mid,
                xytext=tuple(11 * normal),
                textcoords="offset points",
                ha="center",
                va="center",
                rotation=angle,
                rotation_mode="anchor",
                fontsize=9,
            )
        states = _project(env, env.states)
        ax.plot(states[:, 0], states[:, 1], ".", color="0.6", ms=3, zorder=1)
        if table:
            E = _project(env, env.exit_points)
            ax.scatter(
                E[:, 0],
                E[:, 1],
                c=env.exit_rewards,
                cmap=cmap,
                norm=norm,
                s=60,
                marker="s",
                zorder=4,
                edgecolors="k",
                label="exit points",
            )
        for k, w in enumerate(walks):
            col = walk_colors[k % len(walk_colors)]
            Q = _project(env, w)
            ax.plot(Q[:, 0], Q[:, 1], color=col, lw=1.4, alpha=0.85, zorder=2)
            if not env.alcove.is_interior(w[-1]):
                ax.plot(Q[-1, 0], Q[-1, 1], "X", color=col, ms=9, mec="k", zorder=3)
        S = _project(env, env.start)
        ax.plot(S[0], S[1], "o", color="k", ms=7, zorder=5, label="start λ")
        ax.set_aspect("equal")
        pad = 0.12 * np.ptp(P, axis=0).max() + 0.5
        ax.set_xlim(P[:, 0].min() - pad, P[:, 0].max() + pad)
        ax.set_ylim(P[:, 1].min() - pad, P[:, 1].max() + pad)
        if env.cartan.family == "A":
            ax.set_xlabel("(x, u1),  u1 = (1, −1, 0)/√2")
            ax.set_ylabel("(x, u2),  u2 = (1, 1, −2)/√6")
        else:
            ax.set_xlabel("x1")
            ax.set_ylabel("x2")
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, label="R(b) at the exit point" if table else "wall reward $r_j$")
    ax.legend(loc="best", fontsize=8)
    pol = ", ".join(f"{p:.2f}" for p in env.policy(theta))
    ax.set_title(
        f"{env.cartan} alcove, level {env.level}: {len(walks)} walks, π = ({pol})", fontsize=10
    )
    return fig


# -- value distribution -----------------------------------------------------------------------
def value_distribution_figure(env, theta, n_episodes=20000, seed=0, ax=None):
    """Exit-time law on each wall: Monte Carlo histogram against the exact value distribution.

    One panel per wall j with exit mass (shared time axis): bars are the relative
    frequencies #{episodes with T = n exiting on wall j} / ``n_episodes`` from
    :func:`pgweyl.simulate_episodes` (``seed``), the line with markers the exact
    P_θ(T = n, X_T on wall j) = Σ_{b on wall j} F_n(λ, b) exp((θ, b − λ) − n A(θ)) from
    ``env.value_distribution(θ)``. A corner point counts for each of its walls, so the
    panels can add up to more than 1. Times are shown up to the 99.9% quantile of T.
    The title compares V(θ) exact with the Monte Carlo mean return (± its standard
    error). ``ax``: None (new figure), one Axes (all walls overlaid) or one Axes per
    wall."""
    from pgweyl.sim import simulate_episodes

    theta = env.check_theta(theta)
    dist = env.value_distribution(theta)
    n_walls = len(env.alcove.walls)
    cell_walls = [dist.exit_walls[i] for i in dist.exit_index]
    t_top = int(dist.times.max()) if len(dist.times) else 1
    exact = np.zeros((n_walls, t_top + 1))
    for j in range(n_walls):
        mask = np.array([j in w for w in cell_walls], dtype=bool)
        if mask.any():
            exact[j] = np.bincount(dist.times[mask], weights=dist.probs[mask], minlength=t_top + 1)

    points, times = simulate_episodes(env, theta, n_episodes, seed=seed)
    uniq, inverse = np.unique(points, axis=0, return_inverse=True)
    inverse = np.ravel(inverse)
    uniq_walls = [env.alcove.walls_at(b) for b in uniq]
    reward_of = {tuple(b): r for b, r in zip(env.exit_points.tolist(), env.exit_rewards)}
    reps = env.alcove.representative(uniq)
    uniq_reward = np.array([reward_of[tuple(b)] for b in reps.tolist()])
    G = env.returns(uniq_reward[inverse], times)
    mc_mean = float(G.mean())
    mc_se = float(G.std(ddof=1) / math.sqrt(len(G))) if len(G) > 1 else float("nan")

    width = max(t_top, int(times.max())) + 1
    exact = np.pad(exact, ((0, 0), (0, width - exact.shape[1])))
    mc = np.zeros((n_walls, width))
    for j in range(n_walls):
        hit = np.array([j in w for w in uniq_walls], dtype=bool)[inverse]
        mc[j] = np.bincount(times[hit], minlength=width) / n_episodes
    walls = [j for j in range(n_walls) if exact[j].sum() > 1e-9 or mc[j].sum() > 0]

    cdf = np.cumsum(exact.sum(axis=0))
    t_show = min(int(np.searchsorted(cdf, 0.999 * cdf[-1])) + 1, width - 1)
    t = np.arange(t_show + 1)

    if ax is None:
        plt = _pyplot()
        fig, axes = plt.subplots(
            len(walls), 1, sharex=True, squeeze=False, figsize=(7, 2.2 + 1.6 * len(walls))
        )
        axes = list(axes[:, 0])
        own = True
    else:
        own = False
        many = isinstance(ax, (list, tuple, np.ndarray))
        axes = list(np.ravel(np.asarray(ax, dtype=object))) if many else [ax] * len(walls)
        if len(axes) != len(walls):
            raise ArgumentError(f"give one Axes per wall with exit mass ({len(walls)})")
        fig = axes[0].figure
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    for k, (j, a) in enumerate(zip(walls, axes)):
        col = colors[k % len(colors)]
        r = "" if env.wall_rewards is None else f", r = {env.wall_rewards[j]:g}"
        a.bar(
            t,
            mc[j, : t_show + 1],
            width=0.85,
            color=col,
            alpha=0.45,
            label=f"Monte Carlo, wall {j}{r}",
        )
        ex = exact[j, : t_show + 1]
        shown = ex > 0
        a.plot(
            t[shown],
            ex[shown],
            "o-",
            color="k" if own else col,
            ms=3,
            lw=1,
            label=f"exact P(T = n, wall {j})",
        )
        a.set_ylabel("probability")
        a.legend(fontsize=8, loc="upper right")
        if own:
            a.set_title(f"wall {j}{r}: P(exit on wall {j}) = {exact[j].sum():.4f}", fontsize=9)
    axes[-1].set_xlabel("exit time T = n")
    v = dist.value
    head = (
        f"V(θ) = {v:.5f} exact;  Monte Carlo mean return {mc_mean:.5f} ± {mc_se:.5f} "
        f"({n_episodes} episodes)"
    )
    if own:
        fig.suptitle(head, fontsize=10)
        fig.tight_layout()
    else:
        axes[0].set_title(head, fontsize=9)
    return fig


# -- value landscape --------------------------------------------------------------------------
def landscape_figure(env, maxima=None, span=6.0, resolution=81, ax=None):
    """V over the effective coordinates y = Lθ, with the local maxima.

    1-D (corridor, y = θ1 − θ2): V(θ(y)) on [−span, span] as a line, and each local
    maximum's value — the limit of V as π_θ enters its face — as a dashed horizontal line
    labelled by its support. 2-D (triangle: y_i = θ_i − θ3; triangle-signed: y = θ):
    a heat map of V on [−span, span]², streamlines of L ∇V(θ(y)) — the image under
    y = Lθ of the gradient flow dθ/dt = ∇V, the α → 0 limit of policy gradient — and
    each maximum marked at the grid point whose policy is nearest to it
    (:meth:`LocalMaximum.distances`), labelled with its support and value. θ(y) is
    :func:`pgweyl.landscape.chain.lift`. ``maxima`` defaults to
    ``local_maxima(env, basin_samples=0)``. Effective dimension > 2 raises ArgumentError."""
    from pgweyl.landscape.chain import effective_map, lift
    from pgweyl.landscape.maxima import local_maxima

    if env.policy_kind != "exp":
        raise ArgumentError("landscape_figure draws the exponential family (policy 'exp')")
    L = effective_map(env)
    dim = L.shape[0]
    if dim > 2:
        raise ArgumentError(
            f"landscape_figure draws effective dimension 1 or 2, not {dim} ({env.cartan})"
        )
    resolution = int(resolution)
    if resolution < 2:
        raise ArgumentError(f"resolution must be at least 2, got {resolution}")
    maxima = local_maxima(env, basin_samples=0) if maxima is None else list(maxima)
    axis = np.linspace(-float(span), float(span), resolution)
    names = _y_labels(env, dim)
    fig, ax = _figure_and_axes(ax)
    if dim == 1:
        vals = np.array([env.value(lift(env, [y])) for y in axis])
        ax.plot(axis, vals, color="k", lw=1.8, label="V(θ(y))")
        styles = ["tab:red", "tab:blue", "tab:green", "tab:purple", "tab:orange"]
        for k, m in enumerate(maxima):
            col = styles[k % len(styles)]
            ax.axhline(m.value, ls="--", color=col, lw=1.2)
            ax.annotate(
                f"max {_support_label(env, m.support)}: V = {m.value:.4f}",
                (axis[0], m.value),
                xytext=(4, 4),
                textcoords="offset points",
                color=col,
                fontsize=9,
            )
        ax.set_xlabel(names[0])
        ax.set_ylabel("V")
        ax.set_xlim(axis[0], axis[-1])
        ax.legend(loc="lower right", fontsize=8)
    else:
        Y1, Y2 = np.meshgrid(axis, axis)  # rows follow y2, columns y1
        ys = np.stack([Y1, Y2], axis=-1)
        thetas = lift(env, ys)
        vals = np.empty(Y1.shape)
        grads = np.empty(Y1.shape + (2,))
        for idx in np.ndindex(Y1.shape):
            vals[idx] = env.value(thetas[idx])
            grads[idx] = L @ env.value_grad(thetas[idx])
        im = ax.imshow(
            vals,
            origin="lower",
            extent=(axis[0], axis[-1], axis[0], axis[-1]),
            cmap="viridis",
            aspect="auto",
        )
        fig.colorbar(im, ax=ax, label="V(θ(y))")
        ax.streamplot(
            axis,
            axis,
            grads[..., 0],
            grads[..., 1],
            color="w",
            linewidth=0.7,
            density=1.1,
            arrowsize=0.8,
        )
        pol = _policies(env, thetas)
        for m in maxima:
            d = m.distances(pol)
            i = np.unravel_index(int(np.argmin(d)), d.shape)
            p = (Y1[i], Y2[i])
            ax.plot(*p, "*", color="tab:red", ms=16, mec="k", zorder=5, clip_on=False)
            right, top = p[0] > 0, p[1] > 0
            ax.annotate(
                f"max {_support_label(env, m.support)}\nV = {m.value:.4f}",
                p,
                xytext=(-10 if right else 10, -10 if top else 10),
                textcoords="offset points",
                ha="right" if right else "left",
                va="top" if top else "bottom",
                color="w",
                fontsize=9,
                bbox={"boxstyle": "round", "fc": "k", "alpha": 0.55, "ec": "none"},
                zorder=6,
            )
        ax.set_xlim(axis[0], axis[-1])
        ax.set_ylim(axis[0], axis[-1])
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
    ax.set_title(
        f"value landscape of {env.cartan} level {env.level} ({len(maxima)} local maxima)",
        fontsize=10,
    )
    return fig


# -- difficulty sweep -------------------------------------------------------------------------
def difficulty_figure(sweep, ax=None):
    """P(policy gradient ends at the global maximum) against a difficulty knob.

    Drawn from a :class:`pgweyl.landscape.SweepResult`: the Monte Carlo share with its
    Wilson 95% band (``ci_low``..``ci_high``), the chain solver's absorption
    probability as markers with error bars = its grid error (fine − coarse grid), and on
    a second y-axis the value of the global maximum. Points where a method was not run
    (NaN) are left out."""
    fig, ax = _figure_and_axes(ax)
    x = np.asarray(sweep.values, dtype=float)
    p_mc = np.asarray(sweep.p_mc, dtype=float)
    p_ch = np.asarray(sweep.p_chain, dtype=float)
    if np.isfinite(p_mc).any():
        ax.fill_between(
            x, sweep.ci_low, sweep.ci_high, color="tab:blue", alpha=0.25, label="Wilson 95% band"
        )
        ax.plot(x, p_mc, "o-", color="tab:blue", ms=4, label="Monte Carlo")
    if np.isfinite(p_ch).any():
        err = np.nan_to_num(np.asarray(sweep.grid_error, dtype=float))
        ax.errorbar(
            x,
            p_ch,
            yerr=err,
            fmt="s",
            color="tab:red",
            ms=6,
            mfc="none",
            capsize=3,
            label="chain solver (± grid error)",
        )
    ax.set_xlabel(sweep.param)
    if len(x) <= 12 and np.all(x == np.round(x)):
        ax.set_xticks(x)
    ax.set_ylabel("P(ends at the global maximum)")
    ax.set_ylim(-0.02, 1.02)
    ax2 = ax.twinx()
    ax2.plot(x, sweep.global_value, "d--", color="tab:green", ms=5, label="V of global maximum")
    ax2.set_ylabel("V of the global maximum", color="tab:green")
    ax2.tick_params(axis="y", colors="tab:green")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="best")
    ax.set_title(
        f"{sweep.family}: convergence to the global maximum against {sweep.param}", fontsize=10
    )
    return fig


# -- basins of the θ-chain --------------------------------------------------------------------
def basin_figure(chain, env=None, index=0, ax=None):
    """Absorption probabilities h_j(y) of the θ-chain (policy gradient with step size α).

    Drawn from a :class:`pgweyl.landscape.ChainResult` on its grid of y = Lθ: 1-D — every
    h_j(y) = P(policy gradient from θ(y) ends at maximum j) as a line (``index`` is not
    used); 2-D — a heat map of h_index with a colour bar "P(ends at maximum <support>)"
    and its 0.5 contour. ``env`` (optional) names the steps and axes."""
    dim = len(chain.axes)
    n_max = len(chain.maxima)
    if not 0 <= int(index) < n_max:
        raise ArgumentError(f"index must be in 0..{n_max - 1}, got {index}")
    if dim not in (1, 2):
        raise ArgumentError(f"basin_figure draws 1-D and 2-D chains, not {dim}-D")
    fig, ax = _figure_and_axes(ax)
    names = _y_labels(env, dim)

    def label(j):
        m = chain.maxima[j]
        return f"P(ends at maximum {_support_label(env, m.support)})"

    if dim == 1:
        y = chain.axes[0]
        for j in range(n_max):
            ax.plot(y, chain.h[j], lw=1.6, label=f"{label(j)}, V = {chain.maxima[j].value:.4f}")
        ax.set_xlabel(names[0])
        ax.set_ylabel("absorption probability h_j(y)")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=8, loc="best")
    else:
        a1, a2 = chain.axes
        h = chain.h[int(index)].T  # h[j] is indexed (y1, y2); imshow wants rows = y2
        im = ax.imshow(
            h,
            origin="lower",
            extent=(a1[0], a1[-1], a2[0], a2[-1]),
            cmap="magma",
            vmin=0.0,
            vmax=1.0,
            aspect="auto",
        )
        fig.colorbar(im, ax=ax, label=label(int(index)))
        if h.min() < 0.5 < h.max():
            cs = ax.contour(a1, a2, h, levels=[0.5], colors="c", linewidths=1.2)
            ax.clabel(cs, fmt="0.5", fontsize=8)
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
    ax.set_title(f"basins of the θ-chain, α = {chain.lr:g}, ε = {chain.eps:.2g}", fontsize=10)
    return fig


__all__ = [
    "alcove_figure",
    "basin_figure",
    "difficulty_figure",
    "landscape_figure",
    "save_figure",
    "value_distribution_figure",
]
