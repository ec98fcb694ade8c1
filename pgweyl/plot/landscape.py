"""The value-landscape figure (drawing only; the data are
:func:`pgweyl.plot.data.landscape_data`)."""

from __future__ import annotations

from pgweyl.plot._base import COLORS, figure_and_axes, vector_text, y_labels
from pgweyl.plot.data import landscape_data

_BOX = {"boxstyle": "round", "fc": "k", "alpha": 0.6, "ec": "none"}


def _where(mark) -> str:
    if mark.at_infinity:
        return f"at infinity (face {mark.label})"
    return f"at y = {vector_text(mark.y, '{:.3g}')}"


def _mark_1d(ax, mark, col) -> None:
    """A maximum of the corridor: its value as a dashed line, an arrow at the window's
    end toward it when it lies at infinity."""
    ax.axhline(mark.value, ls="--", color=col, lw=1.2)
    where = _where(mark)
    if mark.at_infinity:
        where = f"at y → {'+' if mark.direction[0] > 0 else '−'}∞ (face {mark.label})"
    text = f"max {mark.label}: V = {mark.value:.4f}, {where}"
    if mark.edge is None:
        ax.plot(mark.y[0], mark.value, "*", color=col, ms=14, mec="k", zorder=5)
        ax.annotate(
            text,
            (mark.y[0], mark.value),
            xytext=(0, 8),
            textcoords="offset points",
            ha="center",
            color=col,
            fontsize=9,
        )
        return
    right = mark.direction[0] > 0
    ax.annotate(
        text,
        (mark.edge[0], mark.value),
        xytext=(-30 if right else 30, 10),
        textcoords="offset points",
        ha="right" if right else "left",
        va="bottom",
        color=col,
        fontsize=9,
        arrowprops={"arrowstyle": "-|>", "color": col, "lw": 1.4},
    )


def _mark_2d(ax, mark, span) -> None:
    """A star at a finite maximum inside the window; otherwise an arrow ending on the
    window's edge and pointing the way to it (for a face of conv(S): its direction at
    infinity), with a note."""
    text = f"max {mark.label}, V = {mark.value:.4f}\n{_where(mark)}"
    if mark.edge is None:
        ax.plot(*mark.y, "*", color="tab:red", ms=16, mec="k", zorder=5)
        ax.annotate(
            text,
            tuple(mark.y),
            xytext=(10, 10),
            textcoords="offset points",
            color="w",
            fontsize=8,
            bbox=_BOX,
            zorder=6,
        )
        return
    tail = mark.edge - 0.22 * span * mark.direction
    ha = "right" if mark.direction[0] > 0.3 else "left" if mark.direction[0] < -0.3 else "center"
    va = "top" if mark.direction[1] > 0.3 else "bottom" if mark.direction[1] < -0.3 else "center"
    ax.annotate(
        text,
        tuple(mark.edge),
        xytext=tuple(tail),
        textcoords="data",
        ha=ha,
        va=va,
        color="w",
        fontsize=8,
        bbox=_BOX,
        zorder=6,
        gid="maximum",
        arrowprops={"arrowstyle": "-|>", "color": "tab:red", "lw": 2.2, "mutation_scale": 18},
    )


def landscape_figure(env, maxima=None, span=6.0, resolution=81, ax=None):
    """V over the effective coordinates y = Lθ, with the local maxima.

    1-D (corridor, y = θ1 − θ2): V(θ(y)) on [−span, span] as a line, and each local
    maximum's value — the limit of V as π_θ enters its face — as a dashed horizontal line
    labelled by its support, with an arrow at the end of the window on the side where
    it lies (at y → ±∞). 2-D (triangle: y_i = θ_i − θ3; triangle-signed: y = θ): V on
    [−span, span]² interpolated between the grid points (Gouraud shading), streamlines
    of L ∇V(θ(y)) — the image under y = Lθ of the gradient flow dθ/dt = ∇V, the α → 0
    limit of policy gradient — and the maxima: a maximum on a face of conv(S) lies at
    infinity in θ, so it is drawn as an arrow ending on the window's edge, pointing
    along its direction L u (u normal to the face), noted "at infinity (face …)"; a
    finite maximum is a star at y = Lθ. θ(y) is :meth:`AlcoveWalkEnv.lift`; ``maxima``
    defaults to ``local_maxima(env, basin_samples=0)``. Effective dimension > 2 raises
    ArgumentError. Data: :func:`pgweyl.plot.data.landscape_data`."""
    data = landscape_data(env, maxima, span=span, resolution=resolution)
    dim = len(data.axes)
    names = y_labels(env, dim)
    fig, ax = figure_and_axes(ax)
    axis = data.axes[0]
    if dim == 1:
        ax.plot(axis, data.values, color="k", lw=1.8, label="V(θ(y))")
        for k, mark in enumerate(data.marks):
            _mark_1d(ax, mark, COLORS[k % len(COLORS)])
        top = max([float(data.values.max())] + [m.value for m in data.marks])
        low = min([float(data.values.min())] + [m.value for m in data.marks])
        ax.set_ylim(low - 0.05 * (top - low), top + 0.15 * (top - low) + 1e-9)
        ax.set_ylabel("V")
        ax.legend(loc="lower right", fontsize=8)
    else:
        im = ax.pcolormesh(
            axis, axis, data.values.T, shading="gouraud", cmap="viridis", rasterized=True
        )
        fig.colorbar(im, ax=ax, label="V(θ(y))")
        g = data.grads
        ax.streamplot(
            axis,
            axis,
            g[..., 0].T,
            g[..., 1].T,
            color="w",
            linewidth=0.7,
            density=1.1,
            arrowsize=0.8,
        )
        for mark in data.marks:
            _mark_2d(ax, mark, data.span)
        ax.set_ylim(axis[0], axis[-1])
        ax.set_ylabel(names[1])
    ax.set_xlim(axis[0], axis[-1])
    ax.set_xlabel(names[0])
    n_inf = sum(m.at_infinity for m in data.marks)
    ax.set_title(
        f"value landscape of {env.cartan} level {env.level}: {len(data.maxima)} local maxima"
        + (f", {n_inf} at infinity (arrows)" if n_inf else ""),
        fontsize=10,
    )
    return fig


__all__ = ["landscape_figure"]
