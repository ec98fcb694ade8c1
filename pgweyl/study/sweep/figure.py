"""Figures from a sweep store: P(policy gradient ends at the global maximum, or at one
maximum followed by name), with the places where the global maximum changes marked."""

from __future__ import annotations

import numpy as np

from pgweyl.errors import ArgumentError
from pgweyl.plot._base import pyplot
from pgweyl.plot.basins import mark_changes
from pgweyl.study.follow import changes, describe, parse_follow


def _params(ds) -> list:
    return [d for d in ds["done"].dims]


def _is_numeric(coord) -> bool:
    return np.issubdtype(coord.dtype, np.number)


def _fmt(v) -> str:
    v = v.item() if isinstance(v, np.generic) else v
    return f"{v:g}" if isinstance(v, float) else str(v)


def select_lines(ds, x=None, hue=None, select=None):
    """The x param, the hue param (or None) and ``ds`` reduced to those two dims.

    ``select`` ({param: value}) fixes the other params; params with one value are
    dropped; anything left over is an error naming it."""
    params = _params(ds)
    select = dict(select or {})
    for name in select:
        if name not in params:
            raise ArgumentError(
                f"select: unknown param {name!r}; the store has {', '.join(params)}"
            )
    try:
        ds = ds.sel({k: v for k, v in select.items()})
    except KeyError as err:
        raise ArgumentError(f"select: no such value {err}") from None
    free = [p for p in params if p not in select]
    if x is None:
        numeric = [p for p in free if _is_numeric(ds[p]) and ds.sizes[p] > 1]
        if not numeric:
            numeric = [p for p in free if _is_numeric(ds[p])]
        if not numeric:
            raise ArgumentError(
                f"no numeric param to put on the x axis; the store has {', '.join(params)}"
            )
        x = numeric[0]
    if x not in free:
        raise ArgumentError(f"x: unknown or selected param {x!r}; free params: {', '.join(free)}")
    if not _is_numeric(ds[x]):
        raise ArgumentError(f"x: param {x!r} is not numeric; choose one of the numeric params")
    rest = [p for p in free if p != x and ds.sizes[p] > 1]
    if hue is None and len(rest) == 1:
        hue = rest[0]
    if hue is not None:
        if hue not in free or hue == x:
            raise ArgumentError(f"hue: {hue!r} is not a free param other than x ({x})")
        rest = [p for p in rest if p != hue]
    if rest:
        raise ArgumentError(
            f"params {', '.join(rest)} have several values: choose them with select "
            "(e.g. select={'" + rest[0] + "': ...}) or put one on hue"
        )
    drop = [p for p in free if p not in (x, hue)]
    ds = ds.isel({p: 0 for p in drop}) if drop else ds
    return x, hue, ds


def global_changes(sub, x: str) -> list:
    """The values of ``x`` (computed points only) where the global maximum's support
    differs from the one at the computed value before (``sub`` has the one dim ``x``)."""
    done = np.asarray(sub["done"].values, dtype=bool)
    g = sub["support"].isel(maximum=sub["global_maximum"])
    labels = [str(v) for v in np.asarray(g.values)[done]]
    return changes(list(np.asarray(sub[x].values)[done]), labels)


def plot_sweep(ds, x=None, hue=None, select=None, ax=None, follow="global"):
    """P(policy gradient ends at the followed maximum) against one param of a sweep store.

    One line per value of ``hue`` (default: the one other param with several values):
    the Monte Carlo share with its Wilson 95% band, and the chain solver's absorption
    probability as open squares with error bars = its grid error (where it ran). With a
    single line, the value of the global maximum is drawn on a second y-axis (as in
    :func:`pgweyl.plot.difficulty_figure`). ``x``: the param on the x axis (default: the
    first numeric one with several values); ``select``: {param: value} for the others.
    ``follow``: "global" (default: the best maximum at each point), "treasure" or a
    support label ("0", "1,2"; :mod:`pgweyl.study.follow`); absent maxima are left out.
    Dotted vertical lines mark where the global maximum changes along ``x`` (halfway
    between the two values; per line when there are several). Points not computed yet
    (``done`` False) are left out. Returns the Figure.

    >>> import pgweyl as pw
    >>> ds = pw.sweep("corridor", {"level": [4, 6], "lr": [0.5, 1.0]}, runs=50,
    ...               n_updates=300, workers=0, progress=False, method="mc")
    >>> fig = plot_sweep(ds, x="level")          # one line per lr
    >>> len(fig.axes[0].lines)
    2
    """
    from pgweyl.study.sweep.store import at_followed, followed

    follow = parse_follow(follow)
    x, hue, sub = select_lines(ds, x=x, hue=hue, select=select)
    if ax is None:
        fig, ax = pyplot().subplots(figsize=(6.4, 4.4))
    else:
        fig = ax.figure
    g = followed(sub, follow)
    keep = sub["done"]
    p_mc = at_followed(sub, "probability", g).where(keep)
    lo = at_followed(sub, "ci_low", g).where(keep)
    hi = at_followed(sub, "ci_high", g).where(keep)
    p_ch = at_followed(sub, "chain", g).where(keep)
    err = at_followed(sub, "grid_error", g).where(keep)
    value = at_followed(sub, "value", g).where(keep)
    what = describe(follow)
    hues = [None] if hue is None else list(sub[hue].values)
    changed = []
    single = len(hues) == 1
    xs = np.asarray(sub[x].values, dtype=float)
    for k, h in enumerate(hues):
        pick = (lambda a: a) if h is None else (lambda a, h=h: a.sel({hue: h}))
        mc = np.asarray(pick(p_mc).transpose(x).values, dtype=float)
        ch = np.asarray(pick(p_ch).transpose(x).values, dtype=float)
        colour_mc = "tab:blue" if single else f"C{k % 10}"
        colour_ch = "tab:red" if single else f"C{k % 10}"
        tag = "" if h is None else f"{hue} = {_fmt(h)}: "
        if np.isfinite(mc).any():
            ax.fill_between(
                xs,
                pick(lo).transpose(x).values,
                pick(hi).transpose(x).values,
                color=colour_mc,
                alpha=0.2,
                label="Wilson 95% band" if single else None,
            )
            ax.plot(xs, mc, "o-", color=colour_mc, ms=4, label=f"{tag}Monte Carlo")
        if np.isfinite(ch).any():
            ax.errorbar(
                xs,
                ch,
                yerr=np.nan_to_num(np.asarray(pick(err).transpose(x).values, dtype=float)),
                fmt="s",
                color=colour_ch,
                ms=6,
                mfc="none",
                capsize=3,
                label=f"{tag}chain solver (± grid error)",
            )
        label = None if changed else "global maximum changes"
        colour = "0.35" if single else colour_mc
        changed += mark_changes(ax, xs, global_changes(pick(sub), x), label, colour)
    ax.set_xlabel(x)
    if len(xs) <= 12 and np.all(xs == np.round(xs)):
        ax.set_xticks(xs)
    ax.set_ylabel(f"P(ends at {what})")
    ax.set_ylim(-0.02, 1.02)
    handles, labels = ax.get_legend_handles_labels()
    if single:
        ax2 = ax.twinx()
        v = np.asarray(value.transpose(x).values, dtype=float)
        ax2.plot(xs, v, "d--", color="tab:green", ms=5, label=f"V of {what}")
        ax2.set_ylabel(f"V of {what}", color="tab:green")
        ax2.tick_params(axis="y", colors="tab:green")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    if handles:
        ax.legend(handles, labels, fontsize=8, loc="best")
    name = ds.attrs.get("env_spec", "sweep")
    ax.set_title(f"{name}: convergence to {what} against {x}", fontsize=10)
    return fig


__all__ = ["global_changes", "plot_sweep", "select_lines"]
