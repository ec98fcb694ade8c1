"""Sweeps at scale: convergence probabilities over grids of params, on Dask, in Zarr.

``pw.sweep(env_spec, params, runs=…, store="sweep.zarr")`` computes, at every point of
the cartesian grid of ``params``, the local maxima, the Monte Carlo probability that
policy gradient ends at each (Wilson interval, unresolved share) and, where it applies,
the θ-chain solver; it runs on a Dask cluster (a local one by default), writes each
point into the Zarr store as it finishes, and resumes an interrupted sweep.
``pw.open_sweep(path)`` reads a store back as an xarray Dataset;
:func:`plot_sweep` draws P(global maximum) from it.

- :mod:`pgweyl.sweep.grid` — params, settings, points and their seeds;
- :mod:`pgweyl.sweep.compute` — the work of one point (a Dask task);
- :mod:`pgweyl.sweep.store` — the Dataset in Zarr, region writes, resume;
- :mod:`pgweyl.sweep.engine` — the cluster, the loop, progress;
- :mod:`pgweyl.sweep.figure` — figures from a store;
- :mod:`pgweyl.sweep.command` — the ``pgweyl sweep`` and ``plot-sweep`` commands.

This package imports dask, xarray and zarr only when a sweep runs or a store is read.

``pgweyl.sweep`` is both this package and the function: calling the package calls
:func:`pgweyl.sweep.sweep` (so ``pw.sweep(...)`` works whichever one
``pgweyl.sweep`` currently is).
"""

from __future__ import annotations

import inspect
import sys
import types

from pgweyl.sweep.engine import ClusterError, sweep
from pgweyl.sweep.figure import plot_sweep
from pgweyl.sweep.grid import SweepGrid, make_grid, parse_param, point_seed
from pgweyl.sweep.store import MissingDependencyError, StoreError, open_sweep


class _CallableModule(types.ModuleType):
    """The package, callable as :func:`sweep` (see the package docstring)."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
__signature__ = inspect.signature(sweep)  # what inspect.signature(pw.sweep) reports

__all__ = [
    "ClusterError",
    "MissingDependencyError",
    "StoreError",
    "SweepGrid",
    "make_grid",
    "open_sweep",
    "parse_param",
    "plot_sweep",
    "point_seed",
    "sweep",
]
