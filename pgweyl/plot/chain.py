"""Figures of the θ-chain in time and in ε (issue 21): P(absorbed at each maximum by
update n) against n, and P(first entry within ε) against ε with the ε → 0 limit.

Drawing only: the data are a :class:`pgweyl.landscape.chain.markov.AbsorbedBy`
(:meth:`ThetaChain.absorbed_by`) and plain arrays of (ε, P(ε), error), with the limit
value passed in (e.g. from ``chain_absorption(env, lr, eps=0.0)``).

>>> import numpy as np
>>> import matplotlib.pyplot as plt
>>> fig = eps_figure([1e-2, 1e-3, 1e-4], [0.39, 0.377, 0.365], limit=0.34)
>>> len(fig.axes[0].lines)  # P(ε) and the limit
2
>>> plt.close(fig)
"""

from __future__ import annotations

import numpy as np

from pgweyl.errors import ArgumentError
from pgweyl.plot._base import COLORS, figure_and_axes, support_label


def absorbed_by_figure(result, maxima=None, env=None, ax=None):
    """P(absorbed at maximum j by update n) against n (log axis), one line per maximum
    with its error band (``result.error``), and the total.

    ``result``: an :class:`AbsorbedBy` (several n, e.g. ``np.unique(np.geomspace(1, 1e6,
    60).astype(int))``); ``maxima``: the chain's maxima (for the legend; default "maximum
    j"); ``env``: names the steps of each face. Returns the Figure.

    >>> import pgweyl as pw, matplotlib.pyplot as plt
    >>> env = pw.make_env("corridor")
    >>> chain = pw.theta_chain(env, 1.0, grid=129)
    >>> res = chain.absorbed_by([0.0, 0.0], [1, 10, 100, 1000, 10_000])
    >>> fig = absorbed_by_figure(res, chain.maxima, env)
    >>> plt.close(fig)
    """
    n = np.asarray(result.n, dtype=float)
    p = np.asarray(result.probabilities)
    err = np.asarray(result.error)
    if len(n) < 2:
        raise ArgumentError("absorbed_by_figure needs the result at two or more n")
    fig, ax = figure_and_axes(ax, figsize=(6.4, 4.0))
    x = np.maximum(n, 0.5)  # n = 0 drawn at the left edge of a log axis
    for j in range(p.shape[1]):
        color = COLORS[j % len(COLORS)]
        if maxima is not None:
            m = maxima[j]
            name = f"{support_label(env, m.support)} (V = {m.value:.3g})"
        else:
            name = f"maximum {j}"
        ax.plot(x, p[:, j], color=color, label=name)
        ax.fill_between(
            x,
            np.clip(p[:, j] - err[:, j], 0, 1),
            np.clip(p[:, j] + err[:, j], 0, 1),
            color=color,
            alpha=0.2,
            lw=0,
        )
    ax.plot(x, p.sum(axis=1), color="0.3", ls="--", label="absorbed (all maxima)")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("update n")
    ax.set_ylabel("P(absorbed at the maximum by update n)")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def eps_figure(eps, probability, error=None, limit=None, limit_error=None, label=None, ax=None):
    """P(first entry within ε of a maximum) against ε (log axis), with the ε → 0 limit as
    a horizontal line (``limit``; band ± ``limit_error``).

    ``eps``, ``probability`` (and optional ``error``): arrays of the same length, e.g.
    ``chain_absorption(env, lr, eps=e).at(θ₀)[j]`` for several ε; ``label``: the
    maximum's name. Returns the Figure."""
    e = np.asarray(eps, dtype=float)
    p = np.asarray(probability, dtype=float)
    if e.shape != p.shape or e.ndim != 1 or len(e) < 1 or np.any(e <= 0):
        raise ArgumentError("eps and probability must be equal-length vectors with eps > 0")
    order = np.argsort(e)
    e, p = e[order], p[order]
    fig, ax = figure_and_axes(ax, figsize=(6.4, 4.0))
    name = label or "P(first entry within ε)"
    if error is not None:
        err = np.asarray(error, dtype=float)[order]
        ax.errorbar(e, p, yerr=err, color=COLORS[0], marker="o", ms=4, capsize=3, label=name)
    else:
        ax.plot(e, p, color=COLORS[0], marker="o", ms=4, label=name)
    if limit is not None:
        ax.axhline(limit, color="0.2", ls="--", label=f"limit ε → 0: {limit:.4f}")
        if limit_error is not None:
            ax.axhspan(limit - limit_error, limit + limit_error, color="0.5", alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.invert_xaxis()  # ε shrinks to the right, toward the limit
    ax.set_xlabel("ε (total-variation radius of the absorbing regions)")
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


__all__ = ["absorbed_by_figure", "eps_figure"]
