"""The results of a sweep: an xarray Dataset in a Zarr store, written point by point.

**Layout** (Zarr format 3; every variable and coordinate carries the CF attributes
``long_name``, ``units`` — "1" for the dimensionless ones — and ``description``):

- coordinates: one per param, in the order the params were given (``theta0`` as
  text labels "0.0,-1.5"), and ``maximum`` = 0, 1, … (the j-th best local maximum by
  value at that point; 0 is the global maximum);
- per point and maximum (dims: params…, maximum), NaN (``support``: "") beyond the
  point's ``n_maxima`` and where a solver did not run: ``probability``, ``ci_low``,
  ``ci_high`` (Monte Carlo share and its Wilson score 95% interval: the attributes
  ``method`` and ``confidence_level`` say so), ``chain``, ``grid_error`` (the θ-chain
  solver and |fine − coarse grid|), ``value`` (V at the maximum), ``support`` (its steps
  as indices of ``env.steps.vectors``, "0" or "1,2");
- per point (dims: params…): ``unresolved`` (Monte Carlo share of runs at no maximum),
  ``n_maxima``, ``global_maximum`` (its index, 0 by the ordering), ``treasure`` (the
  index of the maximum whose walk ends on wall 0 most often), ``point_seed`` (the
  Monte Carlo seed, keyed by the sweep seed and the point's values:
  :func:`pgweyl.study.sweep.grid.point_seed`) and ``done``; a point whose ``done`` is
  False has not been computed (its other variables are NaN or 0);
- attrs: ``Conventions`` ("CF-1.10"), ``title``, ``source``, ``pgweyl_sweep`` (format),
  ``pgweyl_version``, ``provenance`` (JSON: pgweyl_version, env spec, params, settings),
  ``env_spec``, ``env``, ``params``, ``settings``, ``versions`` (JSON text), ``rule``,
  ``seed``, ``runs``, ``method``, ``maxima`` (the labelling, in words), ``pgweyl_journal``
  (the name of the journal file, below).

**Files.** Each variable is one Zarr array cut into *shards* of up to
:data:`SHARD_POINTS` points (each shard one file holding one inner chunk per point), so
the file count grows with points / SHARD_POINTS, not with points: a point is written
alone by a read-modify-write of its shard.

A point's data is written first and its ``done`` flag after, by one process (the one
that runs :func:`pgweyl.sweep`), with Ctrl-C held back during the two writes: an
interrupted sweep keeps every finished point and resumes where it stopped. A store is
*extended* (``pw.sweep(..., extend={"level": [10, 12]})``) by writing a new store with
the longer coordinates beside it, copying every stored point into it and swapping the
two folders; the new points then run as a resume would.

**Integrity** (:mod:`pgweyl.study.sweep.integrity`). After its ``done`` flag, each point
gets a line in the journal ``pgweyl-journal.txt`` (its index and a digest of its values),
and every shard a write touches is stored even when it holds only fill values. A store
is read whole and checked against both before it is resumed, extended or opened
(:func:`open_sweep`); a damaged one is refused with one line naming the damage, and a
repair (``pw.sweep(..., repair=True)``) keeps the trusted points and recomputes the rest.
One sweep at a time writes a store (:mod:`pgweyl.study.sweep.lock`).

>>> import pgweyl as pw
>>> ds = pw.sweep("corridor:level=4", {"lr": [0.5, 1.0]}, runs=50, n_updates=200,
...               method="mc", workers=0, progress=False)
>>> ds.probability.dims, int(ds.done.sum()), ds.ci_low.attrs["method"]
(('lr', 'maximum'), 2, 'Wilson score')
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
from pgweyl.study.sweep.integrity import JOURNAL

#: The layout's version: 2 — Zarr format 3, sharded, CF attributes, value-keyed seeds
#: (format 1: Zarr format 2, one chunk per point, seeds keyed by grid index).
FORMAT = 2
MAXIMUM_VARS = ("probability", "ci_low", "ci_high", "chain", "grid_error", "value")
POINT_VARS = ("unresolved", "n_maxima", "global_maximum", "treasure", "point_seed")
LABELLING = (
    "maximum j is the j-th best local maximum by value at that point (0 = the global "
    "maximum); support lists its steps as indices into env.steps.vectors; NaN and '' "
    "beyond n_maxima"
)
#: Packages whose versions are recorded in the store (and compared, with a warning).
PACKAGES = ("numpy", "numba", "scipy", "dask", "distributed", "xarray", "zarr")
#: Most points in one shard (one file per variable and shard). A point's write rewrites
#: its shard: ~45 ms a point at 64 points a shard, ~60 ms at 256, ~100 ms at 1024 (two
#: shared cores), against seconds of computing per point.
SHARD_POINTS = 256
CONVENTIONS = "CF-1.10"

_WILSON = {"method": "Wilson score", "confidence_level": 0.95}
#: CF attributes of every variable: (long_name, description[, extra attrs]); units "1".
VARIABLE_ATTRS = {
    "probability": (
        "P(policy gradient ends at this maximum), Monte Carlo",
        "share of the point's REINFORCE runs whose final policy lies within eps (TV) of "
        "this local maximum",
    ),
    "ci_low": (
        "lower end of the Wilson score 95% interval of probability",
        "Wilson score interval at confidence level 0.95 for the Monte Carlo share",
        _WILSON,
    ),
    "ci_high": (
        "upper end of the Wilson score 95% interval of probability",
        "Wilson score interval at confidence level 0.95 for the Monte Carlo share",
        _WILSON,
    ),
    "chain": (
        "P(policy gradient ends at this maximum), theta-chain solver",
        "absorption probability of the discretised theta-chain (finest grid) from theta0",
    ),
    "grid_error": (
        "grid error of chain",
        "|chain on the finest grid - chain on the grid half as fine|: the solver's "
        "discretisation error estimate",
    ),
    "value": (
        "value V of this local maximum",
        "expected return (rewards are dimensionless) of the policy at the maximum",
    ),
    "support": (
        "support of this local maximum",
        "its steps as indices into env.steps.vectors, comma-separated ('0', '1,2'); '' "
        "beyond n_maxima",
    ),
    "unresolved": (
        "share of Monte Carlo runs at no maximum",
        "share of the point's runs whose final policy is within eps of no local maximum",
    ),
    "n_maxima": ("number of local maxima", "local maxima of the objective at this point"),
    "global_maximum": (
        "index of the global maximum",
        "index along maximum of the best maximum (0: maxima are sorted by value)",
    ),
    "treasure": (
        "index of the treasure",
        "index along maximum of the maximum whose walk ends on wall 0 most often (-1: not "
        "determined, policy family not exp)",
    ),
    "point_seed": (
        "Monte Carlo seed of the point",
        "64 bits of SeedSequence(seed, spawn_key=SHA-256 words of the point's values): the "
        "same point has the same stream in any grid",
    ),
    "done": ("point computed", "False: the point has not been computed yet (resume)"),
}
#: CF attributes of the coordinates that are run settings or common knobs.
COORD_ATTRS = {
    "maximum": (
        "rank of the local maximum by value",
        "0 = the global maximum at that point, then the others by value, best first",
    ),
    "level": ("level of the alcove", "the alcove's size in lattice steps (difficulty knob)"),
    "lr": ("step size of the policy-gradient update", "learning rate alpha of every update"),
    "theta0": ("start parameter theta0", "entries of the start theta, comma-separated"),
    "rule": ("update rule", "vanilla, natural or entropy:tau=..."),
    "eps": ("absorbing radius", "TV distance to a maximum at which a run stops"),
    "n_updates": ("update budget", "most policy-gradient updates per run"),
}


def cf_attrs(name: str) -> dict:
    """The CF attributes of a variable or coordinate: ``long_name``, ``units`` ("1": all
    are dimensionless), ``description`` (and the interval's ``method`` and level)."""
    if name in VARIABLE_ATTRS:
        long_name, description, *extra = VARIABLE_ATTRS[name]
    elif name in COORD_ATTRS:
        long_name, description, *extra = COORD_ATTRS[name]
    else:
        long_name, description, extra = name, f"environment knob {name} (pgweyl envs)", []
    out = {"long_name": long_name, "units": "1", "description": description}
    for more in extra:
        out.update(more)
    return out


def shard_shape(shape) -> tuple:
    """Points per shard along each param: whole trailing dimensions first, at most
    :data:`SHARD_POINTS` points in all."""
    out, room = [], SHARD_POINTS
    for n in reversed(tuple(shape)):
        k = max(1, min(int(n), room))
        out.append(k)
        room = max(1, room // k)
    return tuple(reversed(out))


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
    if path.is_symlink():
        # A link would be replaced by a real folder when the store is made or extended
        # (folders are swapped), leaving its target behind: ask for the folder itself.
        target = os.readlink(path)
        if not path.exists():
            raise StoreError(
                f"store {str(store)!r} is a symbolic link to {target!r}, which does not "
                "exist; give a folder path as the store"
            )
        raise StoreError(
            f"store {str(store)!r} is a symbolic link (to {target!r}); give the folder it "
            f"points to as the store: {str(path.resolve())!r}"
        )
    if path.exists() and not path.is_dir():
        raise StoreError(f"store {str(store)!r} is a file, not a Zarr store (a folder)")
    if not parent.is_dir():
        raise StoreError(f"store {str(store)!r}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise StoreError(f"store {str(store)!r}: not writable")
    return path


def followed(ds, follow="global"):
    """The index along ``maximum`` of the followed maximum at every point (a DataArray
    over the params; −1 where it is absent): ``follow`` is "global" (``global_maximum``),
    "treasure" (``treasure``) or a support label ("0", "1,2"), as in
    :mod:`pgweyl.study.follow`."""
    from pgweyl.study.follow import parse_follow

    follow = parse_follow(follow)
    if follow == "global":
        return ds["global_maximum"]
    if follow == "treasure":
        return ds["treasure"]
    hit = ds["support"] == follow
    return hit.argmax("maximum").where(hit.any("maximum"), -1).astype(np.int64)


def at_followed(ds, name: str, index):
    """``ds[name]`` at the maximum ``index`` (:func:`followed`) of every point, NaN where
    it is absent."""
    return ds[name].isel(maximum=index.clip(0)).where(index >= 0)


def _stored_attrs(path: Path) -> dict | None:
    """The root attributes of a Zarr store at ``path`` (format 3 or 2), None if none."""
    try:
        v3 = path / "zarr.json"
        if v3.is_file():
            return json.loads(v3.read_text()).get("attributes", {})
        v2 = path / ".zattrs"
        if v2.is_file():
            return json.loads(v2.read_text())
    except (OSError, ValueError, AttributeError):
        return None
    return None


def is_sweep_store(path: Path) -> bool:
    """True when ``path`` holds a (complete) sweep store."""
    attrs = _stored_attrs(path)
    return isinstance(attrs, dict) and "pgweyl_sweep" in attrs


def _open(target):
    import xarray as xr

    try:
        return xr.open_zarr(target, chunks=None, consolidated=True)
    # A damaged store fails in its codecs as well (RuntimeError of a decompressor):
    # whatever the reason, one line.
    except Exception as err:  # noqa: BLE001
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise StoreError(
            f"cannot read sweep store {str(target)!r}: {msg}; if pgweyl wrote it, run the "
            "sweep command that made it with --repair, or use another store"
        ) from None


def open_sweep(store, check: bool = True):
    """The Dataset of a sweep store (lazily read; see the module docstring for its layout).

    ``ds.probability.sel(level=8, maximum=0)`` is P(policy gradient ends at the global
    maximum) at level 8; ``ds.done`` marks the computed points;
    ``json.loads(ds.attrs["settings"])`` the settings. ``check``: read the store whole
    first and refuse a damaged one (:mod:`pgweyl.study.sweep.integrity`: a missing or
    unreadable piece, a computed point whose values are lost) with a
    :class:`StoreError` that names the damage.

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
            _refuse_headless(path)
            raise StoreError(f"{str(store)!r} is not a pgweyl sweep store")
        if check:  # before xarray reads anything: a damaged coordinate fails its open
            report = inspect(path)
            if report.damaged:
                raise StoreError(
                    report.message(
                        "repair it with the pgweyl sweep command that made it and --repair "
                        "(pw.sweep(..., repair=True)), or use another store"
                    )
                )
        return _open(path)
    return _open(store)


def _refuse_headless(path: Path) -> None:
    """A folder with the variables of a sweep store but no readable description."""
    if (path / "done" / "zarr.json").exists() and (path / "n_maxima").exists():
        raise StoreError(
            f"sweep store {str(path)!r} is damaged: its description zarr.json is missing or "
            "unreadable, so none of its points can be trusted; use another store (or move "
            "this one aside)"
        )


def inspect(path: Path, attrs: dict | None = None):
    """:func:`pgweyl.study.sweep.integrity.inspect_store` of the store at ``path`` (its
    root attributes ``attrs``, read from its ``zarr.json`` when None)."""
    from pgweyl.study.sweep.integrity import inspect_store

    attrs = _stored_attrs(path) if attrs is None else attrs
    if not isinstance(attrs, dict) or "params" not in attrs:
        _refuse_headless(path)
        raise StoreError(f"{str(path)!r} is not a pgweyl sweep store")
    try:
        return inspect_store(path, attrs)
    except (KeyError, ValueError, TypeError) as err:  # attrs that do not describe a grid
        raise StoreError(
            f"sweep store {str(path)!r} is damaged: its description is not readable "
            f"({type(err).__name__}: {err}); use another store"
        ) from None


def stored_record(ds) -> dict:
    """The env, params and settings a store was made with (as :meth:`SweepGrid.record`);
    ``ds``: its Dataset or its root attributes (a dict)."""
    attrs = ds if isinstance(ds, dict) else ds.attrs
    try:
        return {k: json.loads(attrs[k]) for k in ("env", "params", "settings")}
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
    """Refuse to resume a store made with other settings; warn when versions differ
    (``ds``: the store's Dataset or root attributes)."""
    stored = stored_record(ds)
    wanted = json.loads(json.dumps(grid.record()))
    diff = _first_difference(stored, wanted)
    if diff:
        key, old, new = diff
        raise StoreError(
            f"store {where} was made with {key} = {json.dumps(old)}, this sweep has "
            f"{json.dumps(new)}; resume with the same settings or use another store"
        )
    attrs = ds if isinstance(ds, dict) else ds.attrs
    try:
        old_versions = json.loads(attrs.get("versions", "{}"))
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
    """Hold SIGINT and SIGTERM back while a point is written (main thread only), then
    deliver them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda *a: caught.append(a)) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for signum, frame in caught[:1]:
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL and signum == signal.SIGINT:
                raise KeyboardInterrupt
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)  # its default action, now that the point is whole


class SweepStore:
    """Writes the points of one sweep into its store (a path or an in-memory Zarr store).

    ``SweepStore.existing(path, grid)`` opens a store to resume (checking its record),
    ``SweepStore.create(target, grid, n_max, old=…)`` makes a new one (with the points of
    an older store ``old`` copied in: an extension); ``done()`` is the boolean mask of
    finished points, ``write(result)`` adds one point."""

    def __init__(self, target, grid, n_max: int):
        self.target = target
        self.grid = grid
        self.n_max = int(n_max)

    @property
    def where(self) -> str:
        return repr(str(self.target)) if isinstance(self.target, Path) else "(in memory)"

    @staticmethod
    def stored(path: Path):
        """The Dataset at ``path`` if it holds a sweep store of this format, else None."""
        attrs = SweepStore.stored_attrs(path)
        return None if attrs is None else _open(path)

    @staticmethod
    def stored_attrs(path: Path):
        """The root attributes of the sweep store at ``path`` (read from its zarr.json,
        not through xarray) if it holds one of this format, else None."""
        if not path.exists() or (path.is_dir() and not any(path.iterdir())):
            return None
        attrs = _stored_attrs(path)
        if not (isinstance(attrs, dict) and "pgweyl_sweep" in attrs):
            _refuse_headless(path)
            raise StoreError(
                f"{str(path)!r} exists and is not a pgweyl sweep store; give a new path"
            )
        if attrs.get("pgweyl_sweep") != FORMAT:
            raise StoreError(
                f"store {str(path)!r} has layout {attrs.get('pgweyl_sweep')} (an older "
                f"pgweyl, seeds keyed by grid index); this pgweyl writes layout {FORMAT}: "
                "use a new store"
            )
        return attrs

    @classmethod
    def existing(cls, path: Path, grid, ds=None):
        """The store at ``path`` if there is one (checked against ``grid``), else None."""
        ds = cls.stored(path) if ds is None else ds
        if ds is None:
            return None
        check_record(ds, grid, repr(str(path)))
        if tuple(ds["done"].dims) != grid.names:
            raise StoreError(f"store {str(path)!r} has dimensions {ds['done'].dims}")
        return cls(path, grid, ds.sizes["maximum"])

    @classmethod
    def create(cls, target, grid, n_max: int, old=None, salvage=None):
        """A new store for ``grid`` with room for ``n_max`` maxima per point.

        A path is written as a temporary folder beside it and renamed when complete;
        ``old``: the Dataset of the store at ``target`` that ``grid`` extends — its points
        (a leading block of every dimension) are copied in, then the folders swapped;
        ``salvage``: the :class:`~pgweyl.study.sweep.integrity.Inspection` of a damaged
        store at ``target`` — its trusted points are copied in (a repair)."""
        import xarray as xr

        names, shape = grid.names, grid.shape
        if old is not None:
            n_max = max(int(n_max), old.sizes["maximum"])
        if salvage is not None:
            n_max = max(int(n_max), salvage.n_max)
        shards = shard_shape(shape)
        dims_m = names + ("maximum",)
        shape_m = shape + (n_max,)
        data = {}
        for name in MAXIMUM_VARS:
            data[name] = (dims_m, _lazy(shape_m, shards + (n_max,), np.nan, float))
        data["support"] = (dims_m, _lazy(shape_m, shards + (n_max,), "", _string_dtype()))
        data["unresolved"] = (names, _lazy(shape, shards, np.nan, float))
        for name in ("n_maxima", "global_maximum"):
            data[name] = (names, _lazy(shape, shards, 0, np.int64))
        data["treasure"] = (names, _lazy(shape, shards, -1, np.int64))
        data["point_seed"] = (names, _lazy(shape, shards, 0, np.uint64))
        data["done"] = (names, _lazy(shape, shards, False, bool))
        coords = {**grid.coords(), "maximum": np.arange(n_max)}
        for name, values in coords.items():  # text coordinates as specified format-3 strings
            if values.dtype.kind == "U":
                coords[name] = values.astype(_string_dtype())
        ds = xr.Dataset(data, coords=coords, attrs=_global_attrs(grid))
        encoding = {}
        for name, var in ds.variables.items():
            var.attrs.update(cf_attrs(name))
            if name in data:
                chunks = (1,) * len(names) + ((n_max,) if "maximum" in var.dims else ())
                encoding[name] = {"chunks": chunks, "shards": var.data.chunksize}
        if not isinstance(target, Path):
            _to_zarr(ds, target, encoding)
            store = cls(target, grid, n_max)
        else:
            for left in target.parent.glob(f".{target.name}.tmp-*"):
                _remove_tree(left)  # of a killed run (the caller holds the store's lock)
            tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
            try:
                with _disk_errors(f"store {str(target)!r}: cannot write it", "nothing changed"):
                    _to_zarr(ds, str(tmp), encoding)
                    # an empty journal from the start: a store stopped before its first
                    # point is whole, and a journal missing later is damage
                    (tmp / JOURNAL).write_text("", encoding="ascii")
                    made = cls(tmp, grid, n_max)
                    if old is not None:
                        made.copy(old)
                    if salvage is not None:
                        made.put(salvage.values, salvage.trusted)
                    _swap(tmp, target)
            finally:
                _remove_tree(tmp)
            store = cls(target, grid, n_max)
        return store

    def _dest(self):
        return str(self.target) if isinstance(self.target, Path) else self.target

    def _group(self):
        import zarr

        # Every shard a write touches is stored, fill values and all: an absent shard of
        # a computed point is then damage (pgweyl.study.sweep.integrity), never "all fill".
        with zarr.config.set({"array.write_empty_chunks": True}):
            group = zarr.open_group(self._dest(), mode="r+")
            return {name: group[name] for name in VARIABLE_ATTRS}

    def done(self) -> np.ndarray:
        return np.asarray(_open(self._dest())["done"].values, dtype=bool)

    def copy(self, old) -> None:
        """Copy the points of ``old`` (a Dataset whose coordinates lead this store's)."""
        old = old.load()
        values = {name: np.asarray(old[name].values) for name in VARIABLE_ATTRS}
        self.put(values, values["done"].astype(bool))

    def put(self, values: dict, mask) -> None:
        """Write the points ``mask`` of ``values`` ({variable: array over a leading block
        of this store's points (and maxima)}) as finished points, with their journal
        lines; the other points of the block stay fill (not done)."""
        from pgweyl.study.sweep.integrity import FILL, line, point_digest

        mask = np.asarray(mask, dtype=bool)
        group = self._group()
        block = tuple(slice(0, n) for n in mask.shape)
        for name in MAXIMUM_VARS + ("support",):
            data = np.asarray(values[name])
            text = name == "support"
            data = np.where(mask[..., None], data.astype(object) if text else data, FILL[name])
            if text:
                data = np.asarray([str(v) for v in data.ravel()], dtype=object).reshape(data.shape)
                data = data.astype(_string_dtype())
            group[name][block + (slice(0, data.shape[-1]),)] = data
        for name in POINT_VARS:
            data = np.asarray(values[name])
            group[name][block] = np.where(mask, data, FILL[name]).astype(data.dtype)
        group["done"][block] = mask
        if isinstance(self.target, Path):
            lines = []
            for index in np.argwhere(mask):
                index = tuple(int(i) for i in index)
                lines.append(line(index, point_digest({k: v[index] for k, v in values.items()})))
            (self.target / JOURNAL).write_text("".join(lines), encoding="ascii")

    def write(self, result: dict) -> None:
        """Write one point (its data, then its ``done`` flag) into its shards."""
        index = tuple(int(i) for i in result["index"])
        n = int(result["n_maxima"])
        if n > self.n_max:
            raise StoreError(
                f"point {index} has {n} maxima but store {self.where} has room for "
                f"{self.n_max}; it was made by another version of pgweyl: use a new store"
            )
        columns = {}
        for name in MAXIMUM_VARS:
            col = np.full(self.n_max, np.nan)
            col[:n] = result[name]
            columns[name] = col
        labels = np.full(self.n_max, "", dtype=object)
        labels[:n] = result["support"]
        columns["support"] = labels.astype(_string_dtype())
        columns["unresolved"] = np.float64(result["unresolved"])
        columns["n_maxima"] = np.int64(n)
        columns["global_maximum"] = np.int64(result["global_maximum"])
        columns["treasure"] = np.int64(result.get("treasure", -1))
        columns["point_seed"] = np.uint64(result["point_seed"])
        arrays = self._arrays()
        label = self.grid.task(index).label
        where = f"store {self.where}: cannot write point {label}"
        keep = "the points written before it are kept: make room and run the same command to resume"
        with _hold_interrupts(), _disk_errors(where, keep):
            _set_all([(arrays[name], index, value) for name, value in columns.items()])
            _set_all([(arrays["done"], index, np.bool_(True))])  # after the data: resume
            if isinstance(self.target, Path):  # after the flag: a line means a whole point
                from pgweyl.study.sweep.integrity import Journal, point_digest

                if getattr(self, "_journal", None) is None:
                    self._journal = Journal(self.target)
                self._journal.append(index, point_digest(columns))

    def _arrays(self) -> dict:
        if getattr(self, "_opened", None) is None:
            self._opened = self._group()
        return self._opened


@contextmanager
def _disk_errors(what: str, after: str):
    """An OSError of the file system (a full disk, a quota, a file-size limit) as one
    :class:`StoreError` line: ``what`` failed and ``after`` says what is left."""
    import errno

    try:
        yield
    except OSError as err:
        reasons = {
            errno.ENOSPC: "no space left on the device",
            errno.EDQUOT: "disk quota exceeded",
            errno.EFBIG: "file size limit exceeded",
            errno.EROFS: "read-only file system",
            errno.EACCES: "permission denied",
        }
        reason = reasons.get(err.errno, err.strerror or str(err).splitlines()[0])
        raise StoreError(f"{what}: {reason}; {after}") from None


def _set_all(writes) -> None:
    """``array[index] = value`` for every write, concurrently (each a read-modify-write of
    one shard; zarr's event loop runs them together), and wait for all."""
    try:
        import asyncio

        from zarr.core.sync import sync
    except ImportError:  # another zarr layout: one at a time
        for array, index, value in writes:
            array[index] = value
        return

    async def together():
        await asyncio.gather(*(a.async_array.setitem(i, v) for a, i, v in writes))

    sync(together())


def _string_dtype():
    """Variable-length UTF-8 text (Zarr format 3's specified string type)."""
    return np.dtypes.StringDType() if hasattr(np.dtypes, "StringDType") else object


def _lazy(shape, chunks, fill, dtype):
    """A Dask array of ``fill`` chunked as the store's shards (never computed: the store
    is made with compute=False, so absent shards read as the fill value)."""
    import dask.array as da

    return da.full(shape, fill, dtype=dtype, chunks=chunks)


def _to_zarr(ds, target, encoding) -> None:
    # Consolidated metadata lets plain xarray.open_zarr read the store in one request and
    # without a warning; zarr warns that format 3 does not specify it yet.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Consolidated metadata")
        ds.to_zarr(
            target, mode="w", compute=False, zarr_format=3, consolidated=True, encoding=encoding
        )


def _swap(new: Path, target: Path) -> None:
    """Put the folder ``new`` at ``target`` (an empty folder, or the store it replaces)."""
    if not target.exists():
        os.rename(new, target)
        return
    if not any(target.iterdir()):
        target.rmdir()
        os.rename(new, target)
        return
    aside = target.with_name(f".{target.name}.old-{os.getpid()}")
    with _hold_interrupts():
        os.rename(target, aside)
        os.rename(new, target)
    _remove_tree(aside)


def _global_attrs(grid) -> dict:
    record = grid.record()
    settings = record["settings"]
    env_spec = grid.spec.source or str(grid.spec)
    provenance = {
        "pgweyl_version": __version__,
        "env_spec": env_spec,
        "env": record["env"],
        "params": record["params"],
        "settings": settings,
    }
    return {
        "Conventions": CONVENTIONS,
        "title": f"pgweyl sweep of {env_spec}: P(policy gradient ends at each local maximum)",
        "source": f"pgweyl {__version__} (pgweyl.sweep)",
        "pgweyl_sweep": FORMAT,
        "provenance": json.dumps(provenance),
        "env_spec": env_spec,
        "env": json.dumps(record["env"]),
        "params": json.dumps(record["params"]),
        "settings": json.dumps(settings),
        "versions": json.dumps(versions()),
        "rule": settings.get("rule", "swept"),
        "seed": settings["seed"],
        "runs": settings["n_runs"],
        "method": settings["method"],
        "pgweyl_version": __version__,
        "maxima": LABELLING,
        # The journal of finished points (a store on disk) and every touched shard stored:
        # pgweyl.study.sweep.integrity checks both.
        "pgweyl_journal": JOURNAL,
    }


def _remove_tree(path: Path) -> None:
    """Remove a folder of ours (a staging copy). When a signal ends the write that made it,
    zarr's I/O threads may still be adding files while it goes ("Directory not empty"):
    try a few times, then leave it — the next run on this store removes what is left
    (``.NAME.tmp-*``), and the one-line exit is not replaced by a traceback."""
    import shutil
    import time

    for _ in range(5):
        if not path.exists():
            return
        try:
            shutil.rmtree(path)
            return
        except OSError:
            time.sleep(0.2)


__all__ = [
    "MissingDependencyError",
    "require",
    "StoreError",
    "SweepStore",
    "at_followed",
    "cf_attrs",
    "check_path",
    "followed",
    "shard_shape",
    "open_sweep",
    "stored_record",
    "versions",
]
