"""The results of a sweep: an xarray Dataset in a Zarr store, written point by point.

**Layout** (Zarr format 2, one chunk per point, so each point is written on its own):

- coordinates: one per param, in the order the params were given (``theta0`` as
  text labels "0.0,-1.5"), and ``maximum`` = 0, 1, … (the j-th best local maximum by
  value at that point; 0 is the global maximum);
- per point and maximum (dims: params…, maximum), NaN (``support``: "") beyond the
  point's ``n_maxima`` and where a solver did not run: ``probability``, ``ci_low``,
  ``ci_high`` (Monte Carlo share and Wilson 95% interval), ``chain``, ``grid_error``
  (the θ-chain solver and |fine − coarse grid|), ``value`` (V at the maximum),
  ``support`` (its steps as indices of ``env.steps.vectors``, "0" or "1,2");
- per point (dims: params…): ``unresolved`` (Monte Carlo share of runs at no maximum),
  ``n_maxima``, ``global_maximum`` (its index, 0 by the ordering), ``point_seed`` (the
  Monte Carlo seed, ``SeedSequence(seed, spawn_key=index)``) and ``done``; a point whose
  ``done`` is False has not been computed (its other variables are NaN or 0);
- attrs: ``pgweyl_sweep`` (format), ``env_spec``, ``env``, ``params``, ``settings``,
  ``versions`` (JSON text), ``rule``, ``seed``, ``runs``, ``method``, ``maxima`` (the
  labelling, in words).

A point's data is written first and its ``done`` flag after, by one process (the one
that runs :func:`pgweyl.sweep`), with Ctrl-C held back during the two writes: an
interrupted sweep keeps every finished point and resumes where it stopped.

>>> import pgweyl as pw
>>> ds = pw.sweep("corridor:level=4", {"lr": [0.5, 1.0]}, runs=50, n_updates=200,
...               method="mc", workers=0, progress=False)
>>> ds.probability.dims, int(ds.done.sum())
(('lr', 'maximum'), 2)
"""

from __future__ import annotations

import json
import os
import signal
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from pgweyl._version import __version__
from pgweyl.errors import MissingDependencyError, PgweylError

FORMAT = 1
MAXIMUM_VARS = ("probability", "ci_low", "ci_high", "chain", "grid_error", "value")
POINT_VARS = ("unresolved", "n_maxima", "global_maximum", "point_seed")
LABELLING = (
    "maximum j is the j-th best local maximum by value at that point (0 = the global "
    "maximum); support lists its steps as indices into env.steps.vectors; NaN and '' "
    "beyond n_maxima"
)
#: Packages whose versions are recorded in the store (and compared, with a warning).
PACKAGES = ("numpy", "numba", "scipy", "dask", "distributed", "xarray", "zarr")


class StoreError(PgweylError, ValueError):
    """A sweep store that cannot be used: not a sweep store, unreadable, or made with other
    settings than the sweep that would resume it (the message names the difference)."""


def require() -> None:
    """Fail with one line when a package that sweeps need is missing."""
    import importlib.util

    missing = [
        name
        for name in ("dask", "distributed", "xarray", "zarr")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise MissingDependencyError(
            f"sweeps need {', '.join(missing)}: python -m pip install 'pgweyl[sweep]'"
        )


def versions() -> dict:
    """Versions of Python, pgweyl and the packages that shape the numbers."""
    import platform
    from importlib import metadata

    out = {"python": platform.python_version(), "pgweyl": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def check_path(store) -> Path | None:
    """The store's path, checked before any work: its folder must exist and be writable
    and the path must not be a file. ``None`` stays None (an in-memory store)."""
    if store is None:
        return None
    if not isinstance(store, (str, os.PathLike)) or not str(store).strip():
        raise StoreError(f"store must be a path (a folder such as 'sweep.zarr'), got {store!r}")
    path = Path(store)
    parent = path.absolute().parent
    if path.exists() and not path.is_dir():
        raise StoreError(f"store {str(store)!r} is a file, not a Zarr store (a folder)")
    if not parent.is_dir():
        raise StoreError(f"store {str(store)!r}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise StoreError(f"store {str(store)!r}: not writable")
    return path


def is_sweep_store(path: Path) -> bool:
    """True when ``path`` holds a (complete) sweep store."""
    attrs = path / ".zattrs"
    if not attrs.is_file():
        return False
    try:
        return "pgweyl_sweep" in json.loads(attrs.read_text())
    except (OSError, ValueError):
        return False


def _open(target):
    import xarray as xr

    try:
        return xr.open_zarr(target, chunks=None, consolidated=True, zarr_format=2)
    except (OSError, ValueError, KeyError) as err:
        raise StoreError(f"cannot read sweep store {str(target)!r}: {err}") from None


def open_sweep(store):
    """The Dataset of a sweep store (lazily read; see the module docstring for its layout).

    ``ds.probability.sel(level=8, maximum=0)`` is P(policy gradient ends at the global
    maximum) at level 8; ``ds.done`` marks the computed points;
    ``json.loads(ds.attrs["settings"])`` the settings.

    >>> import pgweyl as pw, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "s.zarr")
    >>> _ = pw.sweep("corridor", {"level": [3, 4]}, runs=50, n_updates=200, store=path,
    ...              workers=0, progress=False, method="mc")
    >>> ds = pw.open_sweep(path)
    >>> ds.n_maxima.values.tolist(), ds.sizes["maximum"]
    ([1, 2], 2)
    """
    require()
    if isinstance(store, (str, os.PathLike)):
        path = Path(store)
        if not path.exists():
            raise StoreError(f"sweep store {str(store)!r} does not exist")
        if not is_sweep_store(path):
            raise StoreError(f"{str(store)!r} is not a pgweyl sweep store")
    return _open(store)


def stored_record(ds) -> dict:
    """The env, params and settings a store was made with (as :meth:`SweepGrid.record`)."""
    try:
        return {k: json.loads(ds.attrs[k]) for k in ("env", "params", "settings")}
    except (KeyError, ValueError):
        raise StoreError("the store has no readable sweep description (attrs)") from None


def _first_difference(stored, wanted, prefix=""):
    if isinstance(stored, dict) and isinstance(wanted, dict):
        for key in list(stored) + [k for k in wanted if k not in stored]:
            if key not in stored or key not in wanted:
                return f"{prefix}{key}", stored.get(key, "(absent)"), wanted.get(key, "(absent)")
            diff = _first_difference(stored[key], wanted[key], f"{prefix}{key}.")
            if diff:
                return diff
        return None
    if stored != wanted:
        return prefix.rstrip("."), stored, wanted
    return None


def check_record(ds, grid, where) -> None:
    """Refuse to resume a store made with other settings; warn when versions differ."""
    stored = stored_record(ds)
    wanted = json.loads(json.dumps(grid.record()))
    diff = _first_difference(stored, wanted)
    if diff:
        key, old, new = diff
        raise StoreError(
            f"store {where} was made with {key} = {json.dumps(old)}, this sweep has "
            f"{json.dumps(new)}; resume with the same settings or use another store"
        )
    try:
        old_versions = json.loads(ds.attrs.get("versions", "{}"))
    except ValueError:
        old_versions = {}
    now = versions()
    changed = [
        f"{k} {old_versions.get(k)} -> {v}" for k, v in now.items() if old_versions.get(k) != v
    ]
    if changed:
        warnings.warn(
            f"resuming store {where} with other package versions ({', '.join(changed)}); "
            "points computed now may differ in the last bits from the stored ones",
            RuntimeWarning,
            stacklevel=3,
        )


@contextmanager
def _hold_interrupts():
    """Hold SIGINT back while a point is written (main thread only), then deliver it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *a: caught.append(a))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(*caught[0])
        elif caught and previous != signal.SIG_IGN:
            raise KeyboardInterrupt


class SweepStore:
    """Writes the points of one sweep into its store (a path or an in-memory Zarr store).

    ``SweepStore.existing(path, grid)`` opens a store to resume (checking its record),
    ``SweepStore.create(target, grid, n_max, width)`` makes a new one; ``done()`` is the
    boolean mask of finished points, ``write(result)`` adds one point."""

    def __init__(self, target, grid, n_max: int, width: int):
        self.target = target
        self.grid = grid
        self.n_max = int(n_max)
        self.width = int(width)

    @property
    def where(self) -> str:
        return repr(str(self.target)) if isinstance(self.target, Path) else "(in memory)"

    @classmethod
    def existing(cls, path: Path, grid):
        """The store at ``path`` if there is one (checked against ``grid``), else None."""
        if not path.exists() or (path.is_dir() and not any(path.iterdir())):
            return None
        if not is_sweep_store(path):
            raise StoreError(
                f"{str(path)!r} exists and is not a pgweyl sweep store; give a new path"
            )
        ds = _open(path)
        check_record(ds, grid, repr(str(path)))
        if tuple(ds["done"].dims) != grid.names:
            raise StoreError(f"store {str(path)!r} has dimensions {ds['done'].dims}")
        return cls(path, grid, ds.sizes["maximum"], ds["support"].dtype.itemsize // 4)

    @classmethod
    def create(cls, target, grid, n_max: int, width: int):
        """A new store for ``grid`` with room for ``n_max`` maxima per point.

        A path is written as a temporary folder beside it and renamed when complete."""
        import dask.array as da
        import xarray as xr

        names, shape = grid.names, grid.shape
        chunks = (1,) * len(shape)
        dims_m = names + ("maximum",)
        shape_m, chunks_m = shape + (n_max,), chunks + (n_max,)
        data = {}
        for name in MAXIMUM_VARS:
            data[name] = (dims_m, da.full(shape_m, np.nan, chunks=chunks_m))
        data["support"] = (dims_m, da.full(shape_m, "", dtype=f"<U{width}", chunks=chunks_m))
        data["unresolved"] = (names, da.full(shape, np.nan, chunks=chunks))
        for name in ("n_maxima", "global_maximum"):
            data[name] = (names, da.zeros(shape, dtype=np.int64, chunks=chunks))
        data["point_seed"] = (names, da.zeros(shape, dtype=np.uint64, chunks=chunks))
        data["done"] = (names, da.zeros(shape, dtype=bool, chunks=chunks))
        coords = {**grid.coords(), "maximum": np.arange(n_max)}
        record = grid.record()
        settings = record["settings"]
        attrs = {
            "pgweyl_sweep": FORMAT,
            "env_spec": grid.spec.source or str(grid.spec),
            "env": json.dumps(record["env"]),
            "params": json.dumps(record["params"]),
            "settings": json.dumps(record["settings"]),
            "versions": json.dumps(versions()),
            "rule": settings.get("rule", "swept"),
            "seed": settings["seed"],
            "runs": settings["n_runs"],
            "method": settings["method"],
            "pgweyl_version": __version__,
            "maxima": LABELLING,
        }
        ds = xr.Dataset(data, coords=coords, attrs=attrs)
        if not isinstance(target, Path):
            ds.to_zarr(target, mode="w", compute=False, zarr_format=2, consolidated=True)
            return cls(target, grid, n_max, width)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        _remove_tree(tmp)
        try:
            ds.to_zarr(str(tmp), mode="w", compute=False, zarr_format=2, consolidated=True)
            if target.is_dir():
                target.rmdir()  # an empty folder (checked by the caller)
            os.rename(tmp, target)
        finally:
            _remove_tree(tmp)
        return cls(target, grid, n_max, width)

    def _dest(self):
        return str(self.target) if isinstance(self.target, Path) else self.target

    def done(self) -> np.ndarray:
        return np.asarray(_open(self._dest())["done"].values, dtype=bool)

    def write(self, result: dict) -> None:
        """Write one point (its data, then its ``done`` flag) with region writes."""
        import xarray as xr

        names = self.grid.names
        index = result["index"]
        n = int(result["n_maxima"])
        if n > self.n_max:
            raise StoreError(
                f"point {index} has {n} maxima but store {self.where} has room for "
                f"{self.n_max}; it was made by another version of pgweyl: use a new store"
            )
        one = (1,) * len(names)
        dims_m = names + ("maximum",)
        data = {}
        for name in MAXIMUM_VARS:
            col = np.full(self.n_max, np.nan)
            col[:n] = result[name]
            data[name] = (dims_m, col.reshape(one + (self.n_max,)))
        labels = np.full(self.n_max, "", dtype=f"<U{self.width}")
        if any(len(s) > self.width for s in result["support"]):
            raise StoreError(f"point {index}: a support label is longer than the store allows")
        labels[:n] = result["support"]
        data["support"] = (dims_m, labels.reshape(one + (self.n_max,)))
        data["unresolved"] = (names, np.full(one, result["unresolved"], dtype=float))
        data["n_maxima"] = (names, np.full(one, n, dtype=np.int64))
        data["global_maximum"] = (names, np.full(one, result["global_maximum"], dtype=np.int64))
        data["point_seed"] = (names, np.full(one, result["point_seed"], dtype=np.uint64))
        region = {name: slice(i, i + 1) for name, i in zip(names, index)}
        with _hold_interrupts():
            xr.Dataset(data).to_zarr(
                self._dest(), region={**region, "maximum": slice(0, self.n_max)}, mode="r+"
            )
            flag = xr.Dataset({"done": (names, np.ones(one, dtype=bool))})
            flag.to_zarr(self._dest(), region=region, mode="r+")


def _remove_tree(path: Path) -> None:
    import shutil

    if path.exists():
        shutil.rmtree(path)


__all__ = [
    "MissingDependencyError",
    "require",
    "StoreError",
    "SweepStore",
    "check_path",
    "open_sweep",
    "stored_record",
    "versions",
]
