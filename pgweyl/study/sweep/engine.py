"""Running a sweep: validation, the Dask cluster, the store, progress (``pw.sweep``)."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import threading
import time
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
from pgweyl.study.sweep.lock import store_lock
from pgweyl.study.sweep.store import (
    StoreError,
    SweepStore,
    check_path,
    check_record,
    inspect,
    open_sweep,
    require,
    stored_record,
)


class ClusterError(PgweylError, RuntimeError):
    """The Dask cluster cannot be reached or used (no scheduler at the address, workers
    that cannot import pgweyl)."""


#: Seconds to wait for a scheduler given by address to answer (environment variable
#: ``PGWEYL_CONNECT_TIMEOUT``).
CONNECT_TIMEOUT = 20.0
#: Seconds a sweep waits while its cluster has no worker (they died, or never came)
#: before it stops with a ClusterError (``PGWEYL_WORKER_GRACE``).
WORKER_GRACE = 60.0
#: Seconds between two looks at the cluster while points run.
POLL = 1.0
#: Address schemes of Dask's communication layer that reach a remote scheduler.
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
#: The most bytes a Dask scheduler's opening handshake may have (it has about 60).
HANDSHAKE_BYTES = 1 << 16
#: Dask settings of the LocalCluster a sweep starts for itself (never of a cluster it is
#: given): Dask's diagnostics for its dashboard — a statistical profiler sampling each
#: worker's running task every 10 ms, an event-loop tick every 20 ms, a system monitor
#: every 0.5 s, a memory monitor every 0.1 s, in every process — cost an idle cluster of
#: two workers about 0.12 of a core (measured: 0.96 CPU s per 8 s; 0.13 with these), time
#: a sweep pays on top of its points (docs/performance.md, "Sweeps"). The memory monitor
#: still runs (it pauses, spills and restarts a worker near its memory limit), twice a
#: second.
QUIET_CLUSTER = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.memory.monitor-interval": "500ms",
}


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
    repair: bool = False,
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
    results in memory. A store is read whole and checked before it is resumed or extended
    (:mod:`pgweyl.study.sweep.integrity`); a damaged one is refused with a StoreError that
    names the damage, unless ``repair``: then a new store with its trusted points takes its
    place and the lost points are computed again (the same bits: seeds are keyed by
    values). One sweep at a time per store: a second one is refused while the first runs
    (:mod:`pgweyl.study.sweep.lock`). ``extend`` ({param: new values}): add points to the
    store — the new values go after the stored ones of that param (any param; several at
    once), the points already computed are kept and only the new ones run, each with the
    seed of its values, so they equal a fresh sweep over them bit for bit. The store must
    have been made with ``params`` (the same call without ``extend``), or already extended
    by this ``extend`` (then it resumes). ``progress``: None — a bar on a terminal, one line
    per point on stderr otherwise; False — nothing; "bar" or "lines" to choose
    (:mod:`pgweyl.progress`).

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
    with store_lock(path, StoreError), _terminate_as_exit():
        return _sweep_at(path, base_grid, spec_grid, extend, repair, client, workers, progress)


def _sweep_at(path, base_grid, spec_grid, extend, repair, client, workers, progress):
    """The sweep proper, with the store's lock held (``path`` None: in memory)."""
    target = path
    if path is not None and not path.exists():
        aside = sorted(path.parent.glob(f".{path.name}.old-*"))
        if aside:  # a run killed between the two renames of a swap (_swap)
            raise StoreError(
                f"store {str(path)!r} is missing but {str(aside[-1])!r} holds it (a sweep was "
                f"stopped while swapping folders): rename that folder back to {str(path)!r} "
                "and run again"
            )
    # Attributes from zarr.json, not xarray: a damaged store is inspected (and repaired)
    # before anything reads it as a Dataset.
    attrs = SweepStore.stored_attrs(path) if path is not None else None
    existing, old = None, None
    done = np.zeros(spec_grid.shape, dtype=bool)
    wanted = json.loads(json.dumps(spec_grid.record()["params"]))  # as stored (JSON)
    if attrs is not None:
        grown = extend is not None and stored_record(attrs)["params"] != wanted
        made_by = base_grid if grown else spec_grid  # a store not yet extended: base_grid's
        check_record(attrs, made_by, repr(str(path)))  # refuses a store of other settings
        report = inspect(path, attrs)
        if tuple(report.names) != made_by.names:
            raise StoreError(f"store {str(path)!r} has dimensions {report.names}")
        if report.damaged:
            if not repair:
                raise StoreError(
                    report.message(
                        "run the same command with --repair (repair=True) to keep its intact "
                        "points and compute the lost ones again, or use another store"
                    )
                )
            # A new store with the trusted points, swapped in; the lost ones are pending.
            SweepStore.create(path, made_by, report.n_max, salvage=report)
            report = inspect(path)
        block = tuple(slice(0, n) for n in report.shape)
        done[block] = report.trusted
        if grown:
            old = report  # its trusted points are copied into the extended store
        else:
            existing = SweepStore(path, spec_grid, report.n_max)
    elif extend is not None:
        raise StoreError(f"store {str(path)!r} does not exist: there is nothing to extend")
    if path is None:
        import zarr

        target = zarr.storage.MemoryStore()
    pending = [idx for idx in spec_grid.indices() if not done[idx]]
    if pending:

        def open_store(maxima_lists):
            return existing or _create(target, spec_grid, maxima_lists, old)

        with _cluster(client, workers) as dask_client:  # connected before the bar shows
            bar = Progress(spec_grid.size, "sweep", "point", progress, initial=int(done.sum()))
            bar.warned = False  # versions of the workers: warned once
            try:
                run = _run_dask if dask_client is not None else _run_here
                written = run(dask_client, spec_grid, pending, open_store, bar)
            finally:
                bar.close()
        if written != len(pending):  # never a store with silent holes
            raise ClusterError(
                f"only {written} of {len(pending)} points came back from the cluster; the "
                "finished ones are in the store: run the same command to resume"
            )
    if path is None:
        return open_sweep(target).load()
    # The store was checked whole before the run and every point since was written and
    # counted; a last look at the done flags alone (a whole check reads every variable).
    ds = open_sweep(path, check=False)
    missing = int((~np.asarray(ds["done"].values, dtype=bool)).sum())
    if missing:
        raise StoreError(
            f"store {str(path)!r}: {missing} points are not done after the sweep; run the "
            "same command to resume"
        )
    return ds


#: The signal a running sweep was asked to stop by (None: none). A handler's exception
#: can be swallowed — raised while Python runs a gc callback or a ``__del__`` it is only
#: printed as "Exception ignored in …" — so the waits below look at this flag too and
#: raise again (:func:`_stop_if_asked`); the CI's SIGTERM case once ran to the end so.
_asked: list = []


def _stop_if_asked() -> None:
    """Raise the stop a signal asked for, if its first raise was swallowed."""
    if _asked:
        signum = _asked[0]
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise _Terminated(128 + signum)


@contextmanager
def _terminate_as_exit():
    """SIGTERM ends a sweep as Ctrl-C does — ``finally`` blocks stop the cluster and no
    point is half written — but with exit status 143 (128 + 15). Only in the main
    thread and only when SIGTERM has its default action (a handler set by the caller
    is kept); a second SIGTERM kills at once. SIGINT keeps Python's KeyboardInterrupt
    (when its handler is Python's own) and, like SIGTERM, is remembered in
    :data:`_asked` so that a swallowed raise is raised again at the next wait."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    term = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    intr = signal.getsignal(signal.SIGINT) is signal.default_int_handler

    def stop(signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _asked.append(signum)
        raise _Terminated(128 + signum)

    def interrupt(signum, frame):
        _asked.append(signum)
        signal.default_int_handler(signum, frame)

    if term:
        signal.signal(signal.SIGTERM, stop)
    if intr:
        signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    except _Terminated as done:
        # Said here, after the work's own cleanup (its last progress line) has run.
        print("pgweyl: terminated", file=sys.stderr)
        raise SystemExit(done.code) from None
    finally:
        _asked.clear()
        if term:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if intr:
            signal.signal(signal.SIGINT, signal.default_int_handler)


class _Terminated(SystemExit):
    """SIGTERM, on its way out of a sweep (a SystemExit: no ``except Exception`` stops it)."""


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
    import dask
    from distributed import Client, LocalCluster

    if isinstance(client, str):
        c = _connect(client)
        try:
            _check_imports(c, client)
            yield c
        finally:
            c.close()
        return
    n = workers or max_workers()
    env = {}
    if "NUMBA_NUM_THREADS" not in os.environ:  # Numba's threads share the cores
        env["NUMBA_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // n))
    # Workers are spawned children in this process group; Dask's own pipe ends them when
    # this process dies, and the watchdog below does too (a second, independent route).
    # The scheduler, the nannies and their workers read the settings as they start (a
    # nanny keeps its copy for a worker it restarts): the user's config is left as it was.
    with dask.config.set(QUIET_CLUSTER):
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
            from pgweyl.study.sweep.watchdog import ParentWatchdog

            c.register_plugin(ParentWatchdog(os.getpid()), name="pgweyl-parent-watchdog")
            yield c
        finally:
            c.close()
    finally:
        cluster.close()


def _seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable ``name``."""
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (0 < value < float("inf")):
        raise ArgumentError(f"{name}={text!r}: expected a positive number of seconds")
    return value


def _connect(address: str):
    """A Client of the scheduler at ``address``, or one ClusterError line: the address is
    parsed, its scheme checked, and a tcp:// scheduler must send Dask's opening
    handshake within the timeout before Dask's own client touches it (a silent socket
    or an HTTP server would make it wait for ever; garbage would be read as a frame
    length and allocated)."""
    from distributed import Client
    from distributed.comm.addressing import parse_address, parse_host_port

    timeout = _seconds("PGWEYL_CONNECT_TIMEOUT", CONNECT_TIMEOUT)
    text = address.strip()
    try:
        scheme, location = parse_address(text if "://" in text else f"tcp://{text}")
    except (ValueError, TypeError) as err:
        raise ClusterError(f"scheduler address {address!r}: {_first(err)}") from None
    if scheme not in SCHEMES:
        raise ClusterError(
            f"scheduler address {address!r}: unsupported protocol {scheme!r}; give "
            f"{'://, '.join(SCHEMES)}:// followed by HOST:PORT"
        )
    if scheme == "tcp":
        try:
            host, port = parse_host_port(location, 8786)
        except (ValueError, TypeError) as err:
            raise ClusterError(f"scheduler address {address!r}: {_first(err)}") from None
        _probe(address, host, port, timeout)
    try:
        return Client(text, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as err:
        raise ClusterError(f"cannot reach a Dask scheduler at {address!r}: {_first(err)}") from None


#: What the scheduler and every worker must import to run a sweep's tasks.
TASK_MODULE = "pgweyl.study.sweep.compute"


def _check_imports(client, address) -> None:
    """Refuse (ClusterError) a cluster whose scheduler or a worker cannot import pgweyl:
    the scheduler unpickles the task graph and would fail on each task, a worker would
    drop its connection on each one and leave the sweep waiting. ``exec`` of an import
    statement crosses the wire by reference (a builtin), unlike any pgweyl function."""
    how = (
        "install pgweyl where the scheduler and workers run (or set their PYTHONPATH) in "
        "the same version"
    )
    statement = f"import {TASK_MODULE}"
    try:
        client.run_on_scheduler(exec, statement)
    except Exception as err:  # noqa: BLE001 -- whatever the import raised over there
        raise ClusterError(
            f"the Dask scheduler at {address!r} cannot import pgweyl ({_first(err)}); {how}"
        ) from None
    try:
        results = client.run(exec, statement, on_error="return")
    except Exception as err:  # noqa: BLE001
        raise ClusterError(f"cannot run a check on the Dask workers ({_first(err)})") from None
    bad = {w: r for w, r in results.items() if isinstance(r, BaseException)}
    if bad:
        worker, err = next(iter(bad.items()))
        raise ClusterError(
            f"{len(bad)} of {len(results)} Dask workers cannot import pgweyl ({worker}: "
            f"{_first(err)}); {how}"
        )


def _probe(address, host, port, timeout: float) -> None:
    """Refuse (ClusterError) an address where no Dask scheduler answers: its first bytes
    must be a frame of at most :data:`HANDSHAKE_BYTES` holding the handshake."""
    deadline = time.monotonic() + timeout
    where = f"the Dask scheduler address {address!r}"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise ClusterError(f"{where}: no answer within {timeout:g} s") from None
    except OSError as err:
        raise ClusterError(f"cannot reach a Dask scheduler at {address!r}: {_first(err)}") from None
    with sock:
        head = _receive(sock, 8, deadline, where, timeout)
        size = int.from_bytes(head, "little")
        body = b""
        if 0 < size <= HANDSHAKE_BYTES:
            body = _receive(sock, size, deadline, where, timeout)
        if b"pickle-protocol" not in body:
            raise ClusterError(
                f"{where}: the server there does not speak Dask's protocol (its first bytes "
                f"are {head[:8]!r}); give the address of a Dask scheduler (tcp://HOST:8786)"
            )


def _receive(sock, n: int, deadline: float, where: str, timeout: float) -> bytes:
    data = b""
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(data))
        except TimeoutError:
            break
        except OSError as err:
            raise ClusterError(f"{where}: {_first(err)}") from None
        if not chunk:
            raise ClusterError(
                f"{where}: the server closed the connection without a Dask handshake; give "
                "the address of a Dask scheduler"
            )
        data += chunk
    if len(data) < n:
        raise ClusterError(
            f"{where}: no Dask handshake within {timeout:g} s (a server that does not "
            "answer, or not a Dask scheduler; PGWEYL_CONNECT_TIMEOUT sets the wait)"
        )
    return data


def _first(err: BaseException) -> str:
    text = str(err)
    return text.splitlines()[0] if text.strip() else type(err).__name__


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
        _stop_if_asked()
        ms = maxima[_maxima_key(t)]
        chain = None
        if t.chain:
            if t.chain_key not in chains:
                chains[t.chain_key] = _at(t, env_chain, t.spec, t.settings, ms)
            chain = chains[t.chain_key]
        result = _at(t, compute_point, t, ms, chain)
        _finish(store, t, result, bar)
    return len(tasks)


def _run_dask(client, grid, pending, open_store, bar):
    """Submit every pending point to the cluster; write each one as it finishes."""
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
    watch = _Liveness(client, points)
    written = 0
    try:
        firsts = _by_env(maxima, tasks)
        for _ in watch.completed([fut for fut, _t in firsts]):
            pass
        store = open_store([_result(fut, t, watch) for fut, t in firsts])
        for fut in watch.completed(list(points)):
            t = points[fut]
            _finish(store, t, _result(fut, t, watch), bar)
            written += 1
    finally:
        try:
            client.cancel(futures)
        except Exception:  # noqa: BLE001 -- a cluster already gone has nothing to cancel
            pass
    return written


class _Liveness:
    """Waits for futures while watching the cluster: a lost scheduler connection, or no
    worker for :data:`WORKER_GRACE` seconds, ends the wait with a ClusterError (a sweep
    must not wait for ever on a cluster that cannot run it)."""

    def __init__(self, client, points):
        self.client = client
        self.points = points
        self.done = 0
        self.grace = _seconds("PGWEYL_WORKER_GRACE", WORKER_GRACE)
        self.idle_since = None

    def completed(self, futures):
        """Yield ``futures`` as they finish (as_completed: O(1) per future), looking at
        the cluster every :data:`POLL` seconds meanwhile."""
        from distributed import as_completed

        pending = as_completed(list(futures))
        last = time.monotonic()
        while not pending.is_empty():
            _stop_if_asked()
            batch = pending.next_batch(block=False)
            if batch:
                yield from batch
            else:
                time.sleep(0.05)
            if time.monotonic() - last >= POLL:
                self.check()
                last = time.monotonic()

    def check(self) -> None:
        status = getattr(self.client, "status", "running")
        if status not in ("running", "connecting", "newly-created"):
            raise self.lost(f"the connection to the Dask scheduler is {status}")
        try:
            try:  # one worker's details are enough to know there is one
                info = self.client.scheduler_info(n_workers=1)
            except TypeError:  # a distributed without n_workers
                info = self.client.scheduler_info()
            workers = len(info.get("workers", {}))
        except Exception as err:  # noqa: BLE001
            raise self.lost(f"the Dask scheduler does not answer ({_first(err)})") from None
        if workers:
            self.idle_since = None
            return
        now = time.monotonic()
        self.idle_since = self.idle_since or now
        if now - self.idle_since >= self.grace:
            raise self.lost(
                f"the Dask cluster has had no worker for {self.grace:g} s (they died or "
                "never started; PGWEYL_WORKER_GRACE sets the wait)"
            )

    def lost(self, why: str) -> ClusterError:
        return ClusterError(
            f"{why}; the finished points are in the store: run the same command to resume"
        )


def _maxima_key(task):
    """Points share their maxima when their environment and objective are the same."""
    return (spec_key(task.spec), objective_key(task.settings.rule))


def _by_env(maxima, tasks):
    """(maxima future, a task of that environment) for naming errors."""
    first = {}
    for t in tasks.values():
        first.setdefault(_maxima_key(t), t)
    return [(fut, first[key]) for key, fut in maxima.items()]


def _result(fut, task, watch=None):
    """The future's value; pgweyl's errors named by the point, the cluster's failures as
    one ClusterError line (an exception of pgweyl's own code still shows its traceback)."""
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    resume = "the finished points are in the store: run the same command to resume"
    try:
        while True:
            # A finished point's value lives on its worker: if the worker died, Dask
            # recomputes it and waits for a worker, so keep watching the cluster.
            _stop_if_asked()
            try:
                return fut.result(timeout=POLL if watch is not None else None)
            except TimeoutError:
                if watch is None or fut.status == "error":
                    raise
                watch.check()
    except ClusterError:
        raise
    except PgweylError as err:
        raise _named(err, task) from None
    except (ImportError, AttributeError, RuntimeError) as err:
        text = str(err)
        if "pgweyl" in text or "deserializ" in text:
            raise ClusterError(
                f"the Dask scheduler or a worker cannot import pgweyl ({_first(err)}); install "
                f"pgweyl where they run (or set their PYTHONPATH) in the same version; {resume}"
            ) from None
        raise
    except KilledWorker:
        raise ClusterError(
            f"point {task.label} killed its Dask worker each time it ran (out of memory? the "
            f"workers' logs say); {resume}"
        ) from None
    except (CancelledError, CommClosedError, OSError, TimeoutError) as err:
        raise ClusterError(f"lost the Dask cluster ({_first(err)}); {resume}") from None


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
    return SweepStore.create(target, grid, n_max, salvage=old)


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
