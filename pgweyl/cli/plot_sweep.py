"""``pgweyl plot-sweep PATH``: a figure from a sweep store (:func:`pgweyl.study.sweep.plot_sweep`).

pgweyl plot-sweep PATH [--x PARAM] [--hue PARAM] [--select NAME=VALUE]
                  [--follow global|treasure|LABEL] [--plot FILE]
"""

from __future__ import annotations

from pgweyl._version import __version__
from pgweyl.cli.output import EXIT_OK, Outcome
from pgweyl.cli.sweep import add_follow_option
from pgweyl.env.spec import parse_scalar
from pgweyl.errors import ArgumentError
from pgweyl.serialize import check_output_path, figure_paths

ENV = False
COMMON = {"seed": False, "json": True}

HELP = "a figure from a sweep store"


def add_arguments(parser) -> None:
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
    add_follow_option(parser)
    parser.add_argument(
        "--plot", default=None, metavar="FILE", help="figure (default: beside the store)"
    )


def run(args) -> Outcome:
    """Draw the figure (written by the caller, beside the store unless --plot says)."""
    from pgweyl.study.follow import parse_follow
    from pgweyl.study.sweep.figure import plot_sweep
    from pgweyl.study.sweep.store import open_sweep

    follow = parse_follow(args.follow)
    if args.plot is None:  # beside the store; checked here as the others were before
        stem = str(args.store).rstrip("/")
        args.plot = stem[: -len(".zarr")] if stem.endswith(".zarr") else stem
        for path in figure_paths(args.plot):
            check_output_path(path, "figure")
    select = {}
    for text in args.select:
        name, eq, value = text.partition("=")
        if not eq or not name.strip():
            raise ArgumentError(f"--select {text!r}: expected NAME=VALUE")
        select[name.strip()] = parse_scalar(value)
    ds = open_sweep(args.store)
    fig = plot_sweep(ds, x=args.x, hue=args.hue, select=select, follow=follow)
    paths = [str(p) for p in figure_paths(args.plot)]
    data = {
        "pgweyl_version": __version__,
        "store": str(args.store),
        "follow": follow,
        "figures": paths,
    }
    return Outcome(data, lambda _d: [f"wrote {paths[0]} and {paths[1]}"], EXIT_OK, fig)
