"""Running a sweep: validation, the Dask cluster, the store, progress (``pw.sweep``)."""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
import warnings
from contextlib import contextmanager

import numpy as np

from pgweyl import validate
from pgweyl.budget import max_workers, require_workers
from pgweyl.errors import ArgumentError, PgweylError
from pgweyl.landscape.settings import RunSettings
from pgweyl.progress import Progress
from pgweyl.progress import resolve as resolve_progress
from pgweyl.study.sweep.compute import compute_point, env_chain, env_maxima, numeric_versions
from pgweyl.study.sweep.grid import make_grid, objective_key, spec_key
from pgweyl.study.sweep.store import (
    StoreError,
    SweepStore,
    check_path,
    open_sweep,
    require,
    stored_record,
)


class ClusterError(PgweylError, RuntimeError):
    """The Dask cluster cannot be reached or used (no scheduler at the address, workers
    that cannot import pgweyl)."""


#: Seconds to wait for a scheduler given by address.
CONNECT_TIMEOUT = 30


def sweep(
    env_spec,
    params: dict,
    runs: int | None = None,
    store=None,
    client=None,
    workers: int | None = None,
    seed: int | None = None,
    *,
    settings: RunSettings | None = None,
    extend: dict | None = None,
    progress=None,
    **run,
):
    """P(policy gradient ends at each local maximum) over a grid of params, in a Zarr store.

    Every point of the cartesian grid of ``params`` ({name: values}; knobs of the
    environment and the run settings ``lr``, ``theta0``, ``rule``, ``eps``,
    ``n_updates``) gets its local maxima, the Monte Carlo convergence probabilities
    (``runs`` REINFORCE runs, seed :func:`~pgweyl.study.sweep.grid.point_seed` of the
    point's values) and,
    where it applies (policy exp, effective dimension ≤ 2), the θ-chain solver
    (``method``: "auto" — MC everywhere and the chain where it applies; "mc"; "chain";
    "both"). Settings not swept are fixed by the keywords ``run`` (``lr``, ``theta0``,
    ``rule``, ``eps``, ``n_updates``, ``method``, ``grid``) or by one ``settings`` record
    (:class:`pgweyl.landscape.settings.RunSettings`; its ``n_runs`` are ``runs`` and its
    ``seed`` the sweep's), defaults as there; ``grid``: chain nodes per axis (None: the
    solver's default), refined ×2 and ×4 for the grid error. The point ``index`` runs
    ``grid.task(index).settings`` of :func:`make_grid` — its own seed, keyed by the sweep
    seed and the point's values (not its index), put in.

    Returns the xarray Dataset (:mod:`pgweyl.study.sweep.store` has the layout): coordinates
    are the params and ``maximum`` (0 = the global maximum at that point, then the
    others by value, best first; NaN beyond ``n_maxima``).

    Where it runs: ``client`` — a ``dask.distributed.Client`` or a scheduler address
    ("tcp://host:8786"); otherwise a ``LocalCluster`` of ``workers`` processes (default:
    one per core); ``workers=0`` computes in this process without Dask. The numbers are
    the same bits on every backend.

    ``store``: a folder (``"sweep.zarr"``); points are written as they finish, and the
    same call on an existing store resumes it (computing only the points not ``done``;
    other settings are refused with :class:`pgweyl.study.sweep.StoreError`). None keeps the
    results in memory. ``extend`` ({param: new values}): add points to the store — the new
    values go after the stored ones of that param (any param; several at once), the points
    already computed are kept and only the new ones run, each with the seed of its values,
    so they equal a fresh sweep over them bit for bit. The store must have been made with
    ``params`` (the same call without ``extend``), or already extended by this ``extend``
    (then it resumes). ``progress``: None — a bar on a terminal, one line per point on
    stderr otherwise; False — nothing; "bar" or "lines" to choose (:mod:`pgweyl.progress`).

    >>> import pgweyl as pw
    >>> ds = pw.sweep("corridor", {"level": [4, 8]}, runs=100, n_updates=500, workers=0,
    ...               progress=False)
    >>> ds.n_maxima.values.tolist(), round(ds.chain.sel(level=8, maximum=0).item(), 2)
    ([2, 2], 0.37)
    """
    require()
    base_grid = make_grid(env_spec, params, runs=runs, seed=seed, settings=settings, **run)
    spec_grid = base_grid
    if extend is not None:
        spec_grid = make_grid(
            env_spec, _extended(params, extend), runs=runs, seed=seed, settings=settings, **run
        )
        if store is None:
            raise ArgumentError("extend adds points to a store: give store=PATH")
    if workers is not None:
        workers = validate.nonnegative_int("workers", workers)
        require_workers(workers)  # before any process starts
        if client is not None:
            raise ArgumentError("give either client (an existing cluster) or workers, not both")
    if client is not None and not isinstance(client, str) and not hasattr(client, "submit"):
        raise ArgumentError(
            f"client must be a dask.distributed.Client or a scheduler address, got {client!r}"
        )
    if progress is None:  # a sweep logs each point when stderr is piped
        progress = "bar" if sys.stderr.isatty() else "lines"
    resolve_progress(progress)
    path = check_path(store)
    target = path
    stored = SweepStore.stored(path) if path is not None else None
    existing, old = None, None
    wanted = json.loads(json.dumps(spec_grid.record()["params"]))  # as stored (JSON)
    if stored is not None and extend is not None and stored_record(stored)["params"] != wanted:
        # Not yet extended: the store must be the one ``params`` made.
        SweepStore.existing(path, base_grid, stored)  # refuses a store of other settings
        old = stored  # copied into the extended store when it is made
    elif stored is not None:
        existing = SweepStore.existing(path, spec_grid, stored)
    elif extend is not None:
        raise StoreError(f"store {str(path)!r} does not exist: there is nothing to extend")
    if path is None:
        import zarr

        target = zarr.storage.MemoryStore()
    done = np.zeros(spec_grid.shape, dtype=bool)
    if existing is not None:
        done = existing.done()
    elif old is not None:
        done[tuple(slice(0, n) for n in old["done"].shape)] = old["done"].values
    pending = [idx for idx in spec_grid.indices() if not done[idx]]
    if pending:
        bar = Progress(spec_grid.size, "sweep", "point", progress, initial=int(done.sum()))
        bar.warned = False  # versions of the workers: warned once

        def open_store(maxima_lists):
            return existing or _create(target, spec_grid, maxima_lists, old)

        try:
            with _cluster(client, workers) as dask_client:
                run = _run_dask if dask_client is not None else _run_here
                run(dask_client, spec_grid, pending, open_store, bar)
        finally:
            bar.close()
    if path is None:
        return open_sweep(target).load()
    return open_sweep(path)


# -- where the work runs ---------------------------------------------------------------------
@contextmanager
def _cluster(client, workers):
    """A Dask client: the given one, one connected to an address, or a LocalCluster of
    ``workers`` processes (one thread each); None for ``workers=0`` (in this process)."""
    if client is not None and not isinstance(client, str):
        yield client
        return
    if workers == 0:
        yield None
        return
    from distributed import Client, LocalCluster

    if isinstance(client, str):
        try:
            c = Client(client, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as err:
            msg = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ClusterError(f"cannot reach a Dask scheduler at {client!r}: {msg}") from None
        try:
            yield c
        finally:
            c.close()
        return
    n = workers or max_workers()
    env = {}
    if "NUMBA_NUM_THREADS" not in os.environ:  # Numba's threads share the cores
        env["NUMBA_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // n))
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: 8787 may be another user's cluster
        silence_logs=logging.ERROR,
        env=env,
    )
    try:
        c = Client(cluster)
        try:
            yield c
        finally:
            c.close()
    finally:
        cluster.close()


def _extended(params: dict, extend: dict) -> dict:
    """``params`` with the values of ``extend`` appended (each must be a swept param)."""
    if not isinstance(extend, dict) or not extend:
        raise ArgumentError("extend must be a non-empty dict {param: new values}")
    out = {name: list(values) for name, values in params.items()}
    for name, values in extend.items():
        if name not in out:
            raise ArgumentError(
                f"extend: {name!r} is not a swept param (params: {', '.join(map(str, out))}); "
                "a store grows along its own dimensions"
            )
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise ArgumentError(f"extend {name!r}: give a list of values, got {values!r}")
        out[name] = out[name] + list(values)  # a value already there: make_grid refuses it
    return out


def _run_here(_client, grid, pending, open_store, bar):
    """Every pending point in this process, in index order."""
    tasks = [grid.task(idx) for idx in pending]
    maxima = {}
    for t in tasks:
        key = _maxima_key(t)
        if key not in maxima:
            maxima[key] = _at(t, env_maxima, t.spec, t.settings.rule)
    store = open_store(maxima.values())
    chains = {}
    for t in tasks:
        ms = maxima[_maxima_key(t)]
        chain = None
        if t.chain:
            if t.chain_key not in chains:
                chains[t.chain_key] = _at(t, env_chain, t.spec, t.settings, ms)
            chain = chains[t.chain_key]
        result = _at(t, compute_point, t, ms, chain)
        _finish(store, t, result, bar)


def _run_dask(client, grid, pending, open_store, bar):
    """Submit every pending point to the cluster; write each one as it finishes."""
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    tasks = {idx: grid.task(idx) for idx in pending}
    maxima, chains, points = {}, {}, {}
    for idx, t in tasks.items():
        key = _maxima_key(t)
        if key not in maxima:
            maxima[key] = client.submit(
                env_maxima,
                t.spec,
                t.settings.rule,
                key=f"pgweyl-maxima-{token}-{len(maxima)}",
                pure=False,
            )
        chain = None
        if t.chain:
            if t.chain_key not in chains:
                chains[t.chain_key] = client.submit(
                    env_chain,
                    t.spec,
                    t.settings,
                    maxima[key],
                    key=f"pgweyl-chain-{token}-{len(chains)}",
                    pure=False,
                )
            chain = chains[t.chain_key]
        name = "-".join(map(str, idx))
        points[
            client.submit(
                compute_point, t, maxima[key], chain, key=f"pgweyl-point-{token}-{name}", pure=False
            )
        ] = t
    futures = list(maxima.values()) + list(chains.values()) + list(points)
    try:
        store = open_store([_result(fut, t) for fut, t in _by_env(maxima, tasks)])
        for fut in as_completed(list(points)):
            t = points[fut]
            _finish(store, t, _result(fut, t), bar)
    finally:
        client.cancel(futures)


def _maxima_key(task):
    """Points share their maxima when their environment and objective are the same."""
    return (spec_key(task.spec), objective_key(task.settings.rule))


def _by_env(maxima, tasks):
    """(maxima future, a task of that environment) for naming errors."""
    first = {}
    for t in tasks.values():
        first.setdefault(_maxima_key(t), t)
    return [(fut, first[key]) for key, fut in maxima.items()]


def _result(fut, task):
    try:
        return fut.result()
    except (ImportError, AttributeError) as err:
        if "pgweyl" in str(err):
            raise ClusterError(
                f"a Dask worker cannot import pgweyl ({err}); install pgweyl where the "
                "workers run (or set their PYTHONPATH) in the same version"
            ) from None
        raise
    except PgweylError as err:
        raise _named(err, task) from None


def _at(task, fn, *args):
    try:
        return fn(*args)
    except PgweylError as err:
        raise _named(err, task) from None


def _named(err, task):
    """The same error with the point's name in front (when the type allows it)."""
    try:
        return type(err)(f"point {task.label}: {err}")
    except TypeError:
        return err


def _create(target, grid, maxima_lists, old=None):
    n_max = max(len(ms) for ms in maxima_lists)
    return SweepStore.create(target, grid, n_max, old=old)


def _finish(store, task, result, bar):
    result["point_seed"] = task.settings.seed
    here = numeric_versions()
    there = result.get("versions", here)
    if there != here and not bar.warned:
        bar.warned = True
        diff = ", ".join(
            f"{k} {there.get(k)} (here {v})" for k, v in here.items() if there.get(k) != v
        )
        warnings.warn(
            f"a Dask worker runs other versions ({diff}): its points may differ in the last "
            "bits from points computed here",
            RuntimeWarning,
            stacklevel=2,
        )
    store.write(result)
    bar.update(1, note=f"{task.label}: {_summary(result)}")


def _summary(r) -> str:
    g = int(r["global_maximum"])
    parts = [f"{r['n_maxima']} maxima"]
    if np.isfinite(r["probability"][g]):
        parts.append(
            f"P(global) MC {r['probability'][g]:.4f} [{r['ci_low'][g]:.4f}, {r['ci_high'][g]:.4f}]"
        )
    if np.isfinite(r["chain"][g]):
        parts.append(f"chain {r['chain'][g]:.4f} ± {r['grid_error'][g]:.4f}")
    parts.append(f"{r['seconds']:.1f} s")
    return ", ".join(parts)


__all__ = ["ClusterError", "sweep"]
