"""The ``pgweyl sweep`` and ``pgweyl plot-sweep`` commands (argument parsing and output).

    pgweyl sweep ENV --param NAME=VALUES [--param ...] [--store PATH.zarr]
                 [--workers N | --scheduler ADDRESS] [--runs N] [--updates N] [--lr A]
                 [--theta0 ...] [--eps E] [--rule R] [--method auto|mc|chain|both]
                 [--grid N] [--seed S] [--plot FILE] [--json [FILE]] [--quiet]
    pgweyl plot-sweep PATH [--x PARAM] [--hue PARAM] [--select NAME=VALUE] [--plot FILE]

VALUES is ``a,b,c`` or an integer range ``start:stop[:step]`` (both ends included);
``theta0`` takes vectors ``a,b;c,d``. ``--workers 0`` runs in this process without Dask.

The functions here are wired into :mod:`pgweyl.cli`: ``add_sweep_arguments(parser)``
and ``add_plot_arguments(parser)`` fill a subparser; ``run_sweep(args)`` and
``run_plot(args)`` do the work and return ``(data, text)`` — JSON-ready data and the
table for a terminal. Bad input raises a :class:`pgweyl.PgweylError` with a one-line
message; :mod:`pgweyl.cli.main` writes the output files (one atomic transaction).
"""

from __future__ import annotations

import json
import math

import numpy as np

from pgweyl.errors import ArgumentError
from pgweyl.serialize import jsonable


def add_sweep_arguments(parser, common: bool = True) -> None:
    """The arguments of ``pgweyl sweep``; ``common``: also ``--seed``, ``--quiet`` and
    ``--json`` (leave them out when the caller adds its own)."""
    parser.add_argument("env", metavar="ENV", help="catalog name with knobs, or a TOML file")
    parser.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="NAME=VALUES",
        help="a knob or lr/theta0/rule/eps/n_updates with values a,b,c or start:stop[:step]; "
        "repeat for a grid",
    )
    parser.add_argument("--store", default=None, metavar="PATH", help="Zarr store (resumable)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="local Dask worker processes (default: one per core; 0: in this process)",
    )
    where.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="an existing Dask scheduler"
    )
    parser.add_argument("--lr", type=float, default=None, help="step size (default 1.0)")
    parser.add_argument("--rule", default=None, help="update rule (default vanilla)")
    add_run_options(parser)
    if common:
        add_common_options(parser)


def add_run_options(parser, int_type=int, real_type=float, updates=None) -> None:
    """``--theta0``, ``--updates``, ``--runs``, ``--method``, ``--eps``, ``--grid`` and
    ``--plot``: the run options ``pgweyl sweep``, ``converge`` and ``compare`` share
    (:func:`run_keywords` maps them to the library's keywords). Numbers are parsed by
    ``int_type``/``real_type``; ``updates``: the default of ``--updates`` (None: the
    library's, 200000, so that a sweep may vary it)."""
    parser.add_argument("--theta0", type=real_type, nargs="+", help="start theta (default 0)")
    parser.add_argument(
        "--updates", type=int_type, default=updates, help="updates per run (default 200000)"
    )
    parser.add_argument("--runs", type=int_type, default=10_000, help="Monte Carlo runs per point")
    parser.add_argument(
        "--method",
        choices=("auto", "mc", "chain", "both"),
        default="auto",
        help="auto (default): Monte Carlo, and the chain solver where it applies",
    )
    parser.add_argument(
        "--eps",
        type=real_type,
        default=None,
        help="absorbing radius in total variation (default sigmoid(-8))",
    )
    parser.add_argument("--grid", type=int_type, default=None, help="chain solver grid per axis")
    parser.add_argument(
        "--plot", default=None, metavar="FILE", help="figure: FILE.png and FILE.pdf"
    )


def run_keywords(args) -> dict:
    """The library keywords of the run options (:func:`add_run_options`) a command parsed:
    ``theta0``, ``n_updates``, ``eps``, ``seed``, ``method`` and ``grid`` (the runs are
    ``runs`` in :func:`pgweyl.sweep` and ``n_runs`` elsewhere, so the caller names them)."""
    return {
        "theta0": args.theta0,
        "n_updates": args.updates,
        "eps": args.eps,
        "seed": getattr(args, "seed", 0),
        "method": args.method,
        "grid": args.grid,
    }


def add_plot_arguments(parser, common: bool = True) -> None:
    """The arguments of ``pgweyl plot-sweep``; ``common``: also ``--quiet``/``--json``."""
    parser.add_argument("store", metavar="PATH", help="a sweep store (made by pgweyl sweep)")
    parser.add_argument("--x", default=None, metavar="PARAM", help="param on the x axis")
    parser.add_argument("--hue", default=None, metavar="PARAM", help="one line per value")
    parser.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fix another param (repeat)",
    )
    parser.add_argument(
        "--plot", default=None, metavar="FILE", help="figure (default: beside the store)"
    )
    if common:
        add_common_options(parser, seed=False)


def add_common_options(parser, seed: bool = True, seed_type=int) -> None:
    """``--quiet``, ``--seed`` (when ``seed``; parsed by ``seed_type``) and ``--json``:
    the options every pgweyl command shares (:mod:`pgweyl.cli` uses this too)."""
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    if seed:
        parser.add_argument("--seed", type=seed_type, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        default=None,
        metavar="FILE",
        help="JSON output (to stdout, or to FILE)",
    )


def _check_output(path, what: str) -> None:
    """The one output check of pgweyl (:func:`pgweyl.serialize.check_output_path`)."""
    from pgweyl.serialize import check_output_path, figure_paths

    if path is None or path == "-":
        return
    for target in figure_paths(path) if what == "plot" else [path]:
        check_output_path(target, what)


def _finite(name: str, value) -> None:
    if value is not None and not math.isfinite(value):
        raise ArgumentError(f"--{name} must be a finite number, got {value}")


def run_sweep(args):
    """Run ``pgweyl sweep``: returns (JSON-ready data, the table as text)."""
    from pgweyl.study.sweep import sweep
    from pgweyl.study.sweep.grid import parse_param

    params = {}
    for text in args.param:
        name, values = parse_param(text)
        if name in params:
            raise ArgumentError(f"--param {name} is given twice")
        params[name] = values
    for name in ("lr", "eps"):
        _finite(name, getattr(args, name))
    _check_output(getattr(args, "json", None), "JSON")
    _check_output(args.plot, "plot")
    if args.plot:
        several = [n for n, v in params.items() if len(v) > 1]
        if len(several) > 2:
            raise ArgumentError(
                f"--plot draws one or two swept params against each other; {', '.join(several)} "
                "have several values (use pgweyl plot-sweep with --select)"
            )
    quiet = getattr(args, "quiet", False)
    ds = sweep(
        args.env,
        params,
        runs=args.runs,
        store=args.store,
        client=args.scheduler,
        workers=args.workers,
        lr=args.lr,
        rule=args.rule,
        progress=False if quiet else None,
        **run_keywords(args),
    )
    data = dataset_summary(ds, args.store)
    if args.plot:
        from pgweyl.study.sweep.figure import plot_sweep

        _save(plot_sweep(ds), args.plot)
        data["figures"] = _figure_paths(args.plot)
    return data, summary_text(ds, args.store)


def run_plot(args):
    """Run ``pgweyl plot-sweep``: writes the figure; returns (data, text)."""
    from pgweyl.env.spec import parse_scalar
    from pgweyl.study.sweep.figure import plot_sweep
    from pgweyl.study.sweep.store import open_sweep

    out = args.plot
    if out is None:
        stem = str(args.store).rstrip("/")
        out = stem[: -len(".zarr")] if stem.endswith(".zarr") else stem
    _check_output(out, "plot")
    select = {}
    for text in args.select:
        name, eq, value = text.partition("=")
        if not eq or not name.strip():
            raise ArgumentError(f"--select {text!r}: expected NAME=VALUE")
        select[name.strip()] = parse_scalar(value)
    ds = open_sweep(args.store)
    fig = plot_sweep(ds, x=args.x, hue=args.hue, select=select)
    _save(fig, out)
    paths = _figure_paths(out)
    data = {"store": str(args.store), "figures": paths}
    return data, f"wrote {paths[0]} and {paths[1]}"


def _save(fig, path) -> None:
    import matplotlib.pyplot as plt

    from pgweyl.plot import save_figure

    try:
        save_figure(fig, path)
    finally:
        plt.close(fig)


def _figure_paths(path) -> list:
    from pgweyl.serialize import figure_paths

    return [str(p) for p in figure_paths(path)]


def dataset_summary(ds, store=None) -> dict:
    """The store's content as JSON-ready data: description and one row per point."""
    params = [d for d in ds["done"].dims]
    rows = []
    done = ds["done"].values
    for index in np.ndindex(*done.shape):
        if not done[index]:
            continue
        at = {p: ds[p].values[i].item() for p, i in zip(params, index)}
        n = int(ds["n_maxima"].values[index])
        row = {"index": list(index), "params": at, "n_maxima": n}
        for name in ("value", "probability", "ci_low", "ci_high", "chain", "grid_error"):
            row[name] = ds[name].values[index][:n]
        row["support"] = [str(s) for s in ds["support"].values[index][:n]]
        row["unresolved"] = float(ds["unresolved"].values[index])
        row["global_maximum"] = int(ds["global_maximum"].values[index])
        row["point_seed"] = int(ds["point_seed"].values[index])
        rows.append(row)
    return jsonable(
        {
            "store": None if store is None else str(store),
            "env": ds.attrs.get("env_spec"),
            "params": json.loads(ds.attrs["params"]),
            "settings": json.loads(ds.attrs["settings"]),
            "versions": json.loads(ds.attrs["versions"]),
            "maxima": ds.attrs.get("maxima"),
            "points": int(done.size),
            "done": int(done.sum()),
            "rows": rows,
        }
    )


def summary_text(ds, store=None) -> str:
    """A table: one line per point with P(global maximum) by Monte Carlo and chain."""
    params = [d for d in ds["done"].dims]
    done = ds["done"].values
    widths = [max(len(p), 8) for p in params]
    head = " ".join(f"{p:>{w}s}" for p, w in zip(params, widths))
    lines = [
        f"{ds.attrs.get('env_spec', 'sweep')}: P(policy gradient ends at the global maximum)",
        f"{head} {'V*':>9s} {'MC':>8s} {'95% CI':>17s} {'unres.':>7s} {'chain':>8s} {'± grid':>7s}",
    ]
    for index in np.ndindex(*done.shape):
        if not done[index]:
            continue
        g = int(ds["global_maximum"].values[index])
        cells = " ".join(
            f"{_cell(ds[p].values[i]):>{w}s}" for p, i, w in zip(params, index, widths)
        )

        def at(name, g=g, index=index):
            return float(ds[name].values[index][g])

        lines.append(
            f"{cells} {at('value'):9.5f} {at('probability'):8.4f} "
            f"[{at('ci_low'):.4f}, {at('ci_high'):.4f}] "
            f"{float(ds['unresolved'].values[index]):7.4f} {at('chain'):8.4f} "
            f"{at('grid_error'):7.4f}"
        )
    where = f"store {store}" if store is not None else "in memory (no --store)"
    lines.append(f"{int(done.sum())} of {done.size} points done; {where}")
    return "\n".join(lines)


def _cell(v) -> str:
    v = v.item() if isinstance(v, np.generic) else v
    return f"{v:g}" if isinstance(v, float) else str(v)


__all__ = [
    "add_common_options",
    "add_plot_arguments",
    "add_sweep_arguments",
    "dataset_summary",
    "run_plot",
    "run_sweep",
    "summary_text",
]
