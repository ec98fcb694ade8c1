"""The value-distribution figure: exit-time laws per wall, exact against Monte Carlo
(drawing only; the data are :func:`pgweyl.plot.data.value_distribution_data`)."""

from __future__ import annotations

import numpy as np

from pgweyl.errors import ArgumentError
from pgweyl.plot._base import COLORS, integer_axis, pyplot, vector_text
from pgweyl.plot.data import value_distribution_data


def _panels(ax, n: int):
    """(figure, one Axes per wall, own figure?) for ``ax`` None, one Axes or a list."""
    if ax is None:
        fig, axes = pyplot().subplots(n, 1, sharex=True, squeeze=False, figsize=(7, 2.6 + 1.6 * n))
        return fig, list(axes[:, 0]), True
    many = isinstance(ax, (list, tuple, np.ndarray))
    axes = list(np.ravel(np.asarray(ax, dtype=object))) if many else [ax] * n
    if len(axes) != n:
        raise ArgumentError(f"give one Axes per wall with exit mass ({n})")
    return axes[0].figure, axes, False


def _header(env, data) -> str:
    steps = ", ".join(env.steps.labels())
    return (
        f"θ = {vector_text(data.theta)}: π = {vector_text(data.policy, '{:.3f}')} over ({steps})\n"
        f"V(θ) = {data.value:.5f} exact;  Monte Carlo mean return {data.mc_mean:.5f} "
        f"± {data.mc_se:.5f} ({data.n_episodes} episodes, seed {data.seed})"
    )


def value_distribution_figure(env, theta, n_episodes=20000, seed=0, ax=None):
    """Exit-time law on each wall: Monte Carlo histogram against the exact value distribution.

    One panel per wall j with exit mass (shared, integer time axis): bars are the
    relative frequencies #{episodes with T = n exiting on wall j} / ``n_episodes`` from
    :func:`pgweyl.simulate_episodes` (``seed``), the line with markers the exact
    P_θ(T = n, X_T on wall j) = Σ_{b on wall j} F_n(λ, b) exp((θ, b − λ) − n A(θ)) from
    ``env.value_distribution(θ)``. A corner point counts for each of its walls, so the
    panels can add up to more than 1. Times are shown up to the 99.9% quantile of T.
    The title states θ and the policy π_θ over the steps, and compares V(θ) exact with
    the Monte Carlo mean return (± its standard error). ``ax``: None (new figure), one
    Axes (all walls overlaid) or one Axes per wall. Data:
    :func:`pgweyl.plot.data.value_distribution_data`."""
    data = value_distribution_data(env, theta, n_episodes=n_episodes, seed=seed)
    fig, axes, own = _panels(ax, len(data.walls))
    t = data.times
    for k, (j, a) in enumerate(zip(data.walls, axes)):
        col = COLORS[(k + 1) % len(COLORS)]
        r = "" if data.wall_rewards is None else f", r = {data.wall_rewards[k]:g}"
        a.bar(t, data.mc[k], width=0.85, color=col, alpha=0.45, label=f"Monte Carlo, wall {j}{r}")
        shown = data.exact[k] > 0
        a.plot(
            t[shown],
            data.exact[k][shown],
            "o-",
            color="k" if own else col,
            ms=3,
            lw=1,
            label=f"exact P(T = n, wall {j})",
        )
        a.set_ylabel("probability")
        a.legend(fontsize=8, loc="upper right")
        if own:
            a.set_title(f"wall {j}{r}: P(exit on wall {j}) = {data.wall_mass[k]:.4f}", fontsize=9)
        integer_axis(a.xaxis)
    axes[-1].set_xlabel("exit time T = n")
    if own:
        fig.suptitle(_header(env, data), fontsize=10)
        fig.tight_layout()
    else:
        axes[0].set_title(_header(env, data), fontsize=9)
    return fig


__all__ = ["value_distribution_figure"]
