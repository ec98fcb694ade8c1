"""The rule comparison of :func:`pgweyl.compare` drawn: P(ends at the global maximum)
against the step size (log axis) or a catalog knob, one colour per rule."""

from __future__ import annotations

import numpy as np

from pgweyl.plot._base import COLORS, figure_and_axes


def compare_figure(result, ax=None):
    """P(global maximum) against the x axis, one colour per rule: Monte Carlo with its
    Wilson band, the chain solver as open squares with grid-error bars."""
    fig, ax = figure_and_axes(ax)
    x = np.asarray(result.x_values, dtype=float)
    for i, rule in enumerate(result.rules):
        c = COLORS[(i + 1) % len(COLORS)]
        if np.isfinite(result.p_mc[i]).any():
            ax.fill_between(x, result.ci_low[i], result.ci_high[i], color=c, alpha=0.2)
            ax.plot(x, result.p_mc[i], "o-", color=c, ms=4, label=f"{rule} (Monte Carlo)")
        if np.isfinite(result.p_chain[i]).any():
            ax.errorbar(
                x,
                result.p_chain[i],
                yerr=np.nan_to_num(result.grid_error[i]),
                fmt="s",
                mfc="none",
                color=c,
                capsize=3,
                label=f"{rule} (chain solver)",
            )
    ax.set_xlabel(result.x_name)
    if result.x_name == "lr":
        from matplotlib.ticker import NullFormatter

        ax.set_xscale("log")
        ax.set_xticks(x, [f"{v:g}" for v in x])
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("P(ends at the global maximum)")
    ax.set_ylim(-0.02, 1.02)
    # two columns along the bottom: the probabilities rarely go below 0.2, and "best"
    # put the eight entries over the data
    ax.legend(fontsize=7, loc="lower center", ncol=2)
    ax.set_title(f"{result.env}: update rules compared (95% Wilson bands)", fontsize=10)
    return fig
