"""``pgweyl sweep ENV --param NAME=VALUES ...``: convergence probabilities over a grid of
params, on Dask, into a resumable Zarr store (:func:`pgweyl.sweep`).

    pgweyl sweep ENV --param NAME=VALUES [--param ...] [--store PATH.zarr]
                 [--extend NAME=VALUES ...] [--follow global|treasure|LABEL]
                 [--workers N | --scheduler ADDRESS] [--runs N] [--updates N] [--lr A]
                 [--theta0 ...] [--eps E] [--rule R] [--method auto|mc|chain|both]
                 [--grid N] [--seed S] [--repair] [--plot FILE] [--json [FILE]] [--quiet]

VALUES is ``a,b,c`` or an integer range ``start:stop[:step]`` (both ends included);
``theta0`` takes vectors ``a,b;c,d``. ``--workers 0`` runs in this process without Dask.
``--extend NAME=VALUES`` adds the values after those of param NAME in the store (the
rest of the command as it made the store); only the new points run.
A store is checked whole before it is resumed or extended; a damaged one is refused with
one line naming the damage, and ``--repair`` keeps its intact points and computes the lost
ones again. One sweep at a time per store (a lock file ``.NAME.lock`` beside it).
The JSON is the store's content: its settings, ``pgweyl_version`` and versions, and one
row per point.
"""

from __future__ import annotations

import json
import logging
import signal
import warnings

import numpy as np

from pgweyl.cli.options import add_run_options, count, real, run_keywords
from pgweyl.cli.output import EXIT_OK, Outcome
from pgweyl.errors import ArgumentError
from pgweyl.serialize import figure_paths, jsonable

#: The ENV argument is declared here (main adds it for the others).
ENV = False

HELP = "convergence probabilities over a grid of params (Dask, Zarr)"


def add_arguments(parser) -> None:
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
    parser.add_argument(
        "--extend",
        action="append",
        default=None,
        metavar="NAME=VALUES",
        help="add these values of a swept param to the store (after the stored ones); repeat",
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="a damaged store: keep its intact points and compute the lost ones again",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=count,
        default=None,
        metavar="N",
        help="local Dask worker processes (default: one per core; 0: in this process)",
    )
    where.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="an existing Dask scheduler"
    )
    add_follow_option(parser)
    parser.add_argument("--lr", type=real, default=None, help="step size (default 1.0)")
    parser.add_argument("--rule", default=None, help="update rule (default vanilla)")
    add_run_options(parser)


def add_follow_option(parser) -> None:
    """``--follow global|treasure|LABEL`` (sweep and plot-sweep)."""
    parser.add_argument(
        "--follow",
        default="global",
        metavar="WHICH",
        help="the maximum reported: global (the best at each point, default), treasure "
        "(the one ending on wall 0) or a support label such as 0 or 1,2",
    )


def _param_values(option: str, texts) -> dict:
    """{name: values} from the NAME=VALUES texts of one repeated option (``--param``,
    ``--extend``); a name given twice is an error."""
    from pgweyl.study.sweep import parse_param

    values = {}
    for text in texts:
        name, vals = parse_param(text)
        if name in values:
            raise ArgumentError(f"{option} {name} is given twice")
        values[name] = vals
    return values


def run(args) -> Outcome:
    """Run the sweep; the figure (``--plot``) and the JSON are written by the caller."""
    from pgweyl.study.follow import parse_follow
    from pgweyl.study.sweep import sweep

    follow = parse_follow(args.follow)  # a bad --follow fails before any work
    params = _param_values("--param", args.param)
    extend = None
    if args.extend:
        if args.store is None:
            raise ArgumentError("--extend adds points to a store: give --store PATH")
        extend = _param_values("--extend", args.extend)
    if args.plot:
        several = [n for n, v in params.items() if len(v) > 1 or n in (extend or {})]
        if len(several) > 2:
            raise ArgumentError(
                f"--plot draws one or two swept params against each other; {', '.join(several)} "
                "have several values (use pgweyl plot-sweep with --select)"
            )
    keywords = run_keywords(args)
    # The contract is one line on a failure: Dask's client logs its retries as warnings,
    # and asyncio reports the gather it abandons when a cluster is lost.
    if args.workers != 0:
        try:
            import distributed  # noqa: F401 -- it sets its loggers' levels on import
        except ImportError:
            pass  # the sweep says what is missing
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.ERROR)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    # A write that fails inside zarr's async store (a full disk) abandons the coroutines
    # of the other pieces; the interpreter would report each at exit, after our one line.
    warnings.filterwarnings(
        "ignore", message="coroutine .* was never awaited", category=RuntimeWarning
    )
    if hasattr(signal, "SIGXFSZ"):  # a file-size limit: EFBIG (a one-line error), not death
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    ds = sweep(
        args.env,
        params,
        runs=keywords.pop("n_runs"),
        store=args.store,
        extend=extend,
        repair=args.repair,
        client=args.scheduler,
        workers=args.workers,
        progress=False if args.quiet else None,
        **keywords,
    )
    data = dataset_summary(ds, args.store, follow)
    figure = None
    if args.plot:
        from pgweyl.study.sweep.figure import plot_sweep

        figure = plot_sweep(ds, follow=follow)
        data["figures"] = [str(p) for p in figure_paths(args.plot)]
    text = summary_text(ds, args.store, follow)
    return Outcome(data, lambda _d: text.splitlines(), EXIT_OK, figure)


def dataset_summary(ds, store=None, follow="global") -> dict:
    """The store's content as JSON-ready data: description and one row per point (with
    ``followed``: the index of the followed maximum, None where it is absent)."""
    from pgweyl.study.sweep.store import followed

    params = [d for d in ds["done"].dims]
    rows = []
    done = ds["done"].values
    index_of = np.asarray(followed(ds, follow).values)
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
        row["treasure"] = int(ds["treasure"].values[index])
        row["followed"] = int(index_of[index]) if index_of[index] >= 0 else None
        row["point_seed"] = int(ds["point_seed"].values[index])
        rows.append(row)
    return jsonable(
        {
            "pgweyl_version": json.loads(ds.attrs["versions"]).get("pgweyl"),
            "store": None if store is None else str(store),
            "env": ds.attrs.get("env_spec"),
            "params": json.loads(ds.attrs["params"]),
            "settings": json.loads(ds.attrs["settings"]),
            "versions": json.loads(ds.attrs["versions"]),
            "maxima": ds.attrs.get("maxima"),
            "follow": follow,
            "global_changes": _changes(ds),
            "points": int(done.size),
            "done": int(done.sum()),
            "rows": rows,
        }
    )


def summary_text(ds, store=None, follow="global") -> str:
    """A table: one line per point with P(followed maximum) by Monte Carlo (Wilson 95%
    interval) and chain; the followed maximum's support; where the global one changes."""
    from pgweyl.study.follow import describe
    from pgweyl.study.sweep.store import followed

    params = [d for d in ds["done"].dims]
    done = ds["done"].values
    index_of = np.asarray(followed(ds, follow).values)
    what = describe(follow)
    widths = [max(len(p), 8) for p in params]
    head = " ".join(f"{p:>{w}s}" for p, w in zip(params, widths))
    lines = [
        f"{ds.attrs.get('env_spec', 'sweep')}: P(policy gradient ends at {what})",
        f"{head} {'max':>5s} {'V':>9s} {'MC':>8s} {'Wilson 95%':>17s} {'unres.':>7s} "
        f"{'chain':>8s} {'± grid':>7s}",
    ]
    for index in np.ndindex(*done.shape):
        if not done[index]:
            continue
        g = int(index_of[index])
        if g < 0:
            cells = " ".join(
                f"{_cell(ds[p].values[i]):>{w}s}" for p, i, w in zip(params, index, widths)
            )
            lines.append(f"{cells} {'-':>5s} (no such maximum at this point)")
            continue
        cells = " ".join(
            f"{_cell(ds[p].values[i]):>{w}s}" for p, i, w in zip(params, index, widths)
        )

        def at(name, g=g, index=index):
            return float(ds[name].values[index][g])

        support = str(ds["support"].values[index][g])
        lines.append(
            f"{cells} {support:>5s} {at('value'):9.5f} {at('probability'):8.4f} "
            f"[{at('ci_low'):.4f}, {at('ci_high'):.4f}] "
            f"{float(ds['unresolved'].values[index]):7.4f} {at('chain'):8.4f} "
            f"{at('grid_error'):7.4f}"
        )
    changed = _changes(ds)
    if changed:
        name = params[0]
        lines.append(f"the global maximum changes at {name} = {', '.join(map(_cell, changed))}")
    where = f"store {store}" if store is not None else "in memory (no --store)"
    lines.append(f"{int(done.sum())} of {done.size} points done; {where}")
    return "\n".join(lines)


def _changes(ds) -> list:
    """Values of the one param of a one-dimensional sweep where the global maximum's
    support changes ([] for grids of several dimensions)."""
    from pgweyl.study.sweep.figure import global_changes

    params = [d for d in ds["done"].dims]
    if len(params) != 1:
        return []
    return [v.item() if isinstance(v, np.generic) else v for v in global_changes(ds, params[0])]


def _cell(v) -> str:
    v = v.item() if isinstance(v, np.generic) else v
    return f"{v:g}" if isinstance(v, float) else str(v)


__all__ = ["add_arguments", "add_follow_option", "dataset_summary", "run", "summary_text"]
