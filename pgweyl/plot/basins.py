"""Figures of convergence probabilities: the θ-chain's basins and the difficulty sweep
(drawing only; the basin data are :func:`pgweyl.plot.data.basin_data`)."""

from __future__ import annotations

import numpy as np

from pgweyl.plot._base import COLORS, figure_and_axes, integer_axis, support_label, y_labels
from pgweyl.plot.data import basin_data


def _eps_note(data) -> str:
    return f"ε = {data.eps:.2g}: absorbing radius (total variation) around each maximum"


def _absorbing_1d(ax, data) -> str:
    """Shade the intervals of y whose policy is within ε of a maximum; return them as text."""
    y, inside = data.axes[0], np.flatnonzero(data.absorbing >= 0)
    half = (y[1] - y[0]) / 2
    runs = np.split(inside, np.flatnonzero(np.diff(inside) > 1) + 1) if len(inside) else []
    parts = []
    for run in runs:
        ax.axvspan(y[run[0]] - half, y[run[-1]] + half, color="0.5", alpha=0.2, lw=0, zorder=0)
        lo, hi = y[run[0]], y[run[-1]]
        parts.append(
            f"y ≤ {hi:.3g}"
            if run[0] == 0
            else f"y ≥ {lo:.3g}"
            if run[-1] == len(y) - 1
            else f"{lo:.3g} ≤ y ≤ {hi:.3g}"
        )
    text = "absorbing: π within ε of a maximum" + (f" ({', '.join(parts)})" if parts else "")
    ax.fill_between([], [], color="0.5", alpha=0.2, lw=0, label=text.replace("-", "−"))
    return text


def _absorbing_2d(ax, data) -> None:
    """Hatch (grey, visible on dark and light) the regions of y whose policy is within ε
    of a maximum, outlined in white."""
    import matplotlib as mpl
    from matplotlib.patches import Patch

    a1, a2 = data.axes
    mask = (data.absorbing >= 0).astype(float).T
    label = "absorbing: π within ε of a maximum"
    with mpl.rc_context({"hatch.color": "0.6", "hatch.linewidth": 0.8}):
        if mask.any():
            ax.contourf(a1, a2, mask, levels=[0.5, 1.5], colors="none", hatches=["///"])
            ax.contour(a1, a2, mask, levels=[0.5], colors="w", linewidths=0.8)
        handle = Patch(fc="none", ec="0.6", hatch="///", label=label)
    ax.legend(handles=[handle], loc="upper left", fontsize=8, framealpha=0.85)


def basin_figure(chain, env=None, index=0, ax=None):
    """Absorption probabilities h_j(y) of the θ-chain (policy gradient with step size α).

    Drawn from a :class:`pgweyl.landscape.ChainResult` on its grid of y = Lθ (read
    through ``axes``, ``h``, ``maxima``, ``lr``, ``eps`` only): 1-D — every
    h_j(y) = P(policy gradient from θ(y) ends at maximum j) as a line (``index`` is not
    used); 2-D — h_index as a smooth map (the chain's multilinear interpolation between
    its nodes, Gouraud-shaded) with a colour bar "P(ends at maximum <support>)" and its
    0.5 contour. The title says what ε is: the absorbing radius, in total variation,
    around each maximum (a run stops once its policy is that close). With ``env`` the
    steps and axes are named and the absorbing regions are shaded (1-D) or hatched
    (2-D). Data: :func:`pgweyl.plot.data.basin_data`."""
    data = basin_data(chain, index, env=env)
    dim = len(data.axes)
    fig, ax = figure_and_axes(ax)
    names = y_labels(env, dim)

    def label(j):
        return f"P(ends at maximum {support_label(env, data.maxima[j].support)})"

    if dim == 1:
        for j, m in enumerate(data.maxima):
            ax.plot(
                data.axes[0],
                data.h[j],
                lw=1.6,
                color=COLORS[(j + 1) % len(COLORS)],
                label=f"{label(j)}, V = {m.value:.4f}",
            )
        if data.absorbing is not None:
            _absorbing_1d(ax, data)
        ax.set_ylabel("absorption probability h_j(y)")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    else:
        a1, a2 = data.axes
        h = data.h[data.index].T  # h[j] is indexed (y1, y2); rows of the image follow y2
        im = ax.pcolormesh(
            a1, a2, h, shading="gouraud", cmap="magma", vmin=0.0, vmax=1.0, rasterized=True
        )
        fig.colorbar(im, ax=ax, label=label(data.index))
        if h.min() < 0.5 < h.max():
            cs = ax.contour(a1, a2, h, levels=[0.5], colors="c", linewidths=1.2)
            ax.clabel(cs, fmt="0.5", fontsize=8)
        if data.absorbing is not None:
            _absorbing_2d(ax, data)
        ax.set_ylabel(names[1])
    ax.set_xlabel(names[0])
    ax.set_title(f"basins of the θ-chain, α = {data.lr:g}\n{_eps_note(data)}", fontsize=10)
    return fig


def difficulty_figure(sweep, ax=None):
    """P(policy gradient ends at the followed maximum) against a difficulty knob.

    Drawn from a :class:`pgweyl.study.SweepResult`: the Monte Carlo share with its
    Wilson 95% band (``ci_low``..``ci_high``), the chain solver's absorption
    probability (first entry into the ε-ball) as markers with error bars = its grid
    error, the ε → 0 limit where the sweep solved it (``p_limit`` ± ``limit_error``), and
    on a second y-axis the value of the followed maximum (the global one by default). A
    dotted vertical line marks each value where the global maximum changes (between that
    value and the one before). Points where a method was not run (NaN) are left out; an
    integer knob (the level) gets integer ticks."""
    fig, ax = figure_and_axes(ax)
    x = np.asarray(sweep.values, dtype=float)
    p_mc, p_ch = np.asarray(sweep.p_mc, float), np.asarray(sweep.p_chain, float)
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
            label="chain solver, first entry into the ε-ball (± grid error)",
        )
    p_lim = np.asarray(getattr(sweep, "p_limit", np.full(len(x), np.nan)), dtype=float)
    if np.isfinite(p_lim).any():
        ax.errorbar(
            x,
            p_lim,
            yerr=np.nan_to_num(np.asarray(sweep.limit_error, dtype=float)),
            fmt="^",
            color="tab:purple",
            ms=6,
            mfc="none",
            capsize=3,
            label="chain solver, limit n → ∞ (ε → 0)",
        )
    ax.set_xlabel(sweep.param)
    if np.all(x == np.round(x)):
        ax.set_xticks(x) if len(x) <= 12 else integer_axis(ax.xaxis)
    follow = getattr(sweep, "follow", "global")
    what = {"global": "the global maximum", "treasure": "the treasure"}.get(
        follow, f"the maximum on steps {follow}"
    )  # as pgweyl.study.follow.describe (plot does not import study)
    ax.set_ylabel(f"P(ends at {what})")
    ax.set_ylim(-0.02, 1.02)
    mark_changes(ax, x, getattr(sweep, "global_changes", ()))
    ax2 = ax.twinx()
    v = sweep.global_value if follow == "global" else sweep.followed_value
    ax2.plot(x, v, "d--", color="tab:green", ms=5, label=f"V of {what}")
    ax2.set_ylabel(f"V of {what}", color="tab:green")
    ax2.tick_params(axis="y", colors="tab:green")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="best")
    ax.set_title(f"{sweep.family}: convergence to {what} against {sweep.param}", fontsize=10)
    return fig


def mark_changes(ax, x, at, label="global maximum changes", color="0.35") -> list:
    """Dotted vertical lines halfway between each value of ``at`` and the value of ``x``
    before it (where the global maximum changes); the first carries ``label``. Returns
    the x positions drawn."""
    x = np.asarray(x, dtype=float)
    drawn = []
    for v in at:
        k = int(np.flatnonzero(x == float(v))[0])
        pos = 0.5 * (x[k - 1] + x[k]) if k > 0 else x[k]
        ax.axvline(pos, color=color, ls=":", lw=1.2, label=None if drawn else label)
        drawn.append(pos)
    return drawn


__all__ = ["basin_figure", "difficulty_figure", "mark_changes"]
